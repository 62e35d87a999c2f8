-- What each till last said of itself with a batch. As ../postgres/0020_till_report.sql.
ALTER TABLE terminals ADD COLUMN version TEXT;
ALTER TABLE terminals ADD COLUMN backlog INTEGER;
ALTER TABLE terminals ADD COLUMN reported_at TEXT;
