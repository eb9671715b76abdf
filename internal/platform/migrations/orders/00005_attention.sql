-- +goose Up
-- What an order that needs attention has left undone (a compensation that
-- failed for good), for operators; '' otherwise.
ALTER TABLE orders.orders ADD COLUMN attention text NOT NULL DEFAULT '';

-- The reconciler looks for unfinished orders that have not moved for a while
-- (their workflow may have been terminated): keep that scan off the table.
CREATE INDEX orders_unfinished_idx ON orders.orders (updated_at)
    WHERE status NOT IN ('completed', 'failed', 'cancelled');

-- +goose Down
DROP INDEX orders.orders_unfinished_idx;
ALTER TABLE orders.orders DROP COLUMN attention;
