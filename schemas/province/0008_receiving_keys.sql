-- The receiving keys a database takes packages encrypted for (`ledgerline exchange
-- receive`): the public halves of the X25519 key pairs it made (`exchange keygen
-- --receiver`), whose private halves decrypt its packages (`exchange import
-- --decrypt-key`). Once a database receives with a key, it takes only packages encrypted
-- for one it receives with: a province's package sent in the plain, where anyone on the
-- way could read the dead's ID numbers and their families' phones, is refused, and the
-- province exports it again encrypted. A key is retired (`exchange distrust`), never
-- deleted: the row says who added it and who retired it, when and why.
CREATE TABLE exchange_receiving_keys (
    fingerprint VARCHAR NOT NULL,          -- first 16 hex digits of the SHA-256 of the key (DER)
    public_key VARCHAR NOT NULL,           -- PEM
    received_by VARCHAR NOT NULL,
    note VARCHAR,
    received_at TIMESTAMP NOT NULL,
    retired_by VARCHAR,
    retire_note VARCHAR,
    retired_at TIMESTAMP
);
