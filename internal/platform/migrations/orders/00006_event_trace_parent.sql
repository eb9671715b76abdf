-- +goose Up
-- The W3C traceparent of the change that wrote the event (the saga's
-- activity), which the relay publishes in the event's traceparent header
-- and CloudEvents attribute so a consumer can continue the order's trace;
-- '' when tracing was off.
ALTER TABLE orders.order_events ADD COLUMN trace_parent text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders.order_events DROP COLUMN trace_parent;
