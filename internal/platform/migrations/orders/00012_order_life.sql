-- +goose Up
-- fulfilment_revision counts the writes of an order's shipments and
-- returns, so the order's row (and its orders_changed notification)
-- changes with each and followers see a parcel move. A lost parcel whose lines were refunded
-- ends 'refunded'.
ALTER TABLE orders.orders ADD COLUMN fulfilment_revision bigint NOT NULL DEFAULT 0;
ALTER TABLE orders.shipments DROP CONSTRAINT shipments_status_check;
ALTER TABLE orders.shipments ADD CONSTRAINT shipments_status_check CHECK (status IN
    ('pending', 'booked', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'lost', 'cancelled', 'refunded'));

-- +goose Down
ALTER TABLE orders.shipments DROP CONSTRAINT shipments_status_check;
ALTER TABLE orders.shipments ADD CONSTRAINT shipments_status_check CHECK (status IN
    ('pending', 'booked', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'lost', 'cancelled'));
ALTER TABLE orders.orders DROP COLUMN fulfilment_revision;
