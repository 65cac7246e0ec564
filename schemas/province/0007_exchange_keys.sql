-- The public keys a database trusts to sign the exchange packages of a province
-- (`ledgerline exchange trust`). A package of a province with a key trusted here must be
-- signed by one of them (its manifest, which names every file's SHA-256): one altered on
-- the way, its checksums recomputed to match, or sent unsigned, is refused. A key is
-- revoked (`exchange distrust`), never deleted: the row says who trusted it and who
-- revoked it, when and why. A province may have several keys at once (a new key made
-- before the old one is revoked).
CREATE TABLE exchange_keys (
    province VARCHAR NOT NULL,             -- GB/T 2260 province code, 37
    fingerprint VARCHAR NOT NULL,          -- first 16 hex digits of the SHA-256 of the key (DER)
    public_key VARCHAR NOT NULL,           -- PEM
    trusted_by VARCHAR NOT NULL,
    note VARCHAR,
    trusted_at TIMESTAMP NOT NULL,
    revoked_by VARCHAR,
    revoke_note VARCHAR,
    revoked_at TIMESTAMP
);
