-- A client's intake. Free text (reasons, goals, preferences, emergency contact) is sealed.
CREATE TABLE intakes (
    client_id         INTEGER PRIMARY KEY REFERENCES users (id),
    sealed            TEXT NOT NULL,
    service_lines     TEXT NOT NULL,
    topics            TEXT NOT NULL,
    availability      TEXT NOT NULL,
    consent_version   TEXT NOT NULL,
    consented_at      TEXT NOT NULL,
    submitted_at      TEXT NOT NULL
);
