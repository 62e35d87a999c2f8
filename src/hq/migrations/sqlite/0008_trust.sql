-- What HQ keeps to trust a till no further than its token (see ../postgres/0008_trust.sql).
ALTER TABLE events ADD COLUMN payload_hash TEXT;
ALTER TABLE events ADD COLUMN refused_rule TEXT;
ALTER TABLE events ADD COLUMN refused_message TEXT;
CREATE INDEX events_refused ON events (store_id, received_at) WHERE refused_rule IS NOT NULL;

ALTER TABLE sales ADD COLUMN original_receipt INTEGER;
CREATE INDEX sales_original ON sales (store_id, terminal_id, original_receipt)
    WHERE original_receipt IS NOT NULL;
CREATE INDEX point_transfers_event ON point_transfers (event_id);

CREATE TABLE seq_conflicts (
    store_id    TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    held_id     TEXT NOT NULL,
    sent_id     TEXT NOT NULL,
    message     TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (store_id, terminal_id, seq, sent_id)
);
