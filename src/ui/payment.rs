//! The `Payment` global (`ui/screens/payment.slint`): what is paid and due, the tenders
//! taken, the suggested notes, and the completed sale's change and receipt; the tenders,
//! the reprint and the next sale.

use slint::{ComponentHandle, SharedString};

use super::controller::{Controller, Shared};
use super::held::LastSale;
use super::models::{self, Refusal, rows};
use super::{AppWindow, Entry, Payment, Screen};
use crate::domain::money::Money;
use crate::terminal::headless::{Command, Outcome, TenderArgs};
use crate::terminal::{CommandError, views};

impl Controller {
    /// What is paid and due on a sale of `total`, the tenders so far and the notes the
    /// customer is likely to hand over.
    pub(super) fn show_payment(&self, total: Money) {
        let payment = views::payment_view(&self.terminal, total);
        let tenders = payment
            .tenders
            .iter()
            .map(|(kind, amount)| Entry {
                label: kind.as_str().into(),
                value: amount.0.to_string().into(),
            })
            .collect();
        let notes = models::suggested_notes(payment.due.0)
            .into_iter()
            .map(SharedString::from)
            .collect();
        self.payment(|p| {
            p.set_paid(payment.paid.0.to_string().into());
            p.set_due(payment.due.0.to_string().into());
            p.set_tenders(rows(tenders));
            p.set_suggested_notes(rows(notes));
        });
        self.show_last_sale();
    }

    /// While the sale-complete panel shows, its total and tenders are the completed sale's.
    fn show_last_sale(&self) {
        if let Some(done) = &self.last_sale {
            self.sale(|s| s.set_total(done.total.clone()));
            self.payment(|p| {
                p.set_paid(done.total.clone());
                p.set_tenders(rows(done.tenders.clone()));
            });
        }
    }

    /// An amount as keyed, or the amount due when nothing was keyed.
    fn amount_or_due(&self, keyed: SharedString) -> String {
        if keyed.is_empty() {
            self.payment(|p| p.get_due()).unwrap_or_default().into()
        } else {
            keyed.into()
        }
    }

    fn tender(&mut self, tender: TenderArgs) {
        if let Some(Outcome::Sale(done)) = self.run(Command::Tender(tender)) {
            let view = views::sale_view(&done, self.terminal.currency());
            self.last_sale = Some(LastSale {
                total: view.total.0.to_string().into(),
                tenders: view
                    .tenders
                    .iter()
                    .map(|t| Entry {
                        label: t.kind.into(),
                        value: t.amount.0.to_string().into(),
                    })
                    .collect(),
            });
            self.payment(|p| {
                p.set_sale_done(true);
                p.set_change(view.change.0.to_string().into());
                p.set_receipt_no(view.receipt_no.to_string().into());
                p.set_receipt_text(view.receipt.into());
            });
            self.show_last_sale();
        }
    }

    fn new_sale(&mut self) {
        self.last_sale = None;
        self.refresh();
        self.payment(|p| p.set_sale_done(false));
        self.show_screen(Screen::Checkout);
    }
}

/// Connects the tenders, the reprint and the next sale.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let payment = app.global::<Payment>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(payment, controller, $($action)*) };
    }
    on!(on_tender_cash, |c, amount| {
        let cash = c.amount_or_due(amount);
        c.tender(TenderArgs {
            cash: Some(cash),
            ..TenderArgs::default()
        })
    });
    on!(on_tender_card, |c, amount, reference| {
        let card = c.amount_or_due(amount);
        c.tender(TenderArgs {
            card: Some(card),
            reference: Some(reference.into()),
            ..TenderArgs::default()
        })
    });
    on!(
        on_tender_points,
        |c, points| match points.trim().parse::<i64>() {
            Ok(n) => c.tender(TenderArgs {
                points: Some(n),
                ..TenderArgs::default()
            }),
            Err(_) => c.show_refusal(&Refusal::from(&CommandError::Invalid(crate::said!(
                "'{}' is not a number of points",
                points
            )))),
        }
    );
    on!(on_new_sale, |c| c.new_sale());
    on!(on_reprint, |c| c.run(Command::Reprint {}));
}
