-- +goose Up
-- Every change to an order's row is announced on the orders_changed channel
-- with the order's ID, at commit, whoever wrote it: the api's long-polls and
-- streams wake on it (LISTEN) instead of reading the row again and again.
-- +goose StatementBegin
CREATE FUNCTION orders.notify_order_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('orders_changed', NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER orders_changed AFTER INSERT OR UPDATE ON orders.orders
    FOR EACH ROW EXECUTE FUNCTION orders.notify_order_changed();

-- +goose Down
DROP TRIGGER orders_changed ON orders.orders;
DROP FUNCTION orders.notify_order_changed();
