-- A client's treatment plan. `content` (goals, objectives, interventions) is sealed.
-- Any change clears both signatures: a plan is agreed as written.
CREATE TABLE treatment_plans (
    client_id           BIGINT PRIMARY KEY REFERENCES users (id),
    content             TEXT NOT NULL,
    target_instrument   TEXT NOT NULL CHECK (target_instrument IN ('phq9', 'gad7')),
    target_below        INTEGER NOT NULL,
    target_by           DATE NOT NULL,
    review_on           DATE NOT NULL,
    updated_by          BIGINT NOT NULL REFERENCES users (id),
    updated_at          TIMESTAMPTZ NOT NULL,
    client_signed_at    TIMESTAMPTZ,
    therapist_signed_by BIGINT REFERENCES users (id),
    therapist_signed_at TIMESTAMPTZ
);
