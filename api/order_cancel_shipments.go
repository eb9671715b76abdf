package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// cancelShipments cancels a completed order whose parcels have not left:
// each ShipmentWorkflow's cancel update cancels its parcel at the carrier,
// restocks its lines and refunds them, and the last one moves the order to
// cancelled. A parcel that has left refuses (409, naming it, and any parcel
// cancelled all the same): the order is then returned once delivered. The
// update ID is fixed per shipment, so a repeated request (or one from
// another replica) joins the first while it runs.
func (s *Server) cancelShipments(ctx context.Context, o orders.Order, body *DecisionRequest) (CancelOrderResponseObject, error) {
	var left []string
	for _, sh := range o.Shipments {
		if sh.Status.Left() {
			left = append(left, sh.ID+" ("+string(sh.Status)+")")
		}
	}
	if len(left) > 0 {
		return nil, httpx.NewProblem(http.StatusConflict,
			"the order can no longer be cancelled: parcel "+strings.Join(left, ", ")+" has left the warehouse; return it once delivered")
	}
	decision := workflows.Decision{By: actor(ctx)}
	if body != nil {
		decision.Reason = deref(body.Reason)
	}
	// Every parcel is asked, even once one refuses: a parcel picked up
	// while the cancel was on its way refuses alone, and the others are
	// cancelled all the same, which the answer says.
	var handles []client.WorkflowUpdateHandle
	var cancelling, refused []string
	var firstErr error
	for _, sh := range o.Shipments {
		if sh.Status == orders.ShipmentCancelled {
			continue
		}
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: sh.ID, UpdateID: "cancel", UpdateName: workflows.UpdateCancelShipment,
			Args: []any{decision}, WaitForStage: client.WorkflowUpdateStageAccepted,
		})
		if err == nil {
			handles, cancelling = append(handles, h), append(cancelling, sh.ID)
			continue
		}
		refusal, problem := s.shipmentCancelError(ctx, o, sh, err)
		if problem != nil {
			return nil, problem
		}
		refused = append(refused, refusal)
	}
	for i, h := range handles {
		if err := awaitUpdate(ctx, h, cancelWait); err != nil {
			refusal, problem := s.shipmentCancelError(ctx, o, orders.Shipment{ID: cancelling[i]}, err)
			if problem != nil {
				firstErr = problem
				continue
			}
			refused = append(refused, refusal)
			cancelling[i] = ""
		}
	}
	if len(refused) > 0 {
		detail := "the order can no longer be cancelled: " + strings.Join(refused, "; ")
		if done := slices.DeleteFunc(cancelling, func(id string) bool { return id == "" }); len(done) > 0 {
			detail += "; parcel " + strings.Join(done, ", ") + " is cancelled and refunded all the same"
		}
		return nil, httpx.NewProblem(http.StatusConflict, detail)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	s.Logger.Info("order cancel accepted", "order_id", o.ID, "by", decision.By, "shipments", len(o.Shipments),
		"request_id", httpx.RequestID(ctx))
	o, err := s.Orders.Get(ctx, o.ID)
	if err != nil {
		return nil, fail("could not read the order", err, "order_id", o.ID)
	}
	if o.Status == orders.StatusCancelled {
		return CancelOrder200JSONResponse{Body: forCaller(ctx, o)}, nil
	}
	return CancelOrder202JSONResponse{Body: forCaller(ctx, o)}, nil
}

// shipmentCancelError says why a shipment refused its cancel (a parcel
// that left, a shipment that ended), or returns the problem of a failure
// that is no answer.
func (s *Server) shipmentCancelError(ctx context.Context, o orders.Order, sh orders.Shipment, err error) (string, error) {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		return appErr.Message(), nil
	case errors.As(err, &notFound):
		return "parcel " + sh.ID + " has ended", nil
	}
	s.Logger.Warn("shipment cancel failed", "order_id", o.ID, "shipment_id", sh.ID, "request_id", httpx.RequestID(ctx), "error", err)
	return "", httpx.NewProblem(http.StatusServiceUnavailable, "the order could not be reached; try again")
}
