-- +goose Up
-- The outbox of notification events (events.NotificationsTopic): written in
-- the transaction of the change each reports (the bookkeeping activity's
-- Save, the webhooks' delivery events), published by the relay in the
-- orders worker and then deleted. event_id is the CloudEvent ID, derived
-- from the fact it reports: a repeat of the same fact is not stored twice.
-- data holds no address or message body (notifications.EventData).
CREATE TABLE notifications.outbox (
    id              bigserial PRIMARY KEY,
    event_id        text        NOT NULL UNIQUE,
    type            text        NOT NULL, -- notification.sent, .delivered, .bounced, .failed
    notification_id text        NOT NULL, -- the Kafka key
    data            jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    request_id      text        NOT NULL DEFAULT '',
    trace_parent    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Late bounces that moved a message on to the customer's next channel: one
-- row per message and channel it moved on from, whatever number of
-- callbacks report the bounce. started_at is set once the follow-up
-- workflow is known to be started; until then a repeated callback starts
-- it again (its deterministic workflow ID keeps that to one).
CREATE TABLE notifications.fallbacks (
    notification_id     text        NOT NULL,
    from_channel        text        NOT NULL,
    provider            text        NOT NULL,
    provider_message_id text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    PRIMARY KEY (notification_id, from_channel)
);

-- A delivery callback names the provider's message ID: the sent attempt
-- tells which notification and channel it was.
CREATE INDEX attempts_message_idx ON notifications.attempts (provider, provider_message_id) WHERE status = 'sent';

-- +goose Down
DROP INDEX notifications.attempts_message_idx;
DROP TABLE notifications.fallbacks;
DROP TABLE notifications.outbox;
