-- When the therapist ended a meeting's session: the room stays closed after that, on any node
-- and across restarts.
CREATE TABLE meeting_ends (
    group_id     INTEGER NOT NULL REFERENCES groups (id),
    meeting_date TEXT NOT NULL,
    ended_at     TEXT NOT NULL,
    ended_by     INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, meeting_date)
);
