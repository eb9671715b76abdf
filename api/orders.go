package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
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

// idempotencyKey is the optional Idempotency-Key header; one that is too
// long is a 400 problem.
func idempotencyKey(header *IdempotencyKey) (string, error) {
	key := deref(header)
	if len(key) > maxIdempotencyKeyLength || !visibleASCII.MatchString(key) {
		return "", httpx.NewProblem(http.StatusBadRequest,
			fmt.Sprintf("Idempotency-Key must be at most %d visible ASCII characters", maxIdempotencyKeyLength))
	}
	return key, nil
}

// requiredIdempotencyKey is idempotencyKey for a request that may not go
// without one: a repeat of what (a refund, a return) without a key could
// pay twice.
func requiredIdempotencyKey(header *IdempotencyKey, what string) (string, error) {
	key, err := idempotencyKey(header)
	if err == nil && key == "" {
		err = httpx.NewProblem(http.StatusBadRequest, "a "+what+" needs an Idempotency-Key, so that a repeated request makes one")
	}
	return key, err
}

// CreateOrder is POST /api/orders: it accepts an order and starts its saga.
// With an Idempotency-Key the same request returns the same order and
// starts one workflow.
func (s *Server) CreateOrder(ctx context.Context, request CreateOrderRequestObject) (CreateOrderResponseObject, error) {
	key, err := idempotencyKey(request.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	req := request.Body
	// The customer is the caller, and their profile holds how they want
	// to hear about the order.
	customer, err := s.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.priceOrder(ctx, req, customer)
	if err != nil {
		return nil, err
	}
	hash := requestHash(req)
	// From here on, finish what was begun even if the client goes away: a
	// claimed key must come with a started workflow.
	ctx = context.WithoutCancel(ctx)

	replayed := false
	if key != "" {
		// Keys are the customer's own: two customers may pick the same one.
		owner, err := s.Orders.ClaimKey(ctx, customer.ID+":"+key, hash[:], in.OrderID)
		switch {
		case errors.Is(err, orders.ErrIdempotencyKeyReused):
			return nil, httpx.NewProblem(http.StatusUnprocessableEntity,
				"Idempotency-Key "+strconv.Quote(key)+" was already used with a different request body")
		case err != nil:
			return nil, fail("could not record the Idempotency-Key", err)
		}
		if replayed = owner != in.OrderID; replayed {
			existing, err := s.Orders.Get(ctx, owner)
			switch {
			case err == nil && existing.Status != orders.StatusPending:
				// Its workflow ran: answer with the order, start nothing.
				return s.accepted(ctx, existing, true), nil
			case err == nil:
				// The stored order is what must run; the token and the risk
				// facts are not stored, but the body matched, so they are
				// the ones of the first time.
				priced := in
				in = existing.Input()
				in.PaymentToken = req.Payment.Token
				in.AccountCreatedAt, in.ContactOverride = priced.AccountCreatedAt, priced.ContactOverride
			case errors.Is(err, orders.ErrNotFound):
				in.OrderID = owner // the first request claimed the key and stopped short
			default:
				return nil, fail("could not read the order", err, "order_id", owner)
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
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, detail)
	}
	if err := s.Orders.Insert(ctx, in); err != nil {
		// The workflow stores the row itself within moments.
		s.Logger.Warn("could not store the new order; its workflow will", "order_id", in.OrderID, "error", err)
	}
	// The answer is the order as accepted; the saga may be further already.
	return s.accepted(ctx, pendingView(in), replayed), nil
}

// requestHash fingerprints an order request for its Idempotency-Key: the
// decoded request, so formatting does not matter, in the layout that the
// keys claimed so far were hashed in (a retry across an upgrade must still
// match its first request).
func requestHash(req *CreateOrderRequest) [sha256.Size]byte {
	type item struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	}
	var v struct {
		Items   []item `json:"items"`
		Payment struct {
			Token string `json:"token"`
		} `json:"payment"`
		Contact struct {
			Email string `json:"email,omitempty"`
			Phone string `json:"phone,omitempty"`
		} `json:"contact"`
	}
	for _, it := range req.Items {
		v.Items = append(v.Items, item{SKU: it.Sku, Quantity: it.Quantity})
	}
	v.Payment.Token = req.Payment.Token
	if c := req.Contact; c != nil {
		v.Contact.Email, v.Contact.Phone = deref(c.Email), deref(c.Phone)
	}
	canonical, _ := json.Marshal(v)
	return sha256.Sum256(canonical)
}

func (s *Server) accepted(ctx context.Context, order orders.Order, replayed bool) CreateOrder202JSONResponse {
	s.Logger.Info("order accepted", "order_id", order.ID, "workflow_id", order.WorkflowID,
		"request_id", httpx.RequestID(ctx), "replayed", replayed)
	location := "/api/orders/" + order.ID
	return CreateOrder202JSONResponse{Body: forCaller(ctx, order), Headers: CreateOrder202ResponseHeaders{Location: &location}}
}

// pendingView is the order as it is about to be stored.
func pendingView(in orders.Input) orders.Order {
	return orders.Order{
		ID: in.OrderID, Status: orders.StatusPending, WorkflowID: orders.WorkflowID(in.OrderID),
		CustomerID: in.CustomerID, Items: in.Items, Currency: in.Currency, Total: in.Total, Contact: in.Contact,
		Steps: []orders.Step{}, Shipments: []orders.Shipment{}, Returns: []orders.Return{}, CreatedAt: in.PlacedAt, UpdatedAt: in.PlacedAt,
	}
}

// priceOrder turns the customer's request into a workflow input, pricing
// each line from the catalogue. Unknown SKUs and mixed currencies are a 422
// problem.
func (s *Server) priceOrder(ctx context.Context, req *CreateOrderRequest, customer users.User) (orders.Input, error) {
	skus := make([]string, len(req.Items))
	for i, it := range req.Items {
		skus[i] = it.Sku
	}
	products, err := s.Inventory.Products(ctx, skus)
	if err != nil {
		return orders.Input{}, fail("could not price the order", err)
	}
	in := orders.Input{
		OrderID:      uuid.Must(uuid.NewV7()).String(),
		CustomerID:   customer.ID,
		PaymentToken: req.Payment.Token,
		Contact:      customer.Contact(),
		PlacedAt:     time.Now().UTC(),
		// The risk assessment weighs a new account.
		AccountCreatedAt: customer.CreatedAt,
	}
	// Addresses given with the order are for this order only; the risk
	// assessment weighs addresses that are not the profile's (an address
	// the profile lacks is new, not different).
	if c := req.Contact; c != nil {
		if email := deref(c.Email); email != "" {
			in.ContactOverride = in.ContactOverride || in.Contact.Email != "" && !strings.EqualFold(email, in.Contact.Email)
			in.Contact.Email = email
		}
		if phone := deref(c.Phone); phone != "" {
			in.ContactOverride = in.ContactOverride || in.Contact.Phone != "" && phoneDigits(phone) != phoneDigits(in.Contact.Phone)
			in.Contact.Phone = phone
		}
	}
	var errs []httpx.FieldError
	for i, it := range req.Items {
		p, ok := products[it.Sku]
		if !ok {
			errs = append(errs, httpx.FieldError{Field: fmt.Sprintf("items[%d].sku", i), Detail: fmt.Sprintf("unknown SKU %q", it.Sku)})
			continue
		}
		if in.Currency == "" {
			in.Currency = p.Currency
		} else if in.Currency != p.Currency {
			errs = append(errs, httpx.FieldError{Field: fmt.Sprintf("items[%d].sku", i), Detail: "is priced in " + p.Currency + ", the order in " + in.Currency})
			continue
		}
		in.Items = append(in.Items, orders.Item{SKU: it.Sku, Quantity: it.Quantity, UnitPrice: p.Price})
		in.Total += p.Price * int64(it.Quantity)
	}
	if p := validationProblem(errs); p != nil {
		return in, p
	}
	return in, nil
}

// phoneDigits is a phone number without its formatting: "+1 (500) 555-0006"
// and "+15005550006" are one number.
func phoneDigits(phone string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
}

// startOrder starts the order's workflow, or finds it running or finished:
// the workflow ID is the order's, so a repeated start never makes a second.
func (s *Server) startOrder(ctx context.Context, in orders.Input) error {
	in.ReservationTTL = s.ReservationTTL
	// An order its risk assessment sends to review waits as long as one
	// above the threshold (the workflow holds its stock for the wait).
	in.ReviewTimeout = s.ApprovalTimeout
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

// GetOrder is GET /api/orders/{id}.
func (s *Server) GetOrder(ctx context.Context, req GetOrderRequestObject) (GetOrderResponseObject, error) {
	wait, statusNot, asked, err := longPoll(req.Params)
	if err != nil {
		return nil, err
	}
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if asked {
		if o, err = s.awaitChange(ctx, o, wait, statusNot); err != nil {
			return nil, err
		}
	}
	return GetOrder200JSONResponse{Body: forCaller(ctx, o)}, nil
}

// forCaller is the order as the caller may see it: its risk assessment, and
// the errors of the steps that say what the assessment or an admin's review
// found, are for admins (they would teach a fraudster what to change); the
// customer reads the failure reason.
func forCaller(ctx context.Context, o orders.Order) orders.Order {
	if caller, _ := auth.FromContext(ctx); caller.IsAdmin() {
		return o
	}
	o.Risk, o.CaptureID = nil, ""
	if len(o.Returns) > 0 {
		o.Returns = slices.Clone(o.Returns)
		for i := range o.Returns {
			o.Returns[i] = returnForCaller(ctx, o.Returns[i])
		}
	}
	cloned := false // most orders have no such error: the hot read path allocates nothing
	for i, st := range o.Steps {
		if st.Error == "" || st.Name != workflows.StepAssessRisk && st.Name != workflows.StepAwaitApproval {
			continue
		}
		if !cloned {
			o.Steps, cloned = slices.Clone(o.Steps), true
		}
		o.Steps[i].Error = ""
	}
	return o
}

// findOrder reads the order id, if the caller may see it: admins see every
// order, customers their own. Someone else's order is a 404 like a missing
// one, so order IDs tell nothing about other customers.
func (s *Server) findOrder(ctx context.Context, id string) (orders.Order, error) {
	notFound := httpx.NewProblem(http.StatusNotFound, "no order "+strconv.Quote(id))
	if _, err := uuid.Parse(id); err != nil {
		return orders.Order{}, notFound
	}
	o, err := s.Orders.Get(ctx, id)
	caller, _ := auth.FromContext(ctx)
	switch {
	case errors.Is(err, orders.ErrNotFound), err == nil && !caller.IsAdmin() && o.CustomerID != caller.UserID:
		return orders.Order{}, notFound
	case err != nil:
		return orders.Order{}, fail("could not read the order", err, "order_id", id)
	}
	return o, nil
}

// ListOrders is GET /api/orders: a page of orders, newest first; a
// customer's own, or anyone's for an admin.
func (s *Server) ListOrders(ctx context.Context, req ListOrdersRequestObject) (ListOrdersResponseObject, error) {
	q := req.Params
	customer, err := customerScope(ctx, q.CustomerId)
	if err != nil {
		return nil, err
	}
	f := orders.ListFilter{CustomerID: customer, Cursor: deref(q.Cursor), CreatedFrom: deref(q.CreatedFrom), CreatedTo: deref(q.CreatedTo),
		MinTotal: deref(q.MinTotal), MaxTotal: deref(q.MaxTotal)}
	if err := checkListRanges(f); err != nil {
		return nil, err
	}
	if email := deref(q.CustomerEmail); email != "" {
		found, err := s.emailScope(ctx, email, f.CustomerID)
		if err != nil || found == "" {
			return emptyOrderPage(err)
		}
		f.CustomerID = found
	}
	if q.Status != nil && *q.Status != "" { // ?status= is no filter
		var err error
		if f.Status, err = orders.ParseStatus(string(*q.Status)); err != nil {
			return nil, httpx.NewProblem(http.StatusBadRequest, err.Error())
		}
	}
	if f.Limit, err = pageLimit(q.Limit); err != nil {
		return nil, err
	}
	page, err := s.Orders.List(ctx, f)
	switch {
	case errors.Is(err, orders.ErrBadCursor):
		return nil, badCursor()
	case err != nil:
		return nil, fail("could not list orders", err)
	}
	for i, o := range page.Orders {
		page.Orders[i] = forCaller(ctx, o)
	}
	body := OrderPage{Orders: page.Orders}
	if page.NextCursor != "" {
		body.NextCursor = &page.NextCursor
	}
	return ListOrders200JSONResponse{Body: body}, nil
}

// checkListRanges refuses bounds that cannot select anything by mistake.
func checkListRanges(f orders.ListFilter) error {
	switch {
	case f.MinTotal < 0 || f.MaxTotal < 0:
		return httpx.NewProblem(http.StatusBadRequest, "min_total and max_total must be 0 or more")
	case f.MaxTotal > 0 && f.MinTotal > f.MaxTotal:
		return httpx.NewProblem(http.StatusBadRequest, "min_total must not be above max_total")
	case !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo):
		return httpx.NewProblem(http.StatusBadRequest, "created_from must be before created_to")
	}
	return nil
}

// emailScope narrows a list in scope (a user ID, or "" for everyone's) to
// the account with email: its ID, or "" when no order can match. A
// customer may name only their own email, and an unknown one is refused
// alike, so the answer tells nobody who has an account.
func (s *Server) emailScope(ctx context.Context, email, scope string) (string, error) {
	u, err := s.Users.ByEmail(ctx, email)
	if err != nil && !errors.Is(err, users.ErrNotFound) {
		return "", fail("could not look the email up", err)
	}
	caller, _ := auth.FromContext(ctx)
	if !caller.IsAdmin() && (err != nil || u.ID != caller.UserID) {
		return "", httpx.NewProblem(http.StatusForbidden, "customers may list only their own orders")
	}
	if err != nil || (scope != "" && scope != u.ID) {
		return "", nil
	}
	return u.ID, nil
}

func emptyOrderPage(err error) (ListOrdersResponseObject, error) {
	if err != nil {
		return nil, err
	}
	return ListOrders200JSONResponse{Body: OrderPage{Orders: []orders.Order{}}}, nil
}

// customerScope is whose orders a list shows: the customer named, who must
// be the caller unless an admin calls; a customer's own when none is named;
// everyone's ("") for an admin.
func customerScope(ctx context.Context, named *CustomerID) (string, error) {
	customer := deref(named)
	if customer != "" && (len(customer) > maxIDLength || !idPattern.MatchString(customer)) {
		return "", httpx.NewProblem(http.StatusBadRequest, "customer_id must be 1 to 128 letters, digits or ._:@-")
	}
	if caller, _ := auth.FromContext(ctx); !caller.IsAdmin() {
		if customer != "" && customer != caller.UserID {
			return "", httpx.NewProblem(http.StatusForbidden, "customers may list only their own orders")
		}
		customer = caller.UserID
	}
	return customer, nil
}

// ListOrderEvents is GET /api/orders/{id}/events: the order's events,
// oldest first.
func (s *Server) ListOrderEvents(ctx context.Context, req ListOrderEventsRequestObject) (ListOrderEventsResponseObject, error) {
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	evs, err := s.Orders.Events(ctx, o.ID)
	if err != nil {
		return nil, fail("could not read the order's events", err, "order_id", o.ID)
	}
	var resp ListOrderEvents200JSONResponse
	resp.Body.Events = as[[]OrderEvent](evs)
	// Where each change came from, for an operator to find in the logs
	// and the traces.
	if caller, _ := auth.FromContext(ctx); caller.IsAdmin() {
		for i, ev := range evs {
			resp.Body.Events[i].RequestId = nonEmpty(ev.RequestID)
			resp.Body.Events[i].TraceId = nonEmpty(ev.TraceID())
		}
	}
	return resp, nil
}
