-- +goose Up
-- Goods that come back from an order (a parcel cancelled before pickup, a
-- return received) are a ledger event of their own kind, so stock reports
-- tell them from goods received.
ALTER TABLE inventory.stock_events DROP CONSTRAINT stock_events_kind_check;
ALTER TABLE inventory.stock_events ADD CONSTRAINT stock_events_kind_check
    CHECK (kind IN ('received', 'adjusted', 'reserved', 'released', 'committed', 'returned'));

-- +goose Down
ALTER TABLE inventory.stock_events DROP CONSTRAINT stock_events_kind_check;
ALTER TABLE inventory.stock_events ADD CONSTRAINT stock_events_kind_check
    CHECK (kind IN ('received', 'adjusted', 'reserved', 'released', 'committed'));
