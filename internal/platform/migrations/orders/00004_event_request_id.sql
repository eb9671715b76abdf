-- +goose Up
-- The X-Request-ID of the request that placed the order, which the relay
-- publishes as the event's request_id Kafka header; '' when there was none
-- (an order started from the CLI, or an event stored before this column).
ALTER TABLE orders.order_events ADD COLUMN request_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders.order_events DROP COLUMN request_id;
