-- Standardised measures and the risk flags they raise.
CREATE TABLE measures (
    id         BIGSERIAL PRIMARY KEY,
    client_id  BIGINT NOT NULL REFERENCES users (id),
    instrument TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7', 'proqol5', 'asq')),
    answers    TEXT NOT NULL,
    total      INTEGER,
    severity   TEXT,
    subscales  TEXT NOT NULL,
    risk       TEXT NOT NULL,
    taken_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX measures_client_idx ON measures (client_id, taken_at);

-- A risk flag stays at the top of the care team's queue until a clinician acknowledges it
-- with a disposition (sealed: it is clinical free text).
CREATE TABLE risk_flags (
    id              BIGSERIAL PRIMARY KEY,
    client_id       BIGINT NOT NULL REFERENCES users (id),
    measure_id      BIGINT NOT NULL REFERENCES measures (id),
    level           TEXT NOT NULL CHECK (level IN ('self_harm_thoughts', 'positive_screen', 'acute')),
    raised_at       TIMESTAMPTZ NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TIMESTAMPTZ,
    disposition     TEXT
);
CREATE INDEX risk_flags_open_idx ON risk_flags (acknowledged_at, raised_at);
CREATE INDEX risk_flags_client_idx ON risk_flags (client_id);
