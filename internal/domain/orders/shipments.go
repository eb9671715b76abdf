package orders

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/internal/platform/events"
)

// ShipmentStatus is where a parcel is. The carrier reports every status
// but pending (planned, not booked yet), cancelled and refunded (ours).
type ShipmentStatus string

// Shipment statuses.
const (
	ShipmentPending        ShipmentStatus = "pending"
	ShipmentBooked         ShipmentStatus = "booked"
	ShipmentInTransit      ShipmentStatus = "in_transit"
	ShipmentOutForDelivery ShipmentStatus = "out_for_delivery"
	ShipmentDelivered      ShipmentStatus = "delivered"
	// ShipmentException is a parcel the carrier is having trouble with; it
	// may still move on.
	ShipmentException ShipmentStatus = "exception"
	ShipmentLost      ShipmentStatus = "lost"
	ShipmentCancelled ShipmentStatus = "cancelled"
	// ShipmentRefunded is a lost parcel whose lines were refunded.
	ShipmentRefunded ShipmentStatus = "refunded"
)

// ShipmentStatuses lists them, for validation and documentation.
var ShipmentStatuses = []ShipmentStatus{ShipmentPending, ShipmentBooked, ShipmentInTransit, ShipmentOutForDelivery,
	ShipmentDelivered, ShipmentException, ShipmentLost, ShipmentCancelled, ShipmentRefunded}

// Left reports whether a parcel in s is out of its warehouse in the
// carrier's hands: a status the carrier reports once it has picked the
// parcel up. False for the statuses that are ours and for one that is none
// of ShipmentStatuses.
func (s ShipmentStatus) Left() bool {
	return slices.Contains(ShipmentStatuses, s) &&
		!slices.Contains([]ShipmentStatus{ShipmentPending, ShipmentBooked, ShipmentCancelled, ShipmentRefunded}, s)
}

// Line is a quantity of one SKU in a shipment.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Shipment is one parcel of an order, from one warehouse.
type Shipment struct {
	ID          string         `json:"id"`
	OrderID     string         `json:"order_id"`
	WarehouseID string         `json:"warehouse_id"`
	Items       []Line         `json:"items"`
	Status      ShipmentStatus `json:"status"`
	Carrier     string         `json:"carrier,omitempty"`
	// CarrierShipmentID is the carrier's name for the booking.
	CarrierShipmentID string `json:"carrier_shipment_id,omitempty"`
	TrackingNumber    string `json:"tracking_number,omitempty"`
	LabelURL          string `json:"label_url,omitempty"`
	// Revision counts the changes its workflow made, in order.
	Revision    int        `json:"-"`
	BookedAt    *time.Time `json:"booked_at,omitempty"`
	ShippedAt   *time.Time `json:"shipped_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ShipmentID is the shipment of an order from one warehouse: deterministic,
// so a retried plan finds the shipment it made.
func ShipmentID(orderID, warehouseID string) string {
	return ShipmentIDPrefix + orderID + "-" + warehouseID
}

// ShipmentIDPrefix starts every shipment ID, which is also its workflow's.
const ShipmentIDPrefix = "shp-"

// PlanShipments records an order's shipments, pending, unless they are
// recorded already: an order is shipped or delivered only once every
// shipment it has planned has left or arrived.
func (s *Store) PlanShipments(ctx context.Context, list []Shipment) error {
	batch := &pgx.Batch{}
	for _, sh := range list {
		batch.Queue(`INSERT INTO orders.shipments (id, order_id, warehouse_id, items, status) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO NOTHING`, sh.ID, sh.OrderID, sh.WarehouseID, mustJSON(sh.Items), ShipmentPending)
	}
	return s.pool.SendBatch(ctx, batch).Close()
}

// RecordShipment stores what a shipment's workflow knows of its parcel,
// unless a later revision is stored already, and moves the order on
// in the same transaction (nextStatus), with its event in the outbox. It returns the order's new status, or "" when the order
// did not move.
func (s *Store) RecordShipment(ctx context.Context, sh Shipment, origin events.Origin) (moved Status, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		moved = ""
		tag, err := tx.Exec(ctx, `
			UPDATE orders.shipments SET status = $2, carrier = $3, carrier_shipment_id = $4, tracking_number = $5, label_url = $6,
				revision = $7, booked_at = $8, shipped_at = $9, delivered_at = $10, updated_at = $11
			WHERE id = $1 AND revision < $7`,
			sh.ID, sh.Status, sh.Carrier, sh.CarrierShipmentID, sh.TrackingNumber, sh.LabelURL, sh.Revision,
			sh.BookedAt, sh.ShippedAt, sh.DeliveredAt, sh.UpdatedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			// Unplanned, or this revision is stored already: a retry whose
			// first try committed but whose answer was lost. The order's
			// status is reported again, so its customer is still told
			// (their notification is once per order and status).
			err := tx.QueryRow(ctx, `
				SELECT o.status FROM orders.shipments sh JOIN orders.orders o ON o.id = sh.order_id
				WHERE sh.id = $1 AND sh.revision = $2 AND o.status = ANY($3)`,
				sh.ID, sh.Revision, []Status{StatusShipped, StatusDelivered}).Scan(&moved)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		// The order's row lock orders the shipments' writes: the last of
		// two parcels to leave sees the other's status.
		var status Status
		if err := tx.QueryRow(ctx, `SELECT status FROM orders.orders WHERE id = $1 FOR UPDATE`, sh.OrderID).Scan(&status); err != nil {
			return err
		}
		var c parcelCounts
		err = tx.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE status = ANY($2)), count(*) FILTER (WHERE status = $3),
				count(*) FILTER (WHERE status = ANY($4)), count(*)
			FROM orders.shipments WHERE order_id = $1`, sh.OrderID, leftStatuses(), ShipmentDelivered,
			[]ShipmentStatus{ShipmentCancelled, ShipmentRefunded}).
			Scan(&c.left, &c.arrived, &c.called, &c.all)
		if err != nil {
			return err
		}
		next := c.next(status)
		if !status.Paid() {
			next = status
		}
		// The order's row changes with each parcel's write, so its
		// followers (long-polls, streams) are told.
		if _, err := tx.Exec(ctx, `UPDATE orders.orders SET status = $2, fulfilment_revision = fulfilment_revision + 1 WHERE id = $1`,
			sh.OrderID, next); err != nil {
			return err
		}
		if next == status {
			return nil
		}
		moved = next
		_, err = tx.Exec(ctx, `
			INSERT INTO orders.order_events (id, order_id, type, status, reason, customer_id, total, currency, occurred_at, request_id, trace_parent)
			SELECT $1, o.id, $2, o.status, '', o.customer_id, o.total, o.currency, $3, $4, $5 FROM orders.orders o WHERE o.id = $6
			ON CONFLICT (id) DO NOTHING`,
			WorkflowID(sh.OrderID)+"/"+next.Event(), next.Event(), sh.UpdatedAt, origin.RequestID, origin.TraceParent, sh.OrderID)
		return err
	})
	return moved, err
}

// parcelCounts counts an order's parcels: those in the carrier's hands,
// those arrived, those called off (cancelled before their pickup, or lost
// and refunded), and all.
type parcelCounts struct{ left, arrived, called, all int }

// next is where a paid order in status goes with its parcels: shipped once
// every parcel not called off has left, delivered once every one has
// arrived, cancelled once every parcel is called off (its refunds say
// why).
func (c parcelCounts) next(status Status) Status {
	live := c.all - c.called
	switch {
	case live == 0 && status != StatusCancelled:
		return StatusCancelled
	case live > 0 && c.arrived == live && status != StatusDelivered:
		return StatusDelivered
	case live > 0 && c.left == live && status == StatusCompleted:
		return StatusShipped
	}
	return status
}

func leftStatuses() []ShipmentStatus {
	var out []ShipmentStatus
	for _, st := range ShipmentStatuses {
		if st.Left() {
			out = append(out, st)
		}
	}
	return out
}

// Shipments returns an order's shipments, by ID.
func (s *Store) Shipments(ctx context.Context, orderID string) ([]Shipment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+shipmentColumns+` FROM orders.shipments WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Shipment])
}

// ErrShipmentNotFound means no shipment has the ID.
var ErrShipmentNotFound = errors.New("shipment not found")

// GetShipment returns one shipment, or ErrShipmentNotFound.
func (s *Store) GetShipment(ctx context.Context, id string) (Shipment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+shipmentColumns+` FROM orders.shipments WHERE id = $1`, id)
	if err != nil {
		return Shipment{}, err
	}
	sh, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Shipment])
	if errors.Is(err, pgx.ErrNoRows) {
		return sh, ErrShipmentNotFound
	}
	return sh, err
}

const shipmentColumns = `id, order_id, warehouse_id, items, status, carrier, carrier_shipment_id, tracking_number, label_url,
	revision, booked_at, shipped_at, delivered_at, updated_at`
