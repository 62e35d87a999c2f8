//! Connects the screens to the controller: every action of the `Pos` global and the
//! prompts, and the timers that poll the devices and the sync status. This module is the
//! only one that knows all the others (the checkout in [`super::controller`], the manager
//! screen, the returns flow); they know only the controller and the models below them.

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
        super::controller::bind(app, &controller);
        super::manager::bind(app, &controller);
        super::returns::bind(app, &controller);
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
