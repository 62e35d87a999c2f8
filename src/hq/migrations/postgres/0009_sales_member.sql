-- One member's sales by time: the lists a store asks HQ to make for one member read them.
CREATE INDEX sales_member ON sales (member_id, at) WHERE member_id IS NOT NULL;
