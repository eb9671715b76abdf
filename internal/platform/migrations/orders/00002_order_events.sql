-- +goose Up
-- Every order event, as published to Kafka, kept beside the read model for
-- GET /api/orders/{id}/events. The CloudEvents ID is the key, so a retried
-- write stores an event once.
CREATE TABLE orders.order_events (
    id          text PRIMARY KEY,
    order_id    text        NOT NULL REFERENCES orders.orders (id),
    type        text        NOT NULL,
    status      text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL
);
CREATE INDEX order_events_order_idx ON orders.order_events (order_id, occurred_at, id);

-- +goose Down
DROP TABLE orders.order_events;
