-- The rollups of a store's closed months, which long reports (a quarter, a year) read
-- instead of a row per day. HQ makes them from the day rollups once a month has closed
-- in the store's zone (sale_lines::months); until then, and for any month a late sale
-- has reached since, reports read the day rollups.
--
-- `months_until` is the first day of the first month the month rollups do not hold:
-- months before it are rolled up and current, later ones are read by day. A sale stored
-- for a day before it moves it back to the sale's month in the same transaction.
ALTER TABLE stores ADD COLUMN months_until TEXT NOT NULL DEFAULT '1900-01-01';
-- The first month after those whose rows the chain's tables below hold. A late sale moves
-- `months_until` back but not this: the months between are held, but stale until rolled up
-- again.
ALTER TABLE stores ADD COLUMN months_summed TEXT NOT NULL DEFAULT '1900-01-01';

CREATE TABLE sales_by_category_month (
    store_id   TEXT NOT NULL,
    month      TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        INTEGER NOT NULL,
    tax        INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    quantity   INTEGER NOT NULL,
    lines      INTEGER NOT NULL,
    bills      INTEGER NOT NULL,
    member_net INTEGER NOT NULL,
    PRIMARY KEY (store_id, month, department, category)
);
CREATE TABLE sales_by_hour_month (
    store_id     TEXT NOT NULL,
    month        TEXT NOT NULL,
    hour         INTEGER NOT NULL,
    bills        INTEGER NOT NULL,
    returns      INTEGER NOT NULL,
    net          INTEGER NOT NULL,
    tax          INTEGER NOT NULL,
    discount     INTEGER NOT NULL,
    items        INTEGER NOT NULL,
    member_bills INTEGER NOT NULL,
    member_net   INTEGER NOT NULL,
    PRIMARY KEY (store_id, month, hour)
);
CREATE TABLE sales_by_product_month (
    store_id TEXT NOT NULL,
    month    TEXT NOT NULL,
    gtin     INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    tax      INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    bills    INTEGER NOT NULL,
    PRIMARY KEY (store_id, month, gtin)
);
-- The members who bought in a store in a month, and at which local hours (bit h set: a
-- sale in hour h): distinct customers do not add up across days, so they are counted
-- from these rows.
CREATE TABLE customers_by_month (
    store_id  TEXT NOT NULL,
    month     TEXT NOT NULL,
    member_id TEXT NOT NULL,
    hours     INTEGER NOT NULL CHECK (hours > 0 AND hours < 16777216),
    PRIMARY KEY (store_id, month, member_id)
);
-- The chain's products by month: the sum of the stores' rows of `sales_by_product_month`
-- that are rolled up. A month is the chain's whole only while every store has it rolled
-- up (before the least `months_until`); a chain-wide report reads it from here then, and
-- per store otherwise. Rolling a store's month up again takes its old rows out first.
CREATE TABLE sales_by_product_chain_month (
    month    TEXT NOT NULL,
    gtin     INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    tax      INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    bills    INTEGER NOT NULL,
    PRIMARY KEY (month, gtin)
);
-- The same by year (`year` its first day): a chain-wide year's products read here while
-- every store has rolled up the same months and none is stale.
CREATE TABLE sales_by_product_chain_year (
    year     TEXT NOT NULL,
    gtin     INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    tax      INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    bills    INTEGER NOT NULL,
    PRIMARY KEY (year, gtin)
);
