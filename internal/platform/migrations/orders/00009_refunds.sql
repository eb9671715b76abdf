-- +goose Up
-- The capture an order's refunds draw on; '' before the capture (and for
-- orders captured before refunds were kept).
ALTER TABLE orders.orders ADD COLUMN capture_id text NOT NULL DEFAULT '';
-- What its refunds have given back so far (minor units).
ALTER TABLE orders.orders ADD COLUMN refunded bigint NOT NULL DEFAULT 0;

-- Refunds of captured orders. A pending or refunded refund counts against
-- the capture; ClaimRefund takes the order's row lock to keep their sum
-- within the order's total. (order_id, idempotency_key) makes a repeated
-- request find the refund it made.
CREATE TABLE orders.refunds (
    id                uuid PRIMARY KEY,
    order_id          text        NOT NULL REFERENCES orders.orders (id),
    idempotency_key   text        NOT NULL,
    amount            bigint      NOT NULL CHECK (amount > 0),
    -- What was asked for: NULL for "all that is left", so a repeat of the
    -- request matches its own body only.
    requested_amount  bigint,
    currency          text        NOT NULL,
    reason            text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('pending', 'refunded', 'failed')),
    requested_by      text        NOT NULL,
    gateway_refund_id text        NOT NULL DEFAULT '',
    failure           text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, idempotency_key)
);
CREATE INDEX refunds_order_idx ON orders.refunds (order_id, created_at);
-- The reconciler restarts the workflows of refunds left pending.
CREATE INDEX refunds_pending_idx ON orders.refunds (created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE orders.refunds;
ALTER TABLE orders.orders DROP COLUMN refunded;
ALTER TABLE orders.orders DROP COLUMN capture_id;
