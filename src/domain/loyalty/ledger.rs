//! The points ledger: immutable transfers and the rules that check and derive them (sales,
//! returns, expiry of unused lots), and [`PointsLedger`], the in-memory reference store
//! built from those rules.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::program::{ClawbackPolicy, ExpiryPolicy};
use super::reversal::Reversal;

/// What a transfer records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Points earned by a sale (credit).
    Earn,
    /// Points spent on a sale (debit).
    Redeem,
    /// A return: earned points taken back (debit) or redeemed points given back (credit).
    Reverse,
    /// Unused points past their expiry (debit).
    Expire,
    /// A manual correction signed off at HQ (either sign).
    Adjust,
    /// Points taken back beyond the balance under [`ClawbackPolicy::AllowNegative`] (debit).
    Clawback,
}

impl TransferKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferKind::Earn => "earn",
            TransferKind::Redeem => "redeem",
            TransferKind::Reverse => "reverse",
            TransferKind::Expire => "expire",
            TransferKind::Adjust => "adjust",
            TransferKind::Clawback => "clawback",
        }
    }

    /// The kind named by [`TransferKind::as_str`], as stores keep it.
    pub fn parse(text: &str) -> Option<TransferKind> {
        [
            TransferKind::Earn,
            TransferKind::Redeem,
            TransferKind::Reverse,
            TransferKind::Expire,
            TransferKind::Adjust,
            TransferKind::Clawback,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl fmt::Display for TransferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One immutable movement of points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Derived from the source event with [`transfer_id`], so a replay maps to the same id.
    pub id: String,
    pub member_id: String,
    pub kind: TransferKind,
    /// Signed: positive credits the member, negative debits them. Never zero.
    pub points: i64,
    pub at: DateTime<Utc>,
    /// Id of the event (sale, return, expiry lot, adjustment) this transfer derives from.
    pub source: String,
    /// For credits that expire: the first instant the points are no longer valid.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Id of the `n`-th transfer of `kind` derived from `source_event`, as
/// `{source_event}:{kind}:{n}`. Reading from the right makes it unambiguous, so distinct
/// (event, kind, n) never share an id.
pub fn transfer_id(source_event: &str, kind: TransferKind, n: u32) -> String {
    format!("{source_event}:{kind}:{n}")
}

/// Why the ledger refused a transfer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("transfer {id}: {field} must not be empty")]
    EmptyField { id: String, field: &'static str },
    #[error("transfer {id}: a transfer of 0 points records nothing")]
    ZeroPoints { id: String },
    #[error("transfer {id}: a {kind} transfer cannot move {points} points")]
    WrongSign {
        id: String,
        kind: TransferKind,
        points: i64,
    },
    #[error("transfer {id}: only credits can expire")]
    ExpiryOnDebit { id: String },
    #[error("{id} was already recorded with different content")]
    Conflict { id: String },
    #[error("insufficient points: balance {balance}, wanted {wanted}")]
    InsufficientPoints { balance: i64, wanted: i64 },
    #[error("transfer {id} would overflow the balance")]
    Overflow { id: String },
}

/// Whether `apply` recorded a transfer or found it already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    New,
    Duplicate,
}

/// Checks a transfer on its own: ids present, non-zero points with the sign its kind
/// allows, and an expiry only on credits.
pub fn check_transfer(t: &Transfer) -> Result<(), LedgerError> {
    let id = || t.id.clone();
    for (field, value) in [
        ("id", &t.id),
        ("member_id", &t.member_id),
        ("source", &t.source),
    ] {
        if value.trim().is_empty() {
            return Err(LedgerError::EmptyField { id: id(), field });
        }
    }
    if t.points == 0 {
        return Err(LedgerError::ZeroPoints { id: id() });
    }
    let sign_ok = match t.kind {
        TransferKind::Earn => t.points > 0,
        TransferKind::Redeem | TransferKind::Expire | TransferKind::Clawback => t.points < 0,
        TransferKind::Reverse | TransferKind::Adjust => true,
    };
    if !sign_ok {
        return Err(LedgerError::WrongSign {
            id: id(),
            kind: t.kind,
            points: t.points,
        });
    }
    if t.expires_at.is_some() && t.points < 0 {
        return Err(LedgerError::ExpiryOnDebit { id: id() });
    }
    Ok(())
}

/// Whether a transfer with an id already recorded (`existing`) is new, a harmless replay,
/// or a conflicting reuse of the id.
pub fn check_replay(existing: Option<&Transfer>, t: &Transfer) -> Result<Applied, LedgerError> {
    match existing {
        None => Ok(Applied::New),
        Some(e) if e == t => Ok(Applied::Duplicate),
        Some(_) => Err(LedgerError::Conflict { id: t.id.clone() }),
    }
}

/// The member's balance after `t`, or why `t` may not be applied to `balance`: a debit may
/// not take the balance below zero unless it is a `Clawback` under `AllowNegative`.
pub fn check_debit(balance: i64, t: &Transfer, policy: ClawbackPolicy) -> Result<i64, LedgerError> {
    let after = balance
        .checked_add(t.points)
        .ok_or_else(|| LedgerError::Overflow { id: t.id.clone() })?;
    let negative_allowed =
        t.kind == TransferKind::Clawback && policy == ClawbackPolicy::AllowNegative;
    if t.points < 0 && after < 0 && !negative_allowed {
        return Err(LedgerError::InsufficientPoints {
            balance,
            wanted: -t.points,
        });
    }
    Ok(after)
}

/// The transfers a completed sale records: the redemption first (checked against the
/// balance before the sale), then the points earned, expiring under `expiry`.
pub fn sale_transfers(
    member_id: &str,
    sale_event: &str,
    at: DateTime<Utc>,
    redeemed_points: i64,
    earned_points: i64,
    expiry: &ExpiryPolicy,
) -> Vec<Transfer> {
    let mut out = Vec::with_capacity(2);
    if redeemed_points > 0 {
        out.push(Transfer {
            id: transfer_id(sale_event, TransferKind::Redeem, 0),
            member_id: member_id.to_string(),
            kind: TransferKind::Redeem,
            points: -redeemed_points,
            at,
            source: sale_event.to_string(),
            expires_at: None,
        });
    }
    if earned_points > 0 {
        out.push(Transfer {
            id: transfer_id(sale_event, TransferKind::Earn, 0),
            member_id: member_id.to_string(),
            kind: TransferKind::Earn,
            points: earned_points,
            at,
            source: sale_event.to_string(),
            expires_at: expiry.expires_at(at),
        });
    }
    out
}

/// Points a reversal could not take because the member had already spent them, kept under
/// [`ClawbackPolicy::CapAtZero`] so the loss is visible in reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncollectedClawback {
    /// `transfer_id(return_event, Clawback, 0)`.
    pub id: String,
    pub member_id: String,
    /// The return event.
    pub source: String,
    /// Points not collected (positive).
    pub points: i64,
    pub at: DateTime<Utc>,
}

/// What a return records in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReturnPosting {
    pub transfers: Vec<Transfer>,
    pub uncollected: Option<UncollectedClawback>,
}

/// The transfers a return records, given the member's balance before it.
///
/// Redeemed points are given back first (a credit, expiring at `given_back_expires_at`,
/// normally the expiry of points earned at the original sale), then earned points are
/// taken back as far as the balance allows; the rest is a `Clawback` transfer under
/// `AllowNegative`, or an uncollected record under `CapAtZero`.
pub fn return_posting(
    member_id: &str,
    return_event: &str,
    at: DateTime<Utc>,
    reversal: Reversal,
    balance: i64,
    policy: ClawbackPolicy,
    given_back_expires_at: Option<DateTime<Utc>>,
) -> ReturnPosting {
    let transfer = |kind, n, points, expires_at| Transfer {
        id: transfer_id(return_event, kind, n),
        member_id: member_id.to_string(),
        kind,
        points,
        at,
        source: return_event.to_string(),
        expires_at,
    };
    let mut posting = ReturnPosting::default();
    let given = reversal.redeemed_back.max(0);
    if given > 0 {
        posting.transfers.push(transfer(
            TransferKind::Reverse,
            0,
            given,
            given_back_expires_at,
        ));
    }
    let wanted = reversal.earned_back.max(0);
    let available = balance.saturating_add(given).max(0);
    let take = wanted.min(available);
    if take > 0 {
        posting
            .transfers
            .push(transfer(TransferKind::Reverse, 1, -take, None));
    }
    let shortfall = wanted - take;
    if shortfall > 0 {
        match policy {
            ClawbackPolicy::AllowNegative => {
                posting
                    .transfers
                    .push(transfer(TransferKind::Clawback, 0, -shortfall, None))
            }
            ClawbackPolicy::CapAtZero => {
                posting.uncollected = Some(UncollectedClawback {
                    id: transfer_id(return_event, TransferKind::Clawback, 0),
                    member_id: member_id.to_string(),
                    source: return_event.to_string(),
                    points: shortfall,
                    at,
                });
            }
        }
    }
    posting
}

/// Unused points of one credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// The credit transfer that opened the lot.
    pub transfer_id: String,
    pub at: DateTime<Utc>,
    /// Points not yet consumed (positive).
    pub remaining: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The open lots of one member, oldest first, from their transfers in recorded order.
///
/// Every credit opens a lot, after first paying off any negative balance left by a
/// clawback. An `Expire` transfer consumes the lot it names as its source; every other
/// debit consumes the oldest lots first (by time, then by recorded order).
pub fn open_lots<'a>(transfers: impl IntoIterator<Item = &'a Transfer>) -> Vec<Lot> {
    let mut lots: BTreeMap<(DateTime<Utc>, usize), Lot> = BTreeMap::new();
    let mut keys: HashMap<&str, (DateTime<Utc>, usize)> = HashMap::new();
    let mut debt: i64 = 0;
    for (seq, t) in transfers.into_iter().enumerate() {
        if t.points > 0 {
            let paid = debt.min(t.points);
            debt -= paid;
            if t.points > paid {
                let key = (t.at, seq);
                keys.insert(&t.id, key);
                lots.insert(
                    key,
                    Lot {
                        transfer_id: t.id.clone(),
                        at: t.at,
                        remaining: t.points - paid,
                        expires_at: t.expires_at,
                    },
                );
            }
            continue;
        }
        let mut wanted = t.points.saturating_neg();
        if t.kind == TransferKind::Expire
            && let Some(key) = keys.get(t.source.as_str())
        {
            wanted -= consume(&mut lots, *key, wanted);
        }
        while wanted > 0 {
            let Some(&key) = lots.keys().next() else {
                break;
            };
            wanted -= consume(&mut lots, key, wanted);
        }
        debt = debt.saturating_add(wanted);
    }
    lots.into_values().collect()
}

/// Takes up to `wanted` points from the lot at `key`, closing it when empty; returns what
/// it took.
fn consume(
    lots: &mut BTreeMap<(DateTime<Utc>, usize), Lot>,
    key: (DateTime<Utc>, usize),
    wanted: i64,
) -> i64 {
    let Some(lot) = lots.get_mut(&key) else {
        return 0;
    };
    let taken = lot.remaining.min(wanted);
    lot.remaining -= taken;
    if lot.remaining == 0 {
        lots.remove(&key);
    }
    taken
}

/// `Expire` transfers for the lots past their expiry at `now` (`expires_at <= now`).
///
/// Each transfer is dated at its lot's expiry and its id derives from the lot, so running
/// expiry again, at any later time, produces the same transfers, and once they are applied
/// it produces none. Under [`ExpiryPolicy::None`] nothing expires.
pub fn due_expiries(
    member_id: &str,
    lots: &[Lot],
    now: DateTime<Utc>,
    policy: &ExpiryPolicy,
) -> Vec<Transfer> {
    if *policy == ExpiryPolicy::None {
        return Vec::new();
    }
    lots.iter()
        .filter_map(|lot| {
            let expires_at = lot.expires_at.filter(|e| *e <= now)?;
            (lot.remaining > 0).then(|| Transfer {
                id: transfer_id(&lot.transfer_id, TransferKind::Expire, 0),
                member_id: member_id.to_string(),
                kind: TransferKind::Expire,
                points: -lot.remaining,
                at: expires_at,
                source: lot.transfer_id.clone(),
                expires_at: None,
            })
        })
        .collect()
}

/// An in-memory points ledger: the reference store for the rules above.
#[derive(Debug, Clone, Default)]
pub struct PointsLedger {
    clawback: ClawbackPolicy,
    transfers: Vec<Transfer>,
    by_id: HashMap<String, usize>,
    by_member: HashMap<String, Vec<usize>>,
    balances: HashMap<String, i64>,
    uncollected: Vec<UncollectedClawback>,
}

impl PointsLedger {
    pub fn new(clawback: ClawbackPolicy) -> PointsLedger {
        PointsLedger {
            clawback,
            ..PointsLedger::default()
        }
    }

    /// Records a transfer. A replay of a recorded transfer is a no-op; a refused transfer
    /// changes nothing.
    pub fn apply(&mut self, t: Transfer) -> Result<Applied, LedgerError> {
        self.apply_all(std::slice::from_ref(&t))
            .map(|applied| applied[0])
    }

    /// Records several transfers all or nothing, in order (one sale or return).
    pub fn apply_all(&mut self, transfers: &[Transfer]) -> Result<Vec<Applied>, LedgerError> {
        let mut pending: HashMap<&str, &Transfer> = HashMap::new();
        let mut balances: HashMap<&str, i64> = HashMap::new();
        let mut outcome = Vec::with_capacity(transfers.len());
        for t in transfers {
            check_transfer(t)?;
            let existing = self
                .get(&t.id)
                .or_else(|| pending.get(t.id.as_str()).copied());
            if check_replay(existing, t)? == Applied::Duplicate {
                outcome.push(Applied::Duplicate);
                continue;
            }
            let balance = balances
                .entry(t.member_id.as_str())
                .or_insert_with(|| self.balance(&t.member_id));
            *balance = check_debit(*balance, t, self.clawback)?;
            pending.insert(&t.id, t);
            outcome.push(Applied::New);
        }
        for (t, applied) in transfers.iter().zip(&outcome) {
            if *applied == Applied::New {
                let index = self.transfers.len();
                self.by_id.insert(t.id.clone(), index);
                self.by_member
                    .entry(t.member_id.clone())
                    .or_default()
                    .push(index);
                *self.balances.entry(t.member_id.clone()).or_insert(0) += t.points;
                self.transfers.push(t.clone());
            }
        }
        Ok(outcome)
    }

    /// Records points a reversal could not collect; a replay is a no-op.
    pub fn record_uncollected(&mut self, u: UncollectedClawback) -> Result<Applied, LedgerError> {
        match self.uncollected.iter().find(|e| e.id == u.id) {
            Some(e) if *e == u => Ok(Applied::Duplicate),
            Some(_) => Err(LedgerError::Conflict { id: u.id }),
            None => {
                self.uncollected.push(u);
                Ok(Applied::New)
            }
        }
    }

    /// Records a return's transfers and its uncollected shortfall, if any.
    pub fn post(&mut self, posting: &ReturnPosting) -> Result<Vec<Applied>, LedgerError> {
        if let Some(u) = &posting.uncollected
            && let Some(e) = self.uncollected.iter().find(|e| e.id == u.id)
            && e != u
        {
            return Err(LedgerError::Conflict { id: u.id.clone() });
        }
        let applied = self.apply_all(&posting.transfers)?;
        if let Some(u) = &posting.uncollected {
            self.record_uncollected(u.clone())?;
        }
        Ok(applied)
    }

    pub fn get(&self, id: &str) -> Option<&Transfer> {
        self.by_id.get(id).map(|&i| &self.transfers[i])
    }

    pub fn clawback_policy(&self) -> ClawbackPolicy {
        self.clawback
    }

    pub fn balance(&self, member_id: &str) -> i64 {
        self.balances.get(member_id).copied().unwrap_or(0)
    }

    /// The member's transfers in recorded order.
    pub fn history(&self, member_id: &str) -> Vec<&Transfer> {
        self.by_member
            .get(member_id)
            .map(|ix| ix.iter().map(|&i| &self.transfers[i]).collect())
            .unwrap_or_default()
    }

    /// Points the member should have given back but could not.
    pub fn uncollected(&self, member_id: &str) -> i64 {
        self.uncollected
            .iter()
            .filter(|u| u.member_id == member_id)
            .map(|u| u.points)
            .sum()
    }

    /// The member's unused points, oldest first.
    pub fn lots(&self, member_id: &str) -> Vec<Lot> {
        open_lots(self.history(member_id))
    }

    /// `Expire` transfers due for the member at `now` (not applied; see [`due_expiries`]).
    pub fn expire_due(
        &self,
        member_id: &str,
        now: DateTime<Utc>,
        policy: &ExpiryPolicy,
    ) -> Vec<Transfer> {
        due_expiries(member_id, &self.lots(member_id), now, policy)
    }
}
