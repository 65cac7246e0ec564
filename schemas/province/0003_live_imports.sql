-- Live extracts imported (`ledgerline live import`), once per import: the file as named,
-- its SHA-256, the time its rows were stamped with (their loaded_at), and the import's
-- report as JSON. A DBA can tell which extract brought a live row, and an extract sent
-- again is recognised by its checksum.
CREATE TABLE live_imports (
    file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    report VARCHAR NOT NULL
);
