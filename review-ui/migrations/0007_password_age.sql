-- A password is changed by its holder after `serve --password-max-days` (90 by default),
-- as information security assessments (等级保护) ask: when it was set, in seconds since
-- the epoch. The accounts held before count from the upgrade, not from an unknown past.
ALTER TABLE users ADD COLUMN password_set_at INTEGER;
UPDATE users SET password_set_at = CAST(strftime('%s', 'now') AS INTEGER);
