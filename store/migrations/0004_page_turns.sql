-- How a page was read: the quarter turns clockwise its scan was turned by (0 upright,
-- 2 scanned upside down, 1 or 3 sideways). Cell boxes stay on the page as scanned; the
-- review app turns a cell's crop by this much so that it is shown upright.
ALTER TABLE pages ADD COLUMN quarter_turns INTEGER NOT NULL DEFAULT 0;
