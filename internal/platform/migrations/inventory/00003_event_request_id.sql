-- +goose Up
-- The X-Request-ID behind each stock change (an API call, or the order whose
-- workflows reserved or settled the stock), which the relay publishes as the
-- event's request_id Kafka header; '' when there was none.
ALTER TABLE inventory.stock_events ADD COLUMN request_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inventory.stock_events DROP COLUMN request_id;
