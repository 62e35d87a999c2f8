-- Member value and campaign results.
--
-- Member-owned rows have keys that begin with the member, so HQ can later be distributed
-- by member.

-- Each member's RFM figures and segment as of a day (recomputed daily by `hq serve`, and
-- on demand for other days). `tier` is the member's tier when the row was computed, for
-- the migration between two days.
CREATE TABLE member_scores (
    member_id    TEXT NOT NULL,
    as_of        DATE NOT NULL,
    recency_days BIGINT NOT NULL,
    frequency    BIGINT NOT NULL,
    monetary     BIGINT NOT NULL,
    r_score      BIGINT NOT NULL CHECK (r_score BETWEEN 1 AND 5),
    f_score      BIGINT NOT NULL CHECK (f_score BETWEEN 1 AND 5),
    m_score      BIGINT NOT NULL CHECK (m_score BETWEEN 1 AND 5),
    segment      TEXT NOT NULL,
    tier         TEXT NOT NULL,
    computed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (member_id, as_of)
);
CREATE INDEX member_scores_as_of ON member_scores (as_of, segment);

-- The days scores were computed for (so a day with no member to score is told apart from
-- a day never computed).
CREATE TABLE member_score_runs (
    as_of       DATE PRIMARY KEY,
    members     BIGINT NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
);

-- Saved segments: a typed definition (JSON) evaluated to members on demand.
CREATE TABLE segments (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    definition JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Members held out of a list period's lists at random: the control group the lift of
-- the lists is measured against.
CREATE TABLE list_holdouts (
    member_id    TEXT NOT NULL,
    period_start TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (member_id, period_start)
);
CREATE INDEX list_holdouts_period ON list_holdouts (period_start);

-- Coupon issues (campaigns): what was issued to whom.
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    segment_id  TEXT,
    definition  JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE campaign_coupons (
    member_id   TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    coupon_id   TEXT NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (member_id, campaign_id)
);
CREATE INDEX campaign_coupons_campaign ON campaign_coupons (campaign_id);
CREATE INDEX campaign_coupons_coupon ON campaign_coupons (coupon_id);
