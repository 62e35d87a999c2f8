//! The `AgeCheck` global (`ui/widgets/overlays.slint`): restricted items (alcohol, tobacco)
//! waiting for the customer's age to be checked, and the cashier's answer.

use slint::ComponentHandle;

use super::controller::{Controller, Shared};
use super::{AgeCheck, AppWindow};
use crate::terminal::headless::Command;

impl Controller {
    /// Restricted items waiting for the customer's age bring up the age-check prompt.
    pub(super) fn show_age_check(&self) {
        let restricted: Vec<&str> = self
            .terminal
            .age_check_pending()
            .iter()
            .map(|l| l.product.name.as_str())
            .collect();
        self.age_check(|a| {
            a.set_waiting(!restricted.is_empty());
            a.set_items(restricted.join(", ").into());
        });
    }
}

/// Connects the age check's answers.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let age = app.global::<AgeCheck>();
    bind_action!(age, controller, on_confirm, |c| c
        .run(Command::AgeCheck { confirmed: true }));
    bind_action!(age, controller, on_refuse, |c| c
        .run(Command::AgeCheck { confirmed: false }));
}
