-- The members who bought in a store in a year, with a bit per month they bought in
-- (bit m - 1 for month m), made from `customers_by_month` whenever a month of the store is
-- rolled up. A quarter's or a year's distinct customers are counted from one row per
-- member here rather than one per member and month. Bits of months from the store's
-- `months_until` on may be stale: reports mask them off and read those months by day.
CREATE TABLE customers_by_year (
    store_id  TEXT NOT NULL,
    year      DATE NOT NULL,
    member_id TEXT NOT NULL,
    months    BIGINT NOT NULL CHECK (months > 0 AND months < 4096),
    PRIMARY KEY (store_id, year, member_id)
);
INSERT INTO customers_by_year (store_id, year, member_id, months)
SELECT store_id, CAST(date_trunc('year', month) AS DATE), member_id,
       CAST(SUM(CAST(1 AS BIGINT) << (CAST(EXTRACT(MONTH FROM month) AS INT) - 1)) AS BIGINT)
FROM customers_by_month
GROUP BY store_id, CAST(date_trunc('year', month) AS DATE), member_id;
