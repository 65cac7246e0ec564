-- One row per `ledgerline dedupe` run: what it linked, with which model.
CREATE TABLE dedupe_runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    scope VARCHAR NOT NULL,                -- "all" or "batch:<id>"
    settings VARCHAR NOT NULL,             -- JSON
    stats VARCHAR NOT NULL,                -- JSON
    model VARCHAR NOT NULL                 -- JSON: lambda, m and u per field level
);

-- Scored pairs worth keeping: auto-linked, for review, or refused by the ID guard.
-- `status` is the human decision (open | same | different); a decided pair keeps its
-- decision across reruns, and later runs obey it.
CREATE TABLE match_pairs (
    record_a VARCHAR NOT NULL,
    record_b VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL,             -- linked | review | refused
    match_weight DOUBLE NOT NULL,
    match_probability DOUBLE NOT NULL,
    explanation VARCHAR NOT NULL,          -- JSON: per-field comparison and weight
    status VARCHAR NOT NULL DEFAULT 'open',
    decided_by VARCHAR,
    decided_at TIMESTAMP,
    PRIMARY KEY (record_a, record_b)
);

-- Every person id created, merged or split, in order: the history behind person_id.
CREATE TABLE person_events (
    run_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    event VARCHAR NOT NULL,                -- created | merged | split
    person_id VARCHAR NOT NULL,            -- the created id, the surviving id, the new id
    other_person_id VARCHAR,               -- the merged-away id, the id split from
    records INTEGER,
    happened_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, seq)
);
