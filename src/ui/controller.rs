//! The till's core in the touch UI: the terminal, its devices and the window, and how every
//! action runs. Each action the screens raise becomes a [`Command`] run through
//! [`headless::run`], as the headless interface runs the commands it reads; its effects go
//! to the devices and the terminal's views come back to the screens' globals. Refusals are
//! shown as they are; an action that needs a supervisor opens the approval prompt.
//!
//! What each screen shows and the actions it raises are bound in the module named after its
//! global ([`super::session`], [`super::sale`], [`super::payment`], [`super::member`],
//! [`super::returns`], [`super::manager`], [`super::status`], [`super::approval`],
//! [`super::age_check`]); [`super::bind`] connects them all.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Timer, VecModel};
use storepos_drivers::{CardSource, DeviceEvent, InputDevice};

use super::held::{Device, LastSale, ReturnDraft};
use super::lists::BatchRun;
use super::models::Refusal;
use super::{
    AgeCheck, AppWindow, Approval, BasketLine, Manager, Member, Payment, Returns, Sale, Session,
    Status,
};
use crate::terminal::effects::Counter;
use crate::terminal::headless::{self, Command, Outcome};
use crate::terminal::{CommandError, Said, Terminal, views};

pub struct Controller {
    pub(super) terminal: Terminal,
    pub(super) counter: Counter,
    pub(super) app: slint::Weak<AppWindow>,
    /// The basket's rows, bound once to `Sale.lines` and changed row by row.
    pub(super) lines: Rc<VecModel<BasketLine>>,
    pub(super) batch: Option<BatchRun>,
    pub(super) batch_timer: Timer,
    pub(super) return_draft: Option<ReturnDraft>,
    pub(super) timers: Vec<Timer>,
    /// Clears a notice once it has been read.
    pub(super) notice_timer: Timer,
    /// The sale just completed, shown until the next sale starts (the basket is already
    /// empty, so the summary cannot be read from it).
    pub(super) last_sale: Option<LastSale>,
}

/// How long a notice ("refund done", "list printed") stays on screen.
pub const NOTICE_SHOWN_FOR: Duration = Duration::from_secs(5);

pub(super) type Shared = Rc<RefCell<Controller>>;

/// `name(|g| …)` runs with `g` the window's global of that type, while the window lives.
macro_rules! globals {
    ($($name:ident: $global:ident),* $(,)?) => {
        impl Controller {
            $(
                pub(super) fn $name<R>(&self, f: impl FnOnce(&$global<'_>) -> R) -> Option<R> {
                    self.app.upgrade().map(|app| f(&app.global::<$global>()))
                }
            )*
        }
    };
}

globals!(
    session: Session,
    sale: Sale,
    payment: Payment,
    member: Member,
    returns: Returns,
    manager: Manager,
    status: Status,
    approval: Approval,
    age_check: AgeCheck,
);

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
        app.global::<Sale>()
            .set_lines(slint::ModelRc::from(lines.clone()));
        let controller = Rc::new(RefCell::new(Controller {
            terminal,
            counter,
            app: app.as_weak(),
            lines,
            batch: None,
            batch_timer: Timer::default(),
            return_draft: None,
            timers: Vec::new(),
            notice_timer: Timer::default(),
            last_sale: None,
        }));
        {
            let mut c = controller.borrow_mut();
            c.show_lists_available();
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
                    self.ask_approval(&refusal.message);
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

    /// Binds the basket, totals, payment state, member badge, age check and who is signed
    /// in to the screens.
    pub fn refresh(&mut self) {
        let priced = self.terminal.priced();
        let view = views::basket_view(self.terminal.basket(), &priced);
        let count = view.lines.iter().filter(|l| !l.voided).count() as i32;
        if count > 0 {
            // The next customer's items: the completed sale is no longer on show.
            self.last_sale = None;
        }
        self.show_sale(&view, count);
        // After the totals: while the sale-complete panel shows, it shows the completed
        // sale's total.
        self.show_payment(priced.total);
        self.show_age_check();
        self.show_session();
        self.show_member_badge();
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
}

/// Optional text: empty means not given.
pub(super) fn given(text: &str) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty()).then_some(t)
}
