//! Paying and completing a sale: tenders (cash with change and rounding, card, voucher,
//! points), the sale record, sealing and the hand-over to the committer, the pipelined
//! mode in which sales commit while the next basket is scanned, and the receipt and
//! effects of a sale once it is durable.

use crate::said;
use chrono::{DateTime, Utc};

use super::*;

impl Terminal {
    /// The store's language (`store.language`, or the one HQ's settings for the store
    /// give): receipts print in it, and the touch UI starts in it
    /// ([`Language::ui_translation`] names its translation).
    pub fn store_language(&self) -> Language {
        self.config.store.language
    }

    /// In pipelined mode a tender that completes the sale hands it to the committer and
    /// returns at once with a fresh basket, so the next customer's items can be scanned
    /// while the sale reaches the disk. The caller then must call [`Terminal::settle`]
    /// until nothing is in flight before any command but basket commands (scan, key_item,
    /// quantity, void_line) and tenders, and must not answer, print or open the drawer for
    /// a sale until `settle` says it is durable.
    pub fn set_pipelined(&mut self, on: bool) {
        self.pipelined = on;
    }

    /// Completed sales waiting for their commit.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn has_in_flight(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Waits for the oldest sale in flight, if any. When it is durable, its receipt is made
    /// and its effects are queued. When its commit failed, every later sale in flight is
    /// dropped uncommitted and the terminal goes back to the basket and tenders it held
    /// before the failed sale's last tender; the caller must run again the commands given
    /// since that tender.
    pub fn settle(&mut self) -> Option<Result<Completed, CommandError>> {
        let settled = self.settle_commit()?;
        Some(settled.map(|s| self.finish_settled(s)))
    }

    /// The first half of [`Terminal::settle`]: waits until the oldest sale in flight is
    /// durable (or goes back as described there), leaving its receipt to
    /// [`Terminal::finish_settled`] so the next sale can reach the committer first.
    pub fn settle_commit(&mut self) -> Option<Result<Settled, CommandError>> {
        let flight = self.in_flight.pop_front()?;
        Some(match self.committer.wait() {
            Ok(committed) => Ok(Settled {
                record: flight.record,
                receipt_no: committed.receipt_no,
                at: flight.at,
            }),
            Err(e) => {
                self.head = flight.head;
                self.in_flight.clear();
                if let Err(stopped) = self.committer.reset() {
                    tracing::error!("committer: {stopped}");
                }
                self.basket = flight.basket;
                self.tenders = flight.tenders;
                self.pending = flight.pending;
                self.member = flight.member;
                self.offers = flight.offers;
                self.list_id = flight.list_id;
                self.age_check = flight.age_check;
                Err(CommandError::Commit(e))
            }
        })
    }

    /// The receipt of a sale [`Terminal::settle_commit`] found durable; queues its effects.
    pub fn finish_settled(&mut self, settled: Settled) -> Completed {
        self.receipt_for(settled.record, settled.receipt_no, settled.at)
    }

    /// Adds a tender; completes the sale when the tenders cover the total.
    /// Pays with points (whole points); completes the sale when they cover what is due.
    pub fn tender_points(&mut self, points: i64) -> Result<Option<Completed>, CommandError> {
        self.selling()?;
        if self.basket.lines().iter().all(|l| l.voided) {
            return Err(CommandError::EmptyBasket);
        }
        self.require_age_check()?;
        let priced = self.priced();
        let paid: i64 = self.tenders.iter().map(|t| t.amount).sum();
        let due = priced.total.minor() - paid;
        let line = self.points_tender(points, due)?;
        let value = line.amount;
        self.tenders.push(line);
        if value < due {
            self.show_due(&priced);
            return Ok(None);
        }
        match self.complete(&priced, 0, 0) {
            Ok(done) => Ok(done),
            Err(e) => {
                self.tenders.pop();
                Err(e)
            }
        }
    }

    pub fn tender(
        &mut self,
        kind: Tender,
        amount: &str,
        reference: Option<&str>,
    ) -> Result<Option<Completed>, CommandError> {
        self.selling()?;
        if self.basket.lines().iter().all(|l| l.voided) {
            return Err(CommandError::EmptyBasket);
        }
        self.require_age_check()?;
        let amount = self.amount(amount, Ceiling::Tender)?;
        if amount.minor() <= 0 {
            return Err(CommandError::Invalid(said!("a tender must be positive")));
        }
        let priced = self.priced();
        let paid: i64 = self.tenders.iter().map(|t| t.amount).sum();
        let due = priced.total.minor() - paid;
        // Cash settles the rounded remainder; electronic tenders settle it exactly.
        let (due_now, rounding) = if kind.is_cash() {
            let rounded = crate::domain::rounding::round_cash(
                Money::from_minor(due, amount.currency()),
                self.config.store.cash_step(),
            )
            .map_err(|e| CommandError::Invalid(e.to_string().into()))?;
            (rounded.amount.minor(), rounded.difference.minor())
        } else {
            (due, 0)
        };
        if !kind.is_cash() && amount.minor() > due {
            return Err(CommandError::Invalid(said!(
                "{} tender {} exceeds the {} due; only cash gives change",
                kind,
                amount,
                Money::from_minor(due, amount.currency())
            )));
        }
        if kind == Tender::Card && reference.is_none_or(str::is_empty) {
            return Err(CommandError::Invalid(said!(
                "a card payment needs its reference"
            )));
        }
        self.tenders.push(TenderLine {
            kind,
            amount: amount.minor(),
            reference: reference.map(str::to_string),
        });
        if amount.minor() < due_now {
            self.show_due(&priced);
            return Ok(None);
        }
        match self.complete(&priced, amount.minor() - due_now, rounding) {
            Ok(done) => Ok(done),
            Err(e) => {
                self.tenders.pop();
                Err(e)
            }
        }
    }

    /// Shows the total on the customer display while the sale is being paid.
    fn show_due(&mut self, priced: &PricedBasket) {
        self.effects
            .push(Effect::Display(Show::Total(priced.total.to_string())));
    }

    fn complete(
        &mut self,
        priced: &PricedBasket,
        change: i64,
        rounding: i64,
    ) -> Result<Option<Completed>, CommandError> {
        let operator_id = self.signed_in()?.id.clone();
        // No sale of restricted goods completes without its age check, whatever the path.
        self.require_age_check()?;
        let mut lines = Vec::new();
        for (line, p) in self.basket.lines().iter().zip(&priced.lines) {
            if p.voided {
                continue;
            }
            lines.push(SaleLine {
                line_no: line.line_no,
                gtin: line.product.gtin.value(),
                name: line.product.name.clone(),
                quantity: line.quantity.milli(),
                unit_price: line.unit_price.minor(),
                amount: p.gross.minor(),
                discount: p.gross.minor() - p.net.minor(),
                tax_bp: p.tax_rate.basis_points(),
                tax: p.tax.minor(),
                original_line: None,
                department: line.product.department.clone(),
                promotions: p
                    .promotions
                    .iter()
                    .map(|s| LinePromotion {
                        id: s.promotion_id.clone(),
                        name: s.name.clone(),
                        amount: s.amount.minor(),
                    })
                    .chain(p.offers.iter().map(|o| LinePromotion {
                        id: o.coupon_id.clone(),
                        name: o.title.clone(),
                        amount: o.amount.minor(),
                    }))
                    .collect(),
            });
        }
        let at = self.now();
        let receipt_no = self.head.receipt_no + 1;
        let loyalty = self.sale_loyalty(priced, receipt_no, at)?;
        let record = SaleRecord {
            kind: SaleKind::Sale,
            operator_id,
            member_id: loyalty.as_ref().map(|l| l.member_id.clone()),
            currency: self.config.store.currency.code().to_string(),
            subtotal: lines.iter().map(|l| l.amount).sum(),
            discount: lines.iter().map(|l| l.discount).sum(),
            tax: lines.iter().map(|l| l.tax).sum(),
            total: priced.total.minor(),
            rounding,
            change,
            tenders: self.tenders.clone(),
            lines,
            original_receipt: None,
            shift_id: self.shift,
            loyalty,
            age_check: self.age_check.clone(),
        };
        if self.pipelined {
            let head = self.head;
            let sealed = sales::seal(&self.sealer, head, record.clone(), at)
                .map_err(|e| CommandError::Commit(e.to_string()))?;
            let sealed_head = sealed.entry.head();
            self.committer
                .submit(sealed, at)
                .map_err(CommandError::Commit)?;
            self.head = sealed_head;
            let mut tenders = std::mem::take(&mut self.tenders);
            tenders.pop();
            let fresh = Basket::new(self.currency());
            let basket = std::mem::replace(&mut self.basket, fresh);
            self.in_flight.push_back(InFlight {
                record,
                at,
                head,
                basket,
                tenders,
                pending: self.pending.take(),
                member: self.member.take(),
                offers: std::mem::take(&mut self.offers),
                list_id: self.list_id.take(),
                age_check: self.age_check.take(),
            });
            return Ok(None);
        }
        let done = self.finish(record, at)?;
        self.basket = Basket::new(self.config.store.currency);
        self.tenders.clear();
        self.pending = None;
        self.member = None;
        self.offers.clear();
        self.list_id = None;
        self.age_check = None;
        Ok(Some(done))
    }

    /// Makes a sale or return durable, then renders its receipt from the committed record.
    pub(super) fn finish(
        &mut self,
        record: SaleRecord,
        at: DateTime<Utc>,
    ) -> Result<Completed, CommandError> {
        debug_assert!(
            self.in_flight.is_empty(),
            "settle the sales in flight first"
        );
        let sealed = sales::seal(&self.sealer, self.head, record.clone(), at)
            .map_err(|e| CommandError::Commit(e.to_string()))?;
        let sealed_head = sealed.entry.head();
        let committed = self
            .committer
            .commit(sealed, at)
            .map_err(CommandError::Commit)?;
        self.head = sealed_head;
        Ok(self.receipt_for(record, committed.receipt_no, at))
    }

    /// Adds a member's durable sale (or return, negative) to their purchase history, which
    /// the next shopping list is built from. The history is a cache HQ can send again, so a
    /// failure here is logged and does not touch the sale.
    fn remember_purchase(
        &self,
        record: &SaleRecord,
        member_id: &str,
        receipt_no: u64,
        at: DateTime<Utc>,
    ) {
        let basket_id = self.receipt_key(receipt_no);
        let conn = self.store.catalogue.conn();
        // Coupon savings are told apart from retail discounts by the coupons the sale used.
        let coupons: Vec<&str> = record
            .loyalty
            .as_ref()
            .map(|l| l.coupons.iter().map(|c| c.coupon_id.as_str()).collect())
            .unwrap_or_default();
        let lines: Vec<_> = record
            .lines
            .iter()
            .map(|l| {
                let coupon_disc: i64 = l
                    .promotions
                    .iter()
                    .filter(|p| coupons.contains(&p.id.as_str()))
                    .map(|p| p.amount)
                    .sum();
                crate::store::history::HistoryLine {
                    member_id: member_id.to_string(),
                    store_id: self.config.store.id.clone(),
                    basket_id: basket_id.clone(),
                    gtin: l.gtin,
                    quantity: l.quantity,
                    amount: l.amount - l.discount,
                    retail_disc: l.discount - coupon_disc,
                    coupon_disc,
                    at: at.to_rfc3339(),
                }
            })
            .collect();
        if let Err(e) = crate::store::history::insert_all(conn, &lines) {
            tracing::warn!("purchase history of sale {receipt_no} not kept: {e}");
        }
    }

    /// The receipt of a committed sale, and the effects it brings (print, drawer).
    fn receipt_for(&mut self, record: SaleRecord, receipt_no: u64, at: DateTime<Utc>) -> Completed {
        self.nudge_sync();
        if let Some(member_id) = &record.member_id {
            self.remember_purchase(&record, member_id, receipt_no, at);
        }
        let header = Header {
            store_name: self.config.store.name.clone(),
            store_id: self.config.store.id.clone(),
            terminal_id: self.config.terminal.id.clone(),
            receipt_no,
            at: at
                .with_timezone(&self.config.store.offset())
                .format("%Y-%m-%d %H:%M")
                .to_string(),
        };
        let rows = receipt::layout(&header, &record, self.store_language());
        let receipt_text = receipt::to_text(&rows, 42);
        // Cash in or out of the drawer opens it; card-only sales leave it shut.
        if record.tenders.iter().any(|t| t.kind.is_cash()) || record.change != 0 {
            self.effects.push(Effect::OpenDrawer);
        }
        self.effects.push(Effect::PrintReceipt { receipt_no, rows });
        if record.kind == SaleKind::Sale {
            let change = (record.change != 0)
                .then(|| Money::from_minor(record.change, self.config.store.currency).to_string());
            self.effects.push(Effect::Display(Show::Change(change)));
        }
        Completed {
            receipt_no,
            record,
            receipt_text,
        }
    }
}
