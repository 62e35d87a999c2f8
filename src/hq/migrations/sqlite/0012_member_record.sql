-- Metro's member record: the member's address and customer type (household, business or
-- staff); both optional, so members stored before keep reading.
ALTER TABLE members ADD COLUMN address TEXT;
ALTER TABLE members ADD COLUMN customer_type TEXT
    CHECK (customer_type IN ('household', 'business', 'staff'));
-- The chain-wide member view reads one member's complaints and one list's offers.
CREATE INDEX IF NOT EXISTS complaints_by_member ON complaints (member_id, at)
    WHERE member_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS list_offers_by_list ON list_offers (list_id);
