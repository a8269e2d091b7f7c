-- Measured answers, scores, bands and risk levels, birth dates and consult phone numbers are
-- sealed by the app's vault from here on, like clinical free text. The keys live outside the
-- database, so no migration can seal what is already stored: the app does it once at start-up
-- (`App::seal_plain_fields`) and empties the plain columns, which nothing reads any more.
-- SQLite cannot drop NOT NULL in place, so `measures` and `risk_flags` are rebuilt with their
-- plain columns nullable (risk_flags refers to measures, so it is set aside first).

CREATE TABLE sequence_before_0017 AS
    SELECT name, seq FROM sqlite_sequence WHERE name IN ('measures', 'risk_flags');
CREATE TABLE risk_flags_before_0017 AS SELECT * FROM risk_flags;
DROP TABLE risk_flags;

CREATE TABLE measures_0017 (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  INTEGER NOT NULL REFERENCES users (id),
    instrument TEXT NOT NULL CHECK (instrument IN ('phq9', 'gad7', 'proqol5', 'asq')),
    taken_at   TEXT NOT NULL,
    -- Answers, total, severity, subscales and risk, as one sealed JSON value. NULL only on a
    -- row written before 0017 that start-up has not sealed yet.
    sealed     TEXT,
    -- The total again, sealed on its own: the outcome report reads thousands and opens
    -- only this. NULL for instruments without a total.
    total_sealed TEXT,
    -- Written plain before 0017; emptied when the row is sealed, never read.
    answers    TEXT,
    total      INTEGER,
    severity   TEXT,
    subscales  TEXT,
    risk       TEXT
);
INSERT INTO measures_0017 (id, client_id, instrument, taken_at, answers, total, severity, subscales, risk)
    SELECT id, client_id, instrument, taken_at, answers, total, severity, subscales, risk FROM measures;
DROP TABLE measures;
ALTER TABLE measures_0017 RENAME TO measures;
CREATE INDEX measures_client_idx ON measures (client_id, taken_at);

CREATE TABLE risk_flags (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       INTEGER NOT NULL REFERENCES users (id),
    measure_id      INTEGER NOT NULL REFERENCES measures (id),
    raised_at       TEXT NOT NULL,
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at TEXT,
    disposition     TEXT,
    -- The level, sealed. NULL only on a flag raised before 0017 and not sealed yet.
    level_sealed    TEXT,
    -- Written plain before 0017; emptied when the row is sealed, never read. No CHECK: its
    -- list of levels would be the only place the file still spelled them out.
    level           TEXT
);
INSERT INTO risk_flags (id, client_id, measure_id, raised_at, acknowledged_by, acknowledged_at, disposition, level)
    SELECT id, client_id, measure_id, raised_at, acknowledged_by, acknowledged_at, disposition, level
    FROM risk_flags_before_0017;
DROP TABLE risk_flags_before_0017;
CREATE INDEX risk_flags_open_idx ON risk_flags (acknowledged_at, raised_at);
CREATE INDEX risk_flags_client_idx ON risk_flags (client_id);

-- Ids are never reused: keep each table's AUTOINCREMENT high-water mark.
DELETE FROM sqlite_sequence WHERE name IN ('measures', 'risk_flags');
INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM sequence_before_0017;
DROP TABLE sequence_before_0017;

-- The birth date, sealed; `birth_date` is emptied when it is.
ALTER TABLE users ADD COLUMN birth_date_sealed TEXT;

-- What start-up still has to seal, found without reading every row: these stay empty once it
-- has run (a new row is sealed before its transaction commits).
CREATE INDEX measures_plain_idx ON measures (id) WHERE sealed IS NULL;
CREATE INDEX risk_flags_plain_idx ON risk_flags (id) WHERE level_sealed IS NULL;
CREATE INDEX users_plain_birth_date_idx ON users (id) WHERE birth_date IS NOT NULL;
