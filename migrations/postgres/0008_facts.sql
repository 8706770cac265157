-- Ambassador Bot schema, PostgreSQL flavour: the facts the bot's statements to the office rest on —
-- when it first knew each ambassador, which yearly renewal asks it sent, and check-ins a pause took
-- out of their round. Keep in step with ../sqlite/0008_facts.sql; same conventions as 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- When the bot first knew this roster entry (first start, import, add, approval): the inactivity
-- ladder never counts from before it. Existing entries: the first check-in prompt the bot sent them,
-- else now (the bot can only speak for what it has seen).
ALTER TABLE ambassadors ADD COLUMN known_since TIMESTAMPTZ;

UPDATE ambassadors SET known_since = COALESCE(
    (SELECT MIN(c.prompted_at) FROM checkins c WHERE c.person_id = ambassadors.person_id),
    now());

-- A yearly renewal ask the bot sent: the term year that began on `anniversary`, asked at `asked_at`.
CREATE TABLE renewal_asks (
    person_id   BIGINT      NOT NULL REFERENCES people (id),
    anniversary DATE        NOT NULL,
    asked_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (person_id, anniversary)
);

-- The asks sent before this migration, from their outbox keys `renewal:<person>:<anniversary>:ask`.
INSERT INTO renewal_asks (person_id, anniversary, asked_at)
SELECT p.id, a.anniversary, a.created_at
FROM (SELECT split_part(key, ':', 2)::BIGINT AS person_id,
             split_part(key, ':', 3)::DATE AS anniversary, created_at
      FROM outbox
      WHERE key ~ '^renewal:[0-9]{1,18}:[0-9]{4}-[0-9]{2}-[0-9]{2}:ask$'
      OFFSET 0) a -- OFFSET 0: only keys of that form are cast
JOIN people p ON p.id = a.person_id
ON CONFLICT (person_id, anniversary) DO NOTHING;

-- Check-ins gain the status `paused`: a pause that started while the round was open took the
-- ambassador out of it (no reminder, not missed).
ALTER TABLE checkins DROP CONSTRAINT checkins_status_check;
ALTER TABLE checkins ADD CONSTRAINT checkins_status_check
    CHECK (status IN ('open', 'answered', 'skipped', 'missed', 'paused'));
