-- A client's treatment plan. `content` (goals, objectives, interventions) is sealed.
-- Any change clears both signatures: a plan is agreed as written.
CREATE TABLE treatment_plans (
    client_id           INTEGER PRIMARY KEY REFERENCES users (id),
    content             TEXT NOT NULL,
    target_instrument   TEXT NOT NULL CHECK (target_instrument IN ('phq9', 'gad7')),
    target_below        INTEGER NOT NULL,
    target_by           TEXT NOT NULL,
    review_on           TEXT NOT NULL,
    updated_by          INTEGER NOT NULL REFERENCES users (id),
    updated_at          TEXT NOT NULL,
    client_signed_at    TEXT,
    therapist_signed_by INTEGER REFERENCES users (id),
    therapist_signed_at TEXT
);
