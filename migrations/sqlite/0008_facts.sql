-- Ambassador Bot schema, SQLite flavour: the facts the bot's statements to the office rest on — when
-- it first knew each ambassador, which yearly renewal asks it sent, and check-ins a pause took out of
-- their round. Keep in step with ../postgres/0008_facts.sql; same conventions as 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- When the bot first knew this roster entry (first start, import, add, approval): the inactivity
-- ladder never counts from before it. Existing entries: the first check-in prompt the bot sent them,
-- else now (the bot can only speak for what it has seen).
ALTER TABLE ambassadors ADD COLUMN known_since TEXT;

UPDATE ambassadors SET known_since = COALESCE(
    (SELECT MIN(c.prompted_at) FROM checkins c WHERE c.person_id = ambassadors.person_id),
    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));

-- A yearly renewal ask the bot sent: the term year that began on `anniversary`, asked at `asked_at`.
CREATE TABLE renewal_asks (
    person_id   INTEGER NOT NULL REFERENCES people (id),
    anniversary TEXT    NOT NULL,
    asked_at    TEXT    NOT NULL,
    PRIMARY KEY (person_id, anniversary)
);

-- The asks sent before this migration, from their outbox keys `renewal:<person>:<anniversary>:ask`.
INSERT INTO renewal_asks (person_id, anniversary, asked_at)
SELECT CAST(substr(rest, 1, instr(rest, ':') - 1) AS INTEGER),
       substr(rest, instr(rest, ':') + 1, 10),
       created_at
FROM (SELECT substr(key, 9) AS rest, created_at FROM outbox
      WHERE key LIKE 'renewal:%:ask') asks
WHERE CAST(substr(rest, 1, instr(rest, ':') - 1) AS INTEGER) IN (SELECT id FROM people)
ON CONFLICT (person_id, anniversary) DO NOTHING;

-- Check-ins gain the status `paused`: a pause that started while the round was open took the
-- ambassador out of it (no reminder, not missed). SQLite cannot change a CHECK constraint, so the
-- table is rebuilt (nothing references it).
CREATE TABLE checkins_new (
    round       TEXT    NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    status      TEXT    NOT NULL
                CHECK (status IN ('open', 'answered', 'skipped', 'missed', 'paused')),
    prompted_at TEXT    NOT NULL,
    closes_at   TEXT    NOT NULL,
    reminded_at TEXT,
    answer      TEXT    NOT NULL DEFAULT '',
    answered_at TEXT,
    flagged     INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    PRIMARY KEY (round, person_id)
);

INSERT INTO checkins_new (round, person_id, status, prompted_at, closes_at, reminded_at, answer,
                          answered_at, flagged)
SELECT round, person_id, status, prompted_at, closes_at, reminded_at, answer, answered_at, flagged
FROM checkins;

DROP TABLE checkins;
ALTER TABLE checkins_new RENAME TO checkins;

-- One person's check-ins, newest round first (current_checkin, checkins by person).
CREATE INDEX checkins_person_round ON checkins (person_id, round);
