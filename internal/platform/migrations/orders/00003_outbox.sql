-- +goose Up
-- The API claims an Idempotency-Key before the order exists (the workflow is
-- started first, so no order is ever stored without one): the key no longer
-- references the order row.
ALTER TABLE orders.idempotency_keys DROP CONSTRAINT idempotency_keys_order_id_fkey;

-- order_events is also the outbox of order events: the relay in the orders
-- worker publishes rows whose published_at is NULL, so a Kafka outage delays
-- events instead of stopping orders.
ALTER TABLE orders.order_events ADD COLUMN published_at timestamptz;
CREATE INDEX order_events_unpublished_idx ON orders.order_events (occurred_at, id) WHERE published_at IS NULL;
ALTER TABLE orders.order_events ADD COLUMN customer_id text NOT NULL DEFAULT '';
ALTER TABLE orders.order_events ADD COLUMN total bigint NOT NULL DEFAULT 0;
ALTER TABLE orders.order_events ADD COLUMN currency text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders.order_events DROP COLUMN currency;
ALTER TABLE orders.order_events DROP COLUMN total;
ALTER TABLE orders.order_events DROP COLUMN customer_id;
DROP INDEX orders.order_events_unpublished_idx;
ALTER TABLE orders.order_events DROP COLUMN published_at;
ALTER TABLE orders.idempotency_keys ADD CONSTRAINT idempotency_keys_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders.orders (id);
