-- HQ schema. Portable to distributed PostgreSQL-compatible engines: text and UUID keys,
-- every uniqueness constraint that concerns terminal data includes the store and terminal,
-- no server-side sequences relied on for gap-freedom, no advisory locks.

CREATE TABLE terminals (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    acked_seq   BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
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
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX members_phone ON members (phone);

CREATE TABLE member_cards (
    card      TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    status    TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked'))
);
CREATE INDEX member_cards_member ON member_cards (member_id);

-- One row per member: the running balance, locked while a transfer is applied so the
-- never-below-zero check and the update are one step.
CREATE TABLE point_accounts (
    member_id TEXT PRIMARY KEY,
    balance   BIGINT NOT NULL DEFAULT 0
);

-- Immutable transfers; ids derive from the event that made them, so a replay is a no-op.
CREATE TABLE point_transfers (
    id          TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse', 'expire', 'adjust', 'clawback')),
    points      BIGINT NOT NULL CHECK (points <> 0),
    at          TIMESTAMPTZ NOT NULL,
    source      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ,
    event_id    UUID
);
CREATE INDEX point_transfers_member ON point_transfers (member_id, at);

-- Redemptions that found the balance already spent elsewhere (offline double use): applied,
-- because the terminal sold in good faith, and recorded here for the report.
CREATE TABLE point_overdrafts (
    transfer_id TEXT PRIMARY KEY REFERENCES point_transfers (id),
    member_id   TEXT NOT NULL,
    shortfall   BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE events (
    id          UUID PRIMARY KEY,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (store_id, terminal_id, seq)
);

CREATE TABLE sales (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    member_id   TEXT,
    total       BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    event_id    UUID NOT NULL UNIQUE,
    PRIMARY KEY (store_id, terminal_id, receipt_no)
);

CREATE TABLE coupon_redemptions (
    coupon_id   TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);

-- A single-use coupon redeemed again by another offline terminal: the first to arrive won.
CREATE TABLE coupon_conflicts (
    coupon_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (coupon_id, store_id, terminal_id, receipt_no)
);

CREATE TABLE complaints (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    local_id    BIGINT NOT NULL,
    member_id   TEXT,
    body        JSONB NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_id, terminal_id, local_id)
);
