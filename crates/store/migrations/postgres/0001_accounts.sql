-- Accounts, sessions, invitations, login throttling and the audit log.
CREATE TABLE users (
    id               BIGSERIAL PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL CONSTRAINT users_email_normalized_key UNIQUE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('client', 'therapist', 'coordinator', 'admin')),
    display_name     TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    region           TEXT,
    birth_date       DATE,
    created_at       TIMESTAMPTZ NOT NULL,
    disabled_at      TIMESTAMPTZ
);

CREATE TABLE sessions (
    id                  BIGSERIAL PRIMARY KEY,
    user_id             BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash          TEXT NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    revoked_at          TIMESTAMPTZ,
    user_agent          TEXT NOT NULL,
    ip                  TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE invites (
    id               BIGSERIAL PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('therapist', 'coordinator', 'admin')),
    token_hash       TEXT NOT NULL CONSTRAINT invites_token_hash_key UNIQUE,
    invited_by       BIGINT NOT NULL REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    accepted_at      TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ
);

CREATE TABLE login_failures (
    id           BIGSERIAL PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (throttle_key, at);

-- Append-only and hash-chained: each row carries the hash of the one before it.
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  BIGINT,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    source_ip TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- One row whose update serialises appenders on both engines.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    count BIGINT NOT NULL
);
INSERT INTO audit_head (id, count) VALUES (1, 0);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
