//! What HQ holds that a batch's rules need, read once per batch (a few statements, each
//! over every key the batch names: the keys go in as one JSON array, which PostgreSQL
//! joins from, one index probe per key, and SQLite reads with `json_each`) and then kept up to date as the batch's events pass, so an event sees
//! what the events before it in the batch did (a member enrolled, then their first sale).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::Draft;
use crate::domain::loyalty::{PointsProgram, TransferKind};
use crate::domain::product::{BonusPoints, Product};
use crate::hq::db::{Query, Tx};
use crate::hq::error::HqError;
use crate::hq::sender::TerminalId;

/// A member as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    pub home_store: Option<String>,
}

/// A card as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFacts {
    pub member_id: String,
    pub blocked: bool,
}

/// A complaint case as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub store_id: String,
    pub member_id: Option<String>,
}

/// What a sale of this terminal moved, and what its returns moved back since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sold {
    pub member_id: Option<String>,
    pub earned: i64,
    pub redeemed: i64,
    /// Earned points taken back by its returns.
    pub earned_back: i64,
    /// Redeemed points given back by its returns.
    pub redeemed_back: i64,
}

/// HQ's records the batch's rules read: every member, card, product and original sale
/// the batch names (absent from a map: HQ holds none), and the store's programme.
pub struct Known {
    pub from: TerminalId,
    pub program: PointsProgram,
    /// The tier that multiplies most: a till may earn at a tier it infers from local
    /// history, so HQ allows the best one.
    pub best_tier: String,
    pub members: HashMap<String, MemberFacts>,
    pub cards: HashMap<String, CardFacts>,
    /// Category and bonus of each product HQ's catalogue holds, by GTIN.
    pub products: HashMap<u64, (Option<String>, BonusPoints)>,
    /// This terminal's sales by receipt number (those the batch's returns name).
    pub sales: HashMap<u64, Sold>,
    /// The complaint cases the batch's notes name.
    pub cases: HashMap<String, CaseFacts>,
}

impl Known {
    /// An empty view for `from` under `program` (what HQ holds is then added).
    pub fn new(from: TerminalId, program: PointsProgram) -> Known {
        let best_tier = program
            .tiers
            .iter()
            .max_by_key(|t| t.multiplier_bp)
            .map_or_else(String::new, |t| t.code.clone());
        Known {
            from,
            program,
            best_tier,
            members: HashMap::new(),
            cards: HashMap::new(),
            products: HashMap::new(),
            sales: HashMap::new(),
            cases: HashMap::new(),
        }
    }

    /// Reads what the drafts name, inside the ingest's transaction.
    pub async fn fetch(
        tx: &mut Tx,
        from: &TerminalId,
        drafts: &[&Draft],
    ) -> Result<Known, HqError> {
        let wanted = Wanted::of(drafts);
        let program = store_program(tx, &from.store_id).await?;
        let mut known = Known::new(from.clone(), program);
        if !wanted.members.is_empty() {
            let rows = Query::dialects(
                "SELECT m.id, m.home_store FROM jsonb_array_elements_text($1) AS k(id)
                 JOIN members m ON m.id = k.id",
                "SELECT id, home_store FROM members WHERE id IN (SELECT value FROM json_each($1))",
            )
            .bind(json_list(&wanted.members))
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                known.members.insert(
                    r.get(0),
                    MemberFacts {
                        home_store: r.get(1),
                    },
                );
            }
        }
        if !wanted.cards.is_empty() {
            let rows = Query::dialects(
                "SELECT c.card, c.member_id, c.status FROM jsonb_array_elements_text($1) AS k(card)
                 JOIN member_cards c ON c.card = k.card",
                "SELECT card, member_id, status FROM member_cards
                 WHERE card IN (SELECT value FROM json_each($1))",
            )
            .bind(json_list(&wanted.cards))
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                known.cards.insert(
                    r.get(0),
                    CardFacts {
                        member_id: r.get(1),
                        blocked: r.get::<String>(2) == "blocked",
                    },
                );
            }
        }
        if !wanted.gtins.is_empty() {
            let gtins: Vec<Value> = wanted.gtins.iter().map(|g| Value::from(*g)).collect();
            let rows = Query::dialects(
                "SELECT p.record FROM jsonb_array_elements_text($1) AS k(gtin)
                 JOIN products p ON p.gtin = k.gtin::int8",
                "SELECT record FROM products WHERE gtin IN (SELECT value FROM json_each($1))",
            )
            .bind(Value::Array(gtins))
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                // A record HQ cannot read counts as a product it does not hold.
                if let Ok(p) = serde_json::from_value::<Product>(r.json(0)?) {
                    known
                        .products
                        .insert(p.gtin.value(), (p.category, p.bonus_points));
                }
            }
        }
        if !wanted.originals.is_empty() {
            let originals: Vec<Value> = wanted.originals.iter().map(|n| Value::from(*n)).collect();
            // The sales (this terminal's, in its store) and then their transfers (kept by
            // member, elsewhere on a distributed database): two reads, no join across them.
            let sales = Query::dialects(
                ORIGINAL_SALES,
                "SELECT receipt_no, original_receipt, member_id, event_id FROM sales
                 WHERE store_id = $1 AND terminal_id = $2
                   AND (receipt_no IN (SELECT value FROM json_each($3))
                        OR original_receipt IN (SELECT value FROM json_each($3)))",
            )
            .bind(&from.store_id)
            .bind(&from.terminal_id)
            .bind(Value::Array(originals))
            .fetch_all(&mut *tx)
            .await?;
            let events: Vec<Value> = sales
                .iter()
                .map(|r| Value::from(r.get::<String>(3)))
                .collect();
            let mut moved: HashMap<String, Vec<(Option<TransferKind>, i64)>> = HashMap::new();
            if !events.is_empty() {
                for r in Query::dialects(
                    "SELECT t.event_id::text, t.kind, t.points
                     FROM jsonb_array_elements_text($1) AS k(id)
                     JOIN point_transfers t ON t.event_id = k.id::uuid",
                    "SELECT event_id, kind, points FROM point_transfers
                     WHERE event_id IN (SELECT value FROM json_each($1))",
                )
                .bind(Value::Array(events))
                .fetch_all(&mut *tx)
                .await?
                {
                    moved
                        .entry(r.get(0))
                        .or_default()
                        .push((TransferKind::parse(&r.get::<String>(1)), r.get(2)));
                }
            }
            for r in sales {
                let receipt = r.get::<i64>(0) as u64;
                let original: Option<i64> = r.get(1);
                let transfers = moved.get(&r.get::<String>(3)).map_or(&[][..], |t| &t[..]);
                match original {
                    None => {
                        let sold = known.sales.entry(receipt).or_default();
                        sold.member_id = r.get(2);
                        for (kind, points) in transfers {
                            match kind {
                                Some(TransferKind::Earn) => sold.earned += points,
                                Some(TransferKind::Redeem) => sold.redeemed -= points,
                                _ => {}
                            }
                        }
                    }
                    Some(original) => {
                        let sold = known.sales.entry(original as u64).or_default();
                        for (kind, points) in transfers {
                            sold.add_return(*kind, *points);
                        }
                    }
                }
            }
        }
        // Notes from tills are few: one probe each.
        for id in &wanted.cases {
            if let Some(r) = Query::dialects(
                "SELECT store_id, member_id FROM complaint_cases WHERE id = $1",
                "SELECT store_id, member_id FROM complaint_cases WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            {
                known.cases.insert(
                    id.clone(),
                    CaseFacts {
                        store_id: r.get(0),
                        member_id: r.get(1),
                    },
                );
            }
        }
        Ok(known)
    }
}

impl Sold {
    /// Counts a return's transfer against its sale.
    pub fn add_return(&mut self, kind: Option<TransferKind>, points: i64) {
        match kind {
            Some(TransferKind::Reverse) if points > 0 => self.redeemed_back += points,
            Some(TransferKind::Reverse | TransferKind::Clawback) => self.earned_back -= points,
            _ => {}
        }
    }
}

/// The store's points programme at HQ: its settings' programme, else the default one.
async fn store_program(tx: &mut Tx, store: &str) -> Result<PointsProgram, HqError> {
    let row = Query::dialects(
        "SELECT settings FROM store_settings WHERE store_id = $1",
        "SELECT settings FROM store_settings WHERE store_id = $1",
    )
    .bind(store)
    .fetch_optional(&mut *tx)
    .await?;
    let settings = match row {
        Some(r) => serde_json::from_value::<crate::settings::StoreSettings>(r.json(0)?)
            .map_err(|e| HqError::Invalid(format!("stored settings of {store}: {e}")))?,
        None => crate::settings::StoreSettings::default(),
    };
    Ok(settings.points.unwrap_or_default())
}

/// This terminal's sales the batch's returns name, and the returns of them it holds (the
/// terminal's rows of one store).
pub(crate) const ORIGINAL_SALES: &str =
    "SELECT s.receipt_no, s.original_receipt, s.member_id, s.event_id::text
     FROM jsonb_array_elements_text($3) AS k(n)
     JOIN sales s ON s.store_id = $1 AND s.terminal_id = $2 AND s.receipt_no = k.n::int8
     UNION
     SELECT s.receipt_no, s.original_receipt, s.member_id, s.event_id::text
     FROM jsonb_array_elements_text($3) AS k(n)
     JOIN sales s ON s.store_id = $1 AND s.terminal_id = $2 AND s.original_receipt = k.n::int8";

/// Above every GTIN (14 digits).
const MAX_GTIN: u64 = 100_000_000_000_000;

fn json_list(keys: &HashSet<String>) -> Value {
    Value::Array(keys.iter().map(|k| Value::from(k.as_str())).collect())
}

/// Every key the batch's drafts name.
#[derive(Default)]
struct Wanted {
    members: HashSet<String>,
    cards: HashSet<String>,
    gtins: HashSet<u64>,
    originals: HashSet<u64>,
    cases: HashSet<String>,
}

impl Wanted {
    fn of(drafts: &[&Draft]) -> Wanted {
        let mut w = Wanted::default();
        for d in drafts {
            match d {
                Draft::Sale { sale, .. } => {
                    w.members.extend(sale.member_id.clone());
                    if let Some(l) = &sale.loyalty {
                        w.members.insert(l.member_id.clone());
                        w.members
                            .extend(l.transfers.iter().map(|t| t.member_id.clone()));
                    }
                    // Numbers no GTIN or receipt can be are left out (the rules refuse
                    // them), so every key fits the columns it is compared with.
                    w.gtins
                        .extend(sale.lines.iter().map(|l| l.gtin).filter(|g| *g < MAX_GTIN));
                    w.originals.extend(
                        sale.original_receipt
                            .filter(|n| *n <= storepos_sync::wire::MAX_SEQ),
                    );
                }
                Draft::Enrolment(m) => {
                    w.members.insert(m.id.clone());
                    w.cards.extend(m.cards.iter().map(|c| c.number.clone()));
                }
                Draft::CardReplaced(r) => {
                    w.members.insert(r.member_id.clone());
                    w.cards.insert(r.blocked.clone());
                    w.cards.insert(r.new_card.clone());
                }
                Draft::Complaint(c) => w.members.extend(c.member_id.clone()),
                Draft::ComplaintNote(n) => {
                    w.cases.insert(n.case_id.clone());
                }
            }
        }
        w
    }
}
