-- How a person's calendar events read. A discreet calendar names no topic or group: the
-- event says only "Hearth session" with its room link, for calendars that others can see
-- (a shared family or work calendar). No row means the default: the group's title.
CREATE TABLE calendar_preferences (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    discreet   BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
