-- HQ schema on SQLite: the same tables, keys and constraints as on PostgreSQL
-- (../postgres/0001_init.sql), in SQLite's types. Instants are RFC 3339 text in UTC with
-- microseconds, so text order is time order; JSON documents are text; UUIDs are
-- hyphenated text.

CREATE TABLE terminals (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    acked_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    PRIMARY KEY (store_id, terminal_id)
);

CREATE TABLE members (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    phone          TEXT,
    email          TEXT,
    tier           TEXT NOT NULL DEFAULT 'standard',
    home_store     TEXT,
    card_opened    DATE,
    consent_marketing BOOLEAN NOT NULL DEFAULT FALSE,
    consent_profiling BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);
CREATE INDEX members_phone ON members (phone);
CREATE INDEX members_home_store ON members (home_store);

CREATE TABLE member_cards (
    card      TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    status    TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked'))
);
CREATE INDEX member_cards_member ON member_cards (member_id);

-- One row per member: the running balance, moved only inside the write transaction that
-- stores the transfer.
CREATE TABLE point_accounts (
    member_id TEXT PRIMARY KEY,
    balance   INTEGER NOT NULL DEFAULT 0
);

-- Immutable transfers; ids derive from the event that made them, so a replay is a no-op.
CREATE TABLE point_transfers (
    id          TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse', 'expire', 'adjust', 'clawback')),
    points      INTEGER NOT NULL CHECK (points <> 0),
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    expires_at  TEXT,
    event_id    TEXT
);
CREATE INDEX point_transfers_member ON point_transfers (member_id, at);
CREATE INDEX point_transfers_expiry ON point_transfers (expires_at) WHERE expires_at IS NOT NULL;

-- Redemptions that found the balance already spent elsewhere (offline double use): applied,
-- because the terminal sold in good faith, and recorded here for the report.
CREATE TABLE point_overdrafts (
    transfer_id TEXT PRIMARY KEY REFERENCES point_transfers (id),
    member_id   TEXT NOT NULL,
    shortfall   INTEGER NOT NULL,
    at          TEXT NOT NULL
);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, terminal_id, seq)
);

CREATE TABLE sales (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    member_id   TEXT,
    total       INTEGER NOT NULL,
    tax         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    event_id    TEXT NOT NULL UNIQUE,
    PRIMARY KEY (store_id, terminal_id, receipt_no)
);

CREATE TABLE coupon_redemptions (
    coupon_id   TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    at          TEXT NOT NULL
);

-- A single-use coupon redeemed again by another offline terminal: the first to arrive won.
CREATE TABLE coupon_conflicts (
    coupon_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (coupon_id, store_id, terminal_id, receipt_no)
);

CREATE TABLE complaints (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    local_id    INTEGER NOT NULL,
    member_id   TEXT,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (store_id, terminal_id, local_id)
);
