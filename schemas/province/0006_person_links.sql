-- One death sent by two provinces (the death and cremation in one, the burial in the
-- home province): each province's person is kept as it sent it (the province corrects
-- and withdraws its own rows), and a link says that they are one death. A death's
-- persons are linked to the first of them the database held (`linked_to`), never to one
-- linked itself.
--
-- `exchange import` links a person it adds to the death of a person held under the same
-- full ID number when their names and death dates agree too (`agreed` names the fields);
-- those that differ are left for the national DBA, who links (`agreed` = 'dba') and
-- unlinks by hand (`ledgerline exchange link` / `unlink`). A link taken back keeps its
-- row, with who took it back, when and why, and is not made again by a later import.
-- No primary key, as conflict_decisions (0005): a link ends by its person being unloaded
-- or withdrawn, and DuckDB deletes keyed rows one by one. One current link per person
-- all the same: links are made only under the database's exclusive lock.
CREATE TABLE person_links (
    person_id VARCHAR NOT NULL,
    linked_to VARCHAR NOT NULL,
    agreed VARCHAR NOT NULL,               -- e.g. id_number,name,death_date; or dba
    linked_by VARCHAR NOT NULL,
    note VARCHAR,
    linked_at TIMESTAMP NOT NULL,
    unlinked_by VARCHAR,
    unlink_note VARCHAR,
    unlinked_at TIMESTAMP
);
