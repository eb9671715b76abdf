-- +goose Up
-- The user service's accounts. The email is the sign-in name, kept lower-case
-- so one address is one account however it is typed.
CREATE TABLE users.accounts (
    id            uuid        PRIMARY KEY,
    email         text        NOT NULL UNIQUE CHECK (email = lower(email)),
    -- An argon2id hash in PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$key),
    -- so its parameters can be raised later without losing the old hashes.
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('customer', 'admin')),
    name          text        NOT NULL DEFAULT '',
    phone         text        NOT NULL DEFAULT '',
    time_zone     text        NOT NULL DEFAULT 'UTC',
    -- Notification preferences: the channels to try, in order, and the quiet
    -- hours (local "HH:MM", both or neither) during which non-urgent SMS waits.
    channels      text[]      NOT NULL DEFAULT '{email,sms}',
    quiet_start   text,
    quiet_end     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

-- Sessions and their refresh tokens. Every sign-in starts a session (a token
-- family); each refresh marks its token used and adds the next one. A used
-- token presented again means it was copied: the session is revoked, which
-- ends the thief's tokens and the user's alike. Tokens are stored as SHA-256
-- hashes of the random values handed out, so the table alone signs no one in.
CREATE TABLE users.sessions (
    id            uuid        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoke_reason text -- logout, reuse
);
CREATE INDEX sessions_user_idx ON users.sessions (user_id);

CREATE TABLE users.refresh_tokens (
    token_hash bytea       PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES users.sessions (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_session_idx ON users.refresh_tokens (session_id);

-- +goose Down
DROP TABLE users.refresh_tokens;
DROP TABLE users.sessions;
DROP TABLE users.accounts;
