//! The terminal: turns cashier commands (from the headless script, later the UI and the
//! devices) into calls on the pure basket and the durable sale commit.
//!
//! A sale completes only through [`crate::store::sales::commit`]: the receipt text is made
//! from the committed record after the transaction is durable. A refused command is a
//! [`CommandError`]: a stable code for scripts, its English as `Display`, and its Chinese
//! from [`CommandError::in_chinese`] (typed errors) or [`Said`] (sentences) for the UI.

pub mod age_check;
mod checkout;
mod chinese;
mod committer;
pub mod complaints;
pub mod datasets;
pub mod effects;
mod enrolment;
pub mod headless;
pub mod hq_client;
pub mod lists;
pub mod member;
mod points;
pub mod returns;
pub mod said;
pub mod serve;
mod shift;
pub mod views;

pub use effects::{Effect, Show};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::basket::{Basket, BasketError, Discount, PricedBasket};
use crate::domain::money::{Money, MoneyError, Quantity, parse_scaled};
use crate::domain::org::{Operator, Role};
use crate::domain::promotion::{PricingContext, Promotion};
use crate::journal::{self, Sealer};
use crate::receipt::{self, Header, Language};
use crate::said;
use crate::store::catalogue::ScanError;
use crate::store::sales::{
    self, LinePromotion, SaleKind, SaleLine, SaleRecord, Tender, TenderLine,
};
use crate::store::{Store, StoreError, operators, promotions, shifts};
pub use said::Said;

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
    #[error("{amount} is above the largest {what} this till takes, {max} (key `{key}`)")]
    AboveLimit {
        what: &'static str,
        amount: Money,
        max: Money,
        key: &'static str,
    },
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
    Invalid(Said),
    #[error("no member matches '{0}'")]
    UnknownMember(String),
    #[error("{0}")]
    BadCard(Said),
    #[error("{0}")]
    Coupon(Said),
    /// A scan that is not a product while sales are being committed: member and coupon
    /// checks must see those sales, so the caller settles them and runs the scan again.
    #[error("finish committing the sales in flight first")]
    SettleFirst,
    #[error("could not complete the sale: {0}")]
    Commit(String),
    /// A weighed item keyed without its weight where no scale can give it.
    #[error("{0} is sold by weight and no scale is attached: key its weight in kg (qty)")]
    WeightRequired(String),
    /// The scale gave no weight: zero, negative, overload, unstable, or not answering.
    #[error("{0}")]
    Scale(#[from] storepos_drivers::ScaleError),
    /// Age-restricted items (named) wait for the customer's age to be checked.
    #[error(
        "confirm the customer's age for the age-restricted items ({0}): age_check confirmed true, or false to remove them"
    )]
    AgeCheckRequired(String),
    #[error("no age-restricted item is waiting for an age check")]
    NothingToCheck,
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
            CommandError::Amount(_) | CommandError::AboveLimit { .. } => "bad_amount",
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
            CommandError::WeightRequired(_) => "weight_required",
            CommandError::Scale(storepos_drivers::ScaleError::Device(_)) => "device",
            CommandError::Scale(_) => "weight",
            CommandError::AgeCheckRequired(_) => "age_check_required",
            CommandError::NothingToCheck => "nothing_to_check",
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

/// Largest discount a cashier may give without approval, in basis points: the sale's manual
/// discounts together (line and ticket), as a share of what its lines cost after promotions.
pub const CASHIER_DISCOUNT_LIMIT_BP: u32 = 1000;

/// Which ceiling of `[limits]` an amount typed at the till is held to.
#[derive(Debug, Clone, Copy)]
enum Ceiling {
    Tender,
    Cash,
    Price,
}

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
    age_check: Option<sales::AgeCheck>,
}

pub struct Terminal {
    store: Store,
    /// The configuration in effect: `base_config` with HQ's settings for the store laid over.
    config: Config,
    base_config: Config,
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
    /// The customer's age as confirmed for the sale in progress (see [`age_check`]).
    age_check: Option<sales::AgeCheck>,
    /// HQ, for members this till has never seen (none without `hq.token`).
    hq: Option<hq_client::HqClient>,
    /// The uploader's status, nudged when a new event is durable (none when offline-only).
    sync: Option<std::sync::Arc<storepos_sync::SyncStatus>>,
    /// HQ's data sets fetched in the background, applied between sales.
    refresher: Option<datasets::Refresher>,
    pub language: Language,
    /// The scale weighed items are read from (`devices.scale`), if any.
    scale: Option<Weigher>,
}

/// The configured scale, with its simulator when simulated.
struct Weigher {
    device: storepos_drivers::ToledoScale,
    sim: Option<storepos_drivers::ScaleSim>,
    within: std::time::Duration,
}

impl Terminal {
    pub fn open(store: Store, config: Config) -> Result<Terminal, CommandError> {
        config
            .check_till()
            .map_err(|e| CommandError::Invalid(e.to_string().into()))?;
        // The settings HQ last sent for this store's tills, laid over the configuration.
        let base_config = config;
        let config = crate::settings::effective(&base_config, store.dir());
        let sealer = Sealer::for_journal(store.dir(), &store.terminal)
            .map_err(|e| CommandError::Invalid(e.to_string().into()))?;
        let committer = committer::Committer::start(store.dir())?;
        let head =
            journal::head(&store.terminal).map_err(|e| CommandError::Commit(e.to_string()))?;
        let basket = Basket::new(config.store.currency);
        let shift = shifts::open_shift(&store.terminal)?.map(|(id, _)| id);
        let promotions = load_promotions(&store, &config)?;
        let hq = hq_client::HqClient::from_config(&config.hq);
        Ok(Terminal {
            store,
            config,
            base_config,
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
            age_check: None,
            hq,
            sync: None,
            refresher: None,
            language: Language::Zh,
            scale: None,
        }
        .with_scale())
    }

    /// Starts the scale of `devices.scale`, if one is configured. A scale that does not
    /// start is logged and tried again at the first weighing.
    fn with_scale(mut self) -> Terminal {
        let configured = &self.config.devices.scale;
        let within = configured.stable_within();
        self.scale = storepos_drivers::scale::build(configured).map(|(mut device, sim)| {
            use storepos_drivers::Device;
            if let Err(e) = device.start() {
                tracing::warn!("scale did not start: {e}");
            }
            Weigher {
                device,
                sim,
                within,
            }
        });
        self
    }

    /// Whether a scale is configured (weighed items keyed without a weight read it).
    pub fn has_scale(&self) -> bool {
        self.scale.is_some()
    }

    /// The simulated scale's handle (to put weights on it), when the scale is simulated.
    pub fn scale_simulator(&self) -> Option<storepos_drivers::ScaleSim> {
        self.scale.as_ref().and_then(|s| s.sim.clone())
    }

    /// The scale's stable weight now (kg), waiting up to `devices.scale.stable_within_ms`
    /// for it to settle; zero, negative, overload and a weight still moving are refused.
    pub fn weigh(&mut self) -> Result<Quantity, CommandError> {
        use storepos_drivers::Scale;
        let scale = self
            .scale
            .as_mut()
            .ok_or_else(|| CommandError::WeightRequired("the item".into()))?;
        let grams = scale.device.stable_weight(scale.within)?;
        Ok(Quantity::from_milli(i64::from(grams)))
    }

    /// Connects the terminal to the uploader: new events wake it, and `sync_status` reports it.
    pub fn set_sync(&mut self, status: std::sync::Arc<storepos_sync::SyncStatus>) {
        self.sync = Some(status);
    }

    /// Connects the terminal to the background fetcher of HQ's data sets.
    pub fn set_refresher(&mut self, refresher: datasets::Refresher) {
        self.refresher = Some(refresher);
    }

    /// Applies the newest data sets fetched from HQ, when no sale is in progress: an empty
    /// basket, no tender, no member and no sale waiting for its commit. A sale is priced
    /// start to finish on one catalogue; what arrives meanwhile waits for the next one.
    /// Failing to apply is logged and the till sells on what it has.
    pub fn refresh_between_sales(&mut self) {
        let selling = !self.basket.is_empty()
            || !self.tenders.is_empty()
            || self.pending.is_some()
            || self.member.is_some()
            || self.age_check.is_some()
            || self.has_in_flight();
        if selling {
            return;
        }
        let Some(sets) = self.refresher.as_ref().and_then(|r| r.latest()) else {
            return;
        };
        match datasets::apply(&mut self.store, &self.config, &sets) {
            Ok(applied) => {
                if let Some(Err(e)) = &applied.settings {
                    tracing::warn!("settings from HQ not kept: {e}");
                }
                self.config = crate::settings::effective(&self.base_config, self.store.dir());
                if let Err(e) = self.reload_promotions() {
                    tracing::warn!("promotions after HQ's data sets: {e}");
                }
                tracing::info!(
                    "HQ's data sets applied: {} products, {} promotions, {} members",
                    applied.products,
                    applied.promotions,
                    applied.members
                );
            }
            Err(e) => tracing::warn!("HQ's data sets not applied: {e}"),
        }
    }

    /// Online/offline and the backlog of events HQ has not acknowledged.
    pub fn sync_status(&self) -> Result<storepos_sync::SyncSnapshot, CommandError> {
        let backlog = storepos_sync::outbox::backlog(&self.store.terminal)
            .map_err(|e| CommandError::Store(StoreError::Corrupt(e.to_string())))?;
        let mut snapshot = self.sync.as_ref().map(|s| s.snapshot()).unwrap_or_default();
        snapshot.backlog = backlog;
        // The uploader asks HQ only when it has events to send; the data-set fetches ask
        // every few minutes. Whichever heard from HQ last says whether it is reachable.
        if let Some((at, answered)) = self.refresher.as_ref().and_then(|r| r.last_fetch()) {
            let uploaded_since = snapshot.last_success.is_some_and(|t| t > at);
            snapshot.online = answered || (snapshot.online && uploaded_since);
        }
        Ok(snapshot)
    }

    /// Tells the uploader a new event is durable.
    fn nudge_sync(&self) {
        if let Some(s) = &self.sync {
            s.nudge();
        }
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

    /// Refuses typed text holding a control character before anything is written.
    fn plain(field: &str, text: &str) -> Result<(), CommandError> {
        crate::domain::text::check_plain(field, text).map_err(|e| CommandError::Invalid(e.into()))
    }

    /// An amount typed at the till, held to its ceiling in `[limits]` (either sign).
    fn amount(&self, text: &str, ceiling: Ceiling) -> Result<Money, CommandError> {
        let amount = self.money(text)?;
        let limits = &self.config.limits;
        let (what, key, limit) = match ceiling {
            Ceiling::Tender => ("tender", "limits.max_tender", &limits.max_tender),
            Ceiling::Cash => ("cash amount", "limits.max_cash", &limits.max_cash),
            Ceiling::Price => ("price or discount", "limits.max_price", &limits.max_price),
        };
        let max = crate::config::LimitsConfig::minor(limit, self.currency());
        if amount.minor().unsigned_abs() > max.unsigned_abs() {
            return Err(CommandError::AboveLimit {
                what,
                amount,
                max: Money::from_minor(max, self.currency()),
                key,
            });
        }
        Ok(amount)
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
        self.effects.push(Effect::Display(Show::Greeting));
        Ok(())
    }

    /// Ends the operator's session; a sale in progress must be finished, suspended or
    /// voided first, so nothing is left half-done under nobody's name.
    pub fn sign_out(&mut self) -> Result<(), CommandError> {
        self.signed_in()?;
        if !self.basket.is_empty() || !self.tenders.is_empty() {
            return Err(CommandError::Invalid(said!(
                "finish, suspend or void the sale before signing out"
            )));
        }
        self.operator = None;
        self.pending = None;
        self.age_check = None;
        self.effects.push(Effect::Display(Show::Greeting));
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
            Ok(item) => {
                let line = self.basket.add_item(item)?;
                self.show_line(line);
                Ok(Some(line))
            }
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
            .map_err(|_| CommandError::Invalid(said!("'{}' is not a PLU code", plu)))?;
        let product = self
            .store
            .catalogue
            .product_by_plu(plu)?
            .ok_or_else(|| ScanError::UnknownItem(format!("PLU {plu}")))?;
        let quantity = match qty {
            Some(q) => Quantity::parse(q)?,
            // A weighed item without a keyed weight is weighed now; never a silent 1 kg.
            None if product.weighed => {
                if self.scale.is_none() {
                    return Err(CommandError::WeightRequired(format!(
                        "PLU {plu} ({})",
                        product.name
                    )));
                }
                self.weigh()?
            }
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
        let line = self.basket.add_item(item)?;
        self.show_line(line);
        Ok(line)
    }

    /// Shows a line just added on the customer display, with the sale's total.
    fn show_line(&mut self, line_no: u32) {
        let Some(line) = self.basket.lines().iter().find(|l| l.line_no == line_no) else {
            return;
        };
        let name = line.product.name.clone();
        let price = line.amount.to_string();
        let total = self.priced().total.to_string();
        self.effects
            .push(Effect::Display(Show::Item { name, price, total }));
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
        Terminal::plain("the reason", reason)?;
        let price = self.amount(price, Ceiling::Price)?;
        // Tried on a copy, so an override the basket refuses is refused before approval.
        self.basket
            .clone()
            .override_price(line, price, reason, "(trial)")?;
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
        Terminal::plain("the reason", reason)?;
        let discount = match (percent, amount) {
            (Some(p), None) => {
                let bp = parse_scaled(p, 2)?;
                Discount::Percent(
                    u32::try_from(bp)
                        .map_err(|_| CommandError::Invalid(said!("'{}' is not a percentage", p)))?,
                )
            }
            (None, Some(a)) => Discount::Amount(self.amount(a, Ceiling::Price)?),
            _ => {
                return Err(CommandError::Invalid(said!(
                    "give either percent or amount"
                )));
            }
        };
        // Tried on a copy first: what the basket refuses (over 100 %, above the line) is
        // refused before anyone is asked to approve it, and the cashier's limit is judged on
        // the sale's manual discounts with this one.
        let mut trial = self.basket.clone();
        match line {
            Some(line) => trial.discount_line(line, discount, reason)?,
            None => trial.discount_ticket(discount, reason)?,
        }
        let over_limit = matches!(discount, Discount::Amount(_)) || self.over_cashier_limit(&trial);
        let action = Pending::Discount {
            line,
            discount,
            reason: reason.to_string(),
        };
        self.run_or_hold(action, "a discount above the cashier's limit", over_limit)
    }

    /// Whether a basket's manual discounts (line and ticket together) exceed what a cashier
    /// may give, [`CASHIER_DISCOUNT_LIMIT_BP`].
    fn over_cashier_limit(&self, basket: &Basket) -> bool {
        basket.manual_discount_exceeds(&self.price_of(basket), CASHIER_DISCOUNT_LIMIT_BP)
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
                self.effects.push(Effect::Display(Show::Greeting));
                self.basket = Basket::new(self.config.store.currency);
                self.tenders.clear();
                self.member = None;
                self.offers.clear();
                self.list_id = None;
                self.age_check = None;
            }
            Pending::Return { receipt, lines } => {
                let operator = self.signed_in()?.id.clone();
                let mut record = returns::build(
                    &self.store.terminal,
                    &self.store.catalogue,
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
            &self.store.catalogue,
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

    /// The basket of the sale in progress.
    pub fn basket(&self) -> &Basket {
        &self.basket
    }

    /// The tenders taken so far on the sale in progress (split payment).
    pub fn tendered(&self) -> &[TenderLine] {
        &self.tenders
    }

    /// The signed-in operator's name, if any.
    pub fn operator_name(&self) -> Option<&str> {
        self.operator.as_ref().map(|op| op.name.as_str())
    }

    /// Products keyed by PLU, for the quick keys.
    pub fn plu_products(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::domain::product::Product>, CommandError> {
        Ok(self.store.catalogue.plu_products(limit)?)
    }

    /// Whether a shift is open on this till.
    pub fn shift_open(&self) -> bool {
        self.shift.is_some()
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
