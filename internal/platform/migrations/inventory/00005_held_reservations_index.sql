-- +goose Up
-- The inventory worker counts the held reservations every few seconds
-- (orderflow_reservations_held): a partial index keeps that count to the
-- reservations still held, however many have ended.
CREATE INDEX reservations_held_idx ON inventory.reservations (expires_at) WHERE status = 'reserved';

-- +goose Down
DROP INDEX inventory.reservations_held_idx;
