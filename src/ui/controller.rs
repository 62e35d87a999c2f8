//! The till's state and its checkout actions. Every action the screens raise becomes a
//! [`Command`] run through [`headless::run`], as the headless interface runs the commands
//! it reads; its effects go to the devices and the terminal's views come back to the `Pos`
//! global. Refusals are shown as they are; an action that needs a supervisor opens the
//! approval prompt, and restricted items waiting for the customer's age open the age-check
//! prompt. The manager screen's actions and the returns flow build on this module (in
//! [`super::manager`] and [`super::returns`]); [`super::bind`] connects them all.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, SharedString, Timer, TimerMode, VecModel};
use storepos_drivers::{CardSource, DeviceEvent, DeviceStatus, InputDevice};

use super::lists::BatchRun;
use super::models::{self, Refusal, rows};
use super::{AgeCheck, AppWindow, BasketLine, Entry, MemberRow, Pos, QuickKey, Screen};
use crate::terminal::effects::Counter;
use crate::terminal::headless::{
    self, Command, ComplaintArgs, EnrollArgs, MemberViewArgs, Outcome, TenderArgs,
};
use crate::terminal::returns::Returnable;
use crate::terminal::{CommandError, Said, Terminal, views};

pub struct Controller {
    pub(super) terminal: Terminal,
    pub(super) counter: Counter,
    pub(super) app: slint::Weak<AppWindow>,
    lines: Rc<VecModel<BasketLine>>,
    pub(super) batch: Option<BatchRun>,
    pub(super) batch_timer: Timer,
    pub(super) returns: Option<ReturnDraft>,
    pub(super) timers: Vec<Timer>,
    /// Clears a notice once it has been read.
    notice_timer: Timer,
    /// The sale just completed, shown until the next sale starts (the basket is already
    /// empty, so the summary cannot be read from it).
    last_sale: Option<LastSale>,
}

/// What the sale-complete panel shows.
struct LastSale {
    total: SharedString,
    tenders: Vec<Entry>,
}

/// A return being put together: the receipt, its lines and the units chosen per line.
pub(super) struct ReturnDraft {
    pub code: String,
    pub lines: Vec<Returnable>,
    pub chosen: Vec<i32>,
}

/// How long a notice ("refund done", "list printed") stays on screen.
pub const NOTICE_SHOWN_FOR: Duration = Duration::from_secs(5);

pub(super) type Shared = Rc<RefCell<Controller>>;

impl Controller {
    /// A controller of `app` on `terminal` and the devices of `counter` (the scanner and
    /// card reader are started here), showing the quick keys and the basket. Its actions
    /// are not connected yet: [`Controller::attach`] does both.
    pub(super) fn new(app: &AppWindow, terminal: Terminal, mut counter: Counter) -> Shared {
        use storepos_drivers::Device;
        let devices = counter.devices();
        if let Err(e) = devices.scanner.start() {
            tracing::warn!("scanner did not start: {e}");
        }
        if let Err(e) = devices.card_reader.start() {
            tracing::warn!("card reader did not start: {e}");
        }
        let lines = Rc::new(VecModel::default());
        let pos = app.global::<Pos>();
        pos.set_lines(slint::ModelRc::from(lines.clone()));
        let lists = terminal.lists_ready();
        pos.set_lists_available(lists.is_ok());
        if let Err(why) = lists {
            tracing::info!("shopping lists cannot be printed here: {why}");
        }
        let controller = Rc::new(RefCell::new(Controller {
            terminal,
            counter,
            app: app.as_weak(),
            lines,
            batch: None,
            batch_timer: Timer::default(),
            returns: None,
            timers: Vec::new(),
            notice_timer: Timer::default(),
            last_sale: None,
        }));
        {
            let mut c = controller.borrow_mut();
            c.show_quick_keys();
            c.refresh();
        }
        controller
    }

    pub fn terminal(&self) -> &Terminal {
        &self.terminal
    }

    pub fn counter(&mut self) -> &mut Counter {
        &mut self.counter
    }

    pub(super) fn pos<R>(&self, f: impl FnOnce(&Pos<'_>) -> R) -> Option<R> {
        self.app.upgrade().map(|app| f(&app.global::<Pos>()))
    }

    /// Runs one command, carries out its effects and shows a refusal or a device warning.
    /// Returns what the command produced when it was done.
    pub fn run(&mut self, command: Command) -> Option<Outcome> {
        match self.execute(command) {
            Ok((outcome, warnings)) => {
                if warnings.is_empty() {
                    self.clear_error();
                } else {
                    let join = |words: Vec<String>| words.join("\n");
                    self.show_refusal(&Refusal {
                        code: "device".into(),
                        message: join(warnings.iter().map(ToString::to_string).collect()),
                        chinese: join(warnings.iter().map(Said::in_chinese).collect()),
                    });
                }
                Some(outcome)
            }
            Err(refusal) => {
                if refusal.code == "approval_required" {
                    self.pos(|p| p.set_approval_what(refusal.message.into()));
                } else {
                    self.show_refusal(&refusal);
                }
                None
            }
        }
    }

    /// Runs one command and carries out its effects without showing anything but the
    /// basket: the outcome with any device warnings, or why it was refused (an action
    /// needing approval is refused with code `approval_required` and what needs it).
    pub(super) fn execute(&mut self, command: Command) -> Result<(Outcome, Vec<Said>), Refusal> {
        let result = headless::run(&mut self.terminal, command);
        let effects = self.terminal.take_effects();
        let done = match result {
            Ok(Outcome::Reprint) => match self.counter.reprint() {
                Ok(()) => Ok((Outcome::Nothing, Vec::new())),
                Err(said) => Err(Refusal {
                    code: "device".into(),
                    message: said.to_string(),
                    chinese: said.in_chinese(),
                }),
            },
            Ok(outcome) => Ok((outcome, self.counter.carry_out(effects))),
            Err(CommandError::ApprovalRequired(what)) => Err(Refusal {
                code: "approval_required".into(),
                message: what.into(),
                chinese: String::new(),
            }),
            Err(e) => Err(Refusal::from(&e)),
        };
        self.refresh();
        done
    }

    /// Shows a refusal, worded in the screen's language.
    pub(super) fn show_refusal(&self, refusal: &Refusal) {
        self.show_error(&refusal.code, &refusal.message);
        self.pos(|p| p.set_error_message_zh(refusal.chinese.as_str().into()));
    }

    /// Shows a refusal that has only its English wording (a device's own words).
    pub(super) fn show_error(&self, code: &str, message: &str) {
        self.pos(|p| {
            p.set_error_code(code.into());
            p.set_error_message(message.into());
            p.set_error_message_zh(SharedString::new());
            p.set_notice_kind(SharedString::new());
        });
    }

    pub(super) fn clear_error(&self) {
        self.pos(|p| {
            p.set_error_code(SharedString::new());
            p.set_error_message(SharedString::new());
            p.set_error_message_zh(SharedString::new());
        });
    }

    /// Shows a notice of `kind` (worded on the screen) with its data.
    pub(super) fn notice(&self, kind: &str, args: &[String]) {
        let args: Vec<SharedString> = args.iter().map(SharedString::from).collect();
        self.pos(|p| {
            p.set_notice_args(rows(args));
            p.set_notice_kind(kind.into());
        });
        let app = self.app.clone();
        self.notice_timer
            .start(TimerMode::SingleShot, NOTICE_SHOWN_FOR, move || {
                if let Some(app) = app.upgrade() {
                    app.global::<Pos>().set_notice_kind(SharedString::new());
                }
            });
    }

    /// While the sale-complete panel shows, its total and tenders are the completed sale's.
    fn show_last_sale(&self) {
        if let Some(done) = &self.last_sale {
            self.pos(|p| {
                p.set_total(done.total.clone());
                p.set_paid(done.total.clone());
                p.set_tenders(rows(done.tenders.clone()));
            });
        }
    }

    /// Binds the basket, totals, member badge and payment state to the screens.
    pub fn refresh(&mut self) {
        let priced = self.terminal.priced();
        let view = views::basket_view(self.terminal.basket(), &priced);
        models::sync_rows(&self.lines, models::basket_lines(&view));
        let count = view.lines.iter().filter(|l| !l.voided).count() as i32;
        if count > 0 {
            // The next customer's items: the completed sale is no longer on show.
            self.last_sale = None;
        }
        let payment = views::payment_view(&self.terminal, priced.total);
        let badge = views::member_badge(&self.terminal);
        let restricted: Vec<&str> = self
            .terminal
            .age_check_pending()
            .iter()
            .map(|l| l.product.name.as_str())
            .collect();
        let app = match self.app.upgrade() {
            Some(app) => app,
            None => return,
        };
        // Restricted items waiting for the customer's age bring up the age-check prompt.
        let age = app.global::<AgeCheck>();
        age.set_waiting(!restricted.is_empty());
        age.set_items(restricted.join(", ").into());
        let pos = app.global::<Pos>();
        pos.set_item_count(count);
        pos.set_subtotal(view.subtotal.0.to_string().into());
        pos.set_discount(view.discount.0.to_string().into());
        pos.set_tax(view.tax.0.to_string().into());
        pos.set_total(view.total.0.to_string().into());
        pos.set_paid(payment.paid.0.to_string().into());
        pos.set_due(payment.due.0.to_string().into());
        pos.set_tenders(rows(
            payment
                .tenders
                .iter()
                .map(|(kind, amount)| Entry {
                    label: kind.as_str().into(),
                    value: amount.0.to_string().into(),
                })
                .collect(),
        ));
        self.show_last_sale();
        pos.set_suggested_notes(rows(
            models::suggested_notes(payment.due.0)
                .into_iter()
                .map(SharedString::from)
                .collect(),
        ));
        pos.set_operator_name(self.terminal.operator_name().unwrap_or("").into());
        pos.set_shift_open(self.terminal.shift_open());
        match badge {
            Some(b) => {
                pos.set_has_member(true);
                pos.set_member_name(b.name.into());
                pos.set_member_tier(b.tier.into());
                pos.set_member_points(b.points.to_string().into());
                pos.set_member_redeemable(b.redeemable.to_string().into());
                pos.set_member_offers(rows(b.offers.into_iter().map(|o| o.title.into()).collect()));
            }
            None => {
                pos.set_has_member(false);
                pos.set_member_name(SharedString::new());
                pos.set_member_offers(rows(Vec::new()));
                pos.set_member_sheet(rows(Vec::new()));
            }
        }
    }

    fn show_quick_keys(&self) {
        let keys = self
            .terminal
            .plu_products(8)
            .unwrap_or_default()
            .into_iter()
            .map(|p| QuickKey {
                plu: p.plu.map(|n| n.to_string()).unwrap_or_default().into(),
                name: p.name.into(),
                price: p.price.to_string().into(),
            })
            .collect();
        self.pos(|p| p.set_quick_keys(rows(keys)));
    }

    /// Reads what the scanner, card reader and printer reported since the last poll.
    pub fn poll_devices(&mut self) {
        loop {
            let event = self.counter.devices().scanner.poll_event(Duration::ZERO);
            match event {
                Some(DeviceEvent::Data(scan)) => self.scan(&scan.label),
                Some(DeviceEvent::Error(e)) => self.show_error("bad_barcode", &e.to_string()),
                Some(DeviceEvent::Status(s)) => self.device_state(Device::Scanner, &s),
                None => break,
            }
        }
        loop {
            let event = self
                .counter
                .devices()
                .card_reader
                .poll_event(Duration::ZERO);
            match event {
                Some(DeviceEvent::Data(card)) => {
                    let command = match card.source {
                        CardSource::Nfc => Command::Tap(card.card_number),
                        CardSource::MagStripe => Command::Member(card.card_number),
                    };
                    self.run(command);
                }
                Some(DeviceEvent::Error(e)) => self.show_error("bad_card", &e.to_string()),
                Some(DeviceEvent::Status(_)) => {}
                None => break,
            }
        }
        loop {
            let event = self.counter.devices().printer.poll_event(Duration::ZERO);
            match event {
                Some(DeviceEvent::Status(s)) => self.device_state(Device::Printer, &s),
                Some(DeviceEvent::Error(e)) => self.show_error("device", &e.to_string()),
                Some(DeviceEvent::Data(never)) => match never {},
                None => break,
            }
        }
    }

    fn device_state(&self, device: Device, status: &DeviceStatus) {
        let state = match status {
            DeviceStatus::Online | DeviceStatus::Reconnected | DeviceStatus::PaperOk => "ok",
            DeviceStatus::PaperNearEnd => "paper-low",
            DeviceStatus::PaperOut | DeviceStatus::CoverOpen => "paper-out",
            DeviceStatus::Offline(_) => "offline",
            DeviceStatus::CoverClosed | DeviceStatus::DrawerOpen | DeviceStatus::DrawerClosed => {
                return;
            }
        };
        self.pos(|p| match device {
            Device::Scanner => p.set_scanner_state(state.into()),
            Device::Printer => p.set_printer_state(state.into()),
        });
    }

    /// A code scanned or typed in the scan field. A short number (up to six digits, shorter
    /// than any GTIN) is a PLU keyed by the cashier: the item is keyed as its quick key
    /// would (a weighed one weighed on the scale, or asked for its weight).
    pub fn scan(&mut self, code: &str) {
        if is_plu(code) {
            self.run(Command::KeyItem {
                plu: code.into(),
                qty: None,
            });
        } else {
            self.run(Command::Scan(code.into()));
        }
    }

    fn sign_in(&mut self, operator: &str, pin: &str) {
        let command = Command::SignIn {
            operator: operator.into(),
            pin: pin.into(),
        };
        if self.run(command).is_some() {
            self.after_sign_in();
        }
    }

    pub(super) fn after_sign_in(&mut self) {
        let screen = if self.terminal.shift_open() {
            Screen::Checkout
        } else {
            Screen::SignIn
        };
        self.pos(|p| p.set_screen(screen));
    }

    fn tender(&mut self, tender: TenderArgs) {
        if let Some(Outcome::Sale(done)) = self.run(Command::Tender(tender)) {
            let view = views::sale_view(&done, self.terminal.currency());
            self.last_sale = Some(LastSale {
                total: view.total.0.to_string().into(),
                tenders: view
                    .tenders
                    .iter()
                    .map(|t| Entry {
                        label: t.kind.into(),
                        value: t.amount.0.to_string().into(),
                    })
                    .collect(),
            });
            self.pos(|p| {
                p.set_sale_done(true);
                p.set_change(view.change.0.to_string().into());
                p.set_receipt_no(view.receipt_no.to_string().into());
                p.set_receipt_text(view.receipt.into());
            });
            self.show_last_sale();
        }
    }

    fn member_lookup(&mut self, query: &str) {
        let outcome = self.run(Command::Member(query.into()));
        let candidates = match outcome {
            Some(Outcome::Candidates(list)) => list
                .iter()
                .map(|m| {
                    let line = views::member_line(m);
                    MemberRow {
                        id: line.id.into(),
                        name: line.name.into(),
                        phone: line.phone.unwrap_or_default().into(),
                        tier: line.tier.into(),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        self.pos(|p| {
            p.set_candidates(rows(candidates));
            p.set_member_sheet(rows(Vec::new()));
            p.set_issued_card(SharedString::new());
        });
    }

    fn member_sheet(&mut self) {
        let command = Command::MemberView(MemberViewArgs::Current {});
        if let Some(Outcome::MemberView { sheet, .. }) = self.run(command) {
            let entries = models::member_sheet(&sheet, self.terminal.currency());
            self.pos(|p| p.set_member_sheet(rows(entries)));
        }
    }
}

#[derive(Clone, Copy)]
enum Device {
    Scanner,
    Printer,
}

/// Optional text: empty means not given.
fn given(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty()).then_some(t)
}

/// A basket line as the screens number it. No line is numbered 0, so a number that is not
/// a line's is refused by the terminal as any unknown line is.
fn line_no(line: i32) -> u32 {
    u32::try_from(line).unwrap_or(0)
}

/// Connects the sign-in, checkout, payment and member actions and the age-check prompt.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let pos = app.global::<Pos>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(pos, controller, $($action)*) };
    }
    on!(on_sign_in, |c, operator, pin| c.sign_in(&operator, &pin));
    on!(on_sign_out, |c| if c.run(Command::SignOut {}).is_some() {
        c.pos(|p| p.set_screen(Screen::SignIn));
    });
    on!(on_open_shift, |c, float| if c
        .run(Command::OpenShift {
            float: float.into()
        })
        .is_some()
    {
        c.after_sign_in();
    });
    on!(
        on_set_language,
        |c, language| match super::select_language(&language) {
            Ok(()) => {
                c.pos(|p| p.set_language(language.clone()));
            }
            Err(e) => c.show_error("invalid", &e),
        }
    );
    on!(on_scan, |c, code| c.scan(code.trim()));
    on!(on_key_item, |c, plu, qty| c.run(Command::KeyItem {
        plu: plu.into(),
        qty: given(&qty).map(Into::into),
    }));
    on!(on_set_quantity, |c, qty| c
        .run(Command::Quantity(qty.into())));
    on!(on_void_line, |c, line| c
        .run(Command::VoidLine(line_no(line))));
    on!(on_line_discount, |c, line, percent| c.run(
        Command::Discount {
            line: Some(line_no(line)),
            percent: Some(percent.into()),
            amount: None,
            reason: String::new(),
        }
    ));
    on!(on_price_override, |c, line, price| c.run(
        Command::PriceOverride {
            line: line_no(line),
            price: price.into(),
            reason: String::new(),
        }
    ));
    on!(on_void_sale, |c| c.run(Command::VoidSale {}));
    on!(on_to_payment, |c| {
        c.refresh();
        c.pos(|p| {
            p.set_sale_done(false);
            p.set_screen(Screen::Payment);
        })
    });
    on!(on_tender_cash, |c, amount| c.tender(TenderArgs {
        cash: Some(amount.into()),
        ..TenderArgs::default()
    }));
    on!(on_tender_card, |c, amount, reference| c.tender(
        TenderArgs {
            card: Some(amount.into()),
            reference: Some(reference.into()),
            ..TenderArgs::default()
        }
    ));
    on!(
        on_tender_points,
        |c, points| match points.trim().parse::<i64>() {
            Ok(n) => c.tender(TenderArgs {
                points: Some(n),
                ..TenderArgs::default()
            }),
            Err(_) => c.show_refusal(&Refusal::from(&CommandError::Invalid(crate::said!(
                "'{}' is not a number of points",
                points
            )))),
        }
    );
    on!(on_new_sale, |c| {
        c.last_sale = None;
        c.refresh();
        c.pos(|p| {
            p.set_sale_done(false);
            p.set_screen(Screen::Checkout);
        })
    });
    on!(on_member_lookup, |c, query| c.member_lookup(query.trim()));
    on!(on_member_pick, |c, id| c.member_lookup(&id));
    on!(on_member_clear, |c| c.run(Command::ClearMember {}));
    on!(on_member_sheet_open, |c| c.member_sheet());
    on!(on_enroll, |c, name, phone, email| {
        let enrolment = EnrollArgs {
            name: name.into(),
            phone: given(&phone).map(Into::into),
            email: given(&email).map(Into::into),
            consent: Default::default(),
        };
        if let Some(Outcome::CardIssued(card)) = c.run(Command::Enroll(enrolment)) {
            c.pos(|p| p.set_issued_card(card.into()));
        }
    });
    on!(
        on_complaint,
        // A satisfaction outside 0–255 is kept out of range, so the terminal refuses it.
        |c, content, satisfaction| if let Some(Outcome::Complaint(id)) =
            c.run(Command::Complaint(ComplaintArgs::at_counter(
                content.into(),
                Some(u8::try_from(satisfaction).unwrap_or(u8::MAX)),
            ))) {
            c.notice("complaint", &[id.to_string()]);
        }
    );
    on!(on_dismiss_error, |c| c.clear_error());
    on!(
        on_demo_scan,
        |c, code| if let Some(sim) = &c.counter.devices().simulators.scanner {
            sim.scan(&code);
        }
    );
    on!(
        on_demo_swipe,
        |c, tracks| if let Some(sim) = &c.counter.devices().simulators.card_reader {
            sim.swipe(&tracks);
        }
    );
    on!(
        on_demo_weigh,
        |c, grams| if let Some(sim) = c.terminal.scale_simulator() {
            sim.place_settled(i64::from(grams));
        }
    );
    let age = app.global::<AgeCheck>();
    bind_action!(age, controller, on_confirm, |c| c
        .run(Command::AgeCheck { confirmed: true }));
    bind_action!(age, controller, on_refuse, |c| c
        .run(Command::AgeCheck { confirmed: false }));
    pos.on_mask(|text| "●".repeat(text.chars().count()).into());
    pos.on_drop_last(|text| {
        let mut text = text.to_string();
        text.pop();
        text.into()
    });
}

/// Whether a code typed in the scan field is a PLU: one to six digits (a GTIN has 8 to 14).
fn is_plu(code: &str) -> bool {
    (1..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}
