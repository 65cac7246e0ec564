-- The receiving key this database's own packages are encrypted for (`ledgerline exchange
-- send-to`): the public half of the key pair the database they go to made (`exchange
-- keygen --receiver`). With one recorded, every `exchange export` encrypts for it
-- without being told: a DBA who forgets `--encrypt-for` does not send the dead's ID
-- numbers and their families' phones in the plain. One key is current at a time: a new
-- one (the receiving database changed its key) retires the one before, and a database
-- that ever recorded one exports in the plain no more, its keys all retired or not. A
-- key is retired (`exchange distrust`), never deleted: the row says who recorded it and
-- who retired it, when and why.
CREATE TABLE exchange_send_to_keys (
    fingerprint VARCHAR NOT NULL,          -- first 16 hex digits of the SHA-256 of the key (DER)
    public_key VARCHAR NOT NULL,           -- PEM
    recorded_by VARCHAR NOT NULL,
    note VARCHAR,
    recorded_at TIMESTAMP NOT NULL,
    retired_by VARCHAR,
    retire_note VARCHAR,
    retired_at TIMESTAMP
);
