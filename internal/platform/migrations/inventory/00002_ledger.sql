-- +goose Up
-- The stock ledger: every change to a stock row is one event here, appended
-- in the same transaction as the row's update. A stock row is the projection
-- of its events (on_hand = sum of on_hand_delta, reserved = sum of
-- reserved_delta, version = number of events), which `orderflow
-- inventory-rebuild --check` verifies.
CREATE TABLE inventory.stock_events (
    id              bigserial PRIMARY KEY,
    sku             text        NOT NULL,
    warehouse_id    text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('received', 'adjusted', 'reserved', 'released', 'committed')),
    on_hand_delta   integer     NOT NULL,
    reserved_delta  integer     NOT NULL,
    -- version is the stock row's version after this event.
    version         bigint      NOT NULL,
    reservation_id  text,
    order_id        text,
    actor           text        NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    -- One key per fact (e.g. "commit:res-42:SKU:eu-west"): a retried write
    -- cannot append its event twice.
    idempotency_key text        NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (sku, warehouse_id) REFERENCES inventory.stock (sku, warehouse_id),
    UNIQUE (sku, warehouse_id, version)
);

-- GET /api/inventory/{sku}/events pages newest first by id.
CREATE INDEX stock_events_sku_id_idx ON inventory.stock_events (sku, id DESC);

-- Transactional outbox: the ledger events not yet on Kafka. A row is added in
-- the event's transaction and deleted once the inventory worker's relay has
-- published it, so a change is published if and only if it committed.
CREATE TABLE inventory.outbox (
    event_id bigint PRIMARY KEY REFERENCES inventory.stock_events (id)
);

-- A reservation ends committed, released (by its order) or expired (its TTL
-- ran out); expires_at is when it would expire.
ALTER TABLE inventory.reservations ADD COLUMN expires_at timestamptz;
ALTER TABLE inventory.reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE inventory.reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('reserved', 'committed', 'released', 'expired'));

-- Stock that existed before the ledger gets an opening balance, so every row
-- is the projection of its events from the start.
INSERT INTO inventory.stock_events (sku, warehouse_id, kind, on_hand_delta, reserved_delta, version, actor, reason, idempotency_key)
SELECT sku, warehouse_id, 'received', on_hand, 0, 1, 'migration', 'opening balance',
       'opening:' || sku || ':' || warehouse_id || ':on_hand'
FROM inventory.stock;
INSERT INTO inventory.stock_events (sku, warehouse_id, kind, on_hand_delta, reserved_delta, version, actor, reason, idempotency_key)
SELECT sku, warehouse_id, 'reserved', 0, reserved, 2, 'migration', 'opening balance',
       'opening:' || sku || ':' || warehouse_id || ':reserved'
FROM inventory.stock WHERE reserved > 0;
UPDATE inventory.stock SET version = CASE WHEN reserved > 0 THEN 2 ELSE 1 END, updated_at = now();
INSERT INTO inventory.outbox (event_id) SELECT id FROM inventory.stock_events;

-- +goose Down
DROP TABLE inventory.outbox;
DROP TABLE inventory.stock_events;
ALTER TABLE inventory.reservations DROP CONSTRAINT reservations_status_check;
UPDATE inventory.reservations SET status = 'released' WHERE status = 'expired';
ALTER TABLE inventory.reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('reserved', 'committed', 'released'));
ALTER TABLE inventory.reservations DROP COLUMN expires_at;
