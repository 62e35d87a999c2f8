-- What every store sold, line by line, and the rollups the sales reports read.
--
-- A store's days and hours are its own: each store has an IANA time zone, fixed once the
-- store has sales (its days would change under them otherwise). Every sale row and line
-- carries its local day and hour, computed at ingest from the sale's instant in that zone.
CREATE TABLE stores (
    store_id   TEXT PRIMARY KEY,
    time_zone  TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every registered terminal's store has a row from the start (see zones::ensure_store).
INSERT INTO stores (store_id, time_zone, updated_at)
SELECT DISTINCT store_id, 'Asia/Shanghai', now() FROM terminals;

-- Bill-level facts beside the totals (NULL until the lines of an older event are
-- back-filled by HQ when it starts).
ALTER TABLE sales ADD COLUMN local_day DATE;
ALTER TABLE sales ADD COLUMN local_hour SMALLINT;
ALTER TABLE sales ADD COLUMN net BIGINT;
ALTER TABLE sales ADD COLUMN discount BIGINT;
ALTER TABLE sales ADD COLUMN items BIGINT;
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
    receipt_no       BIGINT NOT NULL,
    line_no          INTEGER NOT NULL,
    event_id         UUID NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('sale', 'return')),
    gtin             BIGINT NOT NULL,
    name             TEXT NOT NULL,
    department       TEXT NOT NULL,
    category         TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    net              BIGINT NOT NULL,
    tax              BIGINT NOT NULL,
    discount         BIGINT NOT NULL,
    member_id        TEXT,
    at               TIMESTAMPTZ NOT NULL,
    local_day        DATE NOT NULL,
    local_hour       SMALLINT NOT NULL CHECK (local_hour BETWEEN 0 AND 23),
    original_receipt BIGINT,
    original_line    INTEGER,
    PRIMARY KEY (store_id, terminal_id, receipt_no, line_no)
);

-- Rollups, kept in the transaction that stores the lines. `bills` counts the sales (not
-- returns) that had a line in the row's group; `member_net` is the part of `net` sold to
-- members.
CREATE TABLE sales_by_category (
    store_id   TEXT NOT NULL,
    day        DATE NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        BIGINT NOT NULL,
    tax        BIGINT NOT NULL,
    discount   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    lines      BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    member_net BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, department, category)
);
CREATE TABLE sales_by_hour (
    store_id     TEXT NOT NULL,
    day          DATE NOT NULL,
    hour         SMALLINT NOT NULL,
    bills        BIGINT NOT NULL,
    returns      BIGINT NOT NULL,
    net          BIGINT NOT NULL,
    tax          BIGINT NOT NULL,
    discount     BIGINT NOT NULL,
    items        BIGINT NOT NULL,
    member_bills BIGINT NOT NULL,
    member_net   BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, hour)
);
CREATE TABLE sales_by_product (
    store_id   TEXT NOT NULL,
    day        DATE NOT NULL,
    gtin       BIGINT NOT NULL,
    net        BIGINT NOT NULL,
    tax        BIGINT NOT NULL,
    discount   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    PRIMARY KEY (store_id, day, gtin)
);
-- A member's spending by local month (in the zone of the store they bought in).
CREATE TABLE member_months (
    member_id  TEXT NOT NULL,
    month      DATE NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    PRIMARY KEY (member_id, month, department, category)
);
-- The name each product last sold under (for reports on products HQ's catalogue lacks).
CREATE TABLE sold_products (
    gtin       BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL
);
