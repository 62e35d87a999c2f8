//! The manager screen's actions: X and Z reports, cash in and out, reprint, personalised
//! shopping lists (one member's, or a batch for every member who qualifies, with
//! progress) and the devices' and sync status. Lists are printed by the terminal core's
//! `print_list` command, the batch's members named by its `list_batch` command.

use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, TimerMode};
use storepos_drivers::printer::status::PaperState;

use super::controller::{Controller, Shared};
use super::lists::BatchRun;
use super::models::{self, rows};
use super::{AppWindow, Fact, Pos};
use crate::terminal::headless::{Command, Outcome, PrintListArgs};
use crate::terminal::views;

impl Controller {
    /// Online/offline and the backlog, and each device's health for the manager screen.
    pub fn refresh_status(&mut self) {
        use storepos_drivers::{Device as _, HealthLevel};
        if let Ok(s) = self.terminal.sync_status() {
            self.pos(|p| {
                p.set_online(s.online);
                p.set_backlog(s.backlog.try_into().unwrap_or(i32::MAX));
            });
        }
        let devices = self.counter.devices();
        let health = [
            devices.scanner.check_health(),
            devices.card_reader.check_health(),
            devices.printer.check_health(),
            devices.drawer.check_health(),
        ];
        let printer_state = match (&health[2].level, health[2].detail.as_str()) {
            (HealthLevel::Ok, _) => "ok",
            (HealthLevel::Warning, d) if d.contains("paper") => "paper-low",
            (_, d) if d.contains("paper") || d.contains("cover") => "paper-out",
            (HealthLevel::Warning, _) => "ok",
            (HealthLevel::Failed, _) => "offline",
        };
        let scanner_state = if health[0].level == HealthLevel::Failed {
            "offline"
        } else {
            "ok"
        };
        let keys = ["scanner", "card-reader", "printer", "drawer"];
        let mut facts: Vec<Fact> = keys
            .iter()
            .zip(&health)
            .map(|(key, h)| models::state_fact(key, models::health_state(&h.level)))
            .collect();
        let problem = self.pos(|p| p.get_hq_problem()).unwrap_or_default();
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
        self.pos(|p| {
            p.set_printer_state(printer_state.into());
            p.set_scanner_state(scanner_state.into());
            p.set_device_status(rows(facts));
        });
    }

    /// Runs an X (`kind` "x") or Z report command and shows its rows.
    fn report(&mut self, command: Command, kind: &str) {
        if let Some(Outcome::Report(r)) = self.run(command) {
            let view = views::report_view(&r, self.terminal.currency());
            let facts = models::report_facts(&view);
            self.pos(|p| {
                p.set_report_kind(kind.into());
                p.set_report(rows(facts));
            });
        }
    }

    /// Prints one member's list (card or member id) through `print_list`.
    fn print_list(&mut self, member: &str) {
        let command = Command::PrintList(PrintListArgs {
            member: member.into(),
        });
        if let Some(Outcome::PrintedList { list, .. }) = self.run(command) {
            let who = if list.member.is_empty() {
                member
            } else {
                &list.member
            };
            self.notice(
                "list-printed",
                &[
                    list.code.clone(),
                    who.to_string(),
                    list.items.to_string(),
                    list.offers.to_string(),
                ],
            );
        }
    }

    /// Asks the terminal which members qualify and prints their lists one per tick of a
    /// timer, so the progress bar moves while the batch runs.
    fn start_batch(this: &Shared) {
        let mut c = this.borrow_mut();
        if c.batch.as_ref().is_some_and(|run| !run.finished()) {
            return;
        }
        let Some(Outcome::ListBatch(members)) = c.run(Command::ListBatch {}) else {
            return;
        };
        c.batch = Some(BatchRun::new(members));
        c.show_batch();
        let weak = Rc::downgrade(this);
        c.batch_timer
            .start(TimerMode::Repeated, Duration::from_millis(1), move || {
                if let Some(c) = weak.upgrade() {
                    c.borrow_mut().batch_step();
                }
            });
    }

    /// Prints the next list of the batch and moves the progress bar. A list the printer
    /// did not take (a device warning) counts as failed.
    pub fn batch_step(&mut self) {
        let Some(mut run) = self.batch.take() else {
            self.batch_timer.stop();
            return;
        };
        run.step(|member| {
            match self.execute(Command::PrintList(PrintListArgs {
                member: member.into(),
            })) {
                Ok((_, warnings)) if warnings.is_empty() => Ok(()),
                Ok((_, warnings)) => Err(warnings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")),
                Err(refusal) => Err(refusal.message),
            }
        });
        if run.finished() {
            self.batch_timer.stop();
            if let Some((member, why)) = run.failed.last() {
                let why = format!("{member}: {why}");
                self.show_error("device", &why);
            }
        }
        self.batch = Some(run);
        self.show_batch();
    }

    fn show_batch(&self) {
        if let Some(run) = &self.batch {
            let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
            self.pos(|p| {
                p.set_lists_progress(run.progress());
                p.set_lists_total(count(run.members.len()));
                p.set_lists_done(count(run.next));
                p.set_lists_printed(count(run.printed));
                p.set_lists_failed(count(run.failed.len()));
            });
        }
    }

    /// Tells the screens HQ could not start this session and why: the status bar says the
    /// till is offline for that reason, the status panel gives it.
    pub fn say_offline(&self, reason: &str) {
        self.pos(|p| p.set_hq_problem(reason.into()));
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

/// Connects the manager screen's actions.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let pos = app.global::<Pos>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(pos, controller, $($action)*) };
    }
    on!(on_x_report, |c| c.report(Command::Report("x".into()), "x"));
    // The Z report stays on screen with its over/short; leaving it, a closed shift sends
    // the operator to open the next one.
    on!(on_close_shift, |c, counted| c.report(
        Command::CloseShift {
            counted: counted.into()
        },
        "z"
    ));
    on!(on_leave_manager, |c| c.after_sign_in());
    on!(on_cash_in, |c, amount, reason| c.run(Command::CashIn {
        amount: amount.into(),
        reason: reason.into(),
    }));
    on!(on_cash_out, |c, amount, reason| c.run(Command::CashOut {
        amount: amount.into(),
        reason: reason.into(),
    }));
    on!(on_reprint, |c| c.run(Command::Reprint {}));
    on!(on_print_list, |c, member| c.print_list(member.trim()));
    on!(on_refresh_status, |c| c.refresh_status());
    on!(on_demo_paper, |c, loaded| c.demo_paper(loaded));
    let weak = Rc::downgrade(controller);
    pos.on_print_lists_batch(move || {
        if let Some(c) = weak.upgrade() {
            Controller::start_batch(&c);
        }
    });
}
