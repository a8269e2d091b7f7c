-- Care teams: a client's assigned coordinator (one at most; set when a coordinator takes the
-- client on, changed by an admin), and break-the-glass grants: a staff member outside the
-- care team states a reason and reads one client's clinical record for a limited time. The
-- reason is sealed by the vault (it may name clinical facts); who, whom and when stay plain
-- for the admins' review.
CREATE TABLE care_assignments (
    client_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    coordinator_id INTEGER NOT NULL REFERENCES users (id),
    assigned_at    TEXT NOT NULL,
    assigned_by    INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX care_assignments_coordinator_idx ON care_assignments (coordinator_id);

CREATE TABLE break_glass (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id      INTEGER NOT NULL REFERENCES users (id),
    client_id     INTEGER NOT NULL REFERENCES users (id),
    reason_sealed TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX break_glass_actor_client_idx ON break_glass (actor_id, client_id, expires_at);
CREATE INDEX break_glass_opened_idx ON break_glass (opened_at);
