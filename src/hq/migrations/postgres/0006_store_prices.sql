-- A store's own shelf price for a chain product, overriding the chain's in the catalogue
-- data set that store's tills receive.
CREATE TABLE store_prices (
    store_id   TEXT NOT NULL,
    gtin       BIGINT NOT NULL,
    price      BIGINT NOT NULL CHECK (price >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, gtin)
);
