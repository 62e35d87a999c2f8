//! The `Session` global (`ui/screens/sign-in.slint`): who is signed in, whether the shift
//! is open, the screens' language and the screen showing; signing in and out, opening the
//! shift and switching the language.

use slint::ComponentHandle;

use super::controller::{Controller, Shared};
use super::{AppWindow, Screen, Session};
use crate::terminal::headless::Command;

impl Controller {
    /// Who is signed in and whether the shift is open.
    pub(super) fn show_session(&self) {
        let operator = self.terminal.operator_name();
        let shift_open = self.terminal.shift_open();
        self.session(|s| {
            s.set_operator_name(operator.unwrap_or("").into());
            s.set_signed_in(operator.is_some());
            s.set_shift_open(shift_open);
        });
    }

    pub(super) fn show_screen(&self, screen: Screen) {
        self.session(|s| s.set_screen(screen));
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

    /// To the basket when a shift is open, else to opening one.
    pub(super) fn after_sign_in(&mut self) {
        let screen = if self.terminal.shift_open() {
            Screen::Checkout
        } else {
            Screen::SignIn
        };
        self.show_screen(screen);
    }

    fn open_shift(&mut self, float: &str) {
        // Nothing keyed is a float of zero.
        let float = if float.is_empty() { "0" } else { float };
        if self
            .run(Command::OpenShift {
                float: float.into(),
            })
            .is_some()
        {
            self.after_sign_in();
        }
    }

    fn set_language(&self, language: &str) {
        match super::select_language(language) {
            Ok(()) => {
                self.session(|s| {
                    s.set_language(language.into());
                    s.set_chinese(language == "zh_CN");
                });
            }
            Err(e) => self.show_error("invalid", &e),
        }
    }
}

/// Connects the sign-in and language actions.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let session = app.global::<Session>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(session, controller, $($action)*) };
    }
    on!(on_sign_in, |c, operator, pin| c.sign_in(&operator, &pin));
    on!(on_sign_out, |c| if c.run(Command::SignOut {}).is_some() {
        c.show_screen(Screen::SignIn);
    });
    on!(on_open_shift, |c, float| c.open_shift(&float));
    on!(on_set_language, |c, language| c.set_language(&language));
}
