-- Ambassador Bot schema, SQLite flavour: the dashboard's figures counted in the database. Keep in
-- step with ../postgres/0012_figures.sql.
-- Never edit a released migration: add a new numbered file instead.
-- The dashboard's participation page reads the median time to answer of each round off this index:
-- a round's answered check-ins in the order of their time to answer (the expression must stay the
-- one the store's query orders by).
CREATE INDEX checkins_answer_time
    ON checkins (round, status, (julianday(answered_at) - julianday(prompted_at)));

-- The participation page counts each round's check-ins per region, walking departments, their
-- ambassadors and their check-ins: this index holds every column it reads of a check-in.
CREATE INDEX checkins_person_figures ON checkins (person_id, round, status, closes_at, answered_at);
