//! The electronic journal: every completed transaction of a terminal, in order, sealed.
//!
//! Invariants, checked by [`verify`]:
//! - receipt numbers start at 1 and have no gaps (a missing number is a missing receipt);
//! - each entry's hash is SHA-256 over the previous entry's hash and this entry's canonical
//!   encoding (receipt number, kind, time, body), so changing, removing or reordering any
//!   byte of any earlier entry breaks every hash after it;
//! - each hash is signed with the terminal's Ed25519 key, so the chain cannot be rebuilt
//!   without the key.
//!
//! The key sits beside the journal, so whoever can edit the data directory can cut the
//! journal's tail, or rewrite entries and sign them again (with this key or a new one), and
//! [`verify`] alone cannot tell. The chain is therefore anchored outside the till: each
//! sale's event carries its entry's hash and the signer's public key ([`Entry::anchor`]),
//! HQ keeps them, and [`verify_against`] compares the journal with what HQ holds: an
//! anchored receipt missing here is a cut, another hash a rewrite, another key a
//! replaced key.
//!
//! Entries are appended inside the caller's transaction (the one that also writes the sale
//! and its outbox event), so a journal entry exists exactly when its transaction does.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use storepos_sync::anchor::{HeldAnchor, JournalAnchor};

/// File in the data directory holding the terminal's signing key (owner-only permissions).
pub const KEY_FILE: &str = "terminal.key";

/// Hash that the first entry chains from.
pub const GENESIS: [u8; 32] = [0; 32];

/// Schema of the journal table, created by the terminal store's migrations.
pub const SCHEMA: &str = "
CREATE TABLE journal (
    receipt_no INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    body       TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL,
    signature  BLOB NOT NULL
);
";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("signing key {path}: {message}")]
    Key { path: String, message: String },
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("entry {receipt_no} was sealed against a stale head: the journal ends at {head}")]
    Stale { receipt_no: u64, head: u64 },
}

/// One sealed journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub receipt_no: u64,
    pub kind: String,
    pub at: String,
    /// Canonical JSON of the transaction, stored exactly as hashed.
    pub body: String,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub signature: [u8; 64],
    /// The public key of the signer (not stored in the journal: it is the terminal's key).
    pub key: [u8; 32],
}

/// The hash of an entry: SHA-256 over the previous hash and the length-prefixed fields.
pub fn entry_hash(prev: &[u8; 32], receipt_no: u64, kind: &str, at: &str, body: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(receipt_no.to_be_bytes());
    for field in [kind, at, body] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// The terminal's signing key.
pub struct Sealer {
    key: SigningKey,
}

impl Sealer {
    pub fn from_secret(secret: [u8; 32]) -> Sealer {
        Sealer {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// Loads the key from the data directory; a missing key is an error.
    pub fn load(dir: &Path) -> Result<Sealer, JournalError> {
        let path = dir.join(KEY_FILE);
        if !path.exists() {
            return Err(JournalError::Key {
                path: path.display().to_string(),
                message: "is missing: without it the journal cannot be verified".into(),
            });
        }
        Sealer::load_or_create(dir)
    }

    /// The key of the journal in `conn`: created only while the journal is empty. A key lost
    /// beside a journal with entries is an error naming its file, never a new key, which
    /// would sign new entries that no longer chain to a verifiable past.
    pub fn for_journal(dir: &Path, conn: &Connection) -> Result<Sealer, JournalError> {
        let entries: i64 = conn.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?;
        let path = dir.join(KEY_FILE);
        if entries > 0 && !path.exists() {
            return Err(JournalError::Key {
                path: path.display().to_string(),
                message: format!(
                    "is missing, but the journal's entries ({entries}) were signed with it: \
                     restore the key from a backup (a new key would not verify them)"
                ),
            });
        }
        Sealer::load_or_create(dir)
    }

    /// Loads the key from the data directory, creating it on first use.
    pub fn load_or_create(dir: &Path) -> Result<Sealer, JournalError> {
        let path = dir.join(KEY_FILE);
        let err = |message: String| JournalError::Key {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let secret: [u8; 32] = hex::decode(bytes.trim_ascii())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| err("is not a 32-byte hex key".into()))?;
                Ok(Sealer::from_secret(secret))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret).map_err(|e| err(format!("no randomness: {e}")))?;
                write_private(&path, hex::encode(secret).as_bytes())
                    .map_err(|e| err(e.to_string()))?;
                Ok(Sealer::from_secret(secret))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The end of the chain: the last receipt number (0 when empty) and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub receipt_no: u64,
    pub hash: [u8; 32],
}

impl Head {
    pub const EMPTY: Head = Head {
        receipt_no: 0,
        hash: GENESIS,
    };
}

/// The journal's current head as stored.
pub fn head(conn: &Connection) -> Result<Head, JournalError> {
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT receipt_no, hash FROM journal ORDER BY receipt_no DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match last {
        None => Head::EMPTY,
        Some((n, hash)) => Head {
            receipt_no: n as u64,
            hash: hash.try_into().map_err(|_| {
                rusqlite::Error::InvalidColumnType(1, "hash".into(), rusqlite::types::Type::Blob)
            })?,
        },
    })
}

/// Seals the entry that follows `head`: next receipt number, chained hash, signature.
/// Nothing is written; [`insert`] writes it if the head is still the same.
pub fn seal(sealer: &Sealer, head: Head, kind: &str, at: DateTime<Utc>, body: String) -> Entry {
    let receipt_no = head.receipt_no + 1;
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let hash = entry_hash(&head.hash, receipt_no, kind, &at, &body);
    let signature = sealer.key.sign(&hash).to_bytes();
    Entry {
        receipt_no,
        kind: kind.to_string(),
        at,
        body,
        prev_hash: head.hash,
        hash,
        signature,
        key: sealer.key.verifying_key().to_bytes(),
    }
}

impl Entry {
    /// The head once this entry is written.
    pub fn head(&self) -> Head {
        Head {
            receipt_no: self.receipt_no,
            hash: self.hash,
        }
    }

    /// What the entry's event carries to HQ: its hash and the signer's public key.
    pub fn anchor(&self) -> JournalAnchor {
        JournalAnchor {
            hash: hex::encode(self.hash),
            key: hex::encode(self.key),
        }
    }
}

/// Writes a sealed entry, inside the caller's transaction, after checking that it follows
/// the stored head: an entry sealed against a stale head is refused, never written out of
/// chain.
pub fn insert(conn: &Connection, entry: &Entry) -> Result<(), JournalError> {
    let stored = head(conn)?;
    if stored.receipt_no + 1 != entry.receipt_no || stored.hash != entry.prev_hash {
        return Err(JournalError::Stale {
            receipt_no: entry.receipt_no,
            head: stored.receipt_no,
        });
    }
    conn.prepare_cached(
        "INSERT INTO journal (receipt_no, kind, at, body, prev_hash, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        entry.receipt_no as i64,
        entry.kind,
        entry.at,
        entry.body,
        &entry.prev_hash[..],
        &entry.hash[..],
        &entry.signature[..]
    ])?;
    Ok(())
}

/// Appends an entry with the next receipt number. Call inside the transaction that makes
/// the change it records.
pub fn append(
    conn: &Connection,
    sealer: &Sealer,
    kind: &str,
    at: DateTime<Utc>,
    body: &str,
) -> Result<Entry, JournalError> {
    let entry = seal(sealer, head(conn)?, kind, at, body.to_string());
    insert(conn, &entry)?;
    Ok(entry)
}

/// The first entry that breaks an invariant, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    pub receipt_no: u64,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub first_bad: Option<BadEntry>,
}

/// Walks the whole journal and reports the first entry that is out of sequence, does not
/// chain, does not hash to its stored hash, or carries a bad signature.
pub fn verify(conn: &Connection, key: &VerifyingKey) -> Result<Verification, JournalError> {
    let mut stmt = conn.prepare(
        "SELECT receipt_no, kind, at, body, prev_hash, hash, signature FROM journal ORDER BY receipt_no",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_no = 1u64;
    let mut prev = GENESIS;
    let mut entries = 0;
    while let Some(r) = rows.next()? {
        entries += 1;
        let receipt_no = r.get::<_, i64>(0)? as u64;
        let bad = |reason: &str| {
            Ok(Verification {
                entries,
                first_bad: Some(BadEntry {
                    receipt_no,
                    reason: reason.to_string(),
                }),
            })
        };
        if receipt_no != expected_no {
            return bad(&format!(
                "receipt number {receipt_no} follows {}: receipts {expected_no}–{} are missing",
                expected_no - 1,
                receipt_no - 1
            ));
        }
        let kind: String = r.get(1)?;
        let at: String = r.get(2)?;
        let body: String = r.get(3)?;
        let stored_prev: Vec<u8> = r.get(4)?;
        let stored_hash: Vec<u8> = r.get(5)?;
        let signature: Vec<u8> = r.get(6)?;
        if stored_prev != prev {
            return bad("does not chain from the previous entry's hash");
        }
        let hash = entry_hash(&prev, receipt_no, &kind, &at, &body);
        if stored_hash != hash {
            return bad("content does not match its hash: the entry was altered");
        }
        let Ok(signature) = <[u8; 64]>::try_from(signature.as_slice()) else {
            return bad("signature is not 64 bytes");
        };
        if key
            .verify(&hash, &Signature::from_bytes(&signature))
            .is_err()
        {
            return bad("signature does not verify with this terminal's key");
        }
        prev = hash;
        expected_no += 1;
    }
    Ok(Verification {
        entries,
        first_bad: None,
    })
}

/// What [`verify_against`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnchorCheck {
    /// Anchors HQ holds for this terminal.
    pub anchors: u64,
    /// Entries of the local journal.
    pub entries: u64,
    /// Local entries HQ holds no anchor for yet (not uploaded, or sold before anchoring).
    pub unanchored: u64,
    /// The lowest receipt whose anchor the journal does not match, and why.
    pub first_bad: Option<BadEntry>,
}

/// Compares the journal with the anchors HQ holds for this terminal, by receipt number:
/// a receipt HQ holds that the journal lacks means entries were removed; another key than
/// `key` (the key the journal verifies with) means the key was replaced and the journal
/// signed again; another hash means the entry was rewritten (and signed again, if
/// [`verify`] passes). Reports the lowest receipt that differs.
pub fn verify_against(
    conn: &Connection,
    key: &VerifyingKey,
    anchors: &[HeldAnchor],
) -> Result<AnchorCheck, JournalError> {
    let mut local = std::collections::BTreeMap::new();
    {
        let mut stmt = conn.prepare("SELECT receipt_no, hash FROM journal")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            local.insert(
                r.get::<_, i64>(0)? as u64,
                hex::encode(r.get::<_, Vec<u8>>(1)?),
            );
        }
    }
    let last_local = local.keys().next_back().copied().unwrap_or(0);
    let key_hex = hex::encode(key.to_bytes());
    let mut sorted: Vec<&HeldAnchor> = anchors.iter().collect();
    sorted.sort_by_key(|a| (a.receipt_no, a.seq));
    let mut first_bad = None;
    for anchor in &sorted {
        let bad = |reason: String| BadEntry {
            receipt_no: anchor.receipt_no,
            reason,
        };
        let found = match local.get(&anchor.receipt_no) {
            None => Some(bad(format!(
                "HQ holds receipt {} (event {}) but the journal here {}: entries were removed",
                anchor.receipt_no,
                anchor.seq,
                if last_local == 0 {
                    "is empty".to_string()
                } else {
                    format!("ends at receipt {last_local}")
                }
            ))),
            Some(_) if !anchor.key.eq_ignore_ascii_case(&key_hex) => Some(bad(format!(
                "HQ holds it signed with key {}, the journal here is signed with key {}: \
                 the signing key was replaced and the journal signed again",
                anchor.key, key_hex
            ))),
            Some(hash) if !anchor.hash.eq_ignore_ascii_case(hash) => Some(bad(format!(
                "HQ holds it with hash {}, the entry here hashes to {hash}: the entry was \
                 rewritten and the chain signed again",
                anchor.hash
            ))),
            Some(_) => None,
        };
        if found.is_some() {
            first_bad = found;
            break;
        }
    }
    let anchored: std::collections::BTreeSet<u64> = sorted.iter().map(|a| a.receipt_no).collect();
    Ok(AnchorCheck {
        anchors: anchors.len() as u64,
        entries: local.len() as u64,
        unanchored: local.keys().filter(|n| !anchored.contains(n)).count() as u64,
        first_bad,
    })
}

/// Writes the journal as JSON lines (hashes and signatures in hex); returns the count.
pub fn export(conn: &Connection, out: &mut impl Write) -> Result<u64, JournalError> {
    let mut stmt = conn.prepare(
        "SELECT receipt_no, kind, at, body, prev_hash, hash, signature FROM journal ORDER BY receipt_no",
    )?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let body: String = r.get(3)?;
        let body: serde_json::Value =
            serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        let line = serde_json::json!({
            "receipt_no": r.get::<_, i64>(0)?,
            "kind": r.get::<_, String>(1)?,
            "at": r.get::<_, String>(2)?,
            "body": body,
            "prev_hash": hex::encode(r.get::<_, Vec<u8>>(4)?),
            "hash": hex::encode(r.get::<_, Vec<u8>>(5)?),
            "signature": hex::encode(r.get::<_, Vec<u8>>(6)?),
        });
        writeln!(out, "{line}")?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn journal_with(n: u64) -> (Connection, Sealer) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let sealer = Sealer::from_secret([7; 32]);
        let at = DateTime::parse_from_rfc3339("2017-12-04T09:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        for i in 0..n {
            let e = append(
                &conn,
                &sealer,
                "sale",
                at,
                &json!({ "total": "12.30", "i": i }).to_string(),
            )
            .unwrap();
            assert_eq!(e.receipt_no, i + 1);
        }
        (conn, sealer)
    }

    fn first_bad(conn: &Connection, sealer: &Sealer) -> Option<BadEntry> {
        verify(conn, &sealer.verifying_key()).unwrap().first_bad
    }

    #[test]
    fn an_untouched_journal_verifies() {
        let (conn, sealer) = journal_with(5);
        let v = verify(&conn, &sealer.verifying_key()).unwrap();
        assert_eq!(
            v,
            Verification {
                entries: 5,
                first_bad: None
            }
        );
    }

    #[test]
    fn a_changed_byte_is_found_at_its_entry() {
        let (conn, sealer) = journal_with(5);
        conn.execute(
            "UPDATE journal SET body = replace(body, '12.30', '12.31') WHERE receipt_no = 3",
            [],
        )
        .unwrap();
        let bad = first_bad(&conn, &sealer).unwrap();
        assert_eq!(bad.receipt_no, 3);
        assert!(bad.reason.contains("altered"), "{}", bad.reason);
    }

    #[test]
    fn a_rebuilt_chain_without_the_key_is_found() {
        let (conn, sealer) = journal_with(3);
        // Recompute hash 2 honestly but sign with another key.
        let forger = Sealer::from_secret([9; 32]);
        conn.execute("DELETE FROM journal WHERE receipt_no >= 2", [])
            .unwrap();
        append(
            &conn,
            &forger,
            "sale",
            Utc::now(),
            &json!({ "total": "0.01" }).to_string(),
        )
        .unwrap();
        let bad = first_bad(&conn, &sealer).unwrap();
        assert_eq!(bad.receipt_no, 2);
        assert!(bad.reason.contains("signature"), "{}", bad.reason);
    }

    #[test]
    fn a_missing_receipt_is_found() {
        let (conn, sealer) = journal_with(4);
        conn.execute("DELETE FROM journal WHERE receipt_no = 2", [])
            .unwrap();
        let bad = first_bad(&conn, &sealer).unwrap();
        assert_eq!(bad.receipt_no, 3);
        assert!(bad.reason.contains("missing"), "{}", bad.reason);
    }

    #[test]
    fn every_single_byte_change_of_a_body_is_found() {
        let (conn, sealer) = journal_with(2);
        let body: String = conn
            .query_row("SELECT body FROM journal WHERE receipt_no = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        for i in 0..body.len() {
            let mut bytes = body.clone().into_bytes();
            bytes[i] ^= 0x01;
            conn.execute(
                "UPDATE journal SET body = CAST(?1 AS TEXT) WHERE receipt_no = 1",
                [bytes],
            )
            .unwrap();
            assert_eq!(
                first_bad(&conn, &sealer).map(|b| b.receipt_no),
                Some(1),
                "byte {i}"
            );
        }
    }

    /// The anchors HQ would hold had every entry of the journal been uploaded.
    fn anchors_of(conn: &Connection, sealer: &Sealer) -> Vec<HeldAnchor> {
        let mut stmt = conn
            .prepare("SELECT receipt_no, hash FROM journal ORDER BY receipt_no")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .unwrap()
            .map(|row| {
                let (n, hash) = row.unwrap();
                HeldAnchor {
                    seq: n as u64,
                    receipt_no: n as u64,
                    hash: hex::encode(hash),
                    key: hex::encode(sealer.verifying_key().to_bytes()),
                }
            })
            .collect()
    }

    /// Signs the journal again from `from` on, as whoever holds `sealer` could.
    fn resign(conn: &Connection, sealer: &Sealer, from: u64) {
        let entries: Vec<(u64, String, String, String)> = conn
            .prepare("SELECT receipt_no, kind, at, body FROM journal WHERE receipt_no >= ?1 ORDER BY receipt_no")
            .unwrap()
            .query_map([from as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        conn.execute("DELETE FROM journal WHERE receipt_no >= ?1", [from as i64])
            .unwrap();
        for (receipt_no, kind, at, body) in entries {
            let prev_hash = head(conn).unwrap().hash;
            let hash = entry_hash(&prev_hash, receipt_no, &kind, &at, &body);
            let entry = Entry {
                receipt_no,
                kind,
                at,
                body,
                prev_hash,
                hash,
                signature: sealer.key.sign(&hash).to_bytes(),
                key: sealer.verifying_key().to_bytes(),
            };
            insert(conn, &entry).unwrap();
        }
    }

    #[test]
    fn the_journal_agrees_with_its_anchors_until_cut_rewritten_or_resigned() {
        let (conn, sealer) = journal_with(5);
        let anchors = anchors_of(&conn, &sealer);
        let check = verify_against(&conn, &sealer.verifying_key(), &anchors[..4]).unwrap();
        assert_eq!((check.anchors, check.entries, check.unanchored), (4, 5, 1));
        assert_eq!(check.first_bad, None);

        // Cut: the last two entries go; the rest still verifies on its own.
        conn.execute("DELETE FROM journal WHERE receipt_no >= 4", [])
            .unwrap();
        assert_eq!(first_bad(&conn, &sealer), None);
        let bad = verify_against(&conn, &sealer.verifying_key(), &anchors)
            .unwrap()
            .first_bad
            .unwrap();
        assert_eq!(bad.receipt_no, 4);
        assert!(bad.reason.contains("removed"), "{}", bad.reason);
    }

    #[test]
    fn a_rewritten_entry_signed_again_with_the_key_differs_from_its_anchor() {
        let (conn, sealer) = journal_with(5);
        let anchors = anchors_of(&conn, &sealer);
        conn.execute(
            "UPDATE journal SET body = replace(body, '12.30', '2.30') WHERE receipt_no = 3",
            [],
        )
        .unwrap();
        resign(&conn, &sealer, 3);
        assert_eq!(first_bad(&conn, &sealer), None, "locally it passes");
        let bad = verify_against(&conn, &sealer.verifying_key(), &anchors)
            .unwrap()
            .first_bad
            .unwrap();
        assert_eq!(bad.receipt_no, 3);
        assert!(bad.reason.contains("rewritten"), "{}", bad.reason);
    }

    #[test]
    fn a_journal_signed_again_with_a_new_key_differs_from_its_anchors() {
        let (conn, sealer) = journal_with(3);
        let anchors = anchors_of(&conn, &sealer);
        let forger = Sealer::from_secret([9; 32]);
        resign(&conn, &forger, 1);
        assert_eq!(first_bad(&conn, &forger), None, "locally it passes");
        let bad = verify_against(&conn, &forger.verifying_key(), &anchors)
            .unwrap()
            .first_bad
            .unwrap();
        assert_eq!(bad.receipt_no, 1);
        assert!(bad.reason.contains("key was replaced"), "{}", bad.reason);
    }

    #[test]
    fn export_writes_one_json_line_per_entry() {
        let (conn, _) = journal_with(3);
        let mut out = Vec::new();
        assert_eq!(export(&conn, &mut out).unwrap(), 3);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[2]["receipt_no"], 3);
        assert_eq!(lines[2]["body"]["total"], "12.30");
        assert_eq!(lines[1]["hash"], lines[2]["prev_hash"]);
    }

    #[test]
    fn the_key_is_created_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = Sealer::load_or_create(dir.path()).unwrap();
        let b = Sealer::load_or_create(dir.path()).unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "key readable by others");
        }
        std::fs::write(dir.path().join(KEY_FILE), "not hex").unwrap();
        assert!(Sealer::load_or_create(dir.path()).is_err());
    }
}
