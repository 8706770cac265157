-- Ambassador Bot schema, SQLite flavour: requests, what ambassadors need from the program office,
-- and their short threads. Keep in step with ../postgres/0010_requests.sql; same conventions as
-- 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- A request from a check-in answer (`round` set) or `ambassadors ask` (`round` NULL). The
-- department and region are the ambassador's when they asked, kept when they move. An ambassador
-- has at most one request per round (NULL rounds are distinct, so any number of asks).
CREATE TABLE requests (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    ambassador_id     INTEGER NOT NULL REFERENCES people (id),
    department        TEXT    NOT NULL,
    region            TEXT    NOT NULL,
    round             TEXT,
    text              TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'new'
                      CHECK (status IN ('new', 'acknowledged', 'in-progress', 'done', 'declined')),
    owner_id          INTEGER REFERENCES people (id),
    created_at        TEXT    NOT NULL,
    first_answer_at   TEXT,
    closed_at         TEXT,
    note              TEXT,
    overdue_listed_at TEXT,
    UNIQUE (ambassador_id, round)
);

-- The filters: one ambassador's, open ones.
CREATE INDEX requests_ambassador_status ON requests (ambassador_id, status);
CREATE INDEX requests_status ON requests (status);

-- Labels: `#tags` from the text and the office's own, lowercase, without `#`.
CREATE TABLE request_labels (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    label      TEXT    NOT NULL,
    PRIMARY KEY (request_id, label)
);

CREATE INDEX request_labels_label ON request_labels (label);

-- A request's thread, private to the ambassador and the office.
CREATE TABLE request_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author_id   INTEGER NOT NULL REFERENCES people (id),
    from_office INTEGER NOT NULL CHECK (from_office IN (0, 1)),
    text        TEXT    NOT NULL,
    at          TEXT    NOT NULL
);

CREATE INDEX request_messages_request ON request_messages (request_id, at);
