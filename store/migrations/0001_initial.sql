-- A batch: one folder of scanned pages and its manifest.
CREATE TABLE batches (
    batch_id VARCHAR PRIMARY KEY,
    agency_name VARCHAR NOT NULL,
    ledger_type VARCHAR NOT NULL,          -- cremation | burial | mixed
    volume VARCHAR NOT NULL,
    years VARCHAR NOT NULL,
    scan_dpi INTEGER NOT NULL,
    province VARCHAR,
    archive VARCHAR,
    source_dir VARCHAR NOT NULL,
    manifest_inferred BOOLEAN NOT NULL,    -- true when the folder had no batch.toml
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A page image. Images stay files; the database keeps their path and SHA-256.
-- page_id is derived from the image content (and frame of a multi-page TIFF), so the
-- same image ingested twice is one page.
CREATE TABLE pages (
    page_id VARCHAR PRIMARY KEY,
    batch_id VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,            -- the page name records cite in source.page
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    frame INTEGER NOT NULL,                -- 0 except for multi-page TIFF
    width INTEGER,
    height INTEGER,
    dpi INTEGER,
    status VARCHAR NOT NULL,               -- ingested | read | quarantined
    quarantine_reason VARCHAR,
    ledger_type VARCHAR,                   -- from the manifest, or the page's own title
    ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    read_at TIMESTAMP
);

-- Every cell OCR read: its box on the page, raw text and Tesseract's confidence.
CREATE TABLE cells (
    page_id VARCHAR NOT NULL,
    row_no INTEGER NOT NULL,               -- 0 = header row, 1.. = ledger rows
    col_no INTEGER NOT NULL,
    x INTEGER NOT NULL,
    y INTEGER NOT NULL,
    w INTEGER NOT NULL,
    h INTEGER NOT NULL,
    field VARCHAR,                         -- schema field the column maps to, if any
    raw_text VARCHAR,
    ocr_confidence REAL,
    PRIMARY KEY (page_id, row_no, col_no)
);

-- Canonical records, one column per schema field (columnar, as DuckDB likes it), plus
-- the nested parts as JSON text (VARCHAR: DuckDB's JSON type needs an extension that
-- would have to be downloaded at run time).
CREATE TABLE records (
    record_id VARCHAR PRIMARY KEY,
    batch_id VARCHAR NOT NULL,
    page_id VARCHAR NOT NULL,
    page_file VARCHAR NOT NULL,
    row_no INTEGER NOT NULL,
    record_type VARCHAR NOT NULL,
    deceased_name VARCHAR,
    gender VARCHAR,
    ethnicity VARCHAR,
    age INTEGER,
    id_type VARCHAR,
    id_number VARCHAR,
    birth_date VARCHAR,
    death_date VARCHAR,
    death_cause VARCHAR,
    death_place VARCHAR,
    household_address VARCHAR,
    household_division VARCHAR,
    cremation_date VARCHAR,
    cremation_cert_no VARCHAR,
    ashes_disposition VARCHAR,
    burial_date VARCHAR,
    grave_number VARCHAR,
    cemetery_name VARCHAR,
    family_name VARCHAR,
    family_relation VARCHAR,
    family_phone VARCHAR,
    agency_name VARCHAR,
    person_id VARCHAR,
    status VARCHAR NOT NULL,               -- machine | needs_review | verified | rejected
    confidence VARCHAR,
    review VARCHAR,
    extra_fields VARCHAR,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (page_id, row_no)
);
CREATE INDEX records_batch ON records (batch_id);
