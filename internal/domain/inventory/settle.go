package inventory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Release says why a reservation's stock goes back.
type Release struct {
	ReservationID string
	OrderID       string
	Actor         string
	Reason        string // for the ledger, e.g. "order failed: card declined"
	// Expired marks a release by the reservation's TTL rather than its order.
	Expired bool
}

// settlement is how a reservation ends.
type settlement struct {
	final         string // the reservation's status afterwards
	kind          string // the ledger event appended per allocation
	sold          bool   // on hand falls with reserved
	actor, reason string
}

// Commit turns a reservation into a sale: on hand and reserved both drop by
// the reserved quantities. Committing twice changes stock once; committing a
// released or expired reservation is ErrReservationReleased.
func (s *Store) Commit(ctx context.Context, reservationID, actor string) error {
	return s.settle(ctx, reservationID, settlement{final: StatusCommitted, kind: EventCommitted, sold: true, actor: actor, reason: "sold"})
}

// Release returns a reservation's stock. Releasing twice changes stock once;
// releasing a committed reservation is ErrReservationCommitted.
//
// Releasing a reservation that does not exist records it as released: a
// reserve attempt still in flight somewhere (a timed-out activity) then finds
// it released instead of holding stock that nobody would ever give back.
func (s *Store) Release(ctx context.Context, r Release) error {
	how := settlement{final: StatusReleased, kind: EventReleased, actor: r.Actor, reason: r.Reason}
	if r.Expired {
		how.final = StatusExpired
	}
	for {
		err := s.settle(ctx, r.ReservationID, how)
		if !errors.Is(err, ErrReservationNotFound) {
			return err
		}
		tag, err := s.pool.Exec(ctx, `INSERT INTO inventory.reservations (id, order_id, status) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			r.ReservationID, r.OrderID, how.final)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		// A reserve attempt made it in the meantime: release that.
	}
}

// settle moves a reservation from reserved to how.final and appends one
// event per allocation, in one transaction. The conditional status update is
// the guard that makes a repeat a no-op. Stock rows change by relative
// updates: the change depends on no read, and the table's CHECKs still
// refuse a row that would go negative.
func (s *Store) settle(ctx context.Context, reservationID string, how settlement) error {
	var res Reservation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE inventory.reservations SET status = $2, updated_at = now() WHERE id = $1 AND status = $3`,
			reservationID, how.final, StatusReserved)
		if err != nil {
			return err
		}
		if res, err = getReservation(ctx, tx, reservationID); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return settled(res, how.final)
		}
		for _, a := range res.Allocations {
			ev := Event{SKU: a.SKU, WarehouseID: a.WarehouseID, Kind: how.kind, ReservedDelta: -a.Quantity,
				ReservationID: res.ID, OrderID: res.OrderID, Actor: how.actor, Reason: how.reason}
			if how.sold {
				ev.OnHandDelta = -a.Quantity
			}
			key := how.final + ":" + res.ID + ":" + a.SKU + ":" + a.WarehouseID
			if _, err := apply(ctx, tx, change{Event: ev, key: key}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Also after a repeat: the first attempt may have failed to invalidate.
	skus := make([]string, len(res.Allocations))
	for i, a := range res.Allocations {
		skus[i] = a.SKU
	}
	return s.invalidate(ctx, skus...)
}

// settled judges a repeated settlement: nil when the reservation already
// ended the way asked (a retry), an error when it ended the other way.
func settled(res Reservation, final string) error {
	released := func(status string) bool { return status == StatusReleased || status == StatusExpired }
	switch {
	case res.Status == final, released(res.Status) && released(final):
		return nil
	case released(res.Status):
		return fmt.Errorf("%w: %s was %s", ErrReservationReleased, res.ID, res.Status)
	default:
		return fmt.Errorf("%w: %s", ErrReservationCommitted, res.ID)
	}
}
