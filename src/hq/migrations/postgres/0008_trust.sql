-- What HQ keeps to trust a till no further than its token: each event's payload hash (a
-- resend under the same sequence must be the same event), the rule a parked event broke
-- (kept, never applied, its sequence held), the sequence conflicts it answered 409 to,
-- and the link from a return to its sale (a return never gives back more than its sale).
ALTER TABLE events ADD COLUMN payload_hash TEXT;
ALTER TABLE events ADD COLUMN refused_rule TEXT;
ALTER TABLE events ADD COLUMN refused_message TEXT;
CREATE INDEX events_refused ON events (store_id, received_at) WHERE refused_rule IS NOT NULL;

ALTER TABLE sales ADD COLUMN original_receipt BIGINT;
CREATE INDEX sales_original ON sales (store_id, terminal_id, original_receipt)
    WHERE original_receipt IS NOT NULL;
CREATE INDEX point_transfers_event ON point_transfers (event_id);

CREATE TABLE seq_conflicts (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    held_id     UUID NOT NULL,
    sent_id     UUID NOT NULL,
    message     TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (store_id, terminal_id, seq, sent_id)
);
