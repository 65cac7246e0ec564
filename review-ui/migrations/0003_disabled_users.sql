-- Accounts are disabled, never deleted: audit entries keep naming them. A disabled
-- account cannot log in, and its sessions end when it is disabled.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;  -- unix seconds; NULL while active
