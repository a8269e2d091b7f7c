-- Who came to each meeting: recorded from the video room's connects and leaves, correctable
-- by the group's therapist. One row per person per meeting (the meeting's series date).
CREATE TABLE attendance (
    group_id          BIGINT NOT NULL REFERENCES groups (id),
    meeting_date      DATE NOT NULL,
    user_id           BIGINT NOT NULL REFERENCES users (id),
    first_joined_at   TIMESTAMPTZ,
    last_left_at      TIMESTAMPTZ,
    -- Set while the person's media is connected; seconds are added up when it drops.
    connected_since   TIMESTAMPTZ,
    connected_seconds BIGINT NOT NULL DEFAULT 0,
    status            TEXT NOT NULL CHECK (status IN ('present', 'late', 'left_early', 'absent', 'excused')),
    corrected_by      BIGINT REFERENCES users (id),
    corrected_at      TIMESTAMPTZ,
    PRIMARY KEY (group_id, meeting_date, user_id)
);
