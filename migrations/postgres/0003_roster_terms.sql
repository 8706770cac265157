-- Ambassador Bot schema, PostgreSQL flavour: the roster entries whose term began or ended in a range
-- (the weekly digest's joiners and leavers) are found by index. Keep in step with
-- ../sqlite/0003_roster_terms.sql.
-- Never edit a released migration: add a new numbered file instead.

CREATE INDEX ambassadors_since ON ambassadors (since);
CREATE INDEX ambassadors_until ON ambassadors (until);
