-- Coordinators' weekly availability for free consult calls, and the calls booked.
CREATE TABLE coordinator_availability (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    coordinator_id INTEGER NOT NULL REFERENCES users (id),
    weekday        TEXT NOT NULL,
    from_time      TEXT NOT NULL,
    to_time        TEXT NOT NULL
);
CREATE INDEX coordinator_availability_idx ON coordinator_availability (coordinator_id);

CREATE TABLE consult_calls (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id      INTEGER NOT NULL REFERENCES users (id),
    coordinator_id INTEGER NOT NULL REFERENCES users (id),
    starts_at      TEXT NOT NULL,
    phone          TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
    created_at     TEXT NOT NULL
);
-- A coordinator holds one call at a time, however many clients book at once.
CREATE UNIQUE INDEX consult_calls_coordinator_id_starts_at_key ON consult_calls (coordinator_id, starts_at) WHERE status = 'booked';
CREATE INDEX consult_calls_client_idx ON consult_calls (client_id);
