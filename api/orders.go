package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	enums "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/requestid"
	"github.com/orderflow/orderflow/workflows"
)

const maxIdempotencyKeyLength = 255

var visibleASCII = regexp.MustCompile(`^[\x21-\x7e]*$`)

// validated is a request body that checks itself after decoding.
type validated interface{ validate() *httpx.Problem }

// decodeValid strictly decodes the body into req and validates it; a
// problem with either is answered, and decodeValid returns false.
func decodeValid(w http.ResponseWriter, r *http.Request, req validated) bool {
	p := httpx.DecodeJSON(w, r, req)
	if p == nil {
		p = req.validate()
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return false
	}
	return true
}

// idempotencyKey reads the optional Idempotency-Key header; one that is too
// long is answered with a 400 problem and ok false.
func idempotencyKey(w http.ResponseWriter, r *http.Request) (key string, ok bool) {
	key = r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKeyLength || !visibleASCII.MatchString(key) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest,
			fmt.Sprintf("Idempotency-Key must be at most %d visible ASCII characters", maxIdempotencyKeyLength)))
		return "", false
	}
	return key, true
}

// createOrder accepts an order and starts its saga. With an Idempotency-Key
// the same request returns the same order and starts one workflow.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	var req createOrderRequest
	if !decodeValid(w, r, &req) {
		return
	}
	// The customer is the caller, and their profile holds how they want
	// to hear about the order.
	customer, ok := s.currentUser(w, r)
	if !ok {
		return
	}
	in, p, err := s.priceOrder(r.Context(), req, customer)
	if err != nil {
		s.internalError(w, r, "could not price the order", err)
		return
	}
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	// The hash covers the decoded request, so formatting does not matter.
	canonical, _ := json.Marshal(req)
	hash := sha256.Sum256(canonical)
	// From here on, finish what was begun even if the client goes away: a
	// claimed key must come with a started workflow.
	ctx := context.WithoutCancel(r.Context())

	replayed := false
	if key != "" {
		// Keys are the customer's own: two customers may pick the same one.
		owner, err := s.Orders.ClaimKey(ctx, customer.ID+":"+key, hash[:], in.OrderID)
		switch {
		case errors.Is(err, orders.ErrIdempotencyKeyReused):
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnprocessableEntity,
				"Idempotency-Key "+strconv.Quote(key)+" was already used with a different request body"))
			return
		case err != nil:
			s.internalError(w, r, "could not record the Idempotency-Key", err)
			return
		}
		if replayed = owner != in.OrderID; replayed {
			existing, err := s.Orders.Get(ctx, owner)
			switch {
			case err == nil && existing.Status != orders.StatusPending:
				// Its workflow ran: answer with the order, start nothing.
				s.accepted(w, r, existing, true)
				return
			case err == nil:
				// The stored order is what must run; the token is not stored,
				// but the body matched, so it is the one sent the first time.
				in = inputOf(existing)
				in.PaymentToken = req.Payment.Token
			case errors.Is(err, orders.ErrNotFound):
				in.OrderID = owner // the first request claimed the key and stopped short
			default:
				s.internalError(w, r, "could not read the order", err, "order_id", owner)
				return
			}
		}
	}
	// The workflow starts before the order row exists, so no order is ever
	// stored without one; its first bookkeeping step stores the row too.
	if err := s.startOrder(ctx, in); err != nil {
		s.Logger.Error("could not start order workflow", "order_id", in.OrderID, "request_id", httpx.RequestID(ctx), "error", err)
		detail := "the order could not be started; nothing was charged or reserved"
		if key != "" {
			detail += "; repeat the request with the same Idempotency-Key"
		}
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, detail))
		return
	}
	if err := s.Orders.Insert(ctx, in); err != nil {
		// The workflow stores the row itself within moments.
		s.Logger.Warn("could not store the new order; its workflow will", "order_id", in.OrderID, "error", err)
	}
	// The answer is the order as accepted; the saga may be further already.
	s.accepted(w, r, pendingView(in), replayed)
}

func (s *Server) accepted(w http.ResponseWriter, r *http.Request, order orders.Order, replayed bool) {
	s.Logger.Info("order accepted", "order_id", order.ID, "workflow_id", order.WorkflowID,
		"request_id", httpx.RequestID(r.Context()), "replayed", replayed)
	w.Header().Set("Location", "/api/orders/"+order.ID)
	httpx.WriteJSON(w, http.StatusAccepted, order)
}

// pendingView is the order as it is about to be stored.
func pendingView(in orders.Input) orders.Order {
	return orders.Order{
		ID: in.OrderID, Status: orders.StatusPending, WorkflowID: orders.WorkflowID(in.OrderID),
		CustomerID: in.CustomerID, Items: in.Items, Currency: in.Currency, Total: in.Total, Contact: in.Contact,
		Steps: []orders.Step{}, CreatedAt: in.PlacedAt, UpdatedAt: in.PlacedAt,
	}
}

// priceOrder turns the customer's request into a workflow input, pricing
// each line from the catalogue. Unknown SKUs and mixed currencies are a 422
// problem.
func (s *Server) priceOrder(ctx context.Context, req createOrderRequest, customer users.User) (orders.Input, *httpx.Problem, error) {
	skus := make([]string, len(req.Items))
	for i, it := range req.Items {
		skus[i] = it.SKU
	}
	products, err := s.Inventory.Products(ctx, skus)
	if err != nil {
		return orders.Input{}, nil, err
	}
	in := orders.Input{
		OrderID:      uuid.Must(uuid.NewV7()).String(),
		CustomerID:   customer.ID,
		PaymentToken: req.Payment.Token,
		Contact:      customer.Contact(),
		PlacedAt:     time.Now().UTC(),
	}
	// Addresses given with the order are for this order only.
	if req.Contact.Email != "" {
		in.Contact.Email = req.Contact.Email
	}
	if req.Contact.Phone != "" {
		in.Contact.Phone = req.Contact.Phone
	}
	var errs []httpx.FieldError
	for i, it := range req.Items {
		p, ok := products[it.SKU]
		if !ok {
			errs = append(errs, httpx.FieldError{Field: fmt.Sprintf("items[%d].sku", i), Detail: fmt.Sprintf("unknown SKU %q", it.SKU)})
			continue
		}
		if in.Currency == "" {
			in.Currency = p.Currency
		} else if in.Currency != p.Currency {
			errs = append(errs, httpx.FieldError{Field: fmt.Sprintf("items[%d].sku", i), Detail: "is priced in " + p.Currency + ", the order in " + in.Currency})
			continue
		}
		in.Items = append(in.Items, orders.Item{SKU: it.SKU, Quantity: it.Quantity, UnitPrice: p.Price})
		in.Total += p.Price * int64(it.Quantity)
	}
	if len(errs) > 0 {
		return in, validationProblem(errs), nil
	}
	return in, nil, nil
}

// startOrder starts the order's workflow, or finds it running or finished:
// the workflow ID is the order's, so a repeated start never makes a second.
func (s *Server) startOrder(ctx context.Context, in orders.Input) error {
	in.ReservationTTL = s.ReservationTTL
	if s.ApprovalThreshold > 0 && in.Total > s.ApprovalThreshold {
		// The stock stays held while the order waits for its approval.
		in.ApprovalTimeout = s.ApprovalTimeout
		in.ReservationTTL += s.ApprovalTimeout
	}
	opts := client.StartWorkflowOptions{
		ID:                       orders.WorkflowID(in.OrderID),
		TaskQueue:                workflows.OrdersTaskQueue,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    workflows.OrderSearchAttributes(in, orders.StatusProcessing),
	}
	if id := httpx.RequestID(ctx); id != "" {
		// ctx carries the ID to the workflow's header (requestid.Propagator);
		// the memo shows it in the Web UI and `temporal workflow describe`.
		opts.Memo = map[string]any{requestid.LogKey: id}
	}
	_, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.OrderWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // it ran already and is closed: nothing to start
	}
	return err
}

func inputOf(o orders.Order) orders.Input {
	return orders.Input{
		OrderID: o.ID, CustomerID: o.CustomerID, Items: o.Items, Currency: o.Currency, Total: o.Total,
		Contact: o.Contact, PlacedAt: o.CreatedAt,
	}
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	if o, ok := s.findOrder(w, r); ok {
		httpx.WriteJSON(w, http.StatusOK, o)
	}
}

// findOrder reads the order the path names, if the caller may see it:
// admins see every order, customers their own. Someone else's order is a
// 404 like a missing one, so order IDs tell nothing about other customers.
func (s *Server) findOrder(w http.ResponseWriter, r *http.Request) (orders.Order, bool) {
	id := mux.Vars(r)["id"]
	notFound := httpx.NewProblem(http.StatusNotFound, "no order "+strconv.Quote(id))
	if _, err := uuid.Parse(id); err != nil {
		httpx.WriteProblem(w, r, notFound)
		return orders.Order{}, false
	}
	o, err := s.Orders.Get(r.Context(), id)
	caller, _ := auth.FromContext(r.Context())
	switch {
	case errors.Is(err, orders.ErrNotFound), err == nil && !caller.IsAdmin() && o.CustomerID != caller.UserID:
		httpx.WriteProblem(w, r, notFound)
		return orders.Order{}, false
	case err != nil:
		s.internalError(w, r, "could not read the order", err, "order_id", id)
		return orders.Order{}, false
	}
	return o, true
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := orders.ListFilter{CustomerID: q.Get("customer_id"), Cursor: q.Get("cursor"), Limit: 20}
	if f.CustomerID != "" && (len(f.CustomerID) > maxIDLength || !idPattern.MatchString(f.CustomerID)) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "customer_id must be 1 to 128 letters, digits or ._:@-"))
		return
	}
	// Customers list their own orders; admins anyone's.
	if caller, _ := auth.FromContext(r.Context()); !caller.IsAdmin() {
		if f.CustomerID != "" && f.CustomerID != caller.UserID {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "customers may list only their own orders"))
			return
		}
		f.CustomerID = caller.UserID
	}
	if status := q.Get("status"); status != "" {
		var err error
		if f.Status, err = orders.ParseStatus(status); err != nil {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, err.Error()))
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "limit must be an integer from 1 to 100"))
			return
		}
		f.Limit = n
	}
	page, err := s.Orders.List(r.Context(), f)
	switch {
	case errors.Is(err, orders.ErrBadCursor):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "cursor is not one this API returned"))
	case err != nil:
		s.internalError(w, r, "could not list orders", err)
	default:
		httpx.WriteJSON(w, http.StatusOK, page)
	}
}

func (s *Server) orderEvents(w http.ResponseWriter, r *http.Request) {
	o, ok := s.findOrder(w, r)
	if !ok {
		return
	}
	evs, err := s.Orders.Events(r.Context(), o.ID)
	switch {
	case err != nil:
		s.internalError(w, r, "could not read the order's events", err, "order_id", o.ID)
	default:
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"events": evs})
	}
}
