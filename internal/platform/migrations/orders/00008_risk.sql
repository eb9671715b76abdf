-- +goose Up
-- The order's risk assessment (level, score, reasons), for admins; NULL for
-- orders placed before assessments.
ALTER TABLE orders.orders ADD COLUMN risk jsonb;

-- +goose Down
ALTER TABLE orders.orders DROP COLUMN risk;
