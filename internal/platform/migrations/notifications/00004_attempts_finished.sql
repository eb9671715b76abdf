-- +goose Up
-- The operators' chart of deliveries per minute reads the calls finished
-- lately.
CREATE INDEX attempts_finished_idx ON notifications.attempts (finished_at);

-- +goose Down
DROP INDEX notifications.attempts_finished_idx;
