package api

import (
	"context"
	"errors"
	"net/http"
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
// cancelled. A parcel that has left refuses (409, naming it): the order is
// then returned once delivered. The update ID is fixed per shipment, so a
// repeated request (or one from another replica) joins the first.
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
	var handles []client.WorkflowUpdateHandle
	var cancelling []orders.Shipment
	for _, sh := range o.Shipments {
		if sh.Status == orders.ShipmentCancelled {
			continue
		}
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: sh.ID, UpdateID: "cancel", UpdateName: workflows.UpdateCancelShipment,
			Args: []any{decision}, WaitForStage: client.WorkflowUpdateStageAccepted,
		})
		if err != nil {
			return nil, s.shipmentCancelError(ctx, o, sh, err)
		}
		handles, cancelling = append(handles, h), append(cancelling, sh)
	}
	for i, h := range handles {
		if err := awaitUpdate(ctx, h, cancelWait); err != nil {
			return nil, s.shipmentCancelError(ctx, o, cancelling[i], err)
		}
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

// shipmentCancelError maps a shipment's refusal to a problem: a parcel that
// left, or a shipment that ended, is a 409.
func (s *Server) shipmentCancelError(ctx context.Context, o orders.Order, sh orders.Shipment, err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		return httpx.NewProblem(http.StatusConflict, "the order can no longer be cancelled: "+appErr.Message())
	case errors.As(err, &notFound):
		return httpx.NewProblem(http.StatusConflict, "the order can no longer be cancelled: parcel "+sh.ID+" has ended")
	}
	s.Logger.Warn("shipment cancel failed", "order_id", o.ID, "shipment_id", sh.ID, "request_id", httpx.RequestID(ctx), "error", err)
	return httpx.NewProblem(http.StatusServiceUnavailable, "the order could not be reached; try again")
}
