//! The `Sale` global (`ui/screens/basket.slint`): the basket's lines, its totals and the
//! quick keys; scanning, keying items and the checkout's line and sale actions.

use slint::ComponentHandle;

use super::controller::{Controller, Shared, given};
use super::models::{self, rows};
use super::{AppWindow, QuickKey, Sale, Screen};
use crate::terminal::headless::Command;
use crate::terminal::views::BasketView;

impl Controller {
    /// The basket's rows (only those that changed) and its totals; `count` is the number of
    /// lines not voided.
    pub(super) fn show_sale(&self, view: &BasketView, count: i32) {
        models::sync_rows(&self.lines, models::basket_lines(view));
        self.sale(|s| {
            s.set_item_count(count);
            s.set_subtotal(view.subtotal.0.to_string().into());
            s.set_discount(view.discount.0.to_string().into());
            s.set_tax(view.tax.0.to_string().into());
            s.set_total(view.total.0.to_string().into());
        });
    }

    pub(super) fn show_quick_keys(&self) {
        let keys = self
            .terminal
            .plu_products(8)
            .unwrap_or_default()
            .into_iter()
            .map(|p| QuickKey {
                plu: p.plu.map(|n| n.to_string()).unwrap_or_default().into(),
                name: p.name.into(),
                price: p.price.to_string().into(),
            })
            .collect();
        self.sale(|s| s.set_quick_keys(rows(keys)));
    }

    /// A code scanned or typed in the scan field. A short number (up to six digits, shorter
    /// than any GTIN) is a PLU keyed by the cashier: the item is keyed as its quick key
    /// would (a weighed one weighed on the scale, or asked for its weight).
    pub fn scan(&mut self, code: &str) {
        if is_plu(code) {
            self.run(Command::KeyItem {
                plu: code.into(),
                qty: None,
            });
        } else {
            self.run(Command::Scan(code.into()));
        }
    }

    fn go_to_payment(&mut self) {
        self.refresh();
        self.payment(|p| p.set_sale_done(false));
        self.show_screen(Screen::Payment);
    }
}

/// A basket line as the screens number it. No line is numbered 0, so a number that is not
/// a line's is refused by the terminal as any unknown line is.
fn line_no(line: i32) -> u32 {
    u32::try_from(line).unwrap_or(0)
}

/// Whether a code typed in the scan field is a PLU: one to six digits (a GTIN has 8 to 14).
fn is_plu(code: &str) -> bool {
    (1..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Connects the checkout's actions on the sale.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let sale = app.global::<Sale>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(sale, controller, $($action)*) };
    }
    on!(on_scan, |c, code| c.scan(code.trim()));
    on!(on_key_item, |c, plu, qty| c.run(Command::KeyItem {
        plu: plu.into(),
        qty: given(&qty).map(Into::into),
    }));
    on!(on_set_quantity, |c, qty| c
        .run(Command::Quantity(qty.into())));
    on!(on_void_line, |c, line| c
        .run(Command::VoidLine(line_no(line))));
    on!(on_line_discount, |c, line, percent| c.run(
        Command::Discount {
            line: Some(line_no(line)),
            percent: Some(percent.into()),
            amount: None,
            reason: String::new(),
        }
    ));
    on!(on_price_override, |c, line, price| c.run(
        Command::PriceOverride {
            line: line_no(line),
            price: price.into(),
            reason: String::new(),
        }
    ));
    on!(on_void_sale, |c| c.run(Command::VoidSale {}));
    on!(on_to_payment, |c| c.go_to_payment());
}
