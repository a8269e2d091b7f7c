-- A client's safety plan, written with their clinician. `content` is sealed (clinical text).
CREATE TABLE safety_plans (
    client_id  BIGINT PRIMARY KEY REFERENCES users (id),
    content    TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id)
);
