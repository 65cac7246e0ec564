-- Schema 1.1.0: where a record's cremation certificate stands (issued, reissued 补发,
-- voided 作废), as its ledger says.
ALTER TABLE records ADD COLUMN cremation_cert_status VARCHAR;
