-- What each till last said of itself with a batch: its software version (from its
-- uploader's User-Agent) and the events its outbox still held, and when. Shown on the
-- console's tills page; a till's own word, used for nothing else.
ALTER TABLE terminals ADD COLUMN version TEXT;
ALTER TABLE terminals ADD COLUMN backlog BIGINT;
ALTER TABLE terminals ADD COLUMN reported_at TIMESTAMPTZ;
