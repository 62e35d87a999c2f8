//! The terminal: turns cashier commands (from the headless script, later the UI and the
//! devices) into calls on the pure basket and the durable sale commit.
//!
//! A sale completes only through [`crate::store::sales::commit`]: the receipt text is made
//! from the committed record after the transaction is durable.

mod committer;
pub mod effects;
pub mod headless;
pub mod member;
pub mod returns;
pub mod serve;
mod shift;
pub mod views;

pub use effects::Effect;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::basket::{Basket, BasketError, Discount, PricedBasket};
use crate::domain::money::{Money, MoneyError, Quantity, parse_scaled};
use crate::domain::org::{Operator, Role};
use crate::domain::promotion::{PricingContext, Promotion};
use crate::journal::{self, Sealer};
use crate::receipt::{self, Header, Language};
use crate::store::catalogue::ScanError;
use crate::store::sales::{self, LinePromotion, SaleKind, SaleLine, SaleRecord, TenderLine};
use crate::store::{Store, StoreError, operators, promotions, shifts};

/// Why a command was refused. Every refusal leaves the terminal as it was.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("sign in first")]
    NotSignedIn,
    #[error("open a shift first")]
    NoShift,
    #[error("operator or PIN not recognised")]
    BadCredentials,
    #[error("{0}")]
    Amount(#[from] MoneyError),
    #[error("{0}")]
    Scan(#[from] ScanError),
    #[error("{0}")]
    Basket(#[from] BasketError),
    #[error("{0} needs a supervisor's approval: send approve with a supervisor's id and PIN")]
    ApprovalRequired(&'static str),
    #[error("nothing is waiting for approval")]
    NothingToApprove,
    #[error("{0} may not approve this; a supervisor or manager must")]
    NotAllowed(String),
    #[error("the basket is empty")]
    EmptyBasket,
    #[error("{0}")]
    Invalid(String),
    #[error("no member matches '{0}'")]
    UnknownMember(String),
    #[error("{0}")]
    BadCard(String),
    #[error("{0}")]
    Coupon(String),
    /// A scan that is not a product while sales are being committed: member and coupon
    /// checks must see those sales, so the caller settles them and runs the scan again.
    #[error("finish committing the sales in flight first")]
    SettleFirst,
    #[error("could not complete the sale: {0}")]
    Commit(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommandError {
    /// Stable code for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotSignedIn => "not_signed_in",
            CommandError::NoShift => "no_shift",
            CommandError::BadCredentials => "bad_credentials",
            CommandError::Amount(_) => "bad_amount",
            CommandError::Scan(ScanError::Barcode(_)) => "bad_barcode",
            CommandError::Scan(ScanError::UnknownItem(_) | ScanError::UnknownPlu { .. }) => {
                "unknown_item"
            }
            CommandError::Scan(_) => "scan_failed",
            CommandError::Basket(_) => "basket",
            CommandError::ApprovalRequired(_) => "approval_required",
            CommandError::NothingToApprove => "nothing_to_approve",
            CommandError::NotAllowed(_) => "not_allowed",
            CommandError::EmptyBasket => "empty_basket",
            CommandError::Invalid(_) => "invalid",
            CommandError::UnknownMember(_) => "unknown_member",
            CommandError::BadCard(_) => "bad_card",
            CommandError::Coupon(_) => "coupon_refused",
            CommandError::SettleFirst => "busy",
            CommandError::Commit(_) => "commit_failed",
            CommandError::Store(_) => "store",
        }
    }
}

/// An action held until a supervisor approves it.
#[derive(Debug, Clone)]
enum Pending {
    PriceOverride {
        line: u32,
        price: Money,
        reason: String,
    },
    Discount {
        line: Option<u32>,
        discount: Discount,
        reason: String,
    },
    VoidSale,
    CashMovement {
        kind: String,
        amount: i64,
        reason: String,
    },
    Return {
        receipt: u64,
        lines: Vec<returns::ReturnLine>,
    },
}

/// A sale that was made durable, with its receipt.
#[derive(Debug, Clone)]
pub struct Completed {
    pub receipt_no: u64,
    pub record: SaleRecord,
    pub receipt_text: String,
}

/// Largest discount a cashier may give without approval, in basis points.
pub const CASHIER_DISCOUNT_LIMIT_BP: u32 = 1000;

/// A sale from the committer known to be durable, its receipt not yet made.
pub struct Settled {
    record: SaleRecord,
    receipt_no: u64,
    at: DateTime<Utc>,
}

/// A completed sale handed to the committer and not yet known to be durable, with what
/// the terminal held before its last tender, to go back to should the commit fail.
struct InFlight {
    record: SaleRecord,
    at: DateTime<Utc>,
    /// The journal head before this sale, to go back to if its commit fails.
    head: journal::Head,
    basket: Basket,
    tenders: Vec<TenderLine>,
    pending: Option<Pending>,
    member: Option<member::AtTill>,
    offers: Vec<crate::domain::promotion::AttachedOffer>,
    list_id: Option<String>,
}

pub struct Terminal {
    store: Store,
    config: Config,
    committer: committer::Committer,
    sealer: Sealer,
    /// The journal's head as this terminal has sealed it: the committed entries plus the
    /// sales in flight. Only this terminal writes its journal.
    head: journal::Head,
    /// Whether a completing tender returns before its commit (see [`Terminal::settle`]).
    pipelined: bool,
    /// Completed sales handed to the committer, oldest first.
    in_flight: std::collections::VecDeque<InFlight>,
    operator: Option<Operator>,
    /// The open shift (persisted, so it survives a restart).
    shift: Option<i64>,
    basket: Basket,
    tenders: Vec<TenderLine>,
    pending: Option<Pending>,
    clock: Option<DateTime<Utc>>,
    /// The store's promotions; the engine decides which are active at the time of pricing.
    promotions: Vec<Promotion>,
    /// What the devices must do (print, open the drawer) after the last command.
    effects: Vec<Effect>,
    /// The member identified for the sale in progress, their attached offers and the
    /// shopping list scanned, if any.
    member: Option<member::AtTill>,
    offers: Vec<crate::domain::promotion::AttachedOffer>,
    list_id: Option<String>,
    pub language: Language,
}

impl Terminal {
    pub fn open(store: Store, config: Config) -> Result<Terminal, CommandError> {
        let sealer =
            Sealer::load_or_create(store.dir()).map_err(|e| CommandError::Commit(e.to_string()))?;
        let committer = committer::Committer::start(store.dir())?;
        let head =
            journal::head(&store.terminal).map_err(|e| CommandError::Commit(e.to_string()))?;
        let basket = Basket::new(config.store.currency);
        let shift = shifts::open_shift(&store.terminal)?.map(|(id, _)| id);
        let promotions = load_promotions(&store, &config)?;
        Ok(Terminal {
            store,
            config,
            committer,
            sealer,
            head,
            pipelined: false,
            in_flight: std::collections::VecDeque::new(),
            operator: None,
            shift,
            basket,
            tenders: Vec::new(),
            pending: None,
            clock: None,
            promotions,
            effects: Vec::new(),
            member: None,
            offers: Vec::new(),
            list_id: None,
            language: Language::Zh,
        })
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
                Err(CommandError::Commit(e))
            }
        })
    }

    /// The receipt of a sale [`Terminal::settle_commit`] found durable; queues its effects.
    pub fn finish_settled(&mut self, settled: Settled) -> Completed {
        self.receipt_for(settled.record, settled.receipt_no, settled.at)
    }

    /// What the devices must do after the last command, in order; taking them clears them.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Reads the promotions again after the catalogue changed (an import or a download).
    pub fn reload_promotions(&mut self) -> Result<(), CommandError> {
        self.promotions = load_promotions(&self.store, &self.config)?;
        Ok(())
    }

    /// The store's currency.
    pub fn currency(&self) -> iso_currency::Currency {
        self.config.store.currency
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// Fixes the terminal's clock (scripts replay history at the time it happened).
    pub fn set_clock(&mut self, at: DateTime<Utc>) {
        self.clock = Some(at);
    }

    fn money(&self, text: &str) -> Result<Money, CommandError> {
        Ok(Money::parse(text, self.config.store.currency)?)
    }

    /// The signed-in operator's id.
    pub fn signed_in_id(&self) -> Result<&str, CommandError> {
        Ok(&self.signed_in()?.id)
    }

    fn signed_in(&self) -> Result<&Operator, CommandError> {
        self.operator.as_ref().ok_or(CommandError::NotSignedIn)
    }

    fn selling(&self) -> Result<(), CommandError> {
        self.signed_in()?;
        self.shift.map(|_| ()).ok_or(CommandError::NoShift)
    }

    fn check_pin(&self, id: &str, pin: &str) -> Result<Operator, CommandError> {
        let op = operators::by_id(self.store.catalogue.conn(), id)?
            .ok_or(CommandError::BadCredentials)?;
        if operators::verify_pin(pin, &op.pin_hash) {
            Ok(op)
        } else {
            Err(CommandError::BadCredentials)
        }
    }

    pub fn sign_in(&mut self, id: &str, pin: &str) -> Result<(), CommandError> {
        self.operator = Some(self.check_pin(id, pin)?);
        Ok(())
    }

    /// Resolves scanner data to a priced item without touching the basket.
    pub fn resolve_for_pricing(
        &self,
        code: &str,
    ) -> Result<crate::domain::scan::PricedItem, CommandError> {
        Ok(self
            .store
            .catalogue
            .resolve_scan(code.trim(), &self.config.barcode.variable_measure)?)
    }

    /// Raw scanner data: a product (the line number is returned), or a member card or
    /// app code, a coupon or a shopping list (attached to the sale; `None` is returned).
    pub fn scan(&mut self, code: &str) -> Result<Option<u32>, CommandError> {
        self.selling()?;
        let code = code.trim();
        if !code.bytes().all(|b| b.is_ascii_digit()) && self.has_in_flight() {
            return Err(CommandError::SettleFirst);
        }
        if self.scan_other(code)? {
            return Ok(None);
        }
        match self
            .store
            .catalogue
            .resolve_scan(code, &self.config.barcode.variable_measure)
        {
            Ok(item) => Ok(Some(self.basket.add_item(item)?)),
            Err(ScanError::Barcode(_) | ScanError::UnknownItem(_)) if self.has_in_flight() => {
                Err(CommandError::SettleFirst)
            }
            // Not a product: a member card's barcode, if the cache knows it.
            Err(e @ (ScanError::Barcode(_) | ScanError::UnknownItem(_))) => {
                match crate::store::members::by_card(self.store.catalogue.conn(), code)? {
                    Some(_) => self.card_presented(code).map(|()| None),
                    None => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn key_item(&mut self, plu: &str, qty: Option<&str>) -> Result<u32, CommandError> {
        self.selling()?;
        let plu: u32 = plu
            .parse()
            .map_err(|_| CommandError::Invalid(format!("'{plu}' is not a PLU code")))?;
        let product = self
            .store
            .catalogue
            .product_by_plu(plu)?
            .ok_or_else(|| ScanError::UnknownItem(format!("PLU {plu}")))?;
        let quantity = match qty {
            Some(q) => Quantity::parse(q)?,
            None => Quantity::ONE,
        };
        if quantity.milli() <= 0 {
            return Err(BasketError::NonPositiveQuantity(quantity).into());
        }
        let amount = product
            .price
            .times(quantity)
            .map_err(CommandError::Amount)?;
        let item = crate::domain::scan::PricedItem {
            product,
            quantity,
            amount,
        };
        Ok(self.basket.add_item(item)?)
    }

    /// Changes the quantity of the last line.
    pub fn quantity(&mut self, qty: &str) -> Result<(), CommandError> {
        self.selling()?;
        let quantity = Quantity::parse(qty)?;
        let line = self
            .basket
            .lines()
            .iter()
            .rev()
            .find(|l| !l.voided)
            .map(|l| l.line_no)
            .ok_or(CommandError::EmptyBasket)?;
        Ok(self.basket.set_quantity(line, quantity)?)
    }

    pub fn void_line(&mut self, line: u32) -> Result<(), CommandError> {
        self.selling()?;
        Ok(self.basket.void_line(line)?)
    }

    fn needs_approval(&self) -> bool {
        self.operator
            .as_ref()
            .is_none_or(|op| !op.role.can_approve(Role::Supervisor))
    }

    pub fn price_override(
        &mut self,
        line: u32,
        price: &str,
        reason: &str,
    ) -> Result<(), CommandError> {
        self.selling()?;
        let price = self.money(price)?;
        self.basket
            .line(line)
            .ok_or(BasketError::UnknownLine(line))?;
        let action = Pending::PriceOverride {
            line,
            price,
            reason: reason.to_string(),
        };
        self.run_or_hold(action, "a price override", true)
    }

    pub fn discount(
        &mut self,
        line: Option<u32>,
        percent: Option<&str>,
        amount: Option<&str>,
        reason: &str,
    ) -> Result<(), CommandError> {
        self.selling()?;
        let discount = match (percent, amount) {
            (Some(p), None) => {
                let bp = parse_scaled(p, 2)?;
                Discount::Percent(
                    u32::try_from(bp)
                        .map_err(|_| CommandError::Invalid(format!("'{p}' is not a percentage")))?,
                )
            }
            (None, Some(a)) => Discount::Amount(self.money(a)?),
            _ => {
                return Err(CommandError::Invalid(
                    "give either percent or amount".into(),
                ));
            }
        };
        let over_limit = match discount {
            Discount::Percent(bp) => bp > CASHIER_DISCOUNT_LIMIT_BP,
            Discount::Amount(_) => true,
        };
        let action = Pending::Discount {
            line,
            discount,
            reason: reason.to_string(),
        };
        self.run_or_hold(action, "a discount above the cashier's limit", over_limit)
    }

    pub fn void_sale(&mut self) -> Result<(), CommandError> {
        self.selling()?;
        if self.basket.is_empty() {
            return Err(CommandError::EmptyBasket);
        }
        self.run_or_hold(Pending::VoidSale, "voiding the sale", true)
    }

    fn run_or_hold(
        &mut self,
        action: Pending,
        what: &'static str,
        restricted: bool,
    ) -> Result<(), CommandError> {
        if restricted && self.needs_approval() {
            self.pending = Some(action);
            return Err(CommandError::ApprovalRequired(what));
        }
        let approver = self.signed_in()?.id.clone();
        self.apply(action, &approver).map(|_| ())
    }

    fn apply(
        &mut self,
        action: Pending,
        approver: &str,
    ) -> Result<Option<Completed>, CommandError> {
        match action {
            Pending::PriceOverride {
                line,
                price,
                reason,
            } => self.basket.override_price(line, price, &reason, approver)?,
            Pending::Discount {
                line: Some(line),
                discount,
                reason,
            } => self.basket.discount_line(line, discount, &reason)?,
            Pending::Discount {
                line: None,
                discount,
                reason,
            } => self.basket.discount_ticket(discount, &reason)?,
            Pending::CashMovement {
                kind,
                amount,
                reason,
            } => self.record_movement(&kind, amount, &reason, approver)?,
            Pending::VoidSale => {
                self.basket = Basket::new(self.config.store.currency);
                self.tenders.clear();
                self.member = None;
                self.offers.clear();
                self.list_id = None;
            }
            Pending::Return { receipt, lines } => {
                let operator = self.signed_in()?.id.clone();
                let mut record = returns::build(
                    &self.store.terminal,
                    receipt,
                    &lines,
                    &operator,
                    self.config.store.tax_mode,
                )?;
                record.shift_id = self.shift;
                let at = self.now();
                self.return_loyalty(&mut record, receipt, at)?;
                return self.finish(record, at).map(Some);
            }
        }
        Ok(None)
    }

    /// Refunds lines of an earlier sale of this terminal, to the original tenders. A cashier
    /// needs a supervisor's approval.
    pub fn return_items(
        &mut self,
        receipt: &str,
        lines: Vec<returns::ReturnLine>,
    ) -> Result<Option<Completed>, CommandError> {
        self.selling()?;
        let receipt =
            returns::parse_receipt(receipt, &self.config.store.id, &self.config.terminal.id)?;
        let operator = self.signed_in()?.id.clone();
        // Built now so a bad request is refused before anyone is asked to approve it; an
        // approval later rebuilds it, as other returns may have happened meanwhile.
        let mut record = returns::build(
            &self.store.terminal,
            receipt,
            &lines,
            &operator,
            self.config.store.tax_mode,
        )?;
        if self.needs_approval() {
            self.pending = Some(Pending::Return { receipt, lines });
            return Err(CommandError::ApprovalRequired("a return"));
        }
        record.shift_id = self.shift;
        let at = self.now();
        self.return_loyalty(&mut record, receipt, at)?;
        self.finish(record, at).map(Some)
    }

    pub fn approve(&mut self, id: &str, pin: &str) -> Result<Option<Completed>, CommandError> {
        let approver = self.check_pin(id, pin)?;
        if !approver.role.can_approve(Role::Supervisor) {
            return Err(CommandError::NotAllowed(approver.name));
        }
        let action = self.pending.take().ok_or(CommandError::NothingToApprove)?;
        self.apply(action, &approver.id)
    }

    pub fn priced(&self) -> PricedBasket {
        self.price_of(&self.basket)
    }

    /// Prices any basket with the terminal's promotions, clock and tax mode.
    pub fn price_of(&self, basket: &Basket) -> PricedBasket {
        basket.price(&PricingContext {
            now: self.now(),
            member: self.member.is_some(),
            promotions: &self.promotions,
            offers: &self.offers,
            mode: self.config.store.tax_mode,
        })
    }

    /// Adds a tender; completes the sale when the tenders cover the total.
    /// Pays with points (whole points); completes the sale when they cover what is due.
    pub fn tender_points(&mut self, points: i64) -> Result<Option<Completed>, CommandError> {
        self.selling()?;
        if self.basket.lines().iter().all(|l| l.voided) {
            return Err(CommandError::EmptyBasket);
        }
        let priced = self.priced();
        let paid: i64 = self.tenders.iter().map(|t| t.amount).sum();
        let due = priced.total.minor() - paid;
        let line = self.points_tender(points, due)?;
        let value = line.amount;
        self.tenders.push(line);
        if value < due {
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
        kind: &str,
        amount: &str,
        reference: Option<&str>,
    ) -> Result<Option<Completed>, CommandError> {
        self.selling()?;
        if self.basket.lines().iter().all(|l| l.voided) {
            return Err(CommandError::EmptyBasket);
        }
        let amount = self.money(amount)?;
        if amount.minor() <= 0 {
            return Err(CommandError::Invalid("a tender must be positive".into()));
        }
        let priced = self.priced();
        let paid: i64 = self.tenders.iter().map(|t| t.amount).sum();
        let due = priced.total.minor() - paid;
        // Cash settles the rounded remainder; electronic tenders settle it exactly.
        let (due_now, rounding) = if kind == "cash" {
            let rounded = crate::domain::rounding::round_cash(
                Money::from_minor(due, amount.currency()),
                self.config.store.cash_step(),
            )
            .map_err(|e| CommandError::Invalid(e.to_string()))?;
            (rounded.amount.minor(), rounded.difference.minor())
        } else {
            (due, 0)
        };
        if kind != "cash" && amount.minor() > due {
            return Err(CommandError::Invalid(format!(
                "{kind} tender {amount} exceeds the {} due; only cash gives change",
                Money::from_minor(due, amount.currency())
            )));
        }
        if kind == "card" && reference.is_none_or(str::is_empty) {
            return Err(CommandError::Invalid(
                "a card payment needs its reference".into(),
            ));
        }
        self.tenders.push(TenderLine {
            kind: kind.to_string(),
            amount: amount.minor(),
            reference: reference.map(str::to_string),
        });
        if amount.minor() < due_now {
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

    fn complete(
        &mut self,
        priced: &PricedBasket,
        change: i64,
        rounding: i64,
    ) -> Result<Option<Completed>, CommandError> {
        let operator_id = self.signed_in()?.id.clone();
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
        Ok(Some(done))
    }

    /// Makes a sale or return durable, then renders its receipt from the committed record.
    fn finish(&mut self, record: SaleRecord, at: DateTime<Utc>) -> Result<Completed, CommandError> {
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
        let result = (|| -> Result<(), StoreError> {
            let tx = conn.unchecked_transaction()?;
            for l in &record.lines {
                let coupon_disc: i64 = l
                    .promotions
                    .iter()
                    .filter(|p| self.offer_ids_in(record).contains(&p.id.as_str()))
                    .map(|p| p.amount)
                    .sum();
                crate::store::history::insert(
                    &tx,
                    &crate::store::history::HistoryLine {
                        member_id: member_id.to_string(),
                        store_id: self.config.store.id.clone(),
                        basket_id: basket_id.clone(),
                        gtin: l.gtin,
                        quantity: l.quantity,
                        amount: l.amount - l.discount,
                        retail_disc: l.discount - coupon_disc,
                        coupon_disc,
                        at: at.to_rfc3339(),
                    },
                )?;
            }
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = result {
            tracing::warn!("purchase history of sale {receipt_no} not kept: {e}");
        }
    }

    fn offer_ids_in<'r>(&self, record: &'r SaleRecord) -> Vec<&'r str> {
        record
            .loyalty
            .as_ref()
            .map(|l| l.coupons.iter().map(|c| c.coupon_id.as_str()).collect())
            .unwrap_or_default()
    }

    /// The receipt of a committed sale, and the effects it brings (print, drawer).
    fn receipt_for(&mut self, record: SaleRecord, receipt_no: u64, at: DateTime<Utc>) -> Completed {
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
        let rows = receipt::layout(&header, &record, self.language);
        let receipt_text = receipt::to_text(&rows, 42);
        // Cash in or out of the drawer opens it; card-only sales leave it shut.
        if record.tenders.iter().any(|t| t.kind == "cash") || record.change != 0 {
            self.effects.push(Effect::OpenDrawer);
        }
        self.effects.push(Effect::PrintReceipt { receipt_no, rows });
        Completed {
            receipt_no,
            record,
            receipt_text,
        }
    }
}

/// The catalogue's promotions, with their days and hours read in the store's local time.
fn load_promotions(store: &Store, config: &Config) -> Result<Vec<Promotion>, CommandError> {
    let offset_minutes = config.store.offset().local_minus_utc() / 60;
    let mut list = promotions::all(store.catalogue.conn())?;
    for p in &mut list {
        p.utc_offset_minutes = offset_minutes;
    }
    Ok(list)
}
