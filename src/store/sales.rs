//! Completed sales and returns, written so that nothing completed is ever lost.
//!
//! Invariant: [`commit`] writes the sale (header, lines, tenders), its journal entry and its
//! outbox event in ONE SQLite transaction on `terminal.db` (WAL, `synchronous=FULL`), and
//! returns only after the commit is durable. The receipt prints after that. A kill or a
//! power cut at any instant therefore leaves the whole sale or none of it, and the journal's
//! receipt numbers stay gap-free because a rolled-back number is simply reused.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};
use storepos_sync::outbox;

use crate::journal::{self, Sealer};

use super::StoreError;

/// Links returns to the sale they refund (a later migration than [`SCHEMA`]).
pub const RETURNS_SCHEMA: &str = "
ALTER TABLE sales ADD COLUMN original_receipt INTEGER;
ALTER TABLE sale_lines ADD COLUMN original_line INTEGER;
CREATE INDEX sales_original ON sales (original_receipt) WHERE original_receipt IS NOT NULL;
";

/// Schema of the sales tables, created by the terminal store's migrations.
pub const SCHEMA: &str = "
CREATE TABLE sales (
    receipt_no  INTEGER PRIMARY KEY REFERENCES journal (receipt_no),
    kind        TEXT NOT NULL CHECK (kind IN ('sale', 'return')),
    at          TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    member_id   TEXT,
    currency    TEXT NOT NULL,
    subtotal    INTEGER NOT NULL,
    discount    INTEGER NOT NULL,
    tax         INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    rounding    INTEGER NOT NULL,
    change      INTEGER NOT NULL,
    line_count  INTEGER NOT NULL,
    event_id    TEXT NOT NULL
);
CREATE TABLE sale_lines (
    receipt_no INTEGER NOT NULL REFERENCES sales (receipt_no),
    line_no    INTEGER NOT NULL,
    gtin       INTEGER NOT NULL,
    name       TEXT NOT NULL,
    quantity   INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    discount   INTEGER NOT NULL,
    tax_bp     INTEGER NOT NULL,
    tax        INTEGER NOT NULL,
    PRIMARY KEY (receipt_no, line_no)
) WITHOUT ROWID;
CREATE TABLE sale_tenders (
    receipt_no INTEGER NOT NULL REFERENCES sales (receipt_no),
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    reference  TEXT,
    PRIMARY KEY (receipt_no, seq)
) WITHOUT ROWID;
";

pub use crate::domain::sale::{
    AgeCheck, LinePromotion, SaleKind, SaleLine, SaleRecord, Tender, TenderLine, sample_sale,
};

#[derive(Debug, thiserror::Error)]
pub enum SaleError {
    #[error("the sale does not add up: {0}")]
    Unbalanced(String),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error(transparent)]
    Outbox(#[from] outbox::OutboxError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::domain::sale::Unbalanced> for SaleError {
    fn from(e: crate::domain::sale::Unbalanced) -> Self {
        SaleError::Unbalanced(e.0)
    }
}

impl From<rusqlite::Error> for SaleError {
    fn from(e: rusqlite::Error) -> Self {
        SaleError::Store(StoreError::Sql(e))
    }
}

/// A sale made durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub receipt_no: u64,
    pub event_seq: u64,
}

/// A sale with its journal entry sealed (numbered, chained, signed) and not yet written.
/// Sealing is pure work and may happen away from the thread that writes.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub record: SaleRecord,
    pub entry: journal::Entry,
}

/// Checks a sale and seals its journal entry after `head`.
pub fn seal(
    sealer: &Sealer,
    head: journal::Head,
    record: SaleRecord,
    at: DateTime<Utc>,
) -> Result<Sealed, SaleError> {
    record.check()?;
    // Encoded once: the journal hashes exactly this text and the event carries it verbatim.
    let body = serde_json::to_string(&record).map_err(|e| SaleError::Unbalanced(e.to_string()))?;
    let entry = journal::seal(sealer, head, record.kind.as_str(), at, body);
    Ok(Sealed { record, entry })
}

/// Writes a completed sale, its journal entry and its outbox event in one durable
/// transaction. On any error nothing is written.
pub fn commit(
    conn: &mut Connection,
    sealer: &Sealer,
    record: &SaleRecord,
    at: DateTime<Utc>,
) -> Result<Committed, SaleError> {
    let sealed = seal(sealer, journal::head(conn)?, record.clone(), at)?;
    commit_sealed(conn, &sealed, at)
}

/// Writes a sealed sale, its journal entry and its outbox event in one durable
/// transaction; refused, with nothing written, if the journal moved on since the sealing.
pub fn commit_sealed(
    conn: &mut Connection,
    sealed: &Sealed,
    at: DateTime<Utc>,
) -> Result<Committed, SaleError> {
    let (record, entry) = (&sealed.record, &sealed.entry);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    journal::insert(&tx, entry)?;
    // The sale verbatim as the journal hashed it, and the entry's anchor (its hash and the
    // signer's key), which HQ keeps so the journal can be checked against it.
    let payload = crate::protocol::sale_payload(entry.receipt_no, &entry.body, &entry.anchor())
        .map_err(|e| SaleError::Unbalanced(e.to_string()))?;
    let kind = crate::protocol::Kind::of_sale(record.kind).as_str();
    let (event_id, event_seq) = outbox::append_encoded(&tx, kind, &payload, at)?;
    let receipt_no = entry.receipt_no as i64;
    tx.prepare_cached(
        "INSERT INTO sales (receipt_no, kind, at, operator_id, member_id, currency, subtotal,
                            discount, tax, total, rounding, change, line_count, event_id,
                            original_receipt, shift_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        receipt_no,
        record.kind.as_str(),
        entry.at,
        record.operator_id,
        record.member_id,
        record.currency,
        record.subtotal,
        record.discount,
        record.tax,
        record.total,
        record.rounding,
        record.change,
        record.lines.len() as i64,
        event_id.to_string(),
        record.original_receipt.map(|n| n as i64),
        record.shift_id,
    ])?;
    {
        let mut line = tx.prepare_cached(
            "INSERT INTO sale_lines (receipt_no, line_no, gtin, name, quantity, unit_price,
                                     amount, discount, tax_bp, tax, original_line, department)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        for l in &record.lines {
            line.execute(params![
                receipt_no,
                l.line_no,
                l.gtin as i64,
                l.name,
                l.quantity,
                l.unit_price,
                l.amount,
                l.discount,
                l.tax_bp,
                l.tax,
                l.original_line,
                l.department
            ])?;
        }
        let mut tender = tx.prepare_cached(
            "INSERT INTO sale_tenders (receipt_no, seq, kind, amount, reference)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (seq, t) in record.tenders.iter().enumerate() {
            tender.execute(params![
                receipt_no,
                seq as i64 + 1,
                t.kind.as_str(),
                t.amount,
                t.reference
            ])?;
        }
    }
    if let Some(loyalty) = &record.loyalty {
        super::loyalty::record_sale(&tx, entry.receipt_no, loyalty, &entry.at)?;
    }
    tx.commit()?;
    Ok(Committed {
        receipt_no: entry.receipt_no,
        event_seq,
    })
}

/// Counts that must agree after any crash: (sales, sales whose line count matches their
/// lines, journal entries, outbox events, highest receipt number).
pub fn consistency(conn: &Connection) -> Result<(u64, u64, u64, u64, u64), StoreError> {
    let one = |sql: &str| -> Result<u64, StoreError> {
        Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok((
        one("SELECT COUNT(*) FROM sales")?,
        one("SELECT COUNT(*) FROM sales s WHERE line_count =
                (SELECT COUNT(*) FROM sale_lines l WHERE l.receipt_no = s.receipt_no)
             AND EXISTS (SELECT 1 FROM sale_tenders t WHERE t.receipt_no = s.receipt_no)")?,
        one("SELECT COUNT(*) FROM journal")?,
        one("SELECT COUNT(*) FROM outbox")?,
        one("SELECT COALESCE(MAX(receipt_no), 0) FROM journal")?,
    ))
}

/// What the returns of sale `original_receipt` refunded so far, per original line
/// (positive, minor units, after discounts).
pub fn refunded_by_line(
    conn: &Connection,
    original_receipt: u64,
) -> Result<Vec<(u32, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.original_line, -SUM(l.amount - l.discount) FROM sale_lines l
         JOIN sales s ON s.receipt_no = l.receipt_no
         WHERE s.original_receipt = ?1 GROUP BY l.original_line",
    )?;
    let rows = stmt.query_map([original_receipt as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, crate::store::Store, Sealer) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(
            dir.path(),
            crate::store::Identity {
                store_id: "S001".into(),
                terminal_id: "T01".into(),
                currency: iso_currency::Currency::CNY,
            },
        )
        .unwrap();
        let sealer = Sealer::from_secret([1; 32]);
        (dir, store, sealer)
    }

    #[test]
    fn a_sale_its_journal_entry_and_its_event_land_together() {
        let (_dir, mut store, sealer) = open();
        for i in 0..3 {
            let c = commit(&mut store.terminal, &sealer, &sample_sale(4, i), Utc::now()).unwrap();
            assert_eq!((c.receipt_no, c.event_seq), (i + 1, i + 1));
        }
        assert_eq!(consistency(&store.terminal).unwrap(), (3, 3, 3, 3, 3));
        let v = journal::verify(&store.terminal, &sealer.verifying_key()).unwrap();
        assert!(v.first_bad.is_none());
    }

    #[test]
    fn an_unbalanced_sale_writes_nothing() {
        let (_dir, mut store, sealer) = open();
        let mut bad = sample_sale(2, 0);
        bad.change += 1;
        assert!(matches!(
            commit(&mut store.terminal, &sealer, &bad, Utc::now()),
            Err(SaleError::Unbalanced(_))
        ));
        let mut bad = sample_sale(2, 0);
        bad.lines[0].amount += 1;
        assert!(commit(&mut store.terminal, &sealer, &bad, Utc::now()).is_err());
        assert_eq!(consistency(&store.terminal).unwrap(), (0, 0, 0, 0, 0));
    }

    #[test]
    fn a_record_without_an_age_check_reads_and_encodes_as_before() {
        // A record written before age checks existed: read back, it has none, and it
        // encodes to the same text, so its journal hash is unchanged.
        let old = serde_json::to_string(&sample_sale(2, 0)).unwrap();
        assert!(!old.contains("age_check"));
        let read: SaleRecord = serde_json::from_str(&old).unwrap();
        assert_eq!(read.age_check, None);
        assert_eq!(serde_json::to_string(&read).unwrap(), old);
        // One with a check keeps who confirmed it and when.
        let mut checked = sample_sale(1, 0);
        checked.age_check = Some(AgeCheck {
            operator_id: "1001".into(),
            at: "2024-03-01T02:00:00Z".parse().unwrap(),
        });
        let text = serde_json::to_string(&checked).unwrap();
        assert!(
            text.contains(r#""age_check":{"operator_id":"1001","at":"2024-03-01T02:00:00Z"}"#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<SaleRecord>(&text).unwrap(), checked);
    }

    #[test]
    fn a_failure_inside_the_transaction_rolls_everything_back() {
        let (_dir, mut store, sealer) = open();
        commit(&mut store.terminal, &sealer, &sample_sale(1, 0), Utc::now()).unwrap();
        // A sale line that violates the schema (duplicate line number) fails after the
        // journal entry and the event were written inside the transaction.
        let mut dup = sample_sale(2, 1);
        dup.lines[1].line_no = 1;
        assert!(commit(&mut store.terminal, &sealer, &dup, Utc::now()).is_err());
        assert_eq!(consistency(&store.terminal).unwrap(), (1, 1, 1, 1, 1));
        let next = commit(&mut store.terminal, &sealer, &sample_sale(1, 2), Utc::now()).unwrap();
        assert_eq!(next.receipt_no, 2, "no gap after a rolled-back sale");
    }
}
