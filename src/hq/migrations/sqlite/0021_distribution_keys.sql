-- The keys PostgreSQL's 0021 gives HQ so that a distributed engine can keep them: every
-- primary key and unique constraint of a store's table includes `store_id`, every one of
-- a member's table `member_id` (see src/hq/distribution.rs). SQLite is never distributed,
-- but keeps the same keys, so both backends refuse and accept the same rows. SQLite
-- cannot change a key in place: each table is made again under its new keys and its rows
-- copied.

-- terminals: a token is unique within its store.
CREATE TABLE terminals_new (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    acked_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    revoked_at  TEXT,
    version     TEXT,
    backlog     INTEGER,
    reported_at TEXT,
    PRIMARY KEY (store_id, terminal_id),
    UNIQUE (store_id, token_hash)
);
INSERT INTO terminals_new (store_id, terminal_id, token_hash, acked_seq, created_at, revoked_at,
                           version, backlog, reported_at)
SELECT store_id, terminal_id, token_hash, acked_seq, created_at, revoked_at, version, backlog,
       reported_at
FROM terminals;
DROP TABLE terminals;
ALTER TABLE terminals_new RENAME TO terminals;

-- events: keyed by store and id.
CREATE TABLE events_new (
    id              TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    terminal_id     TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    at              TEXT NOT NULL,
    received_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    payload_hash    TEXT,
    refused_rule    TEXT,
    refused_message TEXT,
    PRIMARY KEY (store_id, id),
    UNIQUE (store_id, terminal_id, seq)
);
INSERT INTO events_new (id, store_id, terminal_id, seq, kind, payload, at, received_at,
                        payload_hash, refused_rule, refused_message)
SELECT id, store_id, terminal_id, seq, kind, payload, at, received_at, payload_hash,
       refused_rule, refused_message
FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_refused ON events (store_id, received_at) WHERE refused_rule IS NOT NULL;
CREATE INDEX events_refused_in_order ON events (store_id, terminal_id, seq)
    WHERE refused_rule IS NOT NULL;

-- sales: a sale's event is unique within its store.
CREATE TABLE sales_new (
    store_id         TEXT NOT NULL,
    terminal_id      TEXT NOT NULL,
    receipt_no       INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    member_id        TEXT,
    total            INTEGER NOT NULL,
    tax              INTEGER NOT NULL,
    at               TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    original_receipt INTEGER,
    local_day        TEXT,
    local_hour       INTEGER,
    net              INTEGER,
    discount         INTEGER,
    items            INTEGER,
    PRIMARY KEY (store_id, terminal_id, receipt_no),
    UNIQUE (store_id, event_id)
);
INSERT INTO sales_new (store_id, terminal_id, receipt_no, kind, member_id, total, tax, at,
                       event_id, original_receipt, local_day, local_hour, net, discount, items)
SELECT store_id, terminal_id, receipt_no, kind, member_id, total, tax, at, event_id,
       original_receipt, local_day, local_hour, net, discount, items
FROM sales;
DROP TABLE sales;
ALTER TABLE sales_new RENAME TO sales;
CREATE INDEX sales_original ON sales (store_id, terminal_id, original_receipt)
    WHERE original_receipt IS NOT NULL;
CREATE INDEX sales_member ON sales (member_id, at) WHERE member_id IS NOT NULL;
CREATE INDEX sales_store_day ON sales (store_id, local_day);
CREATE INDEX sales_unfilled ON sales (event_id) WHERE local_day IS NULL;

-- point_transfers and point_overdrafts: keyed by member; the overdrafts are set aside
-- while the transfers they refer to are made again.
CREATE TABLE point_overdrafts_old AS SELECT * FROM point_overdrafts;
DROP TABLE point_overdrafts;
CREATE TABLE point_transfers_new (
    id          TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse', 'expire', 'adjust', 'clawback')),
    points      INTEGER NOT NULL CHECK (points <> 0),
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    expires_at  TEXT,
    event_id    TEXT,
    PRIMARY KEY (member_id, id)
);
INSERT INTO point_transfers_new (id, member_id, kind, points, at, source, expires_at, event_id)
SELECT id, member_id, kind, points, at, source, expires_at, event_id FROM point_transfers;
DROP TABLE point_transfers;
ALTER TABLE point_transfers_new RENAME TO point_transfers;
CREATE INDEX point_transfers_member ON point_transfers (member_id, at);
CREATE INDEX point_transfers_expiry ON point_transfers (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX point_transfers_event ON point_transfers (event_id);
CREATE TABLE point_overdrafts (
    transfer_id TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    shortfall   INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (member_id, transfer_id),
    FOREIGN KEY (member_id, transfer_id) REFERENCES point_transfers (member_id, id)
);
INSERT INTO point_overdrafts (transfer_id, member_id, shortfall, at)
SELECT o.transfer_id, COALESCE(t.member_id, o.member_id), o.shortfall, o.at
FROM point_overdrafts_old o LEFT JOIN point_transfers t ON t.id = o.transfer_id;
DROP TABLE point_overdrafts_old;

-- coupons: keyed by member.
CREATE TABLE coupons_new (
    id        TEXT NOT NULL,
    member_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    PRIMARY KEY (member_id, id)
);
INSERT INTO coupons_new (id, member_id, code, issued_at)
SELECT id, member_id, code, issued_at FROM coupons;
DROP TABLE coupons;
ALTER TABLE coupons_new RENAME TO coupons;
CREATE INDEX coupons_member ON coupons (member_id);
CREATE INDEX coupons_id ON coupons (id);

-- coupon_redemptions: keyed by the coupon's member.
CREATE TABLE coupon_redemptions_new (
    coupon_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (member_id, coupon_id)
);
INSERT INTO coupon_redemptions_new (coupon_id, member_id, store_id, terminal_id, receipt_no,
                                    amount, at)
SELECT coupon_id, member_id, store_id, terminal_id, receipt_no, amount, at
FROM coupon_redemptions;
DROP TABLE coupon_redemptions;
ALTER TABLE coupon_redemptions_new RENAME TO coupon_redemptions;

-- coupon_conflicts: kept with the coupon's member.
CREATE TABLE coupon_conflicts_new (
    member_id   TEXT NOT NULL,
    coupon_id   TEXT NOT NULL,
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    receipt_no  INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (member_id, coupon_id, store_id, terminal_id, receipt_no)
);
INSERT INTO coupon_conflicts_new (member_id, coupon_id, store_id, terminal_id, receipt_no,
                                  amount, at)
SELECT COALESCE((SELECT r.member_id FROM coupon_redemptions r WHERE r.coupon_id = c.coupon_id), ''),
       c.coupon_id, c.store_id, c.terminal_id, c.receipt_no, c.amount, c.at
FROM coupon_conflicts c;
DROP TABLE coupon_conflicts;
ALTER TABLE coupon_conflicts_new RENAME TO coupon_conflicts;

-- shopping_lists: keyed by member.
CREATE TABLE shopping_lists_new (
    id           TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    code         TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    PRIMARY KEY (member_id, id)
);
INSERT INTO shopping_lists_new (id, member_id, period_start, period_end, code, issued_at)
SELECT id, member_id, period_start, period_end, code, issued_at FROM shopping_lists;
DROP TABLE shopping_lists;
ALTER TABLE shopping_lists_new RENAME TO shopping_lists;
CREATE INDEX shopping_lists_member ON shopping_lists (member_id, period_end);

-- list_offers: name the list's member and are keyed by it.
CREATE TABLE list_offers_new (
    member_id    TEXT NOT NULL,
    coupon_id    TEXT NOT NULL,
    list_id      TEXT NOT NULL,
    deal_id      TEXT NOT NULL,
    funded_by    TEXT NOT NULL,
    segment      TEXT NOT NULL,
    max_value    BIGINT NOT NULL,
    period_start TEXT NOT NULL,
    PRIMARY KEY (member_id, coupon_id)
);
INSERT INTO list_offers_new (member_id, coupon_id, list_id, deal_id, funded_by, segment,
                             max_value, period_start)
SELECT COALESCE((SELECT l.member_id FROM shopping_lists l WHERE l.id = o.list_id), ''),
       o.coupon_id, o.list_id, o.deal_id, o.funded_by, o.segment, o.max_value, o.period_start
FROM list_offers o;
DROP TABLE list_offers;
ALTER TABLE list_offers_new RENAME TO list_offers;
CREATE INDEX list_offers_funded_by ON list_offers (funded_by);
CREATE INDEX list_offers_by_list ON list_offers (member_id, list_id);

-- member_cards: a card stays unique chain-wide, without the foreign key to `members`
-- (PostgreSQL's cannot be kept when the cards are a reference table beside distributed
-- members);
-- HQ writes a member and their cards in one transaction, the member first.
CREATE TABLE member_cards_new (
    card      TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    status    TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked'))
);
INSERT INTO member_cards_new (card, member_id, status)
SELECT card, member_id, status FROM member_cards;
DROP TABLE member_cards;
ALTER TABLE member_cards_new RENAME TO member_cards;
CREATE INDEX member_cards_member ON member_cards (member_id);
