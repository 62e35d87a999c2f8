//! The `Returns` global (`ui/screens/returns.slint`): the receipt looked up, the units
//! chosen per line, the refund the terminal core previews for them, and the `return`
//! command (which a cashier's supervisor approves, see [`super::approval`]).

use slint::ComponentHandle;

use super::controller::{Controller, Shared};
use super::held::ReturnDraft;
use super::models::{self, Refusal, rows};
use super::{AppWindow, NoticeKind, Returns};
use crate::terminal::headless::{Command, Outcome, ReceiptArg, ReturnLineArgs};
use crate::terminal::views::{self, RefundView};

impl Controller {
    fn return_lookup(&mut self, code: &str) {
        match self.terminal.returnable(code) {
            Ok((receipt, lines)) => {
                let chosen = vec![0; lines.len()];
                self.return_draft = Some(ReturnDraft {
                    code: receipt.to_string(),
                    lines,
                    chosen,
                });
                self.clear_error();
                self.show_returns();
                self.preview_refund();
            }
            Err(e) => self.show_refusal(&Refusal::from(&e)),
        }
    }

    fn show_returns(&self) {
        let currency = self.terminal.currency();
        let (receipt, list, chosen) = match &self.return_draft {
            Some(d) => (
                d.code.clone(),
                models::return_rows(&d.lines, &d.chosen, currency),
                d.chosen.iter().sum::<i32>(),
            ),
            None => (String::new(), Vec::new(), 0),
        };
        self.returns(|r| {
            r.set_has_receipt(!receipt.is_empty());
            r.set_receipt(receipt.into());
            r.set_lines(rows(list));
            r.set_chosen(chosen);
        });
    }

    fn return_adjust(&mut self, line: i32, delta: i32) {
        if let Some(d) = &mut self.return_draft
            && let Some(i) = d.lines.iter().position(|l| l.line as i32 == line)
        {
            let max = models::returnable_units(d.lines[i].left);
            d.chosen[i] = (d.chosen[i] + delta).clamp(0, max);
        }
        self.show_returns();
        self.preview_refund();
    }

    /// The lines and quantities chosen, as the `return` and `return_preview` commands take
    /// them.
    fn chosen_lines(d: &ReturnDraft) -> Vec<ReturnLineArgs> {
        d.lines
            .iter()
            .zip(&d.chosen)
            .filter(|(_, n)| **n > 0)
            .map(|(l, n)| ReturnLineArgs {
                line: l.line,
                qty: models::return_quantity(l.left, *n).to_string(),
            })
            .collect()
    }

    /// Asks the terminal core what the chosen units would refund and shows it; nothing
    /// chosen shows no refund.
    fn preview_refund(&mut self) {
        let command = match &self.return_draft {
            Some(d) if d.chosen.iter().any(|n| *n > 0) => Command::ReturnPreview {
                receipt: ReceiptArg::Code(d.code.clone()),
                lines: Self::chosen_lines(d),
            },
            _ => {
                self.show_refund(None);
                return;
            }
        };
        match self.execute(command) {
            Ok((Outcome::ReturnPreview { refund, .. }, _)) => self.show_refund(Some(&refund)),
            Ok(_) => self.show_refund(None),
            Err(refusal) => {
                self.show_refund(None);
                self.show_refusal(&refusal);
            }
        }
    }

    fn show_refund(&self, refund: Option<&RefundView>) {
        let (total, lines, tenders) = match refund {
            Some(r) => models::refund_rows(r),
            None => (String::new(), Vec::new(), Vec::new()),
        };
        self.returns(|r| {
            r.set_has_refund(!total.is_empty());
            r.set_refund(total.into());
            r.set_refund_lines(rows(lines));
            r.set_refund_tenders(rows(tenders));
        });
    }

    fn return_submit(&mut self) {
        let Some(d) = &self.return_draft else { return };
        let command = Command::Return {
            receipt: ReceiptArg::Code(d.code.clone()),
            lines: Self::chosen_lines(d),
        };
        let outcome = self.run(command);
        self.after_return(outcome);
    }

    /// After a return was done (approved or not needing it): the refund's notice, and the
    /// returns screen cleared.
    pub(super) fn after_return(&mut self, outcome: Option<Outcome>) {
        if let Some(Outcome::Sale(done)) = outcome {
            let view = views::sale_view(&done, self.terminal.currency());
            self.notice(
                NoticeKind::Refund,
                &[view.total.0.to_string(), view.receipt_no.to_string()],
            );
            self.return_draft = None;
            self.show_returns();
            self.show_refund(None);
        }
    }
}

/// Connects the returns screen's actions.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let returns = app.global::<Returns>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(returns, controller, $($action)*) };
    }
    on!(on_lookup, |c, code| c.return_lookup(code.trim()));
    on!(on_adjust, |c, line, delta| c.return_adjust(line, delta));
    on!(on_submit, |c| c.return_submit());
}
