-- When HQ staff revoked a terminal's token (none while it may speak); see
-- ../postgres/0016_terminal_revoked.sql. RFC 3339 text in UTC, as every instant here.
ALTER TABLE terminals ADD COLUMN revoked_at TEXT;
