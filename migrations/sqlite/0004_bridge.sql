-- Ambassador Bot schema, SQLite flavour: the bridge both ways (announcements from the program office,
-- acknowledged by ambassadors; the activity log of what ambassadors did). Keep in step with
-- ../postgres/0004_bridge.sql; same conventions as 0001_init.sql (instants are RFC 3339 text in UTC,
-- dates `YYYY-MM-DD` text).
-- Never edit a released migration: add a new numbered file instead.

-- An announcement as sent; `key` is unique (also the stem of its outbox keys), so a decision that
-- is applied twice creates it once.
CREATE TABLE announcements (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT    NOT NULL UNIQUE,
    author_id  INTEGER NOT NULL REFERENCES people (id),
    text       TEXT    NOT NULL,
    -- How the audience reads ("all ambassadors", a region, a department).
    audience   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

CREATE INDEX announcements_created_at ON announcements (created_at);

-- One recipient of an announcement and what they did with it.
CREATE TABLE announcement_recipients (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people (id),
    acked_at        TEXT,
    -- When they said they shared it with their department.
    shared_at       TEXT,
    reminded_at     TEXT,
    PRIMARY KEY (announcement_id, person_id)
);

-- One person's announcements (open_announcements).
CREATE INDEX announcement_recipients_person ON announcement_recipients (person_id);

-- What ambassadors did. `tags` are space-separated without `#` ('' when none), like kudos.tags;
-- `audience` is how many people it reached, when said.
CREATE TABLE activities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id   INTEGER NOT NULL REFERENCES people (id),
    text        TEXT    NOT NULL,
    tags        TEXT    NOT NULL DEFAULT '',
    audience    INTEGER CHECK (audience IS NULL OR audience >= 0),
    happened_on TEXT    NOT NULL,
    logged_at   TEXT    NOT NULL
);

CREATE INDEX activities_author_happened_on ON activities (author_id, happened_on);
CREATE INDEX activities_happened_on ON activities (happened_on);
