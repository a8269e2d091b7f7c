-- Notes the care team keeps about a client (sealed: clinical free text).
CREATE TABLE care_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id  INTEGER NOT NULL REFERENCES users (id),
    author_id  INTEGER NOT NULL REFERENCES users (id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX care_notes_client_idx ON care_notes (client_id, created_at);
