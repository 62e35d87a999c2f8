//! The `Manager` global (`ui/screens/manager.slint`): X and Z reports, cash in and out and
//! personalised shopping lists (one member's, or a batch for every member who qualifies,
//! with progress). The screen's reprint is [`super::payment`]'s, its devices' and sync
//! status [`super::status`]'s. Lists are printed by the terminal core's
//! `print_list` command, the batch's members named by its `list_batch` command.

use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, TimerMode};

use super::controller::{Controller, Shared};
use super::lists::BatchRun;
use super::models::{self, rows};
use super::{AppWindow, Manager, NoticeKind};
use crate::terminal::headless::{Command, Outcome, PrintListArgs};
use crate::terminal::views;

impl Controller {
    /// Whether this till can print shopping lists (it has HQ's public key).
    pub(super) fn show_lists_available(&self) {
        let lists = self.terminal.lists_ready();
        self.manager(|m| m.set_lists_available(lists.is_ok()));
        if let Err(why) = lists {
            tracing::info!("shopping lists cannot be printed here: {why}");
        }
    }

    /// Runs an X or (`z`) a Z report command and shows its rows.
    fn report(&mut self, command: Command, z: bool) {
        if let Some(Outcome::Report(r)) = self.run(command) {
            let view = views::report_view(&r, self.terminal.currency());
            let facts = models::report_facts(&view);
            self.manager(|m| {
                m.set_showing_x_report(!z);
                m.set_showing_z_report(z);
                m.set_report(rows(facts));
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
                NoticeKind::ListPrinted,
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
            self.manager(|m| {
                m.set_lists_progress(run.progress());
                m.set_lists_total(count(run.members.len()));
                m.set_lists_done(count(run.next));
                m.set_lists_printed(count(run.printed));
                m.set_lists_failed(count(run.failed.len()));
            });
        }
    }
}

/// Connects the manager screen's actions.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let manager = app.global::<Manager>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(manager, controller, $($action)*) };
    }
    on!(on_x_report, |c| c
        .report(Command::Report("x".into()), false));
    // The Z report stays on screen with its over/short; leaving it, a closed shift sends
    // the operator to open the next one.
    on!(on_close_shift, |c, counted| c.report(
        Command::CloseShift {
            counted: counted.into()
        },
        true
    ));
    on!(on_leave, |c| c.after_sign_in());
    on!(on_cash_in, |c, amount, reason| c.run(Command::CashIn {
        amount: amount.into(),
        reason: reason.into(),
    }));
    on!(on_cash_out, |c, amount, reason| c.run(Command::CashOut {
        amount: amount.into(),
        reason: reason.into(),
    }));
    on!(on_print_list, |c, member| c.print_list(member.trim()));
    let weak = Rc::downgrade(controller);
    manager.on_print_lists_batch(move || {
        if let Some(c) = weak.upgrade() {
            Controller::start_batch(&c);
        }
    });
}
