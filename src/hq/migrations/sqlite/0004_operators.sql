-- The people who sign in at the tills of each store; PINs only as Argon2id hashes.
CREATE TABLE operators (
    store_id TEXT NOT NULL,
    id       TEXT NOT NULL,
    name     TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'manager')),
    pin_hash TEXT NOT NULL,
    PRIMARY KEY (store_id, id)
);
