-- Ambassador Bot schema, SQLite flavour: the ambassador's lifecycle (applications, nominations,
-- terms, misuse reports, opt-outs, managers, renewals). Keep in step with
-- ../postgres/0006_lifecycle.sql; same conventions as 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- An application to become an ambassador. `answers` is a JSON array of strings, one per question
-- ('' while unanswered). A person has at most one draft or open application.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     INTEGER      NOT NULL REFERENCES people (id),
    status        TEXT        NOT NULL
                  CHECK (status IN ('draft', 'open', 'approved', 'declined', 'withdrawn')),
    answers       TEXT        NOT NULL,
    department_id INTEGER      REFERENCES departments (id) ON DELETE SET NULL,
    created_at    TEXT        NOT NULL,
    submitted_at  TEXT       ,
    decided_at    TEXT       ,
    reason        TEXT
);

CREATE UNIQUE INDEX applications_one_pending ON applications (person_id)
    WHERE status IN ('draft', 'open');
CREATE INDEX applications_status ON applications (status);

CREATE TABLE nominations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    nominee_id   INTEGER      NOT NULL REFERENCES people (id),
    nominator_id INTEGER      NOT NULL REFERENCES people (id),
    reason       TEXT        NOT NULL,
    created_at   TEXT        NOT NULL,
    closed_at    TEXT       
);

CREATE UNIQUE INDEX nominations_one_open ON nominations (nominee_id, nominator_id)
    WHERE closed_at IS NULL;

-- Every term on the roster; the open one has no `until`.
CREATE TABLE ambassador_terms (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id     INTEGER NOT NULL REFERENCES people (id),
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    -- The department's name when the term was recorded, kept if the department goes away.
    department    TEXT   NOT NULL,
    region        TEXT   NOT NULL,
    since         TEXT   NOT NULL,
    until         TEXT
);

CREATE INDEX ambassador_terms_person ON ambassador_terms (person_id, since);

INSERT INTO ambassador_terms (person_id, department_id, department, region, since, until)
SELECT a.person_id, a.department_id, d.name, d.region, a.since, a.until
FROM ambassadors a JOIN departments d ON d.id = a.department_id;

-- Private reports of misuse of the ambassador title.
CREATE TABLE misuse_reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id    INTEGER      NOT NULL REFERENCES people (id),
    subject_id     INTEGER      NOT NULL REFERENCES people (id),
    text           TEXT        NOT NULL,
    created_at     TEXT        NOT NULL,
    resolved_at    TEXT       ,
    resolved_by_id INTEGER      REFERENCES people (id),
    resolution     TEXT
);

CREATE TABLE kudos_optouts (
    person_id INTEGER PRIMARY KEY REFERENCES people (id)
);

CREATE TABLE managers (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id),
    manager_id INTEGER NOT NULL REFERENCES people (id)
);

-- A confirmed yearly renewal: the term year that began on `anniversary` goes on.
CREATE TABLE renewals (
    person_id    INTEGER      NOT NULL REFERENCES people (id),
    anniversary  TEXT        NOT NULL,
    confirmed_at TEXT        NOT NULL,
    PRIMARY KEY (person_id, anniversary)
);
