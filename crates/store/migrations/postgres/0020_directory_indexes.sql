-- Lists by role (the staff pages, counts of clients, the client directory, which pages by
-- display name then id) read this index in order instead of sorting the whole users table;
-- a client's waitlist places (the care queue's "not yet placed", the directory, a client's
-- own groups) are found by client instead of scanning every waitlist entry.
CREATE INDEX users_role_name_idx ON users (role, display_name, id);
CREATE INDEX waitlist_entries_client_idx ON waitlist_entries (client_id, status);
-- A client's first and latest score of each instrument (the score trends on the therapist's
-- groups page) come from this index, not from sorting every check-in.
CREATE INDEX measures_client_instrument_idx ON measures (client_id, instrument, taken_at);
