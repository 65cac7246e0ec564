-- Loads taken out again (`ledgerline unload`). An exchange package carries the ones
-- taken out since the package before, so that the databases the load's rows were
-- exchanged to take them out too.
CREATE TABLE unloads (
    load_id VARCHAR NOT NULL,
    batch_id VARCHAR,
    unloaded_at TIMESTAMP NOT NULL
);

-- Exchange packages imported (`ledgerline exchange import`), once each: the province,
-- the moment of the state the package holds, and the time its rows start from. A package
-- older than the last one of its province, or starting after it (a gap: rows loaded in
-- between would be in no package), is refused.
CREATE TABLE exchange_imports (
    province VARCHAR NOT NULL,
    exported_at TIMESTAMP NOT NULL,
    since TIMESTAMP,
    imported_at TIMESTAMP NOT NULL
);
