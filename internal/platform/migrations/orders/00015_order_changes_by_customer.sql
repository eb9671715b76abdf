-- +goose Up
-- Every write to an order's row is announced on order_changes too, with
-- the order's ID and its customer's ("<id> <customer id>"): a customer's
-- list stream then hears of their own orders only, with no query for
-- anyone else's. orders_changed (the ID alone) stays for the replicas of
-- the version before, during a rollout; a later migration drops it.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION orders.notify_order_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('orders_changed', NEW.id);
    PERFORM pg_notify('order_changes', NEW.id || ' ' || NEW.customer_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION orders.notify_order_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('orders_changed', NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
