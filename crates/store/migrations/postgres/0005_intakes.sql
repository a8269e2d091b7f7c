-- A client's intake. Free text (reasons, goals, preferences, emergency contact) is sealed.
CREATE TABLE intakes (
    client_id         BIGINT PRIMARY KEY REFERENCES users (id),
    sealed            TEXT NOT NULL,
    service_lines     TEXT NOT NULL,
    topics            TEXT NOT NULL,
    availability      TEXT NOT NULL,
    consent_version   TEXT NOT NULL,
    consented_at      TIMESTAMPTZ NOT NULL,
    submitted_at      TIMESTAMPTZ NOT NULL
);
