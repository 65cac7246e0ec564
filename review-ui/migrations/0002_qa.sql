-- Batch acceptance sampling (ISO 2859-1, see ledgerline_load::sampling): the plan a
-- batch is inspected under and each sampled record's outcome. A batch whose sample
-- fails goes back to review; a later attempt draws a new sample.
CREATE TABLE qa_plans (
    batch_id TEXT PRIMARY KEY,
    attempt INTEGER NOT NULL,
    aql REAL NOT NULL,
    lot_size INTEGER NOT NULL,
    code_letter TEXT NOT NULL,
    plan_letter TEXT NOT NULL,
    sample_size INTEGER NOT NULL,
    accept INTEGER NOT NULL,
    reject INTEGER NOT NULL,
    verdict TEXT NOT NULL DEFAULT 'pending',   -- pending | pass | fail
    started_at INTEGER NOT NULL,
    started_by TEXT NOT NULL,
    decided_at INTEGER
);

CREATE TABLE qa_samples (
    batch_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    outcome TEXT,                              -- NULL (waiting) | conforming | nonconforming
    inspected_by TEXT,
    inspected_at INTEGER,
    PRIMARY KEY (batch_id, attempt, record_id)
);
