-- When the therapist ended a meeting's session: the room stays closed after that, on any node
-- and across restarts.
CREATE TABLE meeting_ends (
    group_id     BIGINT NOT NULL REFERENCES groups (id),
    meeting_date DATE NOT NULL,
    ended_at     TIMESTAMPTZ NOT NULL,
    ended_by     BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, meeting_date)
);
