-- Who came to each meeting: recorded from the video room's connects and leaves, correctable
-- by the group's therapist. One row per person per meeting (the meeting's series date).
CREATE TABLE attendance (
    group_id          INTEGER NOT NULL REFERENCES groups (id),
    meeting_date      TEXT NOT NULL,
    user_id           INTEGER NOT NULL REFERENCES users (id),
    first_joined_at   TEXT,
    last_left_at      TEXT,
    -- Set while the person's media is connected; seconds are added up when it drops.
    connected_since   TEXT,
    connected_seconds INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL CHECK (status IN ('present', 'late', 'left_early', 'absent', 'excused')),
    corrected_by      INTEGER REFERENCES users (id),
    corrected_at      TEXT,
    PRIMARY KEY (group_id, meeting_date, user_id)
);
