-- Ambassador Bot schema, PostgreSQL flavour: whether a person chose their time zone themselves.
-- Keep in step with ../sqlite/0009_time_zone_choice.sql; same conventions as 0001_init.sql.
-- Never edit a released migration: add a new numbered file instead.

-- true when the person set `time_zone` themselves (`ambassadors timezone`, the application): a zone
-- from elsewhere (a platform profile, an import) then no longer replaces it. false for zones taken
-- from a profile or an import, and for every zone older than this migration.
ALTER TABLE people ADD COLUMN time_zone_chosen BOOLEAN NOT NULL DEFAULT false;
