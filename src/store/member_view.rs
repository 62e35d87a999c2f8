//! The per-member sheet, as a Metro-style member history view: the member, their recent
//! baskets, spend per category this year, their largest purchase, visits and spend over the
//! last twelve months, and a simple purchase plan built from the products they buy again
//! and again. Read from `purchase_history` joined to `products`; nothing is written.
//!
//! Time is an argument (`now`): purchases after it are ignored, calendar years are UTC
//! years, and amounts are integer minor units of the store's currency.

use chrono::{DateTime, Datelike, Duration, Months, TimeZone, Utc};
use iso_currency::Currency;
use rusqlite::Connection;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::{StoreError, members};
use crate::domain::member::Member;

/// Baskets listed under recent purchases, newest first.
pub const RECENT_BASKETS: usize = 10;
/// Lines shown for the largest purchase, largest amount first.
pub const TOP_LINES: usize = 5;
/// A product enters the purchase plan once it was bought in this many different baskets.
pub const PLAN_MIN_BASKETS: usize = 3;
/// Products in the purchase plan: the most frequently bought ones.
pub const PLAN_SIZE: usize = 20;

const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberSheet {
    pub member: Member,
    pub currency: Currency,
    /// The moment the sheet describes.
    pub as_of: DateTime<Utc>,
    /// The last [`RECENT_BASKETS`] baskets, newest first.
    pub recent: Vec<BasketSummary>,
    /// The calendar year (UTC) of `spend_by_category`.
    pub year: i32,
    /// Spend per category from 1 January of `year` to `as_of`, largest first.
    pub spend_by_category: Vec<CategorySpend>,
    /// The basket with the highest total in the whole history (the latest of equals).
    pub largest_purchase: Option<LargestPurchase>,
    pub last_12_months: PeriodSummary,
    /// Products bought in at least [`PLAN_MIN_BASKETS`] baskets, soonest due first.
    pub plan: Vec<PlannedPurchase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasketSummary {
    pub store_id: String,
    pub basket_id: String,
    pub at: DateTime<Utc>,
    /// History lines in the basket.
    pub lines: u32,
    /// Minor units paid.
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategorySpend {
    /// `None` for products without a category or no longer in the catalogue.
    pub category: Option<String>,
    pub department: Option<String>,
    pub spend: i64,
    /// Baskets with at least one line of the category.
    pub baskets: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LargestPurchase {
    pub basket: BasketSummary,
    /// The basket's products by amount (lines of one product added up), at most
    /// [`TOP_LINES`].
    pub top_lines: Vec<SheetLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetLine {
    pub gtin: u64,
    /// `None` when the product is no longer in the catalogue.
    pub name: Option<String>,
    pub category: Option<String>,
    /// Thousandths of a unit.
    pub quantity: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodSummary {
    /// Start of the period (inclusive); it ends at the sheet's `as_of`.
    pub since: DateTime<Utc>,
    /// Baskets in the period.
    pub visits: u32,
    pub spend: i64,
    /// `spend / visits`, rounded to the nearest minor unit; 0 without visits.
    pub average_basket: i64,
}

/// A product the member buys regularly, with when it is next due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedPurchase {
    pub gtin: u64,
    pub name: Option<String>,
    pub category: Option<String>,
    /// Different baskets the product was bought in.
    pub baskets: u32,
    pub last_bought: DateTime<Utc>,
    /// The median time between two purchases, in whole days (at least 1).
    pub interval_days: u32,
    /// `last_bought` plus the interval.
    pub next_due: DateTime<Utc>,
    /// Calendar days from `as_of` to `next_due`; negative when overdue.
    pub due_in_days: i64,
}

/// The sheet of one member as of `now`; `None` if the member is unknown.
pub fn sheet(
    conn: &Connection,
    member_id: &str,
    now: DateTime<Utc>,
    currency: Currency,
) -> Result<Option<MemberSheet>, StoreError> {
    let Some(member) = members::by_id(conn, member_id)? else {
        return Ok(None);
    };
    let history = History::read(conn, member_id, now)?;
    let year = now.year();
    let year_start = Utc
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let since = now
        .checked_sub_months(Months::new(12))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    Ok(Some(MemberSheet {
        member,
        currency,
        as_of: now,
        recent: history
            .baskets
            .iter()
            .rev()
            .take(RECENT_BASKETS)
            .map(Basket::summary)
            .collect(),
        year,
        spend_by_category: history.spend_by_category(year_start),
        largest_purchase: history.largest_purchase(),
        last_12_months: history.period(since),
        plan: history.plan(now),
    }))
}

/// One history line with what the catalogue says about its product.
struct Line {
    gtin: u64,
    quantity: i64,
    amount: i64,
    name: Option<String>,
    category: Option<String>,
    department: Option<String>,
}

struct Basket {
    store_id: String,
    basket_id: String,
    /// The time of its first line.
    at: DateTime<Utc>,
    lines: Vec<Line>,
    total: i64,
}

impl Basket {
    fn summary(&self) -> BasketSummary {
        BasketSummary {
            store_id: self.store_id.clone(),
            basket_id: self.basket_id.clone(),
            at: self.at,
            lines: self.lines.len() as u32,
            total: self.total,
        }
    }
}

/// A member's baskets up to `now`, oldest first.
struct History {
    baskets: Vec<Basket>,
}

impl History {
    fn read(conn: &Connection, member_id: &str, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let mut stmt = conn.prepare_cached(
            "SELECT h.store_id, h.basket_id, h.at, h.gtin, h.quantity, h.amount,
                    p.name, p.category, p.department
             FROM purchase_history h LEFT JOIN products p ON p.gtin = h.gtin
             WHERE h.member_id = ?1
             ORDER BY h.at, h.store_id, h.basket_id, h.rowid",
        )?;
        let mut rows = stmt.query([member_id])?;
        let mut baskets: Vec<Basket> = Vec::new();
        let mut index: FxHashMap<(String, String), usize> = FxHashMap::default();
        while let Some(r) = rows.next()? {
            let at_text: String = r.get(2)?;
            let at = DateTime::parse_from_rfc3339(&at_text)
                .map_err(|e| {
                    StoreError::Corrupt(format!(
                        "purchase_history of member {member_id}: time '{at_text}': {e}"
                    ))
                })?
                .with_timezone(&Utc);
            if at > now {
                continue;
            }
            let key: (String, String) = (r.get(0)?, r.get(1)?);
            let line = Line {
                gtin: r.get::<_, i64>(3)? as u64,
                quantity: r.get(4)?,
                amount: r.get(5)?,
                name: r.get(6)?,
                category: r.get(7)?,
                department: r.get(8)?,
            };
            let basket = *index
                .entry(key)
                .or_insert_with_key(|(store_id, basket_id)| {
                    baskets.push(Basket {
                        store_id: store_id.clone(),
                        basket_id: basket_id.clone(),
                        at,
                        lines: Vec::new(),
                        total: 0,
                    });
                    baskets.len() - 1
                });
            let basket = &mut baskets[basket];
            basket.total += line.amount;
            basket.lines.push(line);
        }
        Ok(History { baskets })
    }

    fn since(&self, start: DateTime<Utc>) -> impl Iterator<Item = &Basket> {
        self.baskets.iter().filter(move |b| b.at >= start)
    }

    fn spend_by_category(&self, start: DateTime<Utc>) -> Vec<CategorySpend> {
        let mut by_category: FxHashMap<Option<&str>, CategorySpend> = FxHashMap::default();
        for basket in self.since(start) {
            let mut counted: Vec<Option<&str>> = Vec::new();
            for line in &basket.lines {
                let key = line.category.as_deref();
                let entry = by_category.entry(key).or_insert_with(|| CategorySpend {
                    category: line.category.clone(),
                    department: None,
                    spend: 0,
                    baskets: 0,
                });
                entry.spend += line.amount;
                if entry.department.is_none() {
                    entry.department.clone_from(&line.department);
                }
                if !counted.contains(&key) {
                    counted.push(key);
                    entry.baskets += 1;
                }
            }
        }
        let mut spend: Vec<CategorySpend> = by_category.into_values().collect();
        spend.sort_by(|a, b| {
            (b.spend, a.category.is_none(), &a.category).cmp(&(
                a.spend,
                b.category.is_none(),
                &b.category,
            ))
        });
        spend
    }

    fn largest_purchase(&self) -> Option<LargestPurchase> {
        let basket = self.baskets.iter().max_by_key(|b| (b.total, b.at))?;
        let mut products: Vec<SheetLine> = Vec::new();
        for line in &basket.lines {
            match products.iter_mut().find(|p| p.gtin == line.gtin) {
                Some(p) => {
                    p.quantity += line.quantity;
                    p.amount += line.amount;
                }
                None => products.push(SheetLine {
                    gtin: line.gtin,
                    name: line.name.clone(),
                    category: line.category.clone(),
                    quantity: line.quantity,
                    amount: line.amount,
                }),
            }
        }
        products.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.gtin.cmp(&b.gtin)));
        products.truncate(TOP_LINES);
        Some(LargestPurchase {
            basket: basket.summary(),
            top_lines: products,
        })
    }

    fn period(&self, since: DateTime<Utc>) -> PeriodSummary {
        let (visits, spend) = self
            .since(since)
            .fold((0u32, 0i64), |(n, s), b| (n + 1, s + b.total));
        PeriodSummary {
            since,
            visits,
            spend,
            average_basket: div_round(spend, i64::from(visits)),
        }
    }

    fn plan(&self, now: DateTime<Utc>) -> Vec<PlannedPurchase> {
        // The times of the different baskets each product was bought in, oldest first,
        // with the index of the last basket counted.
        let mut bought: FxHashMap<u64, (&Line, Vec<DateTime<Utc>>, usize)> = FxHashMap::default();
        for (index, basket) in self.baskets.iter().enumerate() {
            for line in &basket.lines {
                let (_, times, last) =
                    bought
                        .entry(line.gtin)
                        .or_insert((line, Vec::new(), usize::MAX));
                if *last != index {
                    *last = index;
                    times.push(basket.at);
                }
            }
        }
        let mut frequent: Vec<(&Line, Vec<DateTime<Utc>>)> = bought
            .into_values()
            .filter(|(_, times, _)| times.len() >= PLAN_MIN_BASKETS)
            .map(|(line, times, _)| (line, times))
            .collect();
        frequent.sort_by(|(a, ta), (b, tb)| tb.len().cmp(&ta.len()).then(a.gtin.cmp(&b.gtin)));
        frequent.truncate(PLAN_SIZE);
        let mut plan: Vec<PlannedPurchase> = frequent
            .into_iter()
            .map(|(line, times)| planned(line, &times, now))
            .collect();
        plan.sort_by(|a, b| a.next_due.cmp(&b.next_due).then(a.gtin.cmp(&b.gtin)));
        plan
    }
}

/// The plan entry of a product bought at `times` (oldest first, at least two).
fn planned(line: &Line, times: &[DateTime<Utc>], now: DateTime<Utc>) -> PlannedPurchase {
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    gaps.sort_unstable();
    let middle = gaps.len() / 2;
    let median = if gaps.len() % 2 == 1 {
        gaps[middle]
    } else {
        div_round(gaps[middle - 1] + gaps[middle], 2)
    };
    let interval_days = div_round(median, SECONDS_PER_DAY).clamp(1, i64::from(u32::MAX)) as u32;
    let last_bought = *times.last().expect("a planned product was bought");
    let next_due = last_bought + Duration::days(i64::from(interval_days));
    PlannedPurchase {
        gtin: line.gtin,
        name: line.name.clone(),
        category: line.category.clone(),
        baskets: times.len() as u32,
        last_bought,
        interval_days,
        next_due,
        due_in_days: (next_due.date_naive() - now.date_naive()).num_days(),
    }
}

/// `a / b` rounded to the nearest integer, halves away from zero; 0 when `b` is 0.
fn div_round(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let (q, r) = (a / b, a % b);
    if 2 * r.abs() >= b.abs() {
        q + if (a < 0) == (b < 0) { 1 } else { -1 }
    } else {
        q
    }
}

#[cfg(test)]
#[path = "member_view_tests.rs"]
mod tests;
