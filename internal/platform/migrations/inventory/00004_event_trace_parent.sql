-- +goose Up
-- The W3C traceparent of the change behind the ledger event, which the relay
-- publishes with it (see orders' 00006); '' when tracing was off.
ALTER TABLE inventory.stock_events ADD COLUMN trace_parent text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE inventory.stock_events DROP COLUMN trace_parent;
