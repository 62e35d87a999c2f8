//! What HQ believes of a terminal's event: the trust boundary between a till's token and
//! the chain-wide data (members, cards, the points ledger) it may move.
//!
//! A terminal token speaks for one terminal of one store. HQ takes from a till only what
//! the till had the right to say, and checks it against its own records before anything
//! is applied. The rules, as invariants every applied event satisfies:
//!
//! **Derived, never taken from the payload**
//! - the event's store and terminal are the token's (a batch naming another is refused
//!   whole, 403);
//! - a sale's or return's receipt key is `{store}/{terminal}/{receipt_no}` from the
//!   envelope's store and terminal and the payload's receipt number, and
//!   (store, terminal, receipt_no) is unique at HQ, so no till can book another till's
//!   receipts; every ledger transfer of the sale has the id `{key}:{kind}:{n}` and the
//!   source `{key}` exactly as an honest till derives them (`earn:0`, `redeem:0` on a sale;
//!   `reverse:0` for points given back, `reverse:1` and `clawback:0` for points taken back
//!   on a return): a transfer whose id or source differs is refused (`transfer_not_derived`).
//!
//! **Checked against HQ's records and the programme**
//! - sale and return ([`sales`]): the record adds up (`sale_unbalanced`), every amount is
//!   within ±[`MAX_AMOUNT`] minor units and every quantity within ±[`MAX_QUANTITY_MILLI`]
//!   (`amount_out_of_range`), every transfer moves at most [`MAX_POINTS`] points
//!   (`points_out_of_range`); a sale makes only `earn` and `redeem` transfers, a return
//!   only `reverse` and `clawback`, a till never `adjust` or `expire`
//!   (`transfer_kind_not_allowed`); every transfer is for the sale's member
//!   (`member_mismatch`), who exists at HQ (`unknown_member`); the points earned are at most
//!   what the store's programme gives for the sale's lines at its most generous tier
//!   (`points_not_earned`, see [`sales`] for how the lines are read); the points redeemed
//!   are the sale's points tenders (`redeem_not_tendered`); a return's transfers give back
//!   at most what its original sale (same store and terminal) redeemed and take back at
//!   most what it earned, less earlier returns of it (`reversal_exceeds_sale`,
//!   `return_without_sale`);
//! - enrolment ([`members`]): only creates a new member with new cards: refused if the
//!   member id exists (`member_exists`) or any card does (`card_taken`), if its home store
//!   is not the sending terminal's store (`not_home_store`) or a card is blocked at
//!   enrolment (`blocked_card`);
//! - card replacement: only a terminal of the member's home store may block and replace
//!   a member's card (`not_home_store`; HQ staff change other members through the admin
//!   tools); the blocked card is that member's (`card_not_members`), the new card is new
//!   (`card_taken`);
//! - complaint: typed fields (`bad_payload`), its member, if any, exists (`unknown_member`);
//! - a note on a complaint: its texts are short and plain (`bad_payload`), its case exists
//!   and is of the till's store or of the member it names (`unknown_complaint`; a till
//!   serving a member at its counter may note that member's case from another store).
//!
//! **Refused whatever the kind**
//! - a payload larger than [`MAX_EVENT_BYTES`] (`event_too_large`);
//! - a NUL character (U+0000) in any string of the payload (`nul_character`): PostgreSQL
//!   cannot store it, and the rule is the same on both backends;
//! - a kind HQ does not know (`unknown_kind`); a payload that does not have its kind's
//!   types (`bad_payload`); an instant (the event's, a transfer's) outside the years
//!   1970–9999 (`bad_time`).
//!
//! A refused event whose sequence is in range is *parked* (see [`sequence`]): stored with
//! its rule and message and a sanitised payload (only its size past
//! [`MAX_PARKED_PAYLOAD_BYTES`]), nothing of it applied, its sequence held.

pub(super) mod known;
pub(super) mod members;
mod sales;
pub mod sequence;

use serde_json::Value;
use storepos_sync::Envelope;

use crate::domain::member::Member;
use crate::domain::sale::Complaint;
use crate::domain::sale::SaleRecord;
pub(super) use crate::protocol::CardReplacement;
use crate::protocol::{Event, Kind, ReadError};

pub(super) use known::Known;

/// Largest amount (minor units) any field of a sale may carry: 10^12, ten billion in a
/// currency of cents, far above any till's sale and far below where sums could overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Most points one transfer may move: 10^9, beyond any programme's single sale.
pub const MAX_POINTS: i64 = 1_000_000_000;
/// Largest quantity of one line, in thousandths: 10,000 units (or kilograms).
pub const MAX_QUANTITY_MILLI: i64 = 10_000_000;

/// Largest payload one event may carry (its JSON encoding): a sale of the till's 10,000
/// lines at their longest fits well within it.
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;
/// Largest copy of a refused event's payload HQ parks; a larger one is kept only as its
/// size and hash, so refused events cannot fill HQ's disk.
pub const MAX_PARKED_PAYLOAD_BYTES: usize = 64 * 1024;
/// Longest kind HQ parks (a longer one is cut).
const MAX_PARKED_KIND_CHARS: usize = 64;

const _: () = assert!(MAX_AMOUNT < i64::MAX / 1_000_000 && MAX_POINTS < MAX_AMOUNT);
const _: () = assert!(MAX_PARKED_PAYLOAD_BYTES < MAX_EVENT_BYTES);
const _: () = {
    let mut i = 0;
    while i < KINDS.len() {
        assert!(KINDS[i].len() <= MAX_PARKED_KIND_CHARS);
        i += 1;
    }
};

/// Why HQ would not apply an event: a stable rule name and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub rule: &'static str,
    pub message: String,
}

pub(super) fn refuse<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused {
        rule,
        message: message.into(),
    })
}

/// An event read into its kind's types, not yet checked against HQ's records (they live
/// only while their batch is ingested, so the sale's size beside the others matters little).
#[allow(clippy::large_enum_variant)]
pub(super) enum Draft {
    Sale { receipt_no: u64, sale: SaleRecord },
    Enrolment(Member),
    CardReplaced(CardReplacement),
    Complaint(Complaint),
    ComplaintNote(crate::protocol::ComplaintNoteEvent),
}

/// The newest wire version HQ reads, and the oldest: the one before it, so a chain can
/// upgrade HQ first and its tills after.
pub const VERSION: u32 = storepos_sync::envelope::VERSION;
pub const OLDEST_VERSION: u32 = if VERSION > 1 { VERSION - 1 } else { 1 };

/// Kinds a till may send.
pub const KINDS: [&str; 6] = [
    Kind::SaleCompleted.as_str(),
    Kind::ReturnCompleted.as_str(),
    Kind::MemberEnrolled.as_str(),
    Kind::CardReplaced.as_str(),
    Kind::ComplaintRecorded.as_str(),
    Kind::ComplaintNoted.as_str(),
];

/// Reads an event into its kind's types: refused for a NUL anywhere, an unknown kind or a
/// payload without its kind's fields.
pub(super) fn parse(e: &Envelope) -> Result<Draft, Refused> {
    if e.kind.contains('\0') || has_nul(&e.payload) {
        return refuse(
            "nul_character",
            "the event holds a NUL character (U+0000), which HQ does not store",
        );
    }
    if !(OLDEST_VERSION..=VERSION).contains(&e.version) {
        return refuse(
            "unsupported_version",
            format!(
                "the event is of wire version {}; this HQ takes versions {OLDEST_VERSION} to \
                 {VERSION} (upgrade HQ before the tills)",
                e.version
            ),
        );
    }
    if !sane_time(e.at) {
        return refuse(
            "bad_time",
            format!("the event's time {} is outside the years 1970–9999", e.at),
        );
    }
    match Event::read(&e.kind, &e.payload) {
        Ok(Event::Sale { event, .. }) => Ok(Draft::Sale {
            receipt_no: event.receipt_no,
            sale: event.sale,
        }),
        Ok(Event::MemberEnrolled(enrolment)) => Ok(Draft::Enrolment(enrolment.member)),
        Ok(Event::CardReplaced(replacement)) => Ok(Draft::CardReplaced(replacement)),
        Ok(Event::ComplaintRecorded(c)) => Ok(Draft::Complaint(c.complaint)),
        Ok(Event::ComplaintNoted(n)) => Ok(Draft::ComplaintNote(n)),
        Err(e @ ReadError::UnknownKind(_)) => refuse("unknown_kind", e.to_string()),
        Err(e @ ReadError::BadPayload { .. }) => refuse("bad_payload", e.to_string()),
    }
}

/// Checks a draft against what HQ holds (and what the batch applied before it) and, if
/// it passes, records in `known` what applying it will change.
pub(super) fn check(known: &mut Known, e: &Envelope, draft: &Draft) -> Result<(), Refused> {
    match draft {
        Draft::Sale { receipt_no, sale } => sales::check(known, e, *receipt_no, sale),
        Draft::Enrolment(m) => members::enrolment(known, m),
        Draft::CardReplaced(r) => members::card_replaced(known, r),
        Draft::Complaint(c) => members::complaint(known, c),
        Draft::ComplaintNote(n) => members::complaint_note(known, n),
    }
}

/// Whether an instant is one every backend stores (PostgreSQL's range is narrower than
/// what a timestamp can say); a till's clock is never outside these years.
pub(super) fn sane_time(t: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    (1970..=9999).contains(&t.year())
}

/// Whether any string (or key) of a JSON document holds a NUL.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A copy of a document with every NUL replaced by U+FFFD, so both backends can keep a
/// parked event (its original is identified by its hash).
pub(super) fn sanitized(v: &Value) -> Value {
    let clean = |s: &str| s.replace('\0', "\u{FFFD}");
    match v {
        Value::String(s) => Value::String(clean(s)),
        Value::Array(a) => Value::Array(a.iter().map(sanitized).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (clean(k), sanitized(v))).collect())
        }
        other => other.clone(),
    }
}

/// An event kind as HQ stores it (a parked event's NUL replaced, cut to a stated length;
/// the kinds HQ applies are all shorter).
pub(super) fn sanitized_kind(kind: &str) -> String {
    kind.replace('\0', "\u{FFFD}")
        .chars()
        .take(MAX_PARKED_KIND_CHARS)
        .collect()
}

/// What HQ keeps of a refused event: its kind cut to a stated length and its payload with
/// every NUL replaced, or, past [`MAX_PARKED_PAYLOAD_BYTES`], only the payload's size (the
/// event's payload hash still identifies what was sent).
pub(super) fn parked_copy(kind: &str, payload: &Value) -> (String, Value) {
    let kind = sanitized_kind(kind);
    let bytes = payload.to_string().len();
    if bytes > MAX_PARKED_PAYLOAD_BYTES {
        return (kind, serde_json::json!({ "omitted_bytes": bytes }));
    }
    (kind, sanitized(payload))
}

/// The SHA-256 (hex) of a payload's canonical encoding (`serde_json`'s), which tells a
/// resend of an event from another event under the same sequence, and the encoding's
/// length (encoded once for both).
pub fn payload_digest(payload: &Value) -> (String, usize) {
    use sha2::{Digest, Sha256};
    let text = payload.to_string();
    (hex::encode(Sha256::digest(text.as_bytes())), text.len())
}

/// Reads an event of `bytes` encoded payload bytes into its kind's types ([`parse`]), first
/// refusing a payload larger than [`MAX_EVENT_BYTES`].
pub(super) fn parse_sized(e: &Envelope, bytes: usize) -> Result<Draft, Refused> {
    if bytes > MAX_EVENT_BYTES {
        return refuse(
            "event_too_large",
            format!("the event's payload is {bytes} bytes; HQ takes at most {MAX_EVENT_BYTES}"),
        );
    }
    parse(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, payload: Value) -> Envelope {
        serde_json::from_value(json!({
            "id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01", "seq": 1,
            "kind": kind, "payload": payload, "at": "2017-12-04T01:00:00Z"}))
        .unwrap()
    }

    #[test]
    fn a_nul_anywhere_is_refused_and_the_parked_copy_has_none() {
        let payload = json!({"complaint": {"nested": ["ok", "bad\u{0}"]}, "k\u{0}": 1});
        let e = event("complaint.recorded", payload.clone());
        assert_eq!(parse(&e).err().unwrap().rule, "nul_character");
        let clean = sanitized(&payload);
        assert!(!has_nul(&clean), "{clean}");
        assert_ne!(payload_digest(&clean).0, payload_digest(&payload).0);
    }

    #[test]
    fn an_event_of_a_newer_wire_version_is_refused_by_name_and_an_unversioned_one_is_version_1() {
        let sale = serde_json::to_value(crate::domain::sale::sample_sale(1, 1)).unwrap();
        let mut e = event("sale.completed", json!({"receipt_no": 1, "sale": sale}));
        assert_eq!(
            e.version, 1,
            "an envelope without a version reads as version 1"
        );
        assert!(parse(&e).is_ok());
        e.version = VERSION + 1;
        let refused = parse(&e).err().unwrap();
        assert_eq!(refused.rule, "unsupported_version");
        assert!(
            refused.message.contains(&(VERSION + 1).to_string()),
            "{}",
            refused.message
        );
        e.version = 0;
        assert_eq!(parse(&e).err().unwrap().rule, "unsupported_version");
    }

    #[test]
    fn unknown_kinds_and_untyped_payloads_are_refused_by_name() {
        let e = event("coffee.brewed", json!({}));
        let r = parse(&e).err().unwrap();
        assert_eq!(r.rule, "unknown_kind");
        assert!(r.message.contains("coffee.brewed"), "{}", r.message);
        let e = event("card.replaced", json!({"member_id": 7}));
        assert_eq!(parse(&e).err().unwrap().rule, "bad_payload");
        let e = event("sale.completed", json!({"receipt_no": -1, "sale": {}}));
        assert_eq!(parse(&e).err().unwrap().rule, "bad_payload");
    }

    #[test]
    fn instants_outside_what_every_backend_stores_are_refused() {
        let mut e = event("complaint.recorded", json!({}));
        e.at = "0001-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse(&e).err().unwrap().rule, "bad_time");
        assert!(sane_time("2017-12-04T01:00:00Z".parse().unwrap()));
    }

    #[test]
    fn a_sale_payload_may_carry_its_journal_entry_beside_it() {
        let sale = serde_json::to_value(crate::domain::sale::sample_sale(1, 1)).unwrap();
        let e = event(
            "sale.completed",
            json!({"receipt_no": 1, "sale": sale, "journal": {"hash": "ab"}}),
        );
        assert!(matches!(parse(&e), Ok(Draft::Sale { receipt_no: 1, .. })));
    }

    #[test]
    fn a_sale_with_its_age_check_is_taken() {
        let mut sale = serde_json::to_value(crate::domain::sale::sample_sale(1, 1)).unwrap();
        sale["age_check"] = json!({"operator_id": "1001", "at": "2024-03-01T02:00:00Z"});
        let e = event("sale.completed", json!({"receipt_no": 1, "sale": sale}));
        let draft = parse(&e).unwrap();
        let Draft::Sale { sale, .. } = &draft else {
            panic!("a sale");
        };
        assert_eq!(sale.age_check.as_ref().unwrap().operator_id, "1001");
        let from = crate::hq::store::TerminalId {
            store_id: "S001".into(),
            terminal_id: "T01".into(),
        };
        let mut known = Known::new(from, crate::domain::loyalty::PointsProgram::default());
        check(&mut known, &e, &draft).unwrap();
    }
}
