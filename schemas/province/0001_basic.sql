-- The provincial (and national) basic funeral database, modelled on the live systems
-- funeral homes upload to. Entity names of MZ/T 141-2019 in brackets. Every row says
-- where it came from: `origin` live (uploaded by a funeral home) or paper_backfill
-- (keyed from the archives by ledgerline), the batch and load that brought it, and when.
-- Codes are the national tables' (sex GB/T 2261.1, ethnicity GB/T 3304, divisions
-- GB/T 2260); live exporters' conventions are mapped on import.

-- [InstitutionData] funeral homes and cemeteries.
CREATE TABLE agencies (
    agency_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    division_code VARCHAR,
    kind VARCHAR                           -- funeral_home | cemetery
);

-- [DeadInformation] one row per deceased person, keyed by the stable person id.
CREATE TABLE deceased (
    person_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    gender VARCHAR,
    ethnicity VARCHAR,
    id_type VARCHAR,
    id_number VARCHAR,
    birth_date DATE,
    death_date DATE,
    age INTEGER,
    death_cause VARCHAR,
    death_place VARCHAR,
    household_address VARCHAR,
    household_division VARCHAR,
    nameless BOOLEAN NOT NULL DEFAULT false,   -- 无名尸
    origin VARCHAR NOT NULL CHECK (origin IN ('live', 'paper_backfill')),
    source_key VARCHAR NOT NULL,           -- live: the exporter's DEAD_ID; backfill: ledgerline record_id
    batch_id VARCHAR,
    load_id VARCHAR,
    loaded_at TIMESTAMP NOT NULL
);
CREATE INDEX deceased_id_number ON deceased (id_number);

-- [ContactInformation] the agent (承办人) who handled the funeral.
CREATE TABLE agents (
    person_id VARCHAR NOT NULL,
    name VARCHAR,
    relation VARCHAR,
    phone VARCHAR,
    id_type VARCHAR,
    id_number VARCHAR,
    address VARCHAR,
    origin VARCHAR NOT NULL CHECK (origin IN ('live', 'paper_backfill')),
    source_key VARCHAR NOT NULL,
    batch_id VARCHAR,
    load_id VARCHAR,
    loaded_at TIMESTAMP NOT NULL
);
CREATE INDEX agents_person ON agents (person_id);

CREATE TABLE cremations (
    person_id VARCHAR NOT NULL,
    agency_name VARCHAR,
    cremation_date DATE,
    cremation_time_imputed BOOLEAN NOT NULL DEFAULT false,  -- live exporters fabricate missing times
    cert_no VARCHAR,
    cert_status VARCHAR,                   -- issued | reissued | voided
    ashes_disposition VARCHAR,
    origin VARCHAR NOT NULL CHECK (origin IN ('live', 'paper_backfill')),
    source_key VARCHAR NOT NULL,
    batch_id VARCHAR,
    load_id VARCHAR,
    loaded_at TIMESTAMP NOT NULL
);
CREATE INDEX cremations_person ON cremations (person_id);

CREATE TABLE burials (
    person_id VARCHAR NOT NULL,
    cemetery_name VARCHAR,
    burial_date DATE,
    grave_number VARCHAR,
    origin VARCHAR NOT NULL CHECK (origin IN ('live', 'paper_backfill')),
    source_key VARCHAR NOT NULL,
    batch_id VARCHAR,
    load_id VARCHAR,
    loaded_at TIMESTAMP NOT NULL
);
CREATE INDEX burials_person ON burials (person_id);

-- A value a load did not overwrite because the database already held another one.
CREATE TABLE conflicts (
    load_id VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    database_value VARCHAR,
    incoming_value VARCHAR,
    source_key VARCHAR NOT NULL,
    noted_at TIMESTAMP NOT NULL
);

-- One row per load, with its report.
CREATE TABLE loads (
    load_id VARCHAR PRIMARY KEY,
    batch_id VARCHAR,
    origin VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    report VARCHAR
);
