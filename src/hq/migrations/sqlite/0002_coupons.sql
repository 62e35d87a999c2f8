-- Coupons HQ issued (their signed printed form), so stores can be sent them.
CREATE TABLE coupons (
    id        TEXT PRIMARY KEY,
    member_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX coupons_member ON coupons (member_id);
