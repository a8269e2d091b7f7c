-- Staff two-factor sign-in (TOTP, RFC 6238). The secret is sealed by the vault, never
-- stored plain. A factor is pending until its first valid code (confirmed_at); the step of
-- the last accepted code is kept so a code cannot be used twice.
CREATE TABLE second_factors (
    user_id        BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    confirmed_at   TIMESTAMPTZ,
    last_used_step BIGINT
);

-- Single-use recovery codes, shown once at enrolment; only their SHA-256 is kept.
CREATE TABLE recovery_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- A browser login between its password and its code: bound to the browser by a cookie
-- holding the token (only its hash is here), short-lived and single use. It carries the
-- password step's throttle keys so they are settled only when the whole login succeeds.
CREATE TABLE login_challenges (
    token_hash     TEXT PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    settle_clear   TEXT NOT NULL,
    settle_forgive TEXT NOT NULL,
    device_known   BOOLEAN NOT NULL
);
CREATE INDEX login_challenges_expires_idx ON login_challenges (expires_at);

-- A staff session made before the account has a second factor, under a policy that
-- requires one: it may only enrol or log out.
ALTER TABLE sessions ADD COLUMN enrol_only BOOLEAN NOT NULL DEFAULT FALSE;
