-- How often a program expects a PHQ-9 + GAD-7 check-in (in weeks; before each session by default).
ALTER TABLE programs ADD COLUMN check_in_cadence_weeks INTEGER NOT NULL DEFAULT 1;
