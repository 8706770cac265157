-- Ambassador Bot schema, SQLite flavour: the program's rhythm (check-ins, scheduler, outbox, digest
-- snapshots). Keep in step with ../postgres/0002_rhythm.sql; same conventions as 0001_init.sql
-- (instants are RFC 3339 text in UTC, dates `YYYY-MM-DD` text, booleans 0/1).
-- Never edit a released migration: add a new numbered file instead.

-- No check-in prompts up to and including this day (vacation); NULL: not paused.
ALTER TABLE ambassadors ADD COLUMN checkins_paused_until TEXT;

-- One ambassador's part in one round; a round is named by the local date its prompts go out on.
-- Check-ins belong to the person, not to the roster entry: they outlive a removed entry.
CREATE TABLE checkins (
    round       TEXT    NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    status      TEXT    NOT NULL CHECK (status IN ('open', 'answered', 'skipped', 'missed')),
    prompted_at TEXT    NOT NULL,
    closes_at   TEXT    NOT NULL,
    reminded_at TEXT,
    answer      TEXT    NOT NULL DEFAULT '',
    answered_at TEXT,
    flagged     INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    PRIMARY KEY (round, person_id)
);

-- One person's check-ins, newest round first (current_checkin, checkins by person).
CREATE INDEX checkins_person_round ON checkins (person_id, round);

-- Scheduled occurrences claimed once: the primary key is the claim.
CREATE TABLE job_runs (
    job        TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('done', 'skipped')),
    ran_at     TEXT NOT NULL,
    PRIMARY KEY (job, occurrence)
);

CREATE INDEX job_runs_occurrence ON job_runs (occurrence);

-- Up to when the scheduler has looked at each job.
CREATE TABLE scheduler_cursors (
    job           TEXT PRIMARY KEY,
    checked_until TEXT NOT NULL
);

-- Coverage as each digest saw it.
CREATE TABLE digest_snapshots (
    occurrence          TEXT    PRIMARY KEY,
    departments_covered INTEGER NOT NULL CHECK (departments_covered >= 0),
    departments_total   INTEGER NOT NULL CHECK (departments_total >= 0)
);

-- Messages on their way out. `destination` and `message` are JSON text (serde of
-- ambassador_core's Destination and Message); `platform` is the destination's, for claiming.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT    NOT NULL UNIQUE,
    platform        TEXT    NOT NULL,
    destination     TEXT    NOT NULL,
    message         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT    NOT NULL,
    -- A dispatcher holds the item until then; NULL: nobody does.
    locked_until    TEXT,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT,
    -- When it was given up on (status failed).
    failed_at       TEXT
);

-- The claim: due pending items of some platforms, in order.
CREATE INDEX outbox_claim ON outbox (status, platform, next_attempt_at);
-- Listing by status oldest first, and the oldest pending item.
CREATE INDEX outbox_status_created ON outbox (status, created_at);
