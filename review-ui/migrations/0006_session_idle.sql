-- A session ends after a while without a request (`serve --idle-minutes`, 30 by default),
-- besides its working day: a browser left open on a record of the dead does not stay
-- logged in. The time of its latest request, kept to the minute or better (not written
-- on every request); NULL for sessions opened before, which count from their start.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;
