package inventory

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Commit turns a reservation into a sale: on hand and reserved both drop by
// the reserved quantities. Committing twice changes stock once.
func (s *Store) Commit(ctx context.Context, reservationID string) error {
	return s.settle(ctx, reservationID, StatusCommitted,
		`UPDATE inventory.stock SET on_hand = on_hand - $3, reserved = reserved - $3, version = version + 1, updated_at = now()
		 WHERE sku = $1 AND warehouse_id = $2`)
}

// Release returns reserved stock. Releasing twice changes stock once.
func (s *Store) Release(ctx context.Context, reservationID string) error {
	return s.settle(ctx, reservationID, StatusReleased,
		`UPDATE inventory.stock SET reserved = reserved - $3, version = version + 1, updated_at = now()
		 WHERE sku = $1 AND warehouse_id = $2`)
}

// settle moves a reservation from reserved to final and applies stockSQL to
// each allocation, in one transaction. The conditional status update is the
// guard that makes a repeat a no-op. Stock rows change by relative updates
// under their row lock, so no version check is needed; the version still
// moves so optimistic readers see the change.
func (s *Store) settle(ctx context.Context, reservationID, final, stockSQL string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE inventory.reservations SET status = $2, updated_at = now() WHERE id = $1 AND status = $3`,
			reservationID, final, StatusReserved)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			res, err := getReservation(ctx, tx, reservationID)
			switch {
			case err != nil:
				return err
			case res.Status == final:
				return nil // already done: a retry
			case res.Status == StatusReleased:
				return fmt.Errorf("%w: %s", ErrReservationReleased, reservationID)
			default:
				return fmt.Errorf("%w: %s", ErrReservationCommitted, reservationID)
			}
		}
		res, err := getReservation(ctx, tx, reservationID)
		if err != nil {
			return err
		}
		for _, a := range res.Allocations {
			if _, err := tx.Exec(ctx, stockSQL, a.SKU, a.WarehouseID, a.Quantity); err != nil {
				return err
			}
		}
		return nil
	})
}
