-- A client's request to move to another group, with a reason (sealed), for a coordinator.
CREATE TABLE switch_requests (
    id          BIGSERIAL PRIMARY KEY,
    client_id   BIGINT NOT NULL REFERENCES users (id),
    from_group  BIGINT NOT NULL REFERENCES groups (id),
    to_group    BIGINT NOT NULL REFERENCES groups (id),
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    created_at  TIMESTAMPTZ NOT NULL,
    decided_by  BIGINT REFERENCES users (id),
    decided_at  TIMESTAMPTZ
);
CREATE INDEX switch_requests_status_idx ON switch_requests (status, created_at);
