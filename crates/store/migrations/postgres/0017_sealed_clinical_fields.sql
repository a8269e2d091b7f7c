-- Measured answers, scores, bands and risk levels, birth dates and consult phone numbers are
-- sealed by the app's vault from here on, like clinical free text. The keys live outside the
-- database, so no migration can seal what is already stored: the app does it once at start-up
-- (`App::seal_plain_fields`) and empties the plain columns, which nothing reads any more.

-- Answers, total, severity, subscales and risk, as one sealed JSON value. NULL only on a row
-- written before 0017 that start-up has not sealed yet.
ALTER TABLE measures ADD COLUMN sealed TEXT;
-- The total again, sealed on its own: the outcome report reads thousands and opens only this.
-- NULL for instruments without a total.
ALTER TABLE measures ADD COLUMN total_sealed TEXT;
-- Written plain before 0017; emptied when the row is sealed, never read.
ALTER TABLE measures
    ALTER COLUMN answers DROP NOT NULL,
    ALTER COLUMN subscales DROP NOT NULL,
    ALTER COLUMN risk DROP NOT NULL;

-- The level, sealed; the plain `level` is emptied when it is.
ALTER TABLE risk_flags ADD COLUMN level_sealed TEXT;
ALTER TABLE risk_flags ALTER COLUMN level DROP NOT NULL;

-- The birth date, sealed; `birth_date` is emptied when it is.
ALTER TABLE users ADD COLUMN birth_date_sealed TEXT;

-- What start-up still has to seal, found without reading every row: these stay empty once it
-- has run (a new row is sealed before its transaction commits).
CREATE INDEX measures_plain_idx ON measures (id) WHERE sealed IS NULL;
CREATE INDEX risk_flags_plain_idx ON risk_flags (id) WHERE level_sealed IS NULL;
CREATE INDEX users_plain_birth_date_idx ON users (id) WHERE birth_date IS NOT NULL;
