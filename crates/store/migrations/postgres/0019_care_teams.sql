-- Care teams: a client's assigned coordinator (one at most; set when a coordinator takes the
-- client on, changed by an admin), and break-the-glass grants: a staff member outside the
-- care team states a reason and reads one client's clinical record for a limited time. The
-- reason is sealed by the vault (it may name clinical facts); who, whom and when stay plain
-- for the admins' review.
CREATE TABLE care_assignments (
    client_id      BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    coordinator_id BIGINT NOT NULL REFERENCES users (id),
    assigned_at    TIMESTAMPTZ NOT NULL,
    assigned_by    BIGINT NOT NULL REFERENCES users (id)
);
CREATE INDEX care_assignments_coordinator_idx ON care_assignments (coordinator_id);

CREATE TABLE break_glass (
    id            BIGSERIAL PRIMARY KEY,
    actor_id      BIGINT NOT NULL REFERENCES users (id),
    client_id     BIGINT NOT NULL REFERENCES users (id),
    reason_sealed TEXT NOT NULL,
    opened_at     TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX break_glass_actor_client_idx ON break_glass (actor_id, client_id, expires_at);
CREATE INDEX break_glass_opened_idx ON break_glass (opened_at);
