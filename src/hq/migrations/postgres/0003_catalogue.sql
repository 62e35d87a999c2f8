-- The chain's catalogue and promotions, administered at HQ and sent to the stores.
CREATE TABLE products (
    gtin       BIGINT PRIMARY KEY,
    record     JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE promotions (
    id         TEXT PRIMARY KEY,
    definition JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
