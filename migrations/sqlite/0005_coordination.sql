-- Ambassador Bot schema, SQLite flavour: coordination between replicas that share one database
-- (leases, such as the one that lets a single replica run the Matrix sync; inbound events already
-- handled, so a retried delivery that reaches another replica is still dropped). Keep in step with
-- ../postgres/0005_coordination.sql; same conventions as 0001_init.sql (instants are RFC 3339 text
-- in UTC, so text order is time order).
-- Never edit a released migration: add a new numbered file instead.

-- A named lease: `holder` has it until `expires_at`, then anyone may take it over.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Inbound event keys seen (e.g. Slack's `event_id`), with when; rows older than a day are deleted
-- now and then.
CREATE TABLE seen_events (
    key     TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);

CREATE INDEX seen_events_seen_at ON seen_events (seen_at);
