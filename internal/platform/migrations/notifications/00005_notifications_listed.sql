-- +goose Up
-- The console lists every notification, or those in a status (failed: the
-- ones waiting for an operator), newest first, a page at a time.
CREATE INDEX notifications_created_idx ON notifications.notifications (created_at DESC, id DESC);
CREATE INDEX notifications_status_idx ON notifications.notifications (status, created_at DESC, id DESC);

-- +goose Down
DROP INDEX notifications.notifications_status_idx;
DROP INDEX notifications.notifications_created_idx;
