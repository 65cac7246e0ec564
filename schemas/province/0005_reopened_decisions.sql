-- A decision on a conflict the DBA took back (`ledgerline conflicts reopen`): the
-- decision as conflict_decisions held it, moved here, with who reopened it, when and why.
-- The conflict is open again, to be settled anew. A value the decision had taken was
-- given back by a correction (reason "conflict C… reopened: …"), which exchange packages
-- carry like any other, so the national database gives it back too.
CREATE TABLE reopened_decisions (
    conflict_id VARCHAR NOT NULL,
    load_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    database_value VARCHAR,
    incoming_value VARCHAR,
    source_key VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,
    decided_by VARCHAR NOT NULL,
    note VARCHAR,
    decided_at TIMESTAMP NOT NULL,
    reopened_by VARCHAR NOT NULL,
    reopen_note VARCHAR NOT NULL,
    reopened_at TIMESTAMP NOT NULL
);

-- conflict_decisions without its primary key: a decision reopened is deleted from it,
-- and DuckDB deletes rows of a table with a primary key through its index, one by one
-- (200,000 decisions took 15 s, without the key 0.1 s). A conflict has at most one
-- decision at a time all the same: a decision is made or reopened only under the
-- database's exclusive lock, of a conflict found open (or settled).
CREATE TABLE conflict_decisions_v5 (
    conflict_id VARCHAR NOT NULL,
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
INSERT INTO conflict_decisions_v5 SELECT * FROM conflict_decisions;
DROP TABLE conflict_decisions;
ALTER TABLE conflict_decisions_v5 RENAME TO conflict_decisions;
