-- Settings HQ sets for a store's tills (receipt header, cash rounding, points programme).
CREATE TABLE store_settings (
    store_id   TEXT PRIMARY KEY,
    settings   TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
