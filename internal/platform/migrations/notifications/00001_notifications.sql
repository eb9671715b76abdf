-- +goose Up
-- The notifications service's data. Three writers, one table each:
-- NotificationWorkflow's bookkeeping activity keeps one row per message, the
-- send activities one row per provider call, and the API's provider webhooks
-- one row per delivery event the providers report.
CREATE TABLE notifications.notifications (
    id                  text PRIMARY KEY,
    order_id            text        NOT NULL,
    kind                text        NOT NULL,
    -- pending, scheduled (held by quiet hours), sent, failed (every channel
    -- failed; the workflow waits for a manual retry).
    status              text        NOT NULL,
    round               integer     NOT NULL, -- 1, plus one per manual retry
    -- The channel and provider that delivered it, and the provider's ID of
    -- the message, which delivery events name.
    channel             text        NOT NULL DEFAULT '',
    provider            text        NOT NULL DEFAULT '',
    provider_message_id text        NOT NULL DEFAULT '',
    scheduled_for       timestamptz,
    failures            jsonb       NOT NULL DEFAULT '{}', -- channel -> why, this round
    -- The workflow input: a manual retry after the workflow closed starts a
    -- new run with it.
    input               jsonb       NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX notifications_order_idx ON notifications.notifications (order_id, created_at DESC);

-- One row per provider call, written before the call (status "sending") and
-- after it (sent or failed). A "sent" row for an idempotency key means the
-- provider has the message: a retry returns it instead of sending again. A
-- "sending" row that a later attempt finds is marked "interrupted": the worker
-- died or timed out mid-call, and whether the provider got it is unknown.
CREATE TABLE notifications.attempts (
    id                  bigserial PRIMARY KEY,
    notification_id     text        NOT NULL,
    channel             text        NOT NULL,
    provider            text        NOT NULL,
    idempotency_key     text        NOT NULL,
    attempt             integer     NOT NULL, -- the activity's attempt number
    status              text        NOT NULL,
    status_code         integer,              -- the provider's HTTP status; NULL when none came
    provider_message_id text        NOT NULL DEFAULT '',
    error               text        NOT NULL DEFAULT '',
    permanent           boolean     NOT NULL DEFAULT false,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
CREATE INDEX attempts_notification_idx ON notifications.attempts (notification_id, id);
CREATE INDEX attempts_key_idx ON notifications.attempts (idempotency_key);

-- Delivery events from the providers' status callbacks. They may arrive
-- before the attempt that sent the message is recorded as sent, and out of
-- order, so they are kept as they come and joined on the provider's message
-- ID when read. Providers retry callbacks: the key makes a repeat a no-op.
CREATE TABLE notifications.delivery_events (
    provider            text        NOT NULL,
    event_id            text        NOT NULL, -- SendGrid's sg_event_id; Twilio's SID/status
    provider_message_id text        NOT NULL,
    event               text        NOT NULL, -- the provider's word: delivered, bounce, undelivered...
    -- accepted, delivered or undelivered; '' for events that say nothing of
    -- delivery (spam reports, unsubscribes). rank orders them, so a late
    -- "sent" never hides "delivered".
    state               text        NOT NULL,
    rank                smallint    NOT NULL,
    detail              text        NOT NULL DEFAULT '',
    occurred_at         timestamptz NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX delivery_events_message_idx ON notifications.delivery_events (provider, provider_message_id);

-- +goose Down
DROP TABLE notifications.delivery_events;
DROP TABLE notifications.attempts;
DROP TABLE notifications.notifications;
