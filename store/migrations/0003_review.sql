-- How far the review journal (review.sqlite, owned by `ledgerline serve`) has been
-- applied to this workspace. Written in the same transaction as the applied changes, so
-- a killed apply is redone whole or not at all.
CREATE TABLE review_applied (
    journal_id VARCHAR PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
