-- A store's own shelf price for a chain product, overriding the chain's in the catalogue
-- data set that store's tills receive.
CREATE TABLE store_prices (
    store_id   TEXT NOT NULL,
    gtin       INTEGER NOT NULL,
    price      INTEGER NOT NULL CHECK (price >= 0),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    PRIMARY KEY (store_id, gtin)
);
