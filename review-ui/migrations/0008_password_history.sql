-- The hashes of an account's earlier passwords (argon2id, as `users.password_hash`), so
-- its holder does not go back to one of the last few (`auth::PASSWORDS_REMEMBERED`):
-- a password changed because it aged, or leaked, is not the same password again. Only
-- the latest are kept.
CREATE TABLE password_history (
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    replaced_at INTEGER NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (username);
