-- Ambassador Bot schema, SQLite flavour: signing in to the web dashboard from chat. Keep in step
-- with ../postgres/0011_dashboard.sql; same conventions as 0001_init.sql (instants are RFC 3339
-- text in UTC, so text order is time order).
-- Never edit a released migration: add a new numbered file instead.

-- A one-time sign-in link sent by direct message: only the SHA-256 of its token is kept. Used once
-- (`used_at`), valid until `expires_at`.
CREATE TABLE sign_in_links (
    token_hash TEXT    PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT
);

-- A dashboard session started by a link: only the SHA-256 of its cookie's token is kept. It ends
-- when its person signs out (the row is deleted) or stays unused for the idle limit.
CREATE TABLE dashboard_sessions (
    token_hash   TEXT    PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people (id),
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL
);
