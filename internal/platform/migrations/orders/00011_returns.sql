-- +goose Up
-- Customers' returns of delivered lines. Each line names the shipment it
-- was delivered in (so its stock goes back to that warehouse, and no line
-- is returned twice) and its unit price (what its refund gives back). The
-- ReturnWorkflow records the label and the parcel's way back; revision
-- counts its changes, so a late write of an older one changes nothing.
CREATE TABLE orders.returns (
    id                  text        PRIMARY KEY,
    order_id            text        NOT NULL REFERENCES orders.orders (id),
    idempotency_key     text        NOT NULL,
    items               jsonb       NOT NULL,
    amount              bigint      NOT NULL CHECK (amount >= 0),
    currency            text        NOT NULL,
    reason              text        NOT NULL,
    requested_by        text        NOT NULL,
    status              text        NOT NULL CHECK (status IN
                            ('requested', 'label_issued', 'in_transit', 'received', 'refunded', 'lost', 'not_refunded')),
    carrier_shipment_id text        NOT NULL DEFAULT '',
    tracking_number     text        NOT NULL DEFAULT '',
    label_url           text        NOT NULL DEFAULT '',
    refund_id           text        NOT NULL DEFAULT '',
    revision            integer     NOT NULL DEFAULT 0,
    received_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, idempotency_key)
);

-- +goose Down
DROP TABLE orders.returns;
