-- +goose Up
-- The devices a user's push notifications go to: browsers' Web Push
-- subscriptions (the push service's endpoint URL and the subscription's
-- encryption keys, RFC 8291) and phones' registration tokens. address is the
-- endpoint or the token, and is unique: a browser or phone shared by two
-- accounts belongs to the one that registered it last, so it never shows one
-- account's orders to the next. The notifications worker reads them when it
-- sends, and deletes those the push service says are gone.
CREATE TABLE users.devices (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
    type       text        NOT NULL CHECK (type IN ('web_push', 'mobile')),
    address    text        NOT NULL UNIQUE,
    platform   text        NOT NULL DEFAULT '', -- mobile: ios, android
    p256dh     text        NOT NULL DEFAULT '', -- web_push: base64url, as the browser gives them
    auth       text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (type <> 'web_push' OR (p256dh <> '' AND auth <> '' AND platform = '')),
    CHECK (type <> 'mobile' OR (platform IN ('ios', 'android') AND p256dh = '' AND auth = ''))
);
CREATE INDEX devices_user_idx ON users.devices (user_id, created_at);

-- +goose Down
DROP TABLE users.devices;
