-- Settings HQ sets for a store's tills (receipt header, cash rounding, points programme).
CREATE TABLE store_settings (
    store_id   TEXT PRIMARY KEY,
    settings   JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
