//! What the controller holds between the screens' actions: the return being put
//! together, the sale just completed and which device a status is of. The screens'
//! modules fill them; the controller only keeps them, so it imports none of those modules.

use slint::SharedString;

use super::Entry;
use crate::terminal::returns::Returnable;

/// What the sale-complete panel shows.
pub(super) struct LastSale {
    pub total: SharedString,
    pub tenders: Vec<Entry>,
}

/// A return being put together: the receipt, its lines and the units chosen per line.
pub(super) struct ReturnDraft {
    pub code: String,
    pub lines: Vec<Returnable>,
    pub chosen: Vec<i32>,
}

/// A device whose state the status bar shows.
#[derive(Clone, Copy)]
pub(super) enum Device {
    Scanner,
    Printer,
}
