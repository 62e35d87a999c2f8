//! Connects the screens to the controller: the actions of every global, each bound by the
//! module of its name (`Session` by [`super::session`], `Sale` by [`super::sale`],
//! `Payment`, `Member`, `Returns`, `Manager`, `Status`, `Approval`, `AgeCheck` and
//! `TextEdit` likewise), and the timers that poll the devices and the sync status. This
//! module is the only one that knows all the others; they know only the controller, the
//! models and what they build on.

use std::rc::Rc;
use std::time::Duration;

use slint::{Timer, TimerMode};

use super::AppWindow;
use super::controller::{Controller, Shared};
use crate::terminal::Terminal;
use crate::terminal::effects::Counter;

impl Controller {
    /// Binds `app` to `terminal` and the devices of `counter` (the scanner and card reader
    /// are started here).
    pub fn attach(app: &AppWindow, terminal: Terminal, counter: Counter) -> Shared {
        let controller = Controller::new(app, terminal, counter);
        super::session::bind(app, &controller);
        super::sale::bind(app, &controller);
        super::payment::bind(app, &controller);
        super::member::bind(app, &controller);
        super::returns::bind(app, &controller);
        super::manager::bind(app, &controller);
        super::status::bind(app, &controller);
        super::approval::bind(app, &controller);
        super::age_check::bind(app, &controller);
        super::text_edit::bind(app);
        controller.borrow_mut().refresh_status();
        controller
    }

    /// Polls the devices every `every` and the sync status every `status_every` (the demo
    /// window does; tests drive [`Controller::poll_devices`] themselves).
    pub fn start_timers(this: &Shared, every: Duration, status_every: Duration) {
        let weak = Rc::downgrade(this);
        let devices = Timer::default();
        devices.start(TimerMode::Repeated, every, move || {
            if let Some(c) = weak.upgrade() {
                c.borrow_mut().poll_devices();
            }
        });
        let weak = Rc::downgrade(this);
        let status = Timer::default();
        status.start(TimerMode::Repeated, status_every, move || {
            if let Some(c) = weak.upgrade() {
                c.borrow_mut().refresh_status();
            }
        });
        this.borrow_mut().timers.extend([devices, status]);
    }
}
