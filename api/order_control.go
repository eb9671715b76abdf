package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// cancelWait is how long POST /cancel waits for the compensations before it
// answers 202 (still cancelling) instead of 200 (cancelled).
const cancelWait = 10 * time.Second

// CancelOrder is POST /api/orders/{id}/cancel. Before the capture it is the
// order workflow's cancel update: the saga compensates and the answer is the
// cancelled order (200), or the order still cancelling after cancelWait
// (202). A completed order's parcels are cancelled instead, while none has
// left (cancelShipments).
func (s *Server) CancelOrder(ctx context.Context, req CancelOrderRequestObject) (CancelOrderResponseObject, error) {
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	switch {
	case o.Status == orders.StatusCompleted && len(o.Shipments) > 0:
		return s.cancelShipments(ctx, o, req.Body)
	case o.Status == orders.StatusShipped:
		return nil, httpx.NewProblem(http.StatusConflict, "the order is already shipped: it can no longer be cancelled; return it once delivered")
	case o.Status == orders.StatusDelivered:
		return nil, httpx.NewProblem(http.StatusConflict, "the order is already delivered: return it instead (POST /api/orders/{id}/returns)")
	}
	order, final, err := s.updateOrder(ctx, req.Id, req.Body, workflows.UpdateCancel, cancelWait)
	switch {
	case err != nil:
		return nil, err
	case final:
		return CancelOrder200JSONResponse{Body: order}, nil
	}
	return CancelOrder202JSONResponse{Body: order}, nil
}

// ApproveOrder is POST /api/orders/{id}/approve (admin): refused with 409
// unless the order awaits approval.
func (s *Server) ApproveOrder(ctx context.Context, req ApproveOrderRequestObject) (ApproveOrderResponseObject, error) {
	order, final, err := s.updateOrder(ctx, req.Id, req.Body, workflows.UpdateApprove, 0)
	switch {
	case err != nil:
		return nil, err
	case final:
		return ApproveOrder200JSONResponse{Body: order}, nil
	}
	return ApproveOrder202JSONResponse{Body: order}, nil
}

// RejectOrder is POST /api/orders/{id}/reject (admin), like ApproveOrder.
func (s *Server) RejectOrder(ctx context.Context, req RejectOrderRequestObject) (RejectOrderResponseObject, error) {
	order, final, err := s.updateOrder(ctx, req.Id, req.Body, workflows.UpdateReject, 0)
	switch {
	case err != nil:
		return nil, err
	case final:
		return RejectOrder200JSONResponse{Body: order}, nil
	}
	return RejectOrder202JSONResponse{Body: order}, nil
}

func (req DecisionRequest) validate() *httpx.Problem {
	if len(deref(req.Reason)) > 500 {
		return httpx.NewProblem(http.StatusUnprocessableEntity, "reason must be at most 500 characters")
	}
	return nil
}

// updateOrder sends update to the order's workflow and waits up to wait for
// its result (0: only until it is accepted). It answers the order as the
// read model shows it then, and whether that is final.
func (s *Server) updateOrder(ctx context.Context, id string, body *DecisionRequest, update string, wait time.Duration) (Order, bool, error) {
	order, err := s.findOrder(ctx, id)
	if err != nil {
		return Order{}, false, err
	}
	if order.Status.Final() {
		return Order{}, false, httpx.NewProblem(http.StatusConflict, "the order is already "+string(order.Status))
	}
	var reason string
	if body != nil {
		reason = deref(body.Reason)
	}
	by := actor(ctx) // into the workflow's history
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   order.WorkflowID,
		UpdateName:   update,
		Args:         []any{workflows.Decision{Reason: reason, By: by}},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err == nil && wait > 0 {
		err = awaitUpdate(ctx, handle, wait)
	} else if err == nil {
		err = handle.Get(ctx, nil) // rejections surface here
	}
	if err != nil {
		return Order{}, false, s.updateError(ctx, order, update, err)
	}
	s.Logger.Info("order "+update+" accepted", "order_id", order.ID, "workflow_id", order.WorkflowID,
		"by", by, "request_id", httpx.RequestID(ctx))
	if order, err = s.Orders.Get(ctx, order.ID); err != nil {
		return Order{}, false, fail("could not read the order", err, "order_id", order.ID)
	}
	return forCaller(ctx, order), order.Status.Final(), nil
}

// awaitUpdate waits up to wait for an accepted update's outcome: nil when it
// succeeded or is still under way once the wait is over. The wait is kept by
// a timer of our own, not by a deadline on the call: the server ends a call
// at its propagated deadline a moment before the client's context expires,
// as an error that does not say "deadline".
func awaitUpdate(ctx context.Context, handle client.WorkflowUpdateHandle, wait time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- handle.Get(ctx, nil) }()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return nil
	}
}

// updateError maps a refused or failed update to a problem: the workflow's
// own reasons are 409s, a closed workflow is a 409 with its final status.
func (s *Server) updateError(ctx context.Context, order orders.Order, update string, err error) error {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		return httpx.NewProblem(http.StatusConflict, appErr.Message())
	case errors.As(err, &notFound):
		// The read model is not final (checked above) but the workflow is
		// closed: it was stopped from outside, and the reconciler repairs it.
		return httpx.NewProblem(http.StatusConflict,
			"the order's workflow was stopped before the order finished; it is being wound up automatically")
	}
	s.Logger.Warn("order update failed", "order_id", order.ID, "update", update, "request_id", httpx.RequestID(ctx), "error", err)
	return httpx.NewProblem(http.StatusServiceUnavailable, "the order could not be reached; try again")
}
