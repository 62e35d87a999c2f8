-- The chain's products of a whole month, quarter or year by their net sales: the best and
-- worst sellers, and a breakdown's largest products, are read from the head and the tail
-- of these indexes while the chain's tables hold the whole period, rather than by summing
-- and sorting every product of it.
CREATE INDEX sales_by_product_chain_month_net ON sales_by_product_chain_month (month, net);
CREATE INDEX sales_by_product_chain_year_net ON sales_by_product_chain_year (year, net);

-- The chain's products by quarter (`quarter` its first day), kept as the table by year is:
-- the sum of every store's rolled-up months, read while every store has rolled up the same
-- months and none is stale.
CREATE TABLE sales_by_product_chain_quarter (
    quarter  DATE NOT NULL,
    gtin     BIGINT NOT NULL,
    net      BIGINT NOT NULL,
    tax      BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    bills    BIGINT NOT NULL,
    PRIMARY KEY (quarter, gtin)
);
CREATE INDEX sales_by_product_chain_quarter_net ON sales_by_product_chain_quarter (quarter, net);
INSERT INTO sales_by_product_chain_quarter (quarter, gtin, net, tax, discount, quantity, bills)
SELECT CAST(date_trunc('quarter', month) AS DATE), gtin, SUM(net), SUM(tax), SUM(discount),
       SUM(quantity), SUM(bills)
FROM sales_by_product_month
GROUP BY 1, gtin
HAVING SUM(net) <> 0 OR SUM(tax) <> 0 OR SUM(discount) <> 0 OR SUM(quantity) <> 0
    OR SUM(bills) <> 0;

-- The refused events in the order the reconciliation lists them: read from this small
-- index, not by walking every event in that order.
CREATE INDEX events_refused_in_order ON events (store_id, terminal_id, seq)
    WHERE refused_rule IS NOT NULL;

-- Each store's products by year, made again from its month rows whenever a roll-up touches
-- the year (as `customers_by_year`), read by net while the store has rolled up the whole
-- year: a store's year report neither sums twelve months of products nor sorts them.
CREATE TABLE sales_by_product_store_year (
    store_id TEXT NOT NULL,
    year     DATE NOT NULL,
    gtin     BIGINT NOT NULL,
    net      BIGINT NOT NULL,
    tax      BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    bills    BIGINT NOT NULL,
    PRIMARY KEY (store_id, year, gtin)
);
CREATE INDEX sales_by_product_store_year_net ON sales_by_product_store_year (store_id, year, net);
INSERT INTO sales_by_product_store_year
    (store_id, year, gtin, net, tax, discount, quantity, bills)
SELECT store_id, CAST(date_trunc('year', month) AS DATE), gtin, SUM(net), SUM(tax),
       SUM(discount), SUM(quantity), SUM(bills)
FROM sales_by_product_month
GROUP BY store_id, 2, gtin;

-- The chain's departments and categories by quarter, kept as its products by quarter are.
CREATE TABLE sales_by_category_chain_quarter (
    quarter    DATE NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        BIGINT NOT NULL,
    tax        BIGINT NOT NULL,
    discount   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    lines      BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    member_net BIGINT NOT NULL,
    PRIMARY KEY (quarter, department, category)
);
INSERT INTO sales_by_category_chain_quarter
    (quarter, department, category, net, tax, discount, quantity, lines, bills, member_net)
SELECT CAST(date_trunc('quarter', month) AS DATE), department, category, SUM(net), SUM(tax), SUM(discount), SUM(quantity),
       SUM(lines), SUM(bills), SUM(member_net)
FROM sales_by_category_month
GROUP BY 1, department, category
HAVING SUM(net) <> 0 OR SUM(tax) <> 0 OR SUM(discount) <> 0 OR SUM(quantity) <> 0
    OR SUM(lines) <> 0 OR SUM(bills) <> 0 OR SUM(member_net) <> 0;

-- The chain's departments and categories by year, kept as its products by year are.
CREATE TABLE sales_by_category_chain_year (
    year    DATE NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        BIGINT NOT NULL,
    tax        BIGINT NOT NULL,
    discount   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    lines      BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    member_net BIGINT NOT NULL,
    PRIMARY KEY (year, department, category)
);
INSERT INTO sales_by_category_chain_year
    (year, department, category, net, tax, discount, quantity, lines, bills, member_net)
SELECT CAST(date_trunc('year', month) AS DATE), department, category, SUM(net), SUM(tax), SUM(discount), SUM(quantity),
       SUM(lines), SUM(bills), SUM(member_net)
FROM sales_by_category_month
GROUP BY 1, department, category
HAVING SUM(net) <> 0 OR SUM(tax) <> 0 OR SUM(discount) <> 0 OR SUM(quantity) <> 0
    OR SUM(lines) <> 0 OR SUM(bills) <> 0 OR SUM(member_net) <> 0;
