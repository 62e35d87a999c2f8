//! Schema migrations, in code, one list per database file. Migrations only ever append:
//! a shipped migration is never edited, so every terminal reaches the same schema.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// Schema version of `terminal.db` after all migrations.
pub const TERMINAL_VERSION: i64 = 11;
/// Schema version of `catalogue.db` after all migrations.
pub const CATALOGUE_VERSION: i64 = 4;

pub fn migrate_terminal(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::new(vec![
        M::up("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"),
        M::up(storepos_sync::outbox::SCHEMA),
        M::up(crate::journal::SCHEMA),
        M::up(super::sales::SCHEMA),
        M::up(super::sales::RETURNS_SCHEMA),
        M::up(super::shifts::SCHEMA),
        M::up(super::suspended::SCHEMA),
        M::up(super::shifts::APPROVALS_SCHEMA),
        M::up(super::loyalty::SCHEMA),
        // The uploader reads the unacknowledged tail; acknowledged rows stay for the record.
        M::up("CREATE INDEX outbox_pending ON outbox (seq) WHERE acked = 0;"),
        // What HQ refused of the outbox, and a sequence conflict that stops the uploads.
        M::up(storepos_sync::refusals::SCHEMA),
    ])
    .to_latest(conn)
}

pub fn migrate_catalogue(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::new(vec![
        M::up(CATALOGUE_V1),
        M::up(CATALOGUE_V2),
        M::up_with_hook(
            super::members::SEARCH_SCHEMA,
            super::members::search_index_hook,
        ),
        // Search by pinyin: new kinds of `member_search` terms, no new table; the hook adds
        // them for the members already stored.
        M::up_with_hook(
            "-- member_search: PINYIN and PINYIN_INITIALS terms",
            super::members::pinyin_index_hook,
        ),
    ])
    .to_latest(conn)
}

const CATALOGUE_V1: &str = "
CREATE TABLE products (
    gtin         INTEGER PRIMARY KEY,   -- GTIN-14 value
    name         TEXT NOT NULL,
    name_en      TEXT,
    price        INTEGER NOT NULL,      -- minor units; per kg when weighed
    tax_bp       INTEGER NOT NULL,      -- basis points
    department   TEXT,
    category     TEXT,
    brand_type   TEXT NOT NULL DEFAULT 'unknown',
    manufacturer TEXT,
    member_price INTEGER,
    bonus_points TEXT,
    weighed      INTEGER NOT NULL DEFAULT 0,
    plu          INTEGER,
    restricted   INTEGER NOT NULL DEFAULT 0,
    external_id  TEXT
);
CREATE UNIQUE INDEX products_plu ON products (plu) WHERE plu IS NOT NULL;
CREATE UNIQUE INDEX products_external_id ON products (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE members (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    phone             TEXT,
    email             TEXT,
    address           TEXT,
    card_opened       TEXT,
    tier              TEXT NOT NULL DEFAULT 'standard',
    home_store        TEXT,
    consent_marketing INTEGER NOT NULL DEFAULT 0,
    consent_profiling INTEGER NOT NULL DEFAULT 0,
    points_balance    INTEGER NOT NULL DEFAULT 0,
    attributes        TEXT                      -- JSON: demographics and the like
) WITHOUT ROWID;
CREATE INDEX members_phone ON members (phone);
CREATE INDEX members_name ON members (name COLLATE NOCASE);

CREATE TABLE member_cards (
    card      TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status    TEXT NOT NULL DEFAULT 'active'
) WITHOUT ROWID;
CREATE INDEX member_cards_member ON member_cards (member_id);

CREATE TABLE operators (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    role     TEXT NOT NULL CHECK (role IN ('cashier', 'supervisor', 'manager')),
    pin_hash TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE purchase_history (
    member_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    basket_id   TEXT NOT NULL,
    gtin        INTEGER NOT NULL,
    quantity    INTEGER NOT NULL,   -- thousandths
    amount      INTEGER NOT NULL,   -- minor units paid, after retail discounts
    retail_disc INTEGER NOT NULL DEFAULT 0,
    coupon_disc INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL       -- RFC 3339, UTC
);
CREATE INDEX purchase_history_member ON purchase_history (member_id, at);
";

/// Promotions, each as its JSON definition (see `store::promotions`).
const CATALOGUE_V2: &str = "
CREATE TABLE promotions (
    id         TEXT PRIMARY KEY,
    definition TEXT NOT NULL
) WITHOUT ROWID;
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_lists_are_valid() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_catalogue(&mut conn).unwrap();
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_terminal(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, TERMINAL_VERSION);
    }
}
