-- A page's quarter turns clockwise to read it upright (from the workspace): cell crops
-- are cut from the scan and turned by this much.
ALTER TABLE pages ADD COLUMN quarter_turns INTEGER NOT NULL DEFAULT 0;
