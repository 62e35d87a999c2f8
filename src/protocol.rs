//! The events a till sends HQ, typed, owned by neither side.
//!
//! An event travels in a `storepos_sync::Envelope` as its [`Kind`]'s name and a JSON
//! payload. The till builds its events here ([`Event::payload`], and [`sale_payload`] for
//! sales, which carry the sale exactly as the journal hashed it); HQ reads them back here
//! ([`Event::read`]), so both sides name the same kinds and fields and the compiler checks
//! them. A kind HQ does not know (a newer till's) is refused by name
//! ([`ReadError::UnknownKind`]), never dropped. HQ's answers travel the other way:
//! [`SignedCode`], a coupon or list in a store's coupons data set.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::member::Member;
use crate::domain::sale::{Complaint, SaleKind, SaleRecord};

/// The kinds of event a till sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SaleCompleted,
    ReturnCompleted,
    MemberEnrolled,
    CardReplaced,
    ComplaintRecorded,
    ComplaintNoted,
}

impl Kind {
    /// Every kind, in the order HQ lists them.
    pub const ALL: [Kind; 6] = [
        Kind::SaleCompleted,
        Kind::ReturnCompleted,
        Kind::MemberEnrolled,
        Kind::CardReplaced,
        Kind::ComplaintRecorded,
        Kind::ComplaintNoted,
    ];

    /// The kind's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::SaleCompleted => "sale.completed",
            Kind::ReturnCompleted => "return.completed",
            Kind::MemberEnrolled => "member.enrolled",
            Kind::CardReplaced => "card.replaced",
            Kind::ComplaintRecorded => "complaint.recorded",
            Kind::ComplaintNoted => "complaint.noted",
        }
    }

    /// The kind named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind of a completed sale or return.
    pub fn of_sale(kind: SaleKind) -> Kind {
        match kind {
            SaleKind::Sale => Kind::SaleCompleted,
            SaleKind::Return => Kind::ReturnCompleted,
        }
    }
}

/// One event, read into its kind's types.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// `sale.completed` or `return.completed` (as `kind` says).
    Sale { kind: Kind, event: SaleEvent },
    /// `member.enrolled`.
    MemberEnrolled(Enrolment),
    /// `card.replaced`.
    CardReplaced(CardReplacement),
    /// `complaint.recorded`.
    ComplaintRecorded(ComplaintEvent),
    /// `complaint.noted`.
    ComplaintNoted(ComplaintNoteEvent),
}

/// A completed sale or return: its receipt number, the sale record and, beside it, the
/// anchor of its journal entry (entry hash and signer's key; HQ keeps it as sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleEvent {
    pub receipt_no: u64,
    pub sale: SaleRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<Value>,
}

/// A member enrolled at a till.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    pub member: Member,
}

/// A member's card replaced at a till: `blocked` is blocked, `new_card` issued to
/// `member_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardReplacement {
    pub member_id: String,
    pub blocked: String,
    pub new_card: String,
}

/// A complaint taken at the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintEvent {
    pub complaint: Complaint,
}

/// A note a till's cashier added to a complaint case (HQ's, or one this till recorded:
/// its case is `{store}.{terminal}.{local_id}`), with the member served when it was taken.
/// The event's id is the note's id and its time the note's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintNoteEvent {
    pub case_id: String,
    #[serde(default)]
    pub member_id: Option<String>,
    pub operator_id: String,
    pub note: String,
}

/// A signed coupon or shopping list as stores receive it in their coupons data set: the
/// full printed code and whose it is (`kind` is `coupon` or `list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedCode {
    pub kind: String,
    pub id: String,
    pub member_id: String,
    pub code: String,
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("HQ does not know events of kind '{0}'; it takes {list}", list = kind_list())]
    UnknownKind(String),
    #[error("{kind}: {message}")]
    BadPayload { kind: &'static str, message: String },
}

fn kind_list() -> String {
    Kind::ALL.map(Kind::as_str).join(", ")
}

impl Event {
    /// The event's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Event::Sale { kind, .. } => *kind,
            Event::MemberEnrolled(_) => Kind::MemberEnrolled,
            Event::CardReplaced(_) => Kind::CardReplaced,
            Event::ComplaintRecorded(_) => Kind::ComplaintRecorded,
            Event::ComplaintNoted(_) => Kind::ComplaintNoted,
        }
    }

    /// The event's payload as JSON (a sale's is written by [`sale_payload`] instead, from
    /// its journal entry's bytes).
    pub fn payload(&self) -> Value {
        let value = match self {
            Event::Sale { event, .. } => serde_json::to_value(event),
            Event::MemberEnrolled(e) => serde_json::to_value(e),
            Event::CardReplaced(e) => serde_json::to_value(e),
            Event::ComplaintRecorded(e) => serde_json::to_value(e),
            Event::ComplaintNoted(e) => serde_json::to_value(e),
        };
        value.expect("events hold only types that serialize")
    }

    /// Reads an event of kind `kind` from its payload. The kind's name is cut to 64
    /// characters in the error, whatever length was sent.
    pub fn read(kind: &str, payload: &Value) -> Result<Event, ReadError> {
        let Some(known) = Kind::parse(kind) else {
            return Err(ReadError::UnknownKind(kind.chars().take(64).collect()));
        };
        let bad = |e: serde_json::Error| ReadError::BadPayload {
            kind: known.as_str(),
            message: e.to_string(),
        };
        Ok(match known {
            Kind::SaleCompleted | Kind::ReturnCompleted => Event::Sale {
                kind: known,
                event: SaleEvent::deserialize(payload).map_err(bad)?,
            },
            Kind::MemberEnrolled => {
                Event::MemberEnrolled(Enrolment::deserialize(payload).map_err(bad)?)
            }
            Kind::CardReplaced => {
                Event::CardReplaced(CardReplacement::deserialize(payload).map_err(bad)?)
            }
            Kind::ComplaintRecorded => {
                Event::ComplaintRecorded(ComplaintEvent::deserialize(payload).map_err(bad)?)
            }
            Kind::ComplaintNoted => {
                Event::ComplaintNoted(ComplaintNoteEvent::deserialize(payload).map_err(bad)?)
            }
        })
    }
}

/// A sale event's payload: the sale as the journal entry's body holds it (the very bytes
/// that were hashed), its receipt number and its anchor. Refused if the body is not JSON.
pub fn sale_payload(
    receipt_no: u64,
    body: &str,
    anchor: &impl Serialize,
) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Payload<'a, A: Serialize> {
        receipt_no: u64,
        sale: &'a serde_json::value::RawValue,
        journal: &'a A,
    }
    let sale: &serde_json::value::RawValue = serde_json::from_str(body)?;
    serde_json::to_string(&Payload {
        receipt_no,
        sale,
        journal: anchor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_reads_back_what_the_till_wrote() {
        let sale = crate::domain::sale::sample_sale(2, 7);
        let body = serde_json::to_string(&sale).unwrap();
        let payload = sale_payload(12, &body, &json!({"hash": "ab"})).unwrap();
        // The sale is the journal's bytes, verbatim.
        assert!(payload.contains(&body), "{payload}");
        let read = Event::read("sale.completed", &serde_json::from_str(&payload).unwrap());
        let Ok(Event::Sale { kind, event }) = read else {
            panic!("{read:?}");
        };
        assert_eq!(kind, Kind::SaleCompleted);
        assert_eq!((event.receipt_no, event.sale), (12, sale));

        let replaced = Event::CardReplaced(CardReplacement {
            member_id: "M1".into(),
            blocked: "6200000000000001".into(),
            new_card: "6200000000000002".into(),
        });
        let back = Event::read(replaced.kind().as_str(), &replaced.payload()).unwrap();
        assert_eq!(back, replaced);
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn an_unknown_kind_is_named_and_a_payload_without_its_fields_refused() {
        let err = Event::read("coffee.brewed", &json!({})).unwrap_err();
        assert_eq!(err, ReadError::UnknownKind("coffee.brewed".into()));
        assert!(err.to_string().contains("sale.completed"), "{err}");
        let long = "x".repeat(500);
        let ReadError::UnknownKind(named) = Event::read(&long, &json!({})).unwrap_err() else {
            panic!("unknown");
        };
        assert_eq!(named.len(), 64);
        let err = Event::read("card.replaced", &json!({"member_id": 7})).unwrap_err();
        assert!(matches!(
            err,
            ReadError::BadPayload {
                kind: "card.replaced",
                ..
            }
        ));
        assert!(sale_payload(1, "{not json", &json!({})).is_err());
    }
}
