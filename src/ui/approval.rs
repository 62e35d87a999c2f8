//! The `Approval` global (`ui/widgets/overlays.slint`): the supervisor's approval the
//! terminal asks for, given or cancelled.

use slint::{ComponentHandle, SharedString};

use super::controller::{Controller, Shared};
use super::{AppWindow, Approval};
use crate::terminal::headless::Command;

impl Controller {
    /// Opens the approval prompt for `what` (the terminal's words).
    pub(super) fn ask_approval(&self, what: &str) {
        self.approval(|a| {
            a.set_needed(!what.is_empty());
            a.set_what(what.into());
        });
    }

    fn close_approval(&self) {
        self.approval(|a| {
            a.set_needed(false);
            a.set_what(SharedString::new());
        });
    }

    /// A supervisor approves what was asked; an approved return is then done.
    fn approve(&mut self, operator: &str, pin: &str) {
        let outcome = self.run(Command::Approve {
            operator: operator.into(),
            pin: pin.into(),
        });
        if outcome.is_some() {
            self.close_approval();
            self.after_return(outcome);
        }
    }
}

/// Connects the approval prompt.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let approval = app.global::<Approval>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(approval, controller, $($action)*) };
    }
    on!(on_approve, |c, operator, pin| c.approve(&operator, &pin));
    on!(on_cancel, |c| c.close_approval());
}
