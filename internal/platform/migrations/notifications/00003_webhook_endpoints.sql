-- +goose Up
-- Integrators' webhook endpoints: the events they subscribed to, and every
-- delivery made to them with its attempts (the delivery log). The api
-- manages the endpoints; the notifications worker fans events out to them
-- and delivers (internal/domain/webhooks).
CREATE TABLE notifications.webhook_endpoints (
    id          uuid        PRIMARY KEY,
    url         text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    -- Event types ("order.completed") or groups ("order.*").
    event_types text[]      NOT NULL,
    -- Standard Webhooks secrets ("whsec_..."), sealed with the payload keys
    -- ("<kid>:<base64>", payloadcrypt.Seal). During a rotation the previous
    -- one signs too, until previous_secret_expires_at.
    secret                     text        NOT NULL,
    previous_secret            text        NOT NULL DEFAULT '',
    previous_secret_expires_at timestamptz,
    enabled         boolean     NOT NULL DEFAULT true,
    disabled_reason text        NOT NULL DEFAULT '',
    -- Set by the first failed attempt after a success; an endpoint failing
    -- for too long is disabled.
    failing_since timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_event_types_idx ON notifications.webhook_endpoints USING gin (event_types) WHERE enabled;

-- One delivery per endpoint and event: the event's ID is the message's
-- webhook-id, the same for every attempt and every redelivery.
CREATE TABLE notifications.webhook_deliveries (
    id          uuid        PRIMARY KEY,
    endpoint_id uuid        NOT NULL REFERENCES notifications.webhook_endpoints (id) ON DELETE CASCADE,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    payload     bytea       NOT NULL,
    status      text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts    integer     NOT NULL DEFAULT 0,
    -- Redeliveries asked for by an admin, each a new workflow.
    redeliveries integer    NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_endpoint_idx ON notifications.webhook_deliveries (endpoint_id, created_at DESC, id);

CREATE TABLE notifications.webhook_attempts (
    delivery_id     uuid        NOT NULL REFERENCES notifications.webhook_deliveries (id) ON DELETE CASCADE,
    attempt         integer     NOT NULL, -- counts across redeliveries
    started_at      timestamptz NOT NULL,
    duration_ms     integer     NOT NULL,
    response_status integer     NOT NULL DEFAULT 0, -- 0: no answer
    response_body   text        NOT NULL DEFAULT '', -- the first bytes
    error           text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

-- +goose Down
DROP TABLE notifications.webhook_attempts;
DROP TABLE notifications.webhook_deliveries;
DROP TABLE notifications.webhook_endpoints;
