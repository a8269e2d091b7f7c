-- The catalog, therapists and their licenses, weekly groups, seats, waitlists, calendars.
CREATE TABLE programs (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL
);

CREATE TABLE topics (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE topic_plan_weeks (
    topic TEXT NOT NULL REFERENCES topics (slug),
    week  INTEGER NOT NULL,
    title TEXT NOT NULL,
    focus TEXT NOT NULL,
    PRIMARY KEY (topic, week)
);

CREATE TABLE therapist_profiles (
    user_id           BIGINT PRIMARY KEY REFERENCES users (id),
    license_kind      TEXT NOT NULL,
    years_of_practice INTEGER NOT NULL CHECK (years_of_practice BETWEEN 0 AND 70),
    bio               TEXT NOT NULL
);

CREATE TABLE licenses (
    id           BIGSERIAL PRIMARY KEY,
    therapist_id BIGINT NOT NULL REFERENCES users (id),
    region       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL,
    expires_on   DATE NOT NULL,
    CONSTRAINT licenses_therapist_id_region_number_key UNIQUE (therapist_id, region, number)
);
CREATE INDEX licenses_therapist_idx ON licenses (therapist_id);

CREATE TABLE therapist_specialties (
    therapist_id BIGINT NOT NULL REFERENCES users (id),
    topic        TEXT NOT NULL REFERENCES topics (slug),
    PRIMARY KEY (therapist_id, topic)
);

CREATE TABLE groups (
    id               BIGSERIAL PRIMARY KEY,
    topic            TEXT NOT NULL REFERENCES topics (slug),
    therapist_id     BIGINT NOT NULL REFERENCES users (id),
    weekday          TEXT NOT NULL,
    local_time       TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    capacity         INTEGER NOT NULL CHECK (capacity BETWEEN 2 AND 50),
    age_band         TEXT NOT NULL CHECK (age_band IN ('adult', 'teen')),
    starts_on        DATE NOT NULL,
    ends_on          DATE,
    status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    -- Seats held: members plus open offers. The check makes overbooking impossible.
    seats_taken      INTEGER NOT NULL DEFAULT 0 CHECK (seats_taken >= 0 AND seats_taken <= capacity),
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX groups_topic_idx ON groups (topic);
CREATE INDEX groups_therapist_idx ON groups (therapist_id);

-- "Change the series from a date on": the slot in force from each date.
CREATE TABLE group_slot_changes (
    group_id         BIGINT NOT NULL REFERENCES groups (id),
    effective_from   DATE NOT NULL,
    weekday          TEXT NOT NULL,
    local_time       TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    PRIMARY KEY (group_id, effective_from)
);

-- One meeting cancelled or moved, keyed by its original local date.
CREATE TABLE occurrence_exceptions (
    group_id      BIGINT NOT NULL REFERENCES groups (id),
    original_date DATE NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('cancelled', 'moved')),
    moved_to      TIMESTAMPTZ,
    PRIMARY KEY (group_id, original_date)
);

CREATE TABLE memberships (
    id         BIGSERIAL PRIMARY KEY,
    group_id   BIGINT NOT NULL REFERENCES groups (id),
    client_id  BIGINT NOT NULL REFERENCES users (id),
    status     TEXT NOT NULL CHECK (status IN ('seated', 'left', 'switched')),
    joined_at  TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX memberships_group_id_client_id_key ON memberships (group_id, client_id) WHERE status = 'seated';
CREATE INDEX memberships_client_idx ON memberships (client_id);

CREATE TABLE waitlist_entries (
    id                BIGSERIAL PRIMARY KEY,
    group_id          BIGINT NOT NULL REFERENCES groups (id),
    client_id         BIGINT NOT NULL REFERENCES users (id),
    status            TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'accepted', 'declined', 'expired', 'withdrawn')),
    created_at        TIMESTAMPTZ NOT NULL,
    offered_at        TIMESTAMPTZ,
    offer_expires_at  TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    -- A switch: the seat this client keeps until the new one is confirmed.
    replaces_membership_id BIGINT REFERENCES memberships (id)
);
CREATE UNIQUE INDEX waitlist_entries_group_id_client_id_key ON waitlist_entries (group_id, client_id) WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_entries_queue_idx ON waitlist_entries (group_id, status, id);
CREATE INDEX waitlist_entries_expiry_idx ON waitlist_entries (status, offer_expires_at);

CREATE TABLE calendar_feeds (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL CONSTRAINT calendar_feeds_token_hash_key UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
