-- Keys a distributed engine (Citus) can keep: every primary key and unique constraint of a
-- store's table includes `store_id`, every one of a member's table includes `member_id`,
-- so each can be enforced on the one shard that holds its rows (the layout is declared in
-- src/hq/distribution.rs, and a test reads this catalog against it).
--
-- Store-owned: a terminal's token is unique within its store (the token names its store,
-- `STORE.TERMINAL.SECRET`); an event is keyed by its store and id; a sale by its store and
-- event.
ALTER TABLE terminals DROP CONSTRAINT terminals_token_hash_key;
ALTER TABLE terminals ADD CONSTRAINT terminals_store_token UNIQUE (store_id, token_hash);

ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (store_id, id);

ALTER TABLE sales DROP CONSTRAINT sales_event_id_key;
ALTER TABLE sales ADD CONSTRAINT sales_store_event UNIQUE (store_id, event_id);

-- Member-owned: a transfer, an overdraft, an issued coupon, a redemption, a list and a
-- list's offer are keyed by their member first. A redemption's member is the coupon's (HQ
-- signs the coupon for one member), so a single-use coupon is still redeemed once.
UPDATE point_overdrafts o SET member_id = t.member_id
FROM point_transfers t WHERE t.id = o.transfer_id AND o.member_id <> t.member_id;
ALTER TABLE point_overdrafts DROP CONSTRAINT point_overdrafts_transfer_id_fkey;
ALTER TABLE point_overdrafts DROP CONSTRAINT point_overdrafts_pkey;
ALTER TABLE point_transfers DROP CONSTRAINT point_transfers_pkey;
ALTER TABLE point_transfers ADD CONSTRAINT point_transfers_pkey PRIMARY KEY (member_id, id);
ALTER TABLE point_overdrafts ADD CONSTRAINT point_overdrafts_pkey PRIMARY KEY (member_id, transfer_id);
ALTER TABLE point_overdrafts ADD CONSTRAINT point_overdrafts_transfer
    FOREIGN KEY (member_id, transfer_id) REFERENCES point_transfers (member_id, id);

ALTER TABLE coupons DROP CONSTRAINT coupons_pkey;
ALTER TABLE coupons ADD CONSTRAINT coupons_pkey PRIMARY KEY (member_id, id);
CREATE INDEX coupons_id ON coupons (id);

ALTER TABLE coupon_redemptions DROP CONSTRAINT coupon_redemptions_pkey;
ALTER TABLE coupon_redemptions ADD CONSTRAINT coupon_redemptions_pkey PRIMARY KEY (member_id, coupon_id);

-- A coupon redeemed again is kept with the coupon's member, beside its first redemption.
ALTER TABLE coupon_conflicts ADD COLUMN member_id TEXT;
UPDATE coupon_conflicts c SET member_id = r.member_id
FROM coupon_redemptions r WHERE r.coupon_id = c.coupon_id;
UPDATE coupon_conflicts SET member_id = '' WHERE member_id IS NULL;
ALTER TABLE coupon_conflicts ALTER COLUMN member_id SET NOT NULL;
ALTER TABLE coupon_conflicts DROP CONSTRAINT coupon_conflicts_pkey;
ALTER TABLE coupon_conflicts ADD CONSTRAINT coupon_conflicts_pkey
    PRIMARY KEY (member_id, coupon_id, store_id, terminal_id, receipt_no);

ALTER TABLE shopping_lists DROP CONSTRAINT shopping_lists_pkey;
ALTER TABLE shopping_lists ADD CONSTRAINT shopping_lists_pkey PRIMARY KEY (member_id, id);

-- A list's offers name the list's member, so they sit with the list and the redemptions.
ALTER TABLE list_offers ADD COLUMN member_id TEXT;
UPDATE list_offers o SET member_id = l.member_id FROM shopping_lists l WHERE l.id = o.list_id;
UPDATE list_offers SET member_id = '' WHERE member_id IS NULL;
ALTER TABLE list_offers ALTER COLUMN member_id SET NOT NULL;
ALTER TABLE list_offers DROP CONSTRAINT list_offers_pkey;
ALTER TABLE list_offers ADD CONSTRAINT list_offers_pkey PRIMARY KEY (member_id, coupon_id);
DROP INDEX list_offers_by_list;
CREATE INDEX list_offers_by_list ON list_offers (member_id, list_id);

-- A card stays unique chain-wide: `member_cards` is a reference table (a copy on every
-- node, read by card or by member without leaving the node), and a reference table cannot
-- refer to a distributed one (`members`) by a foreign key; HQ writes a member and their
-- cards in one transaction, the member first.
ALTER TABLE member_cards DROP CONSTRAINT member_cards_member_id_fkey;
