-- Ambassador Bot schema, SQLite flavour: the check-ins of each round counted per region as they are
-- written, for the dashboard's participation page. Keep in step with
-- ../postgres/0013_checkin_tallies.sql.
-- Never edit a released migration: add a new numbered file instead.

-- How many check-ins of a round have a status, per region spelling of their ambassador's department
-- and per closing instant (the page shows when a round's last check-in closes). `timed` is 1 for an
-- answered check-in with its answer's instant. A check-in is counted while its person is on the
-- roster, in their department's region: the same join the live count made (check-ins, ambassadors,
-- departments). Rows that fall to zero stay and are skipped when read.
CREATE TABLE checkin_tallies (
    round      TEXT    NOT NULL,
    region_key TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    timed      INTEGER NOT NULL,
    closes_at  TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (round, region_key, region, status, timed, closes_at)
);

INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
SELECT c.round, d.region_key, d.region, c.status,
       c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, COUNT(*)
FROM checkins c
JOIN ambassadors a ON a.person_id = c.person_id
JOIN departments d ON d.id = a.department_id
GROUP BY 1, 2, 3, 4, 5, 6;

-- The triggers keep the tallies equal to the live count whatever writes: a check-in written,
-- changed or deleted; an ambassador added, moved to another department or removed; a department
-- moved to another region or respelt.
CREATE TRIGGER checkin_tallies_checkin_added AFTER INSERT ON checkins BEGIN
    INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
    SELECT NEW.round, d.region_key, d.region, NEW.status,
           NEW.status = 'answered' AND NEW.answered_at IS NOT NULL, NEW.closes_at, 1
    FROM ambassadors a JOIN departments d ON d.id = a.department_id
    WHERE a.person_id = NEW.person_id
    ON CONFLICT (round, region_key, region, status, timed, closes_at) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER checkin_tallies_checkin_changed
AFTER UPDATE OF round, person_id, status, closes_at, answered_at ON checkins BEGIN
    UPDATE checkin_tallies SET n = n - 1
    WHERE (round, region_key, region, status, timed, closes_at) IN (
        SELECT OLD.round, d.region_key, d.region, OLD.status,
               OLD.status = 'answered' AND OLD.answered_at IS NOT NULL, OLD.closes_at
        FROM ambassadors a JOIN departments d ON d.id = a.department_id
        WHERE a.person_id = OLD.person_id);
    INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
    SELECT NEW.round, d.region_key, d.region, NEW.status,
           NEW.status = 'answered' AND NEW.answered_at IS NOT NULL, NEW.closes_at, 1
    FROM ambassadors a JOIN departments d ON d.id = a.department_id
    WHERE a.person_id = NEW.person_id
    ON CONFLICT (round, region_key, region, status, timed, closes_at) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER checkin_tallies_checkin_deleted AFTER DELETE ON checkins BEGIN
    UPDATE checkin_tallies SET n = n - 1
    WHERE (round, region_key, region, status, timed, closes_at) IN (
        SELECT OLD.round, d.region_key, d.region, OLD.status,
               OLD.status = 'answered' AND OLD.answered_at IS NOT NULL, OLD.closes_at
        FROM ambassadors a JOIN departments d ON d.id = a.department_id
        WHERE a.person_id = OLD.person_id);
END;

CREATE TRIGGER checkin_tallies_ambassador_added AFTER INSERT ON ambassadors BEGIN
    INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
    SELECT c.round, d.region_key, d.region, c.status,
           c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, COUNT(*)
    FROM checkins c JOIN departments d ON d.id = NEW.department_id
    WHERE c.person_id = NEW.person_id
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (round, region_key, region, status, timed, closes_at) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER checkin_tallies_ambassador_moved
AFTER UPDATE OF person_id, department_id ON ambassadors
WHEN OLD.person_id <> NEW.person_id OR OLD.department_id <> NEW.department_id BEGIN
    UPDATE checkin_tallies SET n = checkin_tallies.n - g.n
    FROM (SELECT c.round, d.region_key, d.region, c.status,
                 c.status = 'answered' AND c.answered_at IS NOT NULL AS timed, c.closes_at,
                 COUNT(*) AS n
          FROM checkins c JOIN departments d ON d.id = OLD.department_id
          WHERE c.person_id = OLD.person_id
          GROUP BY 1, 2, 3, 4, 5, 6) g
    WHERE checkin_tallies.round = g.round AND checkin_tallies.region_key = g.region_key
      AND checkin_tallies.region = g.region AND checkin_tallies.status = g.status
      AND checkin_tallies.timed = g.timed AND checkin_tallies.closes_at = g.closes_at;
    INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
    SELECT c.round, d.region_key, d.region, c.status,
           c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, COUNT(*)
    FROM checkins c JOIN departments d ON d.id = NEW.department_id
    WHERE c.person_id = NEW.person_id
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (round, region_key, region, status, timed, closes_at) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER checkin_tallies_ambassador_removed AFTER DELETE ON ambassadors BEGIN
    UPDATE checkin_tallies SET n = checkin_tallies.n - g.n
    FROM (SELECT c.round, d.region_key, d.region, c.status,
                 c.status = 'answered' AND c.answered_at IS NOT NULL AS timed, c.closes_at,
                 COUNT(*) AS n
          FROM checkins c JOIN departments d ON d.id = OLD.department_id
          WHERE c.person_id = OLD.person_id
          GROUP BY 1, 2, 3, 4, 5, 6) g
    WHERE checkin_tallies.round = g.round AND checkin_tallies.region_key = g.region_key
      AND checkin_tallies.region = g.region AND checkin_tallies.status = g.status
      AND checkin_tallies.timed = g.timed AND checkin_tallies.closes_at = g.closes_at;
END;

CREATE TRIGGER checkin_tallies_department_moved
AFTER UPDATE OF region, region_key ON departments
WHEN OLD.region <> NEW.region OR OLD.region_key <> NEW.region_key BEGIN
    UPDATE checkin_tallies SET n = checkin_tallies.n - g.n
    FROM (SELECT c.round, c.status,
                 c.status = 'answered' AND c.answered_at IS NOT NULL AS timed, c.closes_at,
                 COUNT(*) AS n
          FROM ambassadors a JOIN checkins c ON c.person_id = a.person_id
          WHERE a.department_id = OLD.id
          GROUP BY 1, 2, 3, 4) g
    WHERE checkin_tallies.round = g.round AND checkin_tallies.region_key = OLD.region_key
      AND checkin_tallies.region = OLD.region AND checkin_tallies.status = g.status
      AND checkin_tallies.timed = g.timed AND checkin_tallies.closes_at = g.closes_at;
    INSERT INTO checkin_tallies (round, region_key, region, status, timed, closes_at, n)
    SELECT c.round, NEW.region_key, NEW.region, c.status,
           c.status = 'answered' AND c.answered_at IS NOT NULL, c.closes_at, COUNT(*)
    FROM ambassadors a JOIN checkins c ON c.person_id = a.person_id
    WHERE a.department_id = NEW.id
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (round, region_key, region, status, timed, closes_at) DO UPDATE SET n = n + excluded.n;
END;

-- The live count's covering index is no longer read.
DROP INDEX IF EXISTS checkins_person_figures;

-- A person's latest answer, found by one seek: the quiet ambassadors (`last_active`) look for an
-- answer after an instant, or for the latest one.
CREATE INDEX checkins_person_answered ON checkins (person_id, answered_at);
