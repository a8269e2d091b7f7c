-- Login throttling by exponential back-off: one row per key (an account from an address, an
-- account, an address), locked while an attempt is admitted so concurrent attempts are
-- counted one after another. Replaces the per-failure rows, which were counted before the
-- new failure was stored and so let a burst of attempts through.
DROP TABLE login_failures;

CREATE TABLE login_throttle (
    throttle_key  TEXT PRIMARY KEY,
    strikes       BIGINT NOT NULL CHECK (strikes >= 0),
    last_at       TIMESTAMPTZ,
    blocked_until TIMESTAMPTZ
);
CREATE INDEX login_throttle_last_at_idx ON login_throttle (last_at);

-- Browsers that have signed in to an account before (OWASP's "device cookies"): a login
-- that presents one for the account it names is throttled on that device alone, so a
-- guesser elsewhere, or behind the same address, cannot lock the owner out.
CREATE TABLE login_devices (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_devices_user_idx ON login_devices (user_id);
