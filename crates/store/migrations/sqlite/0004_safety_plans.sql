-- A client's safety plan, written with their clinician. `content` is sealed (clinical text).
CREATE TABLE safety_plans (
    client_id  INTEGER PRIMARY KEY REFERENCES users (id),
    content    TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users (id)
);
