-- One member's sales by time (see ../postgres/0009_sales_member.sql).
CREATE INDEX sales_member ON sales (member_id, at) WHERE member_id IS NOT NULL;
