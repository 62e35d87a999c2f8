//! The `Status` global (`ui/screens/status-bar.slint`): the HQ link and backlog, the
//! printer's and scanner's state, each device's health for the manager screen, and the
//! refusal or notice shown; dismissing a refusal, refreshing the status, and the demo's
//! simulated devices.

use slint::{ComponentHandle, SharedString, TimerMode};
use storepos_drivers::DeviceStatus;
use storepos_drivers::printer::status::PaperState;

use super::controller::{Controller, NOTICE_SHOWN_FOR, Shared};
use super::held::Device;
use super::models::{self, Refusal, rows};
use super::{AppWindow, Fact, NoticeKind, Status};

/// A device's state as the status bar's lamps show it (paper is the printer's).
#[derive(Clone, Copy, PartialEq)]
enum State {
    Ready,
    PaperLow,
    PaperOut,
    Offline,
}

impl Controller {
    /// Shows a refusal, worded in the screen's language.
    pub(super) fn show_refusal(&self, refusal: &Refusal) {
        self.show_error(&refusal.code, &refusal.message);
        self.status(|s| {
            s.set_error_has_chinese(!refusal.chinese.is_empty());
            s.set_error_message_zh(refusal.chinese.as_str().into());
        });
    }

    /// Shows a refusal that has only its English wording (a device's own words).
    pub(super) fn show_error(&self, code: &str, message: &str) {
        self.status(|s| {
            s.set_has_error(!message.is_empty());
            s.set_error_code(code.into());
            s.set_error_message(message.into());
            s.set_error_has_chinese(false);
            s.set_error_message_zh(SharedString::new());
            s.set_notice(NoticeKind::None);
        });
    }

    pub(super) fn clear_error(&self) {
        self.status(|s| {
            s.set_has_error(false);
            s.set_error_code(SharedString::new());
            s.set_error_message(SharedString::new());
            s.set_error_has_chinese(false);
            s.set_error_message_zh(SharedString::new());
        });
    }

    /// Shows a notice of `kind` (worded on the screen) with its data, for a while.
    pub(super) fn notice(&self, kind: NoticeKind, args: &[String]) {
        let args: Vec<SharedString> = args.iter().map(SharedString::from).collect();
        self.status(|s| {
            s.set_notice_args(rows(args));
            s.set_notice(kind);
        });
        let app = self.app.clone();
        self.notice_timer
            .start(TimerMode::SingleShot, NOTICE_SHOWN_FOR, move || {
                if let Some(app) = app.upgrade() {
                    app.global::<Status>().set_notice(NoticeKind::None);
                }
            });
    }

    /// Online/offline and the backlog, and each device's health for the manager screen.
    pub fn refresh_status(&mut self) {
        use storepos_drivers::{Device as _, HealthLevel};
        if let Ok(s) = self.terminal.sync_status() {
            self.status(|st| {
                st.set_online(s.online);
                st.set_backlog(s.backlog.try_into().unwrap_or(i32::MAX));
            });
        }
        let devices = self.counter.devices();
        let health = [
            devices.scanner.check_health(),
            devices.card_reader.check_health(),
            devices.printer.check_health(),
            devices.drawer.check_health(),
        ];
        let printer = match (&health[2].level, health[2].detail.as_str()) {
            (HealthLevel::Ok, _) => State::Ready,
            (HealthLevel::Warning, d) if d.contains("paper") => State::PaperLow,
            (_, d) if d.contains("paper") || d.contains("cover") => State::PaperOut,
            (HealthLevel::Warning, _) => State::Ready,
            (HealthLevel::Failed, _) => State::Offline,
        };
        let scanner_ready = health[0].level != HealthLevel::Failed;
        let keys = ["scanner", "card-reader", "printer", "drawer"];
        let mut facts: Vec<Fact> = keys
            .iter()
            .zip(&health)
            .map(|(key, h)| models::state_fact(key, models::health_state(&h.level)))
            .collect();
        let problem = self.status(|s| s.get_hq_problem()).unwrap_or_default();
        if !problem.is_empty() {
            facts.push(models::fact("hq-problem", "", problem));
        }
        if let Ok(s) = self.terminal.sync_status() {
            facts.push(models::state_fact(
                "hq",
                if s.online { "online" } else { "offline" },
            ));
            facts.push(models::fact("backlog", "", s.backlog.to_string()));
            if let Some(e) = s.last_error {
                facts.push(models::fact("last-error", "", e));
            }
        }
        self.show_printer(printer);
        self.status(|s| {
            s.set_scanner_ready(scanner_ready);
            s.set_device_status(rows(facts));
        });
    }

    fn show_printer(&self, printer: State) {
        self.status(|s| {
            s.set_printer_ready(printer == State::Ready);
            s.set_printer_paper_low(printer == State::PaperLow);
            s.set_printer_paper_out(printer == State::PaperOut);
        });
    }

    /// A state the scanner or printer reported.
    pub(super) fn device_state(&self, device: Device, status: &DeviceStatus) {
        let state = match status {
            DeviceStatus::Online | DeviceStatus::Reconnected | DeviceStatus::PaperOk => {
                State::Ready
            }
            DeviceStatus::PaperNearEnd => State::PaperLow,
            DeviceStatus::PaperOut | DeviceStatus::CoverOpen => State::PaperOut,
            DeviceStatus::Offline(_) => State::Offline,
            DeviceStatus::CoverClosed | DeviceStatus::DrawerOpen | DeviceStatus::DrawerClosed => {
                return;
            }
        };
        match device {
            Device::Scanner => {
                self.status(|s| s.set_scanner_ready(state == State::Ready));
            }
            Device::Printer => self.show_printer(state),
        }
    }

    /// Tells the screens HQ could not start this session and why: the status bar says the
    /// till is offline for that reason, the status panel gives it.
    pub fn say_offline(&self, reason: &str) {
        self.status(|s| {
            s.set_hq_not_started(!reason.is_empty());
            s.set_hq_problem(reason.into());
        });
    }

    fn demo_paper(&mut self, loaded: bool) {
        if let Some(printer) = &self.counter.devices().simulators.printer {
            printer.set_paper(if loaded {
                PaperState::Ok
            } else {
                PaperState::Out
            });
        }
        self.refresh_status();
    }
}

/// Connects dismissing a refusal, refreshing the status and the demo's simulated devices.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let status = app.global::<Status>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(status, controller, $($action)*) };
    }
    on!(on_dismiss_error, |c| c.clear_error());
    on!(on_refresh_status, |c| c.refresh_status());
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
    on!(on_demo_paper, |c, loaded| c.demo_paper(loaded));
}
