package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// maxReturnLines bounds a return's lines, as the schema says.
const maxReturnLines = 50

// validate checks what the schema's types do not: 1 to 50 lines, each a
// SKU and a quantity from 1, and a reason of 1 to 500 characters, not
// blank.
func (req ReturnRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if len(req.Items) < 1 || len(req.Items) > maxReturnLines {
		errs = append(errs, httpx.FieldError{Field: "items", Detail: "must hold 1 to 50 lines"})
	}
	for i, l := range req.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		if l.SKU == "" || len(l.SKU) > maxIDLength {
			errs = append(errs, httpx.FieldError{Field: field + ".sku", Detail: "must be 1 to 128 characters"})
		}
		if l.Quantity < 1 || l.Quantity > maxQuantity {
			errs = append(errs, httpx.FieldError{Field: field + ".quantity", Detail: "must be 1 to " + strconv.Itoa(maxQuantity)})
		}
	}
	if reason := strings.TrimSpace(req.Reason); reason == "" || utf8.RuneCountInString(reason) > maxRefundReasonLength {
		errs = append(errs, httpx.FieldError{Field: "reason", Detail: "must be 1 to 500 characters"})
	}
	return validationProblem(errs)
}

// CreateReturn is POST /api/orders/{id}/returns (the order's customer, or
// an admin): it claims the lines (each unit once, from parcels delivered
// within the return window) and starts the return's workflow, which issues
// the label, waits for the parcel, restocks and refunds. The
// Idempotency-Key is required, as for a refund.
func (s *Server) CreateReturn(ctx context.Context, req CreateReturnRequestObject) (CreateReturnResponseObject, error) {
	key, err := requiredIdempotencyKey(req.Params.IdempotencyKey, "return")
	if err != nil {
		return nil, err
	}
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	r, created, err := s.Orders.ClaimReturn(ctx, orders.ReturnClaim{OrderID: o.ID, IdempotencyKey: key, Items: req.Body.Items,
		Reason: strings.TrimSpace(req.Body.Reason), RequestedBy: actor(ctx), Window: s.ReturnWindow})
	var tooLarge *orders.ReturnTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, validationProblem([]httpx.FieldError{{Field: "items", Detail: tooLarge.Error()}})
	case errors.Is(err, orders.ErrNothingDelivered):
		return nil, httpx.NewProblem(http.StatusConflict, "the order is "+string(o.Status)+": none of its parcels has been delivered yet")
	case errors.Is(err, orders.ErrReturnWindowClosed):
		return nil, httpx.NewProblem(http.StatusConflict, "the return window has closed: parcels can be returned for "+
			s.ReturnWindow.String()+" after their delivery")
	case errors.Is(err, orders.ErrRefundedInFull):
		return nil, httpx.NewProblem(http.StatusConflict, "the order has been refunded in full: a return would give nothing back")
	case errors.Is(err, orders.ErrIdempotencyKeyReused):
		return nil, httpx.NewProblem(http.StatusUnprocessableEntity,
			"Idempotency-Key "+strconv.Quote(key)+" was already used for another return of this order")
	case err != nil:
		return nil, fail("could not record the return", err, "order_id", o.ID)
	}
	// A return whose start failed before is started by its repeat.
	if r.Status == orders.ReturnRequested {
		if err := s.startOnce(ctx, workflows.ReturnStartOptions(r.ID), workflows.ReturnWorkflow, workflows.ReturnInput{ReturnID: r.ID}); err != nil {
			s.Logger.Error("could not start a return", "order_id", o.ID, "return_id", r.ID, "request_id", httpx.RequestID(ctx), "error", err)
			return nil, httpx.NewProblem(http.StatusServiceUnavailable,
				"the return is recorded but could not be started; repeat the request with the same Idempotency-Key")
		}
	}
	s.Logger.Info("return accepted", "order_id", o.ID, "return_id", r.ID, "amount", r.Amount, "by", r.RequestedBy,
		"replayed", !created, "request_id", httpx.RequestID(ctx))
	r = returnForCaller(ctx, r)
	if !created {
		return CreateReturn200JSONResponse{Body: r}, nil
	}
	location := "/api/orders/" + o.ID + "/returns"
	return CreateReturn202JSONResponse{Body: r, Headers: CreateReturn202ResponseHeaders{Location: &location}}, nil
}

// ListReturns is GET /api/orders/{id}/returns: the order's customer's or
// an admin's.
func (s *Server) ListReturns(ctx context.Context, req ListReturnsRequestObject) (ListReturnsResponseObject, error) {
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	list, err := s.Orders.Returns(ctx, o.ID)
	if err != nil {
		return nil, fail("could not list the returns", err, "order_id", o.ID)
	}
	for i := range list {
		list[i] = returnForCaller(ctx, list[i])
	}
	return ListReturns200JSONResponse{Body: ReturnList{Returns: list}}, nil
}

// returnForCaller leaves out who asked (an admin's ID) for customers.
func returnForCaller(ctx context.Context, r orders.Return) orders.Return {
	if caller, _ := auth.FromContext(ctx); !caller.IsAdmin() {
		r.RequestedBy = ""
	}
	return r
}
