package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

const maxRefundReasonLength = 500

// validate checks what the schema's types do not: a reason of 1 to 500
// characters, not blank, and a positive amount.
func (req RefundRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if reason := strings.TrimSpace(req.Reason); reason == "" || utf8.RuneCountInString(reason) > maxRefundReasonLength {
		errs = append(errs, httpx.FieldError{Field: "reason", Detail: "must be 1 to 500 characters"})
	}
	if req.Amount != nil && *req.Amount < 1 {
		errs = append(errs, httpx.FieldError{Field: "amount", Detail: "must be at least 1 (minor units)"})
	}
	return validationProblem(errs)
}

// CreateRefund is POST /api/orders/{id}/refunds (admin): it claims the
// refund (within what the capture has left, under the order's row lock)
// and starts its RefundWorkflow. The Idempotency-Key is required: a refund
// repeated without one could pay twice up to the capture.
func (s *Server) CreateRefund(ctx context.Context, req CreateRefundRequestObject) (CreateRefundResponseObject, error) {
	key, err := requiredIdempotencyKey(req.Params.IdempotencyKey, "refund")
	if err != nil {
		return nil, err
	}
	body := req.Body
	reason := strings.TrimSpace(body.Reason)
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	r, created, err := s.Orders.ClaimRefund(ctx, orders.RefundClaim{
		OrderID: o.ID, IdempotencyKey: key, Amount: deref(body.Amount), Reason: reason, RequestedBy: actor(ctx),
	})
	var tooLarge *orders.RefundTooLargeError
	switch {
	case errors.As(err, &tooLarge) && tooLarge.Remaining == 0:
		return nil, httpx.NewProblem(http.StatusConflict, tooLarge.Error())
	case errors.As(err, &tooLarge):
		return nil, validationProblem([]httpx.FieldError{{Field: "amount", Detail: tooLarge.Error()}})
	case errors.Is(err, orders.ErrNotRefundable) && o.Status.Paid():
		return nil, httpx.NewProblem(http.StatusConflict, "the order's capture was not recorded (it completed before refunds were kept): refund it at the gateway")
	case errors.Is(err, orders.ErrNotRefundable):
		return nil, httpx.NewProblem(http.StatusConflict, "the order is "+string(o.Status)+": only a completed order's capture can be refunded")
	case errors.Is(err, orders.ErrIdempotencyKeyReused):
		return nil, httpx.NewProblem(http.StatusUnprocessableEntity,
			"Idempotency-Key "+strconv.Quote(key)+" was already used for another refund of this order")
	case err != nil:
		return nil, fail("could not record the refund", err, "order_id", o.ID)
	}
	// A pending refund whose start failed before is started by its repeat.
	if r.Status == orders.RefundPending {
		if err := s.startOnce(ctx, workflows.RefundStartOptions(r.ID), workflows.RefundWorkflow, workflows.RefundInput{RefundID: r.ID}); err != nil {
			s.Logger.Error("could not start a refund", "order_id", o.ID, "refund_id", r.ID, "request_id", httpx.RequestID(ctx), "error", err)
			return nil, httpx.NewProblem(http.StatusServiceUnavailable,
				"the refund is recorded but could not be started; repeat the request with the same Idempotency-Key")
		}
	}
	s.Logger.Info("refund accepted", "order_id", o.ID, "refund_id", r.ID, "amount", r.Amount, "by", r.RequestedBy,
		"replayed", !created, "request_id", httpx.RequestID(ctx))
	if !created {
		return CreateRefund200JSONResponse{Body: r}, nil
	}
	location := "/api/orders/" + o.ID + "/refunds"
	return CreateRefund202JSONResponse{Body: r, Headers: CreateRefund202ResponseHeaders{Location: &location}}, nil
}

// startOnce starts a workflow of a claimed record (a refund, a return), or
// finds it running or done.
func (s *Server) startOnce(ctx context.Context, opts client.StartWorkflowOptions, fn, input any) error {
	_, err := s.Temporal.ExecuteWorkflow(ctx, opts, fn, input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // it ran already
	}
	return err
}

// ListRefunds is GET /api/orders/{id}/refunds: the order's customer's or
// an admin's.
func (s *Server) ListRefunds(ctx context.Context, req ListRefundsRequestObject) (ListRefundsResponseObject, error) {
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	refunds, err := s.Orders.Refunds(ctx, o.ID)
	if err != nil {
		return nil, fail("could not list the refunds", err, "order_id", o.ID)
	}
	if caller, _ := auth.FromContext(ctx); !caller.IsAdmin() {
		// The reason is for the record, the admin's ID and the gateway's
		// words for operators: the customer reads amounts and states.
		for i := range refunds {
			refunds[i].Reason, refunds[i].RequestedBy, refunds[i].Failure = "", "", ""
		}
	}
	return ListRefunds200JSONResponse{Body: RefundList{Refunds: refunds}}, nil
}
