-- +goose Up
-- The parcels of completed orders, one per warehouse the order's stock
-- came from. The order workflow plans them (status 'pending'); each
-- ShipmentWorkflow records what the carrier reports. revision counts the
-- workflow's changes, so a late write of an older one changes nothing.
CREATE TABLE orders.shipments (
    id                  text        PRIMARY KEY,
    order_id            text        NOT NULL REFERENCES orders.orders (id),
    warehouse_id        text        NOT NULL,
    items               jsonb       NOT NULL,
    status              text        NOT NULL CHECK (status IN
                            ('pending', 'booked', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'lost', 'cancelled')),
    carrier             text        NOT NULL DEFAULT '',
    carrier_shipment_id text        NOT NULL DEFAULT '',
    tracking_number     text        NOT NULL DEFAULT '',
    label_url           text        NOT NULL DEFAULT '',
    revision            integer     NOT NULL DEFAULT 0,
    booked_at           timestamptz,
    shipped_at          timestamptz,
    delivered_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shipments_order_idx ON orders.shipments (order_id, id);

-- +goose Down
DROP TABLE orders.shipments;
