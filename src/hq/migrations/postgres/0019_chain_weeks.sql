-- The chain's weeks (ISO, `week` its Monday) by product and by department and category.
-- A chain week read from the day rollups is every store's seven days of rows, tens of
-- thousands of products to sum and sort; these tables hold each week once every store has
-- rolled up all its days (`chain_weeks` names the weeks they hold), made from the day
-- rollups then, and dropped again when a store rolls up one of the week's months anew (a
-- late sale reached it).
CREATE TABLE chain_weeks (
    week DATE PRIMARY KEY
);

CREATE TABLE sales_by_product_chain_week (
    week     DATE NOT NULL,
    gtin     BIGINT NOT NULL,
    net      BIGINT NOT NULL,
    tax      BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    bills    BIGINT NOT NULL,
    PRIMARY KEY (week, gtin)
);
CREATE INDEX sales_by_product_chain_week_net ON sales_by_product_chain_week (week, net);

CREATE TABLE sales_by_category_chain_week (
    week       DATE NOT NULL,
    department TEXT NOT NULL,
    category   TEXT NOT NULL,
    net        BIGINT NOT NULL,
    tax        BIGINT NOT NULL,
    discount   BIGINT NOT NULL,
    quantity   BIGINT NOT NULL,
    lines      BIGINT NOT NULL,
    bills      BIGINT NOT NULL,
    member_net BIGINT NOT NULL,
    PRIMARY KEY (week, department, category)
);
