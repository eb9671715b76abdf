package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Projection is what a stock row holds, or what replaying its ledger gives.
type Projection struct {
	OnHand    int       `json:"on_hand"`
	Reserved  int       `json:"reserved"`
	Version   int64     `json:"version"`    // the number of events
	UpdatedAt time.Time `json:"updated_at"` // the last event's time
}

// Drift is a stock row that differs from the replay of its ledger.
type Drift struct {
	SKU         string     `json:"sku"`
	WarehouseID string     `json:"warehouse_id"`
	Row         Projection `json:"row"`
	Ledger      Projection `json:"ledger"`
}

func (d Drift) String() string {
	return fmt.Sprintf("%s/%s: row on_hand=%d reserved=%d version=%d updated_at=%s, ledger on_hand=%d reserved=%d version=%d updated_at=%s",
		d.SKU, d.WarehouseID, d.Row.OnHand, d.Row.Reserved, d.Row.Version, d.Row.UpdatedAt.Format(time.RFC3339Nano),
		d.Ledger.OnHand, d.Ledger.Reserved, d.Ledger.Version, d.Ledger.UpdatedAt.Format(time.RFC3339Nano))
}

// replaySQL puts each stock row beside the replay of its events. A row's
// updated_at and its event's created_at are both the writing transaction's
// now(), so even the time replays exactly: it is the time of the row's last
// event by version (not the latest time: a transaction that started earlier
// can be the one that wrote last).
const replaySQL = `
SELECT s.sku, s.warehouse_id, s.on_hand, s.reserved, s.version, s.updated_at,
       COALESCE(sum(e.on_hand_delta), 0), COALESCE(sum(e.reserved_delta), 0), count(e.id),
       COALESCE((array_agg(e.created_at ORDER BY e.version DESC))[1], s.updated_at)
FROM inventory.stock s LEFT JOIN inventory.stock_events e USING (sku, warehouse_id)
%s
GROUP BY s.sku, s.warehouse_id
ORDER BY s.sku, s.warehouse_id`

func scanDrift(row pgx.CollectableRow) (Drift, error) {
	var d Drift
	return d, row.Scan(&d.SKU, &d.WarehouseID, &d.Row.OnHand, &d.Row.Reserved, &d.Row.Version, &d.Row.UpdatedAt,
		&d.Ledger.OnHand, &d.Ledger.Reserved, &d.Ledger.Version, &d.Ledger.UpdatedAt)
}

func (d Drift) drifted() bool {
	r, l := d.Row, d.Ledger
	return r.OnHand != l.OnHand || r.Reserved != l.Reserved || r.Version != l.Version || !r.UpdatedAt.Equal(l.UpdatedAt)
}

// CheckProjection replays every stock row's ledger and returns the rows that
// differ from their replay; none means the rows are exactly their ledger. It
// reads one consistent snapshot and writes nothing, so it is safe while
// stock changes.
func (s *Store) CheckProjection(ctx context.Context) ([]Drift, error) {
	var drifts []Drift
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, fmt.Sprintf(replaySQL, ""))
		if err != nil {
			return err
		}
		all, err := pgx.CollectRows(rows, scanDrift)
		for _, d := range all {
			if d.drifted() {
				drifts = append(drifts, d)
			}
		}
		return err
	})
	return drifts, err
}

// RebuildProjection rewrites every stock row that differs from its ledger
// with the ledger's replay, and returns what it rewrote. Each row is rebuilt
// under its row lock, so a concurrent change either committed first (and is
// in the replay) or waits for the rebuild.
func (s *Store) RebuildProjection(ctx context.Context) ([]Drift, error) {
	rows, err := s.pool.Query(ctx, `SELECT sku, warehouse_id FROM inventory.stock ORDER BY sku, warehouse_id`)
	if err != nil {
		return nil, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ SKU, WarehouseID string }])
	if err != nil {
		return nil, err
	}
	var rebuilt []Drift
	for _, k := range keys {
		before := len(rebuilt)
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT 1 FROM inventory.stock WHERE sku = $1 AND warehouse_id = $2 FOR UPDATE`, k.SKU, k.WarehouseID); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, fmt.Sprintf(replaySQL, "WHERE s.sku = $1 AND s.warehouse_id = $2"), k.SKU, k.WarehouseID)
			if err != nil {
				return err
			}
			d, err := pgx.CollectExactlyOneRow(rows, scanDrift)
			if err != nil || !d.drifted() {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE inventory.stock SET on_hand = $3, reserved = $4, version = $5, updated_at = $6
				WHERE sku = $1 AND warehouse_id = $2`, k.SKU, k.WarehouseID, d.Ledger.OnHand, d.Ledger.Reserved, d.Ledger.Version, d.Ledger.UpdatedAt); err != nil {
				return err
			}
			rebuilt = append(rebuilt, d)
			return nil
		})
		if err != nil {
			return rebuilt, fmt.Errorf("rebuild %s/%s: %w", k.SKU, k.WarehouseID, err)
		}
		if len(rebuilt) > before {
			if err := s.invalidate(ctx, k.SKU); err != nil {
				return rebuilt, err
			}
		}
	}
	return rebuilt, nil
}
