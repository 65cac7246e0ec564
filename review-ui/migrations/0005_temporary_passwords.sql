-- A password an administrator set for someone else (`ledgerline users add --temporary`,
-- or the app's account form, where it is the default) is known to that administrator:
-- until its holder changes it, their sessions may do nothing else.
ALTER TABLE users ADD COLUMN password_change_due INTEGER NOT NULL DEFAULT 0;  -- 1 until changed
