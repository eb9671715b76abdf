-- +goose Up
-- changed_at is when an order's row last changed, for any reason (the saga,
-- its shipments, its returns, its refunds): the list stream resumes from it
-- after a reconnect (GET /api/streams/orders), and the dashboard keeps the
-- later of two copies of an order by it. The trigger stamps every write, so
-- no writer can forget to.
ALTER TABLE orders.orders ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();

-- +goose StatementBegin
CREATE FUNCTION orders.stamp_order_changed() RETURNS trigger AS $$
BEGIN
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER orders_changed_at BEFORE INSERT OR UPDATE ON orders.orders
    FOR EACH ROW EXECUTE FUNCTION orders.stamp_order_changed();
CREATE INDEX orders_changed_at ON orders.orders (changed_at);
CREATE INDEX orders_customer_changed_at ON orders.orders (customer_id, changed_at);

-- +goose Down
DROP INDEX orders.orders_customer_changed_at;
DROP INDEX orders.orders_changed_at;
DROP TRIGGER orders_changed_at ON orders.orders;
DROP FUNCTION orders.stamp_order_changed();
ALTER TABLE orders.orders DROP COLUMN changed_at;
