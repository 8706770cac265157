-- Ambassador Bot schema, PostgreSQL flavour: the check-ins of each round counted per region as they
-- are written, for the dashboard's participation page. Keep in step with
-- ../sqlite/0013_checkin_tallies.sql.
-- Never edit a released migration: add a new numbered file instead.

-- How many check-ins of a round have a status, per region spelling of their ambassador's department
-- and per closing instant (the page shows when a round's last check-in closes). `timed` is true for
-- an answered check-in with its answer's instant. A check-in is counted while its person is on the
-- roster, in their department's region: the same join the live count made (check-ins, ambassadors,
-- departments). Rows that fall to zero stay and are skipped when read.
CREATE TABLE checkin_tallies (
    round      DATE        NOT NULL,
    region_key TEXT        NOT NULL,
    region     TEXT        NOT NULL,
    status     TEXT        NOT NULL,
    timed      BOOLEAN     NOT NULL,
    closes_at  TIMESTAMPTZ NOT NULL,
    n          INTEGER     NOT NULL,
    PRIMARY KEY (round, region_key, region, status, timed, closes_at)
);

INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
SELECT c.round, d.region_key, d.region, c.status,
       c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, COUNT(*)
FROM checkins c
JOIN ambassadors a ON a.person_id = c.person_id
JOIN departments d ON d.id = a.department_id
GROUP BY 1, 2, 3, 4, 5, 6;

-- Adds `sign` times the check-ins of `person` (all of them, or only `one_round`'s), counted in
-- `department`'s region as it is now (or as `region` / `region_key` when given).
CREATE FUNCTION checkin_tallies_add(person BIGINT, department BIGINT, one_round DATE, sign INTEGER,
                                    region_key_as TEXT, region_as TEXT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO checkin_tallies AS t (round, region_key, region, status, timed, closes_at, n)
    SELECT c.round, COALESCE(region_key_as, d.region_key), COALESCE(region_as, d.region), c.status,
           c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, sign * COUNT(*)
    FROM checkins c JOIN departments d ON d.id = department
    WHERE c.person_id = person AND (one_round IS NULL OR c.round = one_round)
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (round, region_key, region, status, timed, closes_at)
    DO UPDATE SET n = t.n + excluded.n;
$$;

-- The triggers keep the tallies equal to the live count whatever writes: a check-in written,
-- changed or deleted; an ambassador added, moved to another department or removed; a department
-- moved to another region or respelt.
CREATE FUNCTION checkin_tallies_checkin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO checkin_tallies AS t (round, region_key, region, status, timed, closes_at, n)
        SELECT OLD.round, d.region_key, d.region, OLD.status,
               OLD.status = 'answered' AND OLD.answered_at IS NOT NULL, OLD.closes_at, -1
        FROM ambassadors a JOIN departments d ON d.id = a.department_id
        WHERE a.person_id = OLD.person_id
        ON CONFLICT (round, region_key, region, status, timed, closes_at)
        DO UPDATE SET n = t.n + excluded.n;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO checkin_tallies AS t (round, region_key, region, status, timed, closes_at, n)
        SELECT NEW.round, d.region_key, d.region, NEW.status,
               NEW.status = 'answered' AND NEW.answered_at IS NOT NULL, NEW.closes_at, 1
        FROM ambassadors a JOIN departments d ON d.id = a.department_id
        WHERE a.person_id = NEW.person_id
        ON CONFLICT (round, region_key, region, status, timed, closes_at)
        DO UPDATE SET n = t.n + excluded.n;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION checkin_tallies_ambassador() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM checkin_tallies_add(OLD.person_id, OLD.department_id, NULL, -1, NULL, NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM checkin_tallies_add(NEW.person_id, NEW.department_id, NULL, 1, NULL, NULL);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION checkin_tallies_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM checkin_tallies_add(a.person_id, OLD.id, NULL, -1, OLD.region_key, OLD.region),
            checkin_tallies_add(a.person_id, NEW.id, NULL, 1, NEW.region_key, NEW.region)
    FROM ambassadors a WHERE a.department_id = OLD.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER checkin_tallies_checkin_added AFTER INSERT ON checkins
FOR EACH ROW EXECUTE FUNCTION checkin_tallies_checkin();

CREATE TRIGGER checkin_tallies_checkin_changed
AFTER UPDATE OF round, person_id, status, closes_at, answered_at ON checkins
FOR EACH ROW EXECUTE FUNCTION checkin_tallies_checkin();

CREATE TRIGGER checkin_tallies_checkin_deleted AFTER DELETE ON checkins
FOR EACH ROW EXECUTE FUNCTION checkin_tallies_checkin();

CREATE TRIGGER checkin_tallies_ambassador_added AFTER INSERT ON ambassadors
FOR EACH ROW EXECUTE FUNCTION checkin_tallies_ambassador();

CREATE TRIGGER checkin_tallies_ambassador_moved
AFTER UPDATE OF person_id, department_id ON ambassadors
FOR EACH ROW WHEN (OLD.person_id <> NEW.person_id OR OLD.department_id <> NEW.department_id)
EXECUTE FUNCTION checkin_tallies_ambassador();

CREATE TRIGGER checkin_tallies_ambassador_removed AFTER DELETE ON ambassadors
FOR EACH ROW EXECUTE FUNCTION checkin_tallies_ambassador();

CREATE TRIGGER checkin_tallies_department_moved
AFTER UPDATE OF region, region_key ON departments
FOR EACH ROW WHEN (OLD.region <> NEW.region OR OLD.region_key <> NEW.region_key)
EXECUTE FUNCTION checkin_tallies_department();

-- The live count's covering index is no longer read.
DROP INDEX IF EXISTS checkins_person_figures;

-- A person's latest answer, found by one seek: the quiet ambassadors (`last_active`) look for an
-- answer after an instant, or for the latest one.
CREATE INDEX checkins_person_answered ON checkins (person_id, answered_at);

-- PostgreSQL only (storage settings; SQLite has none): vacuum kudos and their receivers after every
-- 1% of new rows rather than PostgreSQL's 20%, so the recent weeks the dashboard counts are marked
-- all-visible soon after they are written and their indexes can be read without visiting every row.
ALTER TABLE kudos SET (autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE kudos_receivers SET (autovacuum_vacuum_insert_scale_factor = 0.01);
