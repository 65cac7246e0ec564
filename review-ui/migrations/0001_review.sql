-- The review journal: everything the review server owns. SQLite in WAL mode, because
-- requests need millisecond point reads and writes while batch CLI runs hold the DuckDB
-- workspace (see ARCHITECTURE.md, "The review journal").

-- Who this journal is, so the DuckDB workspace can tell which journal it applied up to.
CREATE TABLE journal_identity (journal_id TEXT NOT NULL);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,           -- argon2id, PHC string
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,                  -- unix seconds
    created_at INTEGER NOT NULL
);

-- Sessions by the SHA-256 of their token: a leaked database holds no usable cookie.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Batch figures, refreshed from the workspace at every intake.
CREATE TABLE batches (
    batch_id TEXT PRIMARY KEY,
    agency_name TEXT NOT NULL,
    ledger_type TEXT NOT NULL,
    pages INTEGER NOT NULL,
    records INTEGER NOT NULL,
    machine INTEGER NOT NULL,
    needs_review INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    refreshed_at INTEGER NOT NULL
);

-- Pages reviewers look at: image file, size, status (needs_keying pages are work items).
CREATE TABLE pages (
    page_id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    path TEXT NOT NULL,
    frame INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    ledger_type TEXT
);

CREATE TABLE cells (
    page_id TEXT NOT NULL,
    row_no INTEGER NOT NULL,
    col_no INTEGER NOT NULL,
    x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,
    field TEXT,
    PRIMARY KEY (page_id, row_no, col_no)
);

-- Records under review, in schema form. `version` counts saves (0 = as the machine read
-- it); `machine` keeps the machine's reading for the audit trail and for comparison.
CREATE TABLE records (
    record_id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL,
    page_id TEXT NOT NULL,
    row_no INTEGER NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    machine TEXT NOT NULL,
    updated_at INTEGER,
    updated_by TEXT
);
CREATE INDEX records_page ON records(page_id, row_no);

CREATE TABLE pairs (
    record_a TEXT NOT NULL,
    record_b TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    match_weight REAL NOT NULL,
    match_probability REAL NOT NULL,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',   -- open | same | different
    decided_by TEXT,
    decided_at INTEGER,
    PRIMARY KEY (record_a, record_b)
);

-- The queue. kind: record | pair | page. An item is leased to one person until
-- lease_until; an abandoned lease simply expires. `second_review` items were changed
-- heavily and wait for someone other than `last_by` with a reviewer's role.
CREATE TABLE items (
    item_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',    -- open | done
    second_review INTEGER NOT NULL DEFAULT 0,
    last_by TEXT,
    leased_by TEXT,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    done_by TEXT
);
-- The queue order, so "next" walks the index and stops at the first free item.
CREATE INDEX items_queue ON items(state, second_review DESC, kind DESC, batch_id, sort_key);
CREATE INDEX items_lease ON items(leased_by);
CREATE INDEX items_batch ON items(batch_id, state, kind);

-- "Skip" puts an item behind the rest for the one who skipped it, not for everyone.
CREATE TABLE skips (
    username TEXT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (username, item_id)
);

-- Every value ever entered: who, when, before, after. Append-only (triggers below) and
-- hash-chained: each row's hash covers the previous row's hash and its own content.
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    username TEXT NOT NULL,
    action TEXT NOT NULL,                  -- accept | correct | reject | key | same | different | merge
    record_id TEXT NOT NULL,
    field TEXT,
    before TEXT,
    after TEXT,
    version INTEGER,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_record ON audit(record_id, seq);
CREATE INDEX audit_day ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Changes waiting to be applied to the DuckDB workspace, in order. The workspace records
-- the last sequence number it applied, in the same transaction as the changes.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,                    -- record | pair
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    at INTEGER NOT NULL
);

-- Intake watermark: the newest workspace record time already taken in.
CREATE TABLE intake_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
