//! The headless automation interface: JSON Lines in, one JSON line out per input line.
//!
//! Each input line is an object with a single key naming the action, e.g.
//! `{"scan":"6901234567892"}`. The answer is `{"ok":true,"basket":{…}}` or
//! `{"ok":false,"error":{"code":"…","message":"…"}}`; when a sale completes it also
//! carries `sale` with the receipt number, amounts as decimal strings and the receipt text.
//! Unknown actions and malformed lines are refused with code `bad_request` and change
//! nothing. A refusal's message quotes at most a short prefix of the input
//! ([`MAX_MESSAGE_CHARS`]).
//!
//! The touch UI builds [`Command`] values itself and calls [`run`]; the JSON is only the
//! scripts' way in.

use crate::said;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::effects::Counter;
use super::{CommandError, Completed, Terminal, views};
use crate::domain::basket::Basket;
use crate::domain::money::Quantity;
use crate::domain::sale::Tender;
use crate::store::shifts::ShiftReport;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    SignIn {
        operator: String,
        pin: String,
    },
    SignOut {},
    OpenShift {
        float: String,
    },
    Scan(String),
    KeyItem {
        plu: String,
        qty: Option<String>,
    },
    Quantity(String),
    VoidLine(u32),
    Approve {
        operator: String,
        pin: String,
    },
    Discount {
        line: Option<u32>,
        percent: Option<String>,
        amount: Option<String>,
        #[serde(default)]
        reason: String,
    },
    PriceOverride {
        line: u32,
        price: String,
        #[serde(default)]
        reason: String,
    },
    Tender(TenderArgs),
    VoidSale {},
    SetClock(String),
    Return {
        receipt: ReceiptArg,
        lines: Vec<ReturnLineArgs>,
    },
    /// The refund a `return` of these lines would make; nothing is recorded.
    ReturnPreview {
        receipt: ReceiptArg,
        lines: Vec<ReturnLineArgs>,
    },
    CashIn {
        amount: String,
        reason: String,
    },
    CashOut {
        amount: String,
        reason: String,
    },
    NoSale {
        reason: String,
    },
    Report(String),
    CloseShift {
        counted: String,
    },
    Suspend {},
    Resume {
        id: String,
    },
    Reprint {},
    /// A member by card, phone, id or name.
    Member(String),
    /// Raw card-reader data.
    Swipe(String),
    /// An NFC card's UID.
    Tap(String),
    ClearMember {},
    Enroll(EnrollArgs),
    ReplaceCard {
        member: String,
        card: String,
    },
    Complaint(ComplaintArgs),
    /// A member's complaint cases: HQ's when it answers in time, else this till's own.
    MemberComplaints(MemberComplaintsArgs),
    /// A note on one of a member's complaint cases, queued for HQ.
    ComplaintNote(ComplaintNoteArgs),
    MemberView(MemberViewArgs),
    /// Print the shopping list HQ signed for a member for the period now falls in (asking
    /// HQ to make it when the till has none).
    PrintList(PrintListArgs),
    /// The members a batch run prints shopping lists for (those HQ sent a list of the
    /// current period).
    ListBatch {},
    /// Sync with HQ: online or not, and the backlog of unacknowledged events.
    Status {},
    /// The cashier's answer to the age check of the sale's restricted items.
    AgeCheck {
        confirmed: bool,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollArgs {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub consent: crate::domain::member::Consent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintArgs {
    /// `None`: the member on the sale.
    pub member: Option<String>,
    #[serde(default = "counter")]
    pub channel: String,
    pub content: String,
    pub handling: Option<String>,
    pub outcome: Option<String>,
    pub satisfaction: Option<u8>,
}

impl ComplaintArgs {
    /// A complaint taken at the counter about the member on the sale, as scripts send it
    /// with only `content` and `satisfaction`.
    pub fn at_counter(content: String, satisfaction: Option<u8>) -> ComplaintArgs {
        ComplaintArgs {
            member: None,
            channel: counter(),
            content,
            handling: None,
            outcome: None,
            satisfaction,
        }
    }
}

fn counter() -> String {
    "counter".into()
}

/// `{"member_complaints":{}}` for the member on the sale, or `{"member":"ID"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberComplaintsArgs {
    pub member: Option<String>,
}

/// `{"complaint_note":{"id":"CASE","note":"…"}}` (and `member`, else the member on the
/// sale).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintNoteArgs {
    pub member: Option<String>,
    pub id: String,
    pub note: String,
}

/// A receipt as scripts name it: its code (`"R/S001/T01/00000001"`, or `"1"`), or its
/// number as a sale's answer gives it (`receipt_no`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ReceiptArg {
    Number(u64),
    Code(String),
}

impl ReceiptArg {
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ReceiptArg::Number(n) => n.to_string().into(),
            ReceiptArg::Code(code) => code.as_str().into(),
        }
    }
}

/// `{"print_list":{"member":"…"}}`: the member's list HQ signed for this period.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrintListArgs {
    pub member: String,
}

/// `{"member_view":{}}` for the member on the sale, `{"member_view":"ID"}` for another.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum MemberViewArgs {
    Current {},
    Id(String),
}

/// What a command produced besides the basket.
pub enum Outcome {
    Nothing,
    Sale(Box<Completed>),
    Report(ShiftReport),
    Suspended(i64),
    /// Print the last receipt again: done by whoever holds the devices.
    Reprint,
    /// Several members match a lookup; none was attached.
    Candidates(Vec<crate::domain::member::Member>),
    /// A new card was issued (enrolment or replacement).
    CardIssued(String),
    Complaint(i64),
    MemberComplaints(super::complaints::MemberComplaints),
    ComplaintNote(super::complaints::NoteTaken),
    /// `json` is the answer's `member_view`; `sheet` the parts of it the till shows.
    MemberView {
        json: Box<serde_json::Value>,
        sheet: Box<views::MemberSheetView>,
    },
    /// `json` is the answer's `list`; `list` the parts of it the till shows.
    PrintedList {
        json: Box<serde_json::Value>,
        list: views::PrintedListView,
    },
    /// Member ids, for `list_batch`.
    ListBatch(Vec<String>),
    /// The refund a return would make (`return_preview`): `json` is the answer's `refund`,
    /// `refund` the same typed.
    ReturnPreview {
        json: Box<serde_json::Value>,
        refund: views::RefundView,
    },
    Status(storepos_sync::SyncSnapshot),
}

/// Reads the parts of a view the terminal wrote as JSON that the till shows. The terminal
/// wrote it, so it reads; were a part missing, the till would show it empty.
fn typed<T: serde::de::DeserializeOwned + Default>(json: &Value) -> T {
    T::deserialize(json).unwrap_or_else(|e| {
        tracing::warn!(
            "a view does not read as {}: {e}",
            std::any::type_name::<T>()
        );
        T::default()
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineArgs {
    pub line: u32,
    /// A quantity as the receipt prints it: `"2"`, `"1.235"`.
    pub qty: String,
}

/// Exactly one of `cash`, `card`, `voucher` and `points` is given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenderArgs {
    pub cash: Option<String>,
    pub card: Option<String>,
    pub voucher: Option<String>,
    /// Whole points.
    pub points: Option<i64>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// Runs one command.
pub fn run(terminal: &mut Terminal, command: Command) -> Result<Outcome, CommandError> {
    terminal.refresh_between_sales();
    let nothing = |_| Outcome::Nothing;
    let sale =
        |done: Option<Completed>| done.map_or(Outcome::Nothing, |d| Outcome::Sale(Box::new(d)));
    match command {
        Command::SignIn { operator, pin } => terminal.sign_in(&operator, &pin).map(nothing),
        Command::SignOut {} => terminal.sign_out().map(nothing),
        Command::OpenShift { float } => terminal.open_shift(&float).map(nothing),
        Command::Scan(code) => terminal.scan(&code).map(|_| Outcome::Nothing),
        Command::KeyItem { plu, qty } => terminal
            .key_item(&plu, qty.as_deref())
            .map(|_| Outcome::Nothing),
        Command::Quantity(q) => terminal.quantity(&q).map(nothing),
        Command::VoidLine(line) => terminal.void_line(line).map(nothing),
        Command::Approve { operator, pin } => terminal.approve(&operator, &pin).map(sale),
        Command::Return { receipt, lines } => terminal
            .return_items(&receipt.text(), return_lines(lines)?)
            .map(sale),
        Command::ReturnPreview { receipt, lines } => terminal
            .return_preview(&receipt.text(), &return_lines(lines)?)
            .map(|v| Outcome::ReturnPreview {
                refund: typed(&v),
                json: Box::new(v),
            }),
        Command::Discount {
            line,
            percent,
            amount,
            reason,
        } => terminal
            .discount(
                line,
                percent.as_deref(),
                amount.as_deref(),
                or_unstated(&reason),
            )
            .map(nothing),
        Command::PriceOverride {
            line,
            price,
            reason,
        } => terminal
            .price_override(line, &price, or_unstated(&reason))
            .map(nothing),
        Command::Tender(t) => {
            let (kind, amount) = match (t.cash, t.card, t.voucher, t.points) {
                (Some(a), None, None, None) => (Tender::Cash, a),
                (None, Some(a), None, None) => (Tender::Card, a),
                (None, None, Some(a), None) => (Tender::Voucher, a),
                (None, None, None, Some(points)) => {
                    return terminal.tender_points(points).map(sale);
                }
                _ => {
                    return Err(CommandError::Invalid(said!(
                        "a tender names exactly one of cash, card, voucher, points"
                    )));
                }
            };
            terminal
                .tender(kind, &amount, t.reference.as_deref())
                .map(sale)
        }
        Command::VoidSale {} => terminal.void_sale().map(nothing),
        Command::SetClock(text) => {
            let at = chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|e| CommandError::Invalid(said!("set_clock: '{}': {}", text, e)))?;
            terminal.set_clock(at.with_timezone(&chrono::Utc));
            Ok(Outcome::Nothing)
        }
        Command::CashIn { amount, reason } => {
            terminal.cash_movement("in", &amount, &reason).map(nothing)
        }
        Command::CashOut { amount, reason } => {
            terminal.cash_movement("out", &amount, &reason).map(nothing)
        }
        Command::NoSale { reason } => terminal.cash_movement("no_sale", "0", &reason).map(nothing),
        Command::Report(which) => match which.as_str() {
            "x" => terminal.x_report().map(Outcome::Report),
            other => Err(CommandError::Invalid(said!(
                "report '{}' is not known; \"x\" shows the open shift, close_shift gives the Z report",
                other
            ))),
        },
        Command::CloseShift { counted } => terminal.close_shift(&counted).map(Outcome::Report),
        Command::Suspend {} => terminal.suspend().map(Outcome::Suspended),
        Command::Resume { id } => terminal.resume(&id).map(nothing),
        Command::Reprint {} => terminal.signed_in_id().map(|_| Outcome::Reprint),
        Command::Member(query) => terminal.identify(&query).map(|found| match found {
            super::member::Identified::Member => Outcome::Nothing,
            super::member::Identified::Candidates(list) => Outcome::Candidates(list),
        }),
        Command::Swipe(raw) => terminal.swipe(&raw).map(nothing),
        Command::Tap(uid) => terminal.tap(&uid).map(nothing),
        Command::ClearMember {} => terminal.clear_member().map(nothing),
        Command::Enroll(e) => terminal
            .enroll(super::member::Enrolment {
                name: e.name,
                phone: e.phone,
                email: e.email,
                consent: e.consent,
            })
            .map(Outcome::CardIssued),
        Command::ReplaceCard { member, card } => terminal
            .replace_card(&member, &card)
            .map(Outcome::CardIssued),
        Command::Complaint(c) => terminal
            .complaint(crate::store::loyalty::Complaint {
                id: 0,
                member_id: c.member,
                channel: c.channel,
                content: c.content,
                handling: c.handling,
                outcome: c.outcome,
                satisfaction: c.satisfaction,
                status: String::new(),
                at: String::new(),
                operator_id: String::new(),
            })
            .map(Outcome::Complaint),
        Command::MemberComplaints(m) => terminal
            .member_complaints(m.member.as_deref())
            .map(Outcome::MemberComplaints),
        Command::ComplaintNote(n) => terminal
            .complaint_note(n.member.as_deref(), &n.id, &n.note)
            .map(Outcome::ComplaintNote),
        Command::Status {} => terminal.sync_status().map(Outcome::Status),
        Command::MemberView(which) => {
            let id = match which {
                MemberViewArgs::Current {} => None,
                MemberViewArgs::Id(id) => Some(id),
            };
            terminal
                .member_view(id.as_deref())
                .map(|v| Outcome::MemberView {
                    sheet: Box::new(typed(&v)),
                    json: Box::new(v),
                })
        }
        Command::PrintList(args) => {
            terminal
                .print_list(&args.member)
                .map(|v| Outcome::PrintedList {
                    list: typed(&v),
                    json: Box::new(v),
                })
        }
        Command::ListBatch {} => terminal.list_batch().map(Outcome::ListBatch),
        Command::AgeCheck { confirmed } => terminal.confirm_age(confirmed).map(nothing),
    }
}

fn return_lines(
    lines: Vec<ReturnLineArgs>,
) -> Result<Vec<super::returns::ReturnLine>, CommandError> {
    lines
        .into_iter()
        .map(|l| {
            Ok(super::returns::ReturnLine {
                line: l.line,
                qty: Quantity::parse(&l.qty)?,
            })
        })
        .collect()
}

/// Scripts may leave the reason out; the journal then records that none was given.
fn or_unstated(reason: &str) -> &str {
    if reason.trim().is_empty() {
        "(no reason given)"
    } else {
        reason
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    ok: bool,
    basket: views::BasketView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sale: Option<views::SaleView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<views::ReportView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suspended: Option<String>,
    /// Device faults after the command took effect (e.g. paper out after a completed sale).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    /// The member on the sale, with their points and offers.
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<views::MemberBadge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<Vec<views::MemberLine>>,
    /// A card issued by `enroll` or `replace_card`.
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_complaints: Option<super::complaints::MemberComplaints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint_note: Option<super::complaints::NoteTaken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_view: Option<Box<serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sync: Option<serde_json::Value>,
    /// The shopping list `print_list` printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<Box<serde_json::Value>>,
    /// The members `list_batch` names.
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<Vec<String>>,
    /// The refund `return_preview` shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    refund: Option<Box<serde_json::Value>>,
    /// The sale's age check: restricted lines waiting for it, or who confirmed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    age_check: Option<super::age_check::AgeCheckView<'a>>,
}

/// The most characters of a refusal's message: input quoted in it is cut to a short prefix.
pub const MAX_MESSAGE_CHARS: usize = 240;

pub(super) fn refusal(code: &str, message: &str) -> String {
    let message: std::borrow::Cow<'_, str> = match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]).into(),
        None => message.into(),
    };
    json!({"ok": false, "error": {"code": code, "message": message}}).to_string()
}

/// Reads one input line as a command.
pub fn parse(line: &str) -> Result<Command, String> {
    serde_json::from_str(line).map_err(|e| format!("not a command: {e}"))
}

impl Command {
    /// Commands that only change the basket: they may run while the previous sale is
    /// still being committed (see `Terminal::set_pipelined`).
    pub fn is_basket_only(&self) -> bool {
        matches!(
            self,
            Command::Scan(_)
                | Command::KeyItem { .. }
                | Command::Quantity(_)
                | Command::VoidLine(_)
        )
    }
}

/// Answers one input line with one line of JSON text (without the newline), carrying out
/// the command's effects on `counter`'s devices; without devices the effects are dropped.
pub fn answer_with(terminal: &mut Terminal, line: &str, counter: Option<&mut Counter>) -> String {
    match parse(line) {
        Ok(command) => {
            let result = run(terminal, command);
            respond(terminal, result, counter, None)
        }
        Err(message) => refusal("bad_request", &message),
    }
}

/// Turns a command's result into its answer line, after carrying out its effects. The
/// answer shows `shown` as the basket if given, else the terminal's current basket.
pub(super) fn respond(
    terminal: &mut Terminal,
    result: Result<Outcome, CommandError>,
    counter: Option<&mut Counter>,
    shown: Option<&Basket>,
) -> String {
    let effects = terminal.take_effects();
    let (outcome, warnings) = match (result, counter) {
        (Err(e), _) => return refusal(e.code(), &e.to_string()),
        (Ok(Outcome::Reprint), None) => {
            return refusal("device", "no receipt printer is attached to this terminal");
        }
        (Ok(Outcome::Reprint), Some(counter)) => match counter.reprint() {
            Ok(()) => (Outcome::Nothing, Vec::new()),
            Err(message) => return refusal("device", &message.to_string()),
        },
        (Ok(outcome), Some(counter)) => (
            outcome,
            counter
                .carry_out(effects)
                .iter()
                .map(ToString::to_string)
                .collect(),
        ),
        (Ok(outcome), None) => (outcome, Vec::new()),
    };
    let currency = terminal.currency();
    // A basket shown other than the terminal's (a sale settled in pipelined mode) has
    // completed: the terminal's age check, if any, is the next sale's.
    let age_check = shown.is_none().then(|| terminal.age_check_view()).flatten();
    let basket = shown.unwrap_or(&terminal.basket);
    let priced = terminal.price_of(basket);
    let mut answer = Answer {
        ok: true,
        basket: views::basket_view(basket, &priced),
        sale: None,
        report: None,
        suspended: None,
        warnings,
        member: views::member_badge(terminal),
        candidates: None,
        card: None,
        complaint: None,
        member_complaints: None,
        complaint_note: None,
        member_view: None,
        sync: None,
        list: None,
        batch: None,
        refund: None,
        age_check,
    };
    match &outcome {
        Outcome::Nothing | Outcome::Reprint => {}
        Outcome::Candidates(list) => {
            answer.candidates = Some(list.iter().map(views::member_line).collect());
        }
        Outcome::CardIssued(card) => answer.card = Some(card.clone()),
        Outcome::Complaint(id) => answer.complaint = Some(*id),
        Outcome::MemberComplaints(m) => answer.member_complaints = Some(m.clone()),
        Outcome::ComplaintNote(n) => answer.complaint_note = Some(n.clone()),
        Outcome::MemberView { json, .. } => answer.member_view = Some(json.clone()),
        Outcome::PrintedList { json, .. } => answer.list = Some(json.clone()),
        Outcome::ListBatch(members) => answer.batch = Some(members.clone()),
        Outcome::ReturnPreview { json, .. } => answer.refund = Some(json.clone()),
        Outcome::Status(s) => {
            answer.sync = Some(serde_json::json!({
                "online": s.online,
                "backlog": s.backlog,
                "acked_seq": s.acked_seq,
                "last_error": s.last_error,
                "last_success": s.last_success,
                "refused": s.refused,
                "halted": s.halted,
            }));
        }
        Outcome::Sale(done) => answer.sale = Some(views::sale_view(done, currency)),
        Outcome::Report(r) => answer.report = Some(views::report_view(r, currency)),
        Outcome::Suspended(id) => answer.suspended = Some(id.to_string()),
    }
    serde_json::to_string(&answer)
        .unwrap_or_else(|e| refusal("internal", &format!("cannot encode the answer: {e}")))
}

/// Answers one input line without devices.
pub fn answer_text(terminal: &mut Terminal, line: &str) -> String {
    answer_with(terminal, line, None)
}

/// Answers one input line as a JSON value (for callers that inspect the answer).
pub fn answer(terminal: &mut Terminal, line: &str) -> Value {
    serde_json::from_str(&answer_text(terminal, line)).unwrap_or_else(
        |e| json!({"ok": false, "error": {"code": "internal", "message": e.to_string()}}),
    )
}
