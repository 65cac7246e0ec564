-- Loads taken out again (`ledgerline unload`). An exchange package carries the ones
-- taken out since the package before, so that the databases the load's rows were
-- exchanged to take them out too.
CREATE TABLE unloads (
    load_id VARCHAR NOT NULL,
    batch_id VARCHAR,
    unloaded_at TIMESTAMP NOT NULL
);
