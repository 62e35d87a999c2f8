-- Personalised shopping lists: the deals feed, one row per biweekly run, each member's
-- signed list, and the offers on the lists (for the anonymised manufacturer report).
CREATE TABLE deals (
    id         TEXT PRIMARY KEY,
    definition JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE list_runs (
    period_start TIMESTAMPTZ PRIMARY KEY,
    period_end   TIMESTAMPTZ NOT NULL,
    members      BIGINT NOT NULL,
    lists        BIGINT NOT NULL,
    offers       BIGINT NOT NULL,
    made_at      TIMESTAMPTZ NOT NULL
);
CREATE TABLE shopping_lists (
    id           TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    period_end   TIMESTAMPTZ NOT NULL,
    code         TEXT NOT NULL,
    issued_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX shopping_lists_member ON shopping_lists (member_id, period_end);
CREATE TABLE list_offers (
    coupon_id    TEXT PRIMARY KEY,
    list_id      TEXT NOT NULL,
    deal_id      TEXT NOT NULL,
    funded_by    TEXT NOT NULL,
    segment      TEXT NOT NULL,
    max_value    BIGINT NOT NULL,
    period_start TIMESTAMPTZ NOT NULL
);
CREATE INDEX list_offers_funded_by ON list_offers (funded_by);
