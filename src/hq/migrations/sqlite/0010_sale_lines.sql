-- What every store sold, line by line, and the rollups the sales reports read.
--
-- A store's days and hours are its own: each store has an IANA time zone, fixed once the
-- store has sales (its days would change under them otherwise). Every sale row and line
-- carries its local day and hour, computed at ingest from the sale's instant in that zone.
CREATE TABLE stores (
    store_id   TEXT PRIMARY KEY,
    time_zone  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Every registered terminal's store has a row from the start (see zones::ensure_store).
INSERT INTO stores (store_id, time_zone, updated_at)
SELECT DISTINCT store_id, 'Asia/Shanghai', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') FROM terminals;

-- Bill-level facts beside the totals (NULL until the lines of an older event are
-- back-filled by HQ when it starts).
ALTER TABLE sales ADD COLUMN local_day TEXT;
ALTER TABLE sales ADD COLUMN local_hour INTEGER;
ALTER TABLE sales ADD COLUMN net INTEGER;
ALTER TABLE sales ADD COLUMN discount INTEGER;
ALTER TABLE sales ADD COLUMN items INTEGER;
CREATE INDEX sales_store_day ON sales (store_id, local_day);
CREATE INDEX sales_unfilled ON sales (event_id) WHERE local_day IS NULL;

-- One row per line of every sale and return, exactly once (keyed as the sale is, by its
-- line number). Quantities are in thousandths; a return's lines are negative and name
-- the sale and line they refund. `net` excludes tax; `discount` is what promotions,
-- coupons and member prices took off the line. Department and category come from HQ's
-- catalogue when it knows the product, else from what the till sent.
CREATE TABLE sale_lines (
    store_id         TEXT NOT NULL,
    terminal_id      TEXT NOT NULL,
    receipt_no       INTEGER NOT NULL,
    line_no          INTEGER NOT NULL,
    event_id         TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('sale', 'return')),
    gtin             INTEGER NOT NULL,
    name             TEXT NOT NULL,
    department       TEXT NOT NULL,
    category         TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    net              INTEGER NOT NULL,
    tax              INTEGER NOT NULL,
    discount         INTEGER NOT NULL,
    member_id        TEXT,
    at               TEXT NOT NULL,
    local_day        TEXT NOT NULL,
    local_hour       INTEGER NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    original_receipt INTEGER,
    original_line    INTEGER,
    PRIMARY KEY (store_id, terminal_id, receipt_no, line_no)
);

-- Rollups, kept in the transaction that stores the lines. `bills` counts the sales (not
-- returns) that had a line in the row's group; `member_net` is the part of `net` sold to
-- members.
CREATE TABLE sales_by_category (
    store_id   TEXT NOT NULL,
    day        TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        INTEGER NOT NULL,
    tax        INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    quantity   INTEGER NOT NULL,
    lines      INTEGER NOT NULL,
    bills      INTEGER NOT NULL,
    member_net INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, department, category)
);
CREATE TABLE sales_by_hour (
    store_id     TEXT NOT NULL,
    day          TEXT NOT NULL,
    hour         INTEGER NOT NULL,
    bills        INTEGER NOT NULL,
    returns      INTEGER NOT NULL,
    net          INTEGER NOT NULL,
    tax          INTEGER NOT NULL,
    discount     INTEGER NOT NULL,
    items        INTEGER NOT NULL,
    member_bills INTEGER NOT NULL,
    member_net   INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, hour)
);
CREATE TABLE sales_by_product (
    store_id   TEXT NOT NULL,
    day        TEXT NOT NULL,
    gtin       INTEGER NOT NULL,
    net        INTEGER NOT NULL,
    tax        INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    quantity   INTEGER NOT NULL,
    bills      INTEGER NOT NULL,
    PRIMARY KEY (store_id, day, gtin)
);
-- A member's spending by local month (in the zone of the store they bought in).
CREATE TABLE member_months (
    member_id  TEXT NOT NULL,
    month      TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        INTEGER NOT NULL,
    quantity   INTEGER NOT NULL,
    bills      INTEGER NOT NULL,
    PRIMARY KEY (member_id, month, department, category)
);
-- The name each product last sold under (for reports on products HQ's catalogue lacks).
CREATE TABLE sold_products (
    gtin       INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL
);
