-- A client's request to move to another group, with a reason (sealed), for a coordinator.
CREATE TABLE switch_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   INTEGER NOT NULL REFERENCES users (id),
    from_group  INTEGER NOT NULL REFERENCES groups (id),
    to_group    INTEGER NOT NULL REFERENCES groups (id),
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    created_at  TEXT NOT NULL,
    decided_by  INTEGER REFERENCES users (id),
    decided_at  TEXT
);
CREATE INDEX switch_requests_status_idx ON switch_requests (status, created_at);
