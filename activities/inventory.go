package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/inventory"
)

// InventoryActivities reserve, commit and release stock. ReservationWorkflow
// runs them as local activities on the inventory workers, the only ones that
// touch the inventory schema. Each is idempotent by reservation ID, and each
// change lands in the stock ledger (and, through its outbox, on Kafka) once.
type InventoryActivities struct {
	Stock *inventory.Store
}

// ReserveStock reserves every line or none, idempotently by reservation ID.
func (a *InventoryActivities) ReserveStock(ctx context.Context, req ReserveStockRequest) (Reservation, error) {
	res, err := a.Stock.Reserve(ctx, inventory.ReserveRequest{
		ReservationID: req.ReservationID, OrderID: req.OrderID, Lines: req.Lines, ExpiresAt: req.ExpiresAt, Actor: actor(ctx),
	})
	if err != nil {
		return Reservation{}, stockError(err)
	}
	return Reservation{ID: res.ID, Status: res.Status, Allocations: res.Allocations}, nil
}

// CommitReservation turns reserved stock into a sale, once.
func (a *InventoryActivities) CommitReservation(ctx context.Context, reservationID string) error {
	return stockError(a.Stock.Commit(ctx, reservationID, actor(ctx)))
}

// ReleaseReservation returns reserved stock, once. Releasing a reservation
// that was never made succeeds (and keeps a late attempt from making it).
func (a *InventoryActivities) ReleaseReservation(ctx context.Context, req ReleaseReservationRequest) error {
	return stockError(a.Stock.Release(ctx, inventory.Release{
		ReservationID: req.ReservationID, OrderID: req.OrderID, Actor: actor(ctx), Reason: req.Reason, Expired: req.Expired,
	}))
}

// GetReservation reads a reservation and where its stock was taken from:
// for an order repaired after its workflow closed, which ships what was
// sold.
func (a *InventoryActivities) GetReservation(ctx context.Context, reservationID string) (Reservation, error) {
	res, err := a.Stock.GetReservation(ctx, reservationID)
	if errors.Is(err, inventory.ErrReservationNotFound) {
		return Reservation{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrNotFound, nil)
	}
	if err != nil {
		return Reservation{}, err
	}
	return Reservation{ID: res.ID, Status: res.Status, Allocations: res.Allocations}, nil
}

// Restock puts sold goods back on hand (a parcel cancelled before its
// pickup, a return received), once per key and line.
func (a *InventoryActivities) Restock(ctx context.Context, req RestockRequest) error {
	return stockError(a.Stock.Restock(ctx, inventory.Restock{
		OrderID: req.OrderID, Lines: req.Lines, Reason: req.Reason, Actor: actor(ctx), IdempotencyKey: req.IdempotencyKey,
	}))
}

// actor names the workflow that changes stock, for the ledger.
func actor(ctx context.Context) string {
	return "workflow:" + activity.GetInfo(ctx).WorkflowExecution.ID
}

// stockError marks business failures non-retryable; anything else (the
// database restarting, a lost connection, Redis not invalidated) is retried
// by the activity's policy.
func stockError(err error) error {
	var oos *inventory.OutOfStockError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &oos):
		return temporal.NewNonRetryableApplicationError(oos.Error(), ErrOutOfStock, nil)
	case errors.Is(err, inventory.ErrUnknownSKU):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrUnknownSKU, nil)
	case errors.Is(err, inventory.ErrReservationReleased):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrReservationReleased, nil)
	case errors.Is(err, inventory.ErrReservationCommitted):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrReservationCommitted, nil)
	default:
		return err
	}
}
