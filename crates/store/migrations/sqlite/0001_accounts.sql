-- Accounts, sessions, invitations, login throttling and the audit log.
CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL CONSTRAINT users_email_normalized_key UNIQUE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('client', 'therapist', 'coordinator', 'admin')),
    display_name     TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    region           TEXT,
    birth_date       TEXT,
    created_at       TEXT NOT NULL,
    disabled_at      TEXT
);

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash          TEXT NOT NULL CONSTRAINT sessions_token_hash_key UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at          TEXT NOT NULL,
    last_seen_at        TEXT NOT NULL,
    absolute_expires_at TEXT NOT NULL,
    revoked_at          TEXT,
    user_agent          TEXT NOT NULL,
    ip                  TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE invites (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('therapist', 'coordinator', 'admin')),
    token_hash       TEXT NOT NULL CONSTRAINT invites_token_hash_key UNIQUE,
    invited_by       INTEGER NOT NULL REFERENCES users (id),
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    accepted_at      TEXT,
    revoked_at       TEXT
);

CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    throttle_key TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX login_failures_key_at_idx ON login_failures (throttle_key, at);

-- Append-only and hash-chained: each row carries the hash of the one before it.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor_id  INTEGER,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    source_ip TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- One row whose update serialises appenders on both engines.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    count INTEGER NOT NULL
);
INSERT INTO audit_head (id, count) VALUES (1, 0);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
