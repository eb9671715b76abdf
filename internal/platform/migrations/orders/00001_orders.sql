-- +goose Up
-- The orders read model: written by the API when an order is accepted and by
-- OrderWorkflow's bookkeeping activity on every saga transition.
CREATE TABLE orders.orders (
    id             text PRIMARY KEY,
    customer_id    text        NOT NULL,
    status         text        NOT NULL,
    currency       text        NOT NULL,
    total          bigint      NOT NULL CHECK (total >= 0),
    items          jsonb       NOT NULL,
    contact        jsonb       NOT NULL,
    workflow_id    text        NOT NULL UNIQUE,
    steps          jsonb       NOT NULL DEFAULT '[]',
    failure_reason text        NOT NULL DEFAULT '',
    -- state_version orders the workflow's writes: a late retry of an older
    -- state never overwrites a newer one.
    state_version  bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Keyset pagination: newest first, by (created_at, id).
CREATE INDEX orders_created_idx ON orders.orders (created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders.orders (status, created_at DESC, id DESC);
CREATE INDEX orders_customer_created_idx ON orders.orders (customer_id, created_at DESC, id DESC);

-- Idempotency-Key of POST /api/orders: the same key with the same body returns
-- the same order; with another body it is refused.
CREATE TABLE orders.idempotency_keys (
    key          text PRIMARY KEY,
    request_hash bytea       NOT NULL,
    order_id     text        NOT NULL REFERENCES orders.orders (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE orders.idempotency_keys;
DROP TABLE orders.orders;
