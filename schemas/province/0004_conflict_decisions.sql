-- A conflict a load noted, settled by the DBA (`ledgerline conflicts resolve`): the
-- database's value kept, or replaced by the incoming one. The conflict's own columns are
-- copied, so the decision still says what was decided after `unload` took the load's
-- conflicts out. `conflict_id` is the id `ledgerline conflicts list` shows: the first
-- 16 hex digits of the SHA-256 of the load, the record and the field, after a `C`.
CREATE TABLE conflict_decisions (
    conflict_id VARCHAR PRIMARY KEY,
    load_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    database_value VARCHAR,
    incoming_value VARCHAR,
    source_key VARCHAR NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('kept', 'replaced')),
    decided_by VARCHAR NOT NULL,
    note VARCHAR,
    decided_at TIMESTAMP NOT NULL
);

-- A value of a person's row changed after the row was loaded: by a DBA's decision here,
-- or by one an exchange package carried from the province that made it. Packages carry
-- the corrections made after their `since` (a person's row already exchanged is not sent
-- again), and a database applies, for each person and column, the latest correction it
-- holds, whatever order the packages came in.
CREATE TABLE corrections (
    person_id VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,          -- a column of deceased
    previous_value VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL,               -- e.g. conflict C… of load L…
    corrected_by VARCHAR NOT NULL,
    corrected_at TIMESTAMP NOT NULL
);
CREATE INDEX corrections_person ON corrections (person_id);
