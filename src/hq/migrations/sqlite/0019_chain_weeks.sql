-- The chain's weeks by product and by department and category, made once every store has
-- rolled up all their days. As ../postgres/0019_chain_weeks.sql.
CREATE TABLE chain_weeks (
    week TEXT PRIMARY KEY
);

CREATE TABLE sales_by_product_chain_week (
    week     TEXT NOT NULL,
    gtin     INTEGER NOT NULL,
    net      INTEGER NOT NULL,
    tax      INTEGER NOT NULL,
    discount INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    bills    INTEGER NOT NULL,
    PRIMARY KEY (week, gtin)
);
CREATE INDEX sales_by_product_chain_week_net ON sales_by_product_chain_week (week, net);

CREATE TABLE sales_by_category_chain_week (
    week       TEXT NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        INTEGER NOT NULL,
    tax        INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    quantity   INTEGER NOT NULL,
    lines      INTEGER NOT NULL,
    bills      INTEGER NOT NULL,
    member_net INTEGER NOT NULL,
    PRIMARY KEY (week, department, category)
);
