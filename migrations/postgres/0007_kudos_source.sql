-- Ambassador Bot schema, PostgreSQL flavour: where a kudos came from, so that undoing the gesture
-- (removing the kudos reaction) takes that kudos back. Keep in step with
-- ../sqlite/0007_kudos_source.sql; same conventions as 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- `source` names the gesture that gave the kudos, e.g. `slack:reaction:<channel>:<ts>`; NULL for
-- `/kudos` commands and for kudos older than this migration. One giver gives one kudos per source,
-- so a reaction added twice counts once.
ALTER TABLE kudos ADD COLUMN source TEXT;

CREATE UNIQUE INDEX kudos_giver_source ON kudos (giver_id, source) WHERE source IS NOT NULL;
