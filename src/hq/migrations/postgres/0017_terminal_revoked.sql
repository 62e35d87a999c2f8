-- When HQ staff revoked a terminal's token (none while it may speak). A revoked terminal's
-- token hash is replaced by one no token hashes to, so every till route refuses it at once;
-- its row stays, so its events, sales and acknowledgement remain HQ's history.
-- `storepos hq register` gives it a token again and clears this.
ALTER TABLE terminals ADD COLUMN revoked_at TIMESTAMPTZ;
