-- Ambassador Bot schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.
--
-- Conventions shared with PostgreSQL:
--   * ids are 64-bit integers;
--   * instants are RFC 3339 text in UTC (`2024-05-01T09:30:00+00:00`, optional fraction), the form
--     sqlx writes for chrono::DateTime<Utc>, so text order is time order;
--   * dates are `YYYY-MM-DD` text;
--   * `*_key` columns hold ambassador_core::name_key of the matching name, computed in Rust.

CREATE TABLE people (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    time_zone    TEXT,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (platform, external_id)
);

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL UNIQUE,
    region     TEXT    NOT NULL,
    region_key TEXT    NOT NULL,
    headcount  INTEGER CHECK (headcount IS NULL OR headcount >= 0),
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

CREATE INDEX departments_region_key ON departments (region_key);

CREATE TABLE ambassadors (
    person_id     INTEGER PRIMARY KEY REFERENCES people (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    status        TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'alumni')),
    since         TEXT    NOT NULL,
    until         TEXT,
    time_zone     TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

CREATE INDEX ambassadors_department_status ON ambassadors (department_id, status);

CREATE TABLE kudos (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    giver_id INTEGER NOT NULL REFERENCES people (id),
    reason   TEXT    NOT NULL,
    tags     TEXT    NOT NULL DEFAULT '',
    room     TEXT    NOT NULL,
    given_at TEXT    NOT NULL
);

CREATE INDEX kudos_giver_given_at ON kudos (giver_id, given_at);
CREATE INDEX kudos_given_at ON kudos (given_at);

CREATE TABLE kudos_receivers (
    kudos_id  INTEGER NOT NULL REFERENCES kudos (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (kudos_id, person_id)
);

CREATE INDEX kudos_receivers_person ON kudos_receivers (person_id);
