package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
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

type decisionRequest struct {
	Reason string `json:"reason"`
}

// cancelOrder is POST /api/orders/{id}/cancel: the order workflow's cancel
// update. Its validator refuses once the payment is captured (409 with the
// reason); otherwise the saga compensates and the answer is the cancelled
// order.
func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	s.updateOrder(w, r, workflows.UpdateCancel, cancelWait)
}

// decideOrder is POST /api/orders/{id}/approve and /reject (admin): the
// update of that name, refused with 409 unless the order awaits approval.
func (s *Server) decideOrder(update string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.updateOrder(w, r, update, 0) }
}

// updateOrder sends update to the order's workflow and waits up to wait for
// its result (0: only until it is accepted).
func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request, update string, wait time.Duration) {
	var req decisionRequest
	if r.ContentLength != 0 { // the body is optional
		if p := httpx.DecodeJSON(w, r, &req); p != nil {
			httpx.WriteProblem(w, r, p)
			return
		}
	}
	if len(req.Reason) > 500 {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnprocessableEntity, "reason must be at most 500 characters"))
		return
	}
	order, ok := s.findOrder(w, r)
	if !ok {
		return
	}
	if slices.Contains(orders.FinalStatuses, order.Status) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict, "the order is already "+string(order.Status)))
		return
	}
	by := actor(r) // into the workflow's history

	handle, err := s.Temporal.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
		WorkflowID:   order.WorkflowID,
		UpdateName:   update,
		Args:         []any{workflows.Decision{Reason: req.Reason, By: by}},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err == nil && wait > 0 {
		err = awaitUpdate(r.Context(), handle, wait)
	} else if err == nil {
		err = handle.Get(r.Context(), nil) // rejections surface here
	}
	if err != nil {
		s.updateError(w, r, order, update, err)
		return
	}
	s.Logger.Info("order "+update+" accepted", "order_id", order.ID, "workflow_id", order.WorkflowID,
		"by", by, "request_id", httpx.RequestID(r.Context()))
	if order, err = s.Orders.Get(r.Context(), order.ID); err != nil {
		s.internalError(w, r, "could not read the order", err, "order_id", order.ID)
		return
	}
	status := http.StatusAccepted
	if slices.Contains(orders.FinalStatuses, order.Status) {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, order)
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
func (s *Server) updateError(w http.ResponseWriter, r *http.Request, order orders.Order, update string, err error) {
	var appErr *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &appErr):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict, appErr.Message()))
	case errors.As(err, &notFound):
		// The read model is not final (checked above) but the workflow is
		// closed: it was stopped from outside, and the reconciler repairs it.
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict,
			"the order's workflow was stopped before the order finished; it is being wound up automatically"))
	default:
		s.Logger.Warn("order update failed", "order_id", order.ID, "update", update, "request_id", httpx.RequestID(r.Context()), "error", err)
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, "the order could not be reached; try again"))
	}
}
