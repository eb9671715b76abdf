package orders

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ReturnStatus is where a return is.
type ReturnStatus string

// Return statuses, in the order a return goes through them.
const (
	// ReturnRequested is a return accepted, its label being issued.
	ReturnRequested ReturnStatus = "requested"
	// ReturnLabelIssued waits for the customer to drop the parcel off.
	ReturnLabelIssued ReturnStatus = "label_issued"
	ReturnInTransit   ReturnStatus = "in_transit"
	// ReturnReceived is back in its warehouses and restocked; its refund
	// is being claimed.
	ReturnReceived ReturnStatus = "received"
	// ReturnRefunded has its refund (RefundID), paid by its own workflow.
	ReturnRefunded ReturnStatus = "refunded"
	// ReturnLost was lost by the carrier on its way back: an admin decides
	// (a refund without a return, POST /api/orders/{id}/refunds).
	ReturnLost ReturnStatus = "lost"
	// ReturnNotRefunded was received and restocked, but the capture had
	// nothing left to give back (an admin refunded it in full meanwhile).
	ReturnNotRefunded ReturnStatus = "not_refunded"
	// ReturnCancelled never came back: its label could not be issued, or
	// went unused past its validity. Its lines can be returned again.
	ReturnCancelled ReturnStatus = "cancelled"
)

// Final reports whether a return in s has ended.
func (s ReturnStatus) Final() bool { return slices.Contains(ReturnFinalStatuses, s) }

// ReturnStatuses lists them, for validation and documentation.
var ReturnStatuses = []ReturnStatus{ReturnRequested, ReturnLabelIssued, ReturnInTransit, ReturnReceived, ReturnRefunded, ReturnLost,
	ReturnNotRefunded}

// ReturnLine is a quantity of one SKU sent back from one delivered
// shipment: its stock goes back to that shipment's warehouse, its refund is
// its quantity at the order's price.
type ReturnLine struct {
	Line
	ShipmentID  string `json:"shipment_id"`
	WarehouseID string `json:"warehouse_id"`
	UnitPrice   int64  `json:"unit_price"` // minor units
}

// Return is a customer sending delivered lines back for a refund. Its ID
// is its ReturnWorkflow's, and the reference its carrier's callbacks name.
type Return struct {
	ID      string       `json:"id"`
	OrderID string       `json:"order_id"`
	Items   []ReturnLine `json:"items"`
	// Amount is what its lines cost, the most its refund gives back.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason"`
	// RequestedBy is for admins: the API leaves it out for customers.
	RequestedBy       string       `json:"requested_by,omitempty"`
	Status            ReturnStatus `json:"status"`
	CarrierShipmentID string       `json:"carrier_shipment_id,omitempty"`
	TrackingNumber    string       `json:"tracking_number,omitempty"`
	// LabelURL is the label the customer prints, once issued.
	LabelURL string `json:"label_url,omitempty"`
	RefundID string `json:"refund_id,omitempty"`
	// Revision counts the changes its workflow made, in order.
	Revision   int        `json:"-"`
	ReceivedAt *time.Time `json:"received_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ReturnIDPrefix starts every return ID, which is also its workflow's.
const ReturnIDPrefix = "ret-"

// ReturnClaim asks to return lines of an order.
type ReturnClaim struct {
	OrderID        string
	IdempotencyKey string
	Items          []Line
	Reason         string
	RequestedBy    string
	// Window is how long after its delivery a parcel's lines can be
	// returned.
	Window time.Duration
}

// ErrNothingDelivered means none of the order's parcels has arrived: there
// is nothing to return yet.
var ErrNothingDelivered = errors.New("none of the order's parcels has been delivered")

// ErrReturnWindowClosed means every delivered parcel arrived longer ago
// than the return window.
var ErrReturnWindowClosed = errors.New("the return window has closed")

// ErrRefundedInFull means the order's capture has been refunded in full:
// a return would give nothing back.
var ErrRefundedInFull = errors.New("the order has been refunded in full")

// ReturnTooLargeError is a line asking to return more than was delivered
// (within the window) and not returned yet.
type ReturnTooLargeError struct {
	SKU        string
	Returnable int
}

func (e *ReturnTooLargeError) Error() string {
	return fmt.Sprintf("at most %d of %s can be returned (delivered within the return window, not returned yet)", e.Returnable, e.SKU)
}

// ClaimReturn records a requested return of c's lines, unless the key was
// used for the order already: then it returns the return made first,
// created false, or ErrIdempotencyKeyReused if that one was for other lines
// or another reason. Each line is taken from the parcels delivered within
// the window, less what earlier returns took from them; the order's row
// lock serializes the claims of one order, so no unit is returned twice.
func (s *Store) ClaimReturn(ctx context.Context, c ReturnClaim) (r Return, created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var currency string
		var items []Item
		var total int64
		err := tx.QueryRow(ctx, `SELECT currency, items, total FROM orders.orders WHERE id = $1 FOR UPDATE`, c.OrderID).
			Scan(&currency, &items, &total)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		r, err = collectReturn(tx.Query(ctx, `SELECT `+returnColumns+` FROM orders.returns WHERE order_id = $1 AND idempotency_key = $2`,
			c.OrderID, c.IdempotencyKey))
		switch {
		case err == nil && (r.Reason != c.Reason || !maps.Equal(quantities(c.Items), quantities(r.Lines()))):
			return ErrIdempotencyKeyReused
		case err == nil:
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		// Goods sent back for nothing would be a customer wronged.
		var refunded int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM orders.refunds WHERE order_id = $1 AND status <> $2`,
			c.OrderID, RefundFailed).Scan(&refunded); err != nil {
			return err
		}
		if refunded >= total {
			return ErrRefundedInFull
		}
		rows, err := tx.Query(ctx, `SELECT id, warehouse_id, items, delivered_at FROM orders.shipments
			WHERE order_id = $1 AND status = $2 ORDER BY id`, c.OrderID, ShipmentDelivered)
		if err != nil {
			return err
		}
		delivered, err := pgx.CollectRows(rows, pgx.RowToStructByPos[deliveredParcel])
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT items FROM orders.returns WHERE order_id = $1 AND status <> $2`, c.OrderID, ReturnCancelled)
		if err != nil {
			return err
		}
		earlier, err := pgx.CollectRows(rows, pgx.RowTo[[]ReturnLine])
		if err != nil {
			return err
		}
		lines, err := allocateReturn(c.Items, delivered, earlier, items, time.Now().Add(-c.Window))
		if err != nil {
			return err
		}
		var amount int64
		for _, l := range lines {
			amount += l.UnitPrice * int64(l.Quantity)
		}
		r, err = collectReturn(tx.Query(ctx, `
			INSERT INTO orders.returns (id, order_id, idempotency_key, items, amount, currency, reason, requested_by, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+returnColumns,
			ReturnIDPrefix+uuid.Must(uuid.NewV7()).String(), c.OrderID, c.IdempotencyKey, mustJSON(lines), amount, currency,
			c.Reason, c.RequestedBy, ReturnRequested))
		if err != nil {
			return err
		}
		created = true
		_, err = tx.Exec(ctx, `UPDATE orders.orders SET fulfilment_revision = fulfilment_revision + 1 WHERE id = $1`, c.OrderID)
		return err
	})
	return r, created, err
}

// deliveredParcel is a delivered shipment, as a return draws on it.
type deliveredParcel struct {
	ID          string
	WarehouseID string
	Items       []Line
	DeliveredAt time.Time
}

// allocateReturn takes each wanted line from the parcels delivered since
// openedAt, in their order, less what the earlier returns took from each,
// priced as the order was.
func allocateReturn(want []Line, delivered []deliveredParcel, earlier [][]ReturnLine, items []Item, openedAt time.Time) ([]ReturnLine, error) {
	if len(want) == 0 {
		return nil, errors.New("a return needs at least one line")
	}
	if len(delivered) == 0 {
		return nil, ErrNothingDelivered
	}
	taken := map[[2]string]int{} // by shipment and SKU
	for _, r := range earlier {
		for _, l := range r {
			taken[[2]string{l.ShipmentID, l.SKU}] += l.Quantity
		}
	}
	prices := map[string]int64{}
	for _, it := range items {
		prices[it.SKU] = it.UnitPrice
	}
	var inWindow []deliveredParcel
	for _, p := range delivered {
		if !p.DeliveredAt.Before(openedAt) {
			inWindow = append(inWindow, p)
		}
	}
	if len(inWindow) == 0 {
		return nil, ErrReturnWindowClosed
	}
	var lines []ReturnLine
	q := quantities(want)
	for _, sku := range slices.Sorted(maps.Keys(q)) {
		returnable := 0
		for _, p := range inWindow {
			for _, l := range p.Items {
				take := min(l.Quantity-taken[[2]string{p.ID, sku}], q[sku]-returnable)
				if l.SKU != sku || take <= 0 {
					continue
				}
				returnable += take
				lines = append(lines, ReturnLine{Line: Line{SKU: sku, Quantity: take}, ShipmentID: p.ID, WarehouseID: p.WarehouseID,
					UnitPrice: prices[sku]})
			}
		}
		if returnable < q[sku] {
			return nil, &ReturnTooLargeError{SKU: sku, Returnable: returnable}
		}
	}
	return lines, nil
}

// quantities sums lines by SKU.
func quantities(lines []Line) map[string]int {
	q := map[string]int{}
	for _, l := range lines {
		q[l.SKU] += l.Quantity
	}
	return q
}

// ReturnFinalStatuses are those of a return that has ended.
var ReturnFinalStatuses = []ReturnStatus{ReturnRefunded, ReturnLost, ReturnNotRefunded, ReturnCancelled}

// Settled reports whether nothing more happens to o by itself: its status
// is settled and every return of it has ended.
func (o Order) Settled() bool {
	return o.Status.Settled() && !slices.ContainsFunc(o.Returns, func(r Return) bool { return !r.Status.Final() })
}

// Lines are the return's lines, without where they came from.
func (r Return) Lines() []Line {
	lines := make([]Line, len(r.Items))
	for i, l := range r.Items {
		lines[i] = l.Line
	}
	return lines
}

// RecordReturn stores what a return's workflow knows of it, unless a later
// revision is stored already. The order's row changes with it, so the
// order's followers are told.
func (s *Store) RecordReturn(ctx context.Context, r Return) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE orders.returns SET status = $2, carrier_shipment_id = $3, tracking_number = $4, label_url = $5, refund_id = $6,
				revision = $7, received_at = $8, updated_at = $9
			WHERE id = $1 AND revision < $7`,
			r.ID, r.Status, r.CarrierShipmentID, r.TrackingNumber, r.LabelURL, r.RefundID, r.Revision, r.ReceivedAt, r.UpdatedAt)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE orders.orders SET fulfilment_revision = fulfilment_revision + 1 WHERE id = $1`, r.OrderID)
		return err
	})
}

// ErrReturnNotFound means no return has the ID.
var ErrReturnNotFound = errors.New("return not found")

// GetReturn returns one return, or ErrReturnNotFound.
func (s *Store) GetReturn(ctx context.Context, id string) (Return, error) {
	r, err := collectReturn(s.pool.Query(ctx, `SELECT `+returnColumns+` FROM orders.returns WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrReturnNotFound
	}
	return r, err
}

// Returns returns an order's returns, oldest first.
func (s *Store) Returns(ctx context.Context, orderID string) ([]Return, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+returnColumns+` FROM orders.returns WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Return])
}

// returnColumns are Return's fields, in its order.
const returnColumns = `id, order_id, items, amount, currency, reason, requested_by, status, carrier_shipment_id, tracking_number,
	label_url, refund_id, revision, received_at, created_at, updated_at`

func collectReturn(rows pgx.Rows, err error) (Return, error) {
	if err != nil {
		return Return{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Return])
}
