//! The chain-wide member view (Metro's per-member history, prepared before visiting a
//! business customer): the member's record, cards and points ledger, their bills in every
//! store, spend per category per year, visits, the largest purchase, coupons and lists,
//! open complaints, and a suggested purchase plan: the shopping-list engine's items due in
//! the next fortnight, each with its reason.
//!
//! Everything is read in one read transaction, so the parts agree with each other. Each
//! read is one member's range of an index: `sales_member` (bills, visits, the largest
//! purchase, and the plan's history), the `sale_lines` primary key (the lines of those
//! bills), the `member_months` primary key (spend per category), `point_transfers_member`,
//! `coupons_member`, `shopping_lists_member` and `complaint_cases_member`; nothing scans the
//! chain's sales.
//!
//! Amounts are integer minor units of the chain's currency; net amounts exclude tax; a
//! return's bill and lines are negative.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::db::{Tx, query};
use super::store::{HqError, HqStore};
use crate::domain::lists::{MemberHistory, Params, ProductInfo, Purchase, ranking::Basis};
use crate::domain::member::{CustomerType, MemberCard};
use crate::domain::product::BrandType;

/// Ledger entries the view lists, newest first.
pub const LEDGER_ENTRIES: usize = 20;
/// Bills on a page of history when the request names no limit.
pub const DEFAULT_BILLS: u32 = 20;
/// Most bills on one page of history.
pub const MAX_BILLS: u32 = 200;
/// Coupons and lists the view lists, newest first.
pub const CODES_SHOWN: usize = 50;
/// Days ahead the suggested purchase plan looks (one list period).
pub const PLAN_DAYS: i64 = super::lists::PERIOD_DAYS;
/// Days of history the plan is made from (as the lists are).
const PLAN_HISTORY_DAYS: i64 = 371;

/// Which page of the member's bills, and the moment the view is made for.
#[derive(Debug, Clone)]
pub struct ViewAsk {
    /// Bills before this instant (the newest when none).
    pub before: Option<DateTime<Utc>>,
    /// Bills on the page (at most [`MAX_BILLS`]).
    pub limit: u32,
    pub now: DateTime<Utc>,
}

impl ViewAsk {
    /// The first page as of now.
    pub fn now() -> ViewAsk {
        ViewAsk {
            before: None,
            limit: DEFAULT_BILLS,
            now: Utc::now(),
        }
    }
}

/// One member as every store of the chain saw them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    /// The moment the view was made.
    pub as_of: DateTime<Utc>,
    pub record: MemberRecord,
    pub cards: Vec<MemberCard>,
    pub points: PointsLedger,
    /// The member's bills in every store, newest first, a page at a time.
    pub history: BillPage,
    /// Net spend per category, per calendar year (the store's local months), newest year
    /// first, largest category first.
    pub spend_by_year: Vec<YearSpend>,
    pub visits: Visits,
    /// The bill with the highest total (the latest of equals), with its lines.
    pub largest_purchase: Option<LargestPurchase>,
    /// Coupons HQ issued to the member, newest first, redeemed or not.
    pub coupons: Vec<CouponState>,
    /// The member's shopping lists, newest period first.
    pub lists: Vec<ListState>,
    pub open_complaints: Vec<OpenComplaint>,
    /// The list engine's products due in the next fortnight, soonest first.
    pub plan: Vec<PlanItem>,
}

/// Metro's member record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberRecord {
    /// The member number.
    pub number: String,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// The day the member's card was opened.
    pub card_opened: Option<NaiveDate>,
    pub customer_type: Option<CustomerType>,
    pub tier: String,
    pub home_store: Option<String>,
}

/// The member's balance and the latest transfers of their ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PointsLedger {
    /// The sum of every transfer.
    pub balance: i64,
    /// The latest [`LEDGER_ENTRIES`] transfers, newest first.
    pub entries: Vec<LedgerEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    /// `earn`, `redeem`, `reverse`, `expire`, `adjust` or `clawback`.
    pub kind: String,
    /// Positive in, negative out.
    pub points: i64,
    pub at: DateTime<Utc>,
    /// What made it (a receipt, an expiry run, an opening balance).
    pub source: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A page of bills: `limit` of them, or more when several share the instant the page
/// ends at (the next page starts strictly before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BillPage {
    pub bills: Vec<Bill>,
    /// `before` for the next page; none on the last.
    pub next_before: Option<DateTime<Utc>>,
}

/// One sale or return of the member, in any store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bill {
    pub at: DateTime<Utc>,
    /// The store's local day (none for a bill HQ has not filled in yet).
    pub local_day: Option<NaiveDate>,
    pub store_id: String,
    pub terminal_id: String,
    pub receipt_no: i64,
    /// `sale` or `return`.
    pub kind: String,
    /// What was paid (negative for a return), tax included.
    pub total: i64,
    pub tax: i64,
    /// Net of tax and discounts.
    pub net: Option<i64>,
    pub discount: Option<i64>,
    /// Units on the bill, in thousandths (negative for a return).
    pub items: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearSpend {
    pub year: i32,
    pub net: i64,
    pub categories: Vec<CategorySpend>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategorySpend {
    pub department: String,
    pub category: String,
    pub net: i64,
    /// Thousandths of a unit.
    pub quantity: i64,
    /// Bills with a line of the category.
    pub bills: i64,
}

/// How often and where the member shopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Visits {
    /// Sales (bills that are not returns).
    pub bills: i64,
    pub returns: i64,
    /// Every bill's total together, returns taken off.
    pub spent: i64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Per store, most bills first.
    pub stores: Vec<StoreVisits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoreVisits {
    pub store_id: String,
    pub bills: i64,
    pub spent: i64,
    pub last: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LargestPurchase {
    pub bill: Bill,
    pub lines: Vec<BillLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BillLine {
    pub line_no: i64,
    /// The product's GTIN, as digits.
    pub gtin: String,
    pub name: String,
    pub department: String,
    pub category: String,
    /// Thousandths of a unit.
    pub quantity: i64,
    pub net: i64,
    pub tax: i64,
    pub discount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CouponState {
    pub id: String,
    pub title: Option<String>,
    pub issued_at: DateTime<Utc>,
    /// First instant it is no longer valid.
    pub valid_until: Option<DateTime<Utc>>,
    /// Where and when it was redeemed; none while it was not.
    pub redeemed: Option<Redemption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redemption {
    pub store_id: String,
    pub receipt_no: i64,
    pub amount: i64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListState {
    pub id: String,
    pub period_start: DateTime<Utc>,
    /// Exclusive.
    pub period_end: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    /// Offers (personal coupons) on the list, and how many were redeemed.
    pub offers: i64,
    pub offers_redeemed: i64,
}

/// A complaint case not yet resolved (open or in progress).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OpenComplaint {
    /// The case's id (`{store}.{terminal}.{local_id}` for a till's).
    pub id: String,
    pub store_id: String,
    /// The till that recorded it, and its number there (none for HQ staff's cases).
    pub terminal_id: Option<String>,
    pub local_id: Option<i64>,
    /// When it was opened.
    pub at: DateTime<Utc>,
    pub category: String,
    pub channel: String,
    pub severity: String,
    /// `open` or `in_progress`.
    pub state: String,
    pub content: String,
    /// The latest step's note.
    pub handling: Option<String>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
}

/// A product the member is likely to buy in the next fortnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanItem {
    /// The product's GTIN, as digits.
    pub gtin: String,
    pub name: String,
    pub category: Option<String>,
    /// Days from now until it is due by the member's own cycle (negative: overdue).
    pub due_in_days: i64,
    /// The engine's reason, e.g. "usually every 25 days, last bought 22 days ago".
    pub reason: String,
}

impl HqStore {
    /// The view of member `id` as of `ask.now`, with the page of bills `ask` names and a
    /// plan made with the list engine's `params`; `None` when HQ has no such member.
    pub async fn member_view(
        &self,
        id: &str,
        ask: &ViewAsk,
        params: &Params,
    ) -> Result<Option<MemberView>, HqError> {
        let mut tx = self.pool().begin_read().await?;
        let view = read_view(&mut tx, id, ask, params).await?;
        tx.commit().await?;
        Ok(view)
    }
}

async fn read_view(
    tx: &mut Tx,
    id: &str,
    ask: &ViewAsk,
    params: &Params,
) -> Result<Option<MemberView>, HqError> {
    let Some(record) = record(tx, id).await? else {
        return Ok(None);
    };
    let cards = query("SELECT card, status FROM member_cards WHERE member_id = $1 ORDER BY card")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| MemberCard {
            number: r.get(0),
            status: if r.get::<String>(1) == "blocked" {
                crate::domain::member::CardStatus::Blocked
            } else {
                crate::domain::member::CardStatus::Active
            },
        })
        .collect();
    Ok(Some(MemberView {
        as_of: ask.now,
        record,
        cards,
        points: points(tx, id).await?,
        history: bills(tx, id, ask).await?,
        spend_by_year: spend_by_year(tx, id).await?,
        visits: visits(tx, id).await?,
        largest_purchase: largest_purchase(tx, id).await?,
        coupons: coupons(tx, id).await?,
        lists: lists(tx, id).await?,
        open_complaints: open_complaints(tx, id).await?,
        plan: plan(tx, id, ask.now, params).await?,
    }))
}

async fn record(tx: &mut Tx, id: &str) -> Result<Option<MemberRecord>, HqError> {
    let row = query(
        "SELECT id, name, address, phone, email, card_opened, customer_type, tier, home_store
         FROM members WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| MemberRecord {
        number: r.get(0),
        name: r.get(1),
        address: r.get(2),
        phone: r.get(3),
        email: r.get(4),
        card_opened: r.get(5),
        customer_type: r
            .get::<Option<String>>(6)
            .as_deref()
            .and_then(CustomerType::parse),
        tier: r.get(7),
        home_store: r.get(8),
    }))
}

async fn points(tx: &mut Tx, id: &str) -> Result<PointsLedger, HqError> {
    let balance = query("SELECT balance FROM point_accounts WHERE member_id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map_or(0, |r| r.get::<i64>(0));
    let entries = query(
        "SELECT id, kind, points, at, source, expires_at FROM point_transfers
         WHERE member_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(id)
    .bind(LEDGER_ENTRIES as i64)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| LedgerEntry {
        id: r.get(0),
        kind: r.get(1),
        points: r.get(2),
        at: r.get(3),
        source: r.get(4),
        expires_at: r.get(5),
    })
    .collect();
    Ok(PointsLedger { balance, entries })
}

/// A bill from the columns `at, local_day, store_id, terminal_id, receipt_no, kind, total,
/// tax, net, discount, items`.
fn bill_of(r: &super::db::Row) -> Bill {
    Bill {
        at: r.get(0),
        local_day: r.get(1),
        store_id: r.get(2),
        terminal_id: r.get(3),
        receipt_no: r.get(4),
        kind: r.get(5),
        total: r.get(6),
        tax: r.get(7),
        net: r.get(8),
        discount: r.get(9),
        items: r.get(10),
    }
}

async fn bills(tx: &mut Tx, id: &str, ask: &ViewAsk) -> Result<BillPage, HqError> {
    let limit = ask.limit.clamp(1, MAX_BILLS);
    // One more than the page, to know whether another follows.
    let rows = match ask.before {
        Some(before) => query(
            "SELECT at, local_day, store_id, terminal_id, receipt_no, kind, total, tax, net, discount, items
             FROM sales WHERE member_id = $1 AND at < $2
             ORDER BY at DESC, store_id DESC, terminal_id DESC, receipt_no DESC LIMIT $3",
        )
        .bind(id)
        .bind(before)
        .bind(i64::from(limit) + 1),
        None => query(
            "SELECT at, local_day, store_id, terminal_id, receipt_no, kind, total, tax, net, discount, items
             FROM sales WHERE member_id = $1
             ORDER BY at DESC, store_id DESC, terminal_id DESC, receipt_no DESC LIMIT $2",
        )
        .bind(id)
        .bind(i64::from(limit) + 1),
    }
    .fetch_all(&mut *tx)
    .await?;
    let mut bills: Vec<Bill> = rows.iter().map(bill_of).collect();
    let Some(first_left_out) = bills.get(limit as usize).map(|b| b.at) else {
        return Ok(BillPage {
            bills,
            next_before: None,
        });
    };
    // The next page starts strictly before an instant, so this one takes every bill of
    // the instant it ends at (a sale and its return can share one).
    bills.retain(|b| b.at > first_left_out);
    let tied = query(
        "SELECT at, local_day, store_id, terminal_id, receipt_no, kind, total, tax, net, discount, items
         FROM sales WHERE member_id = $1 AND at = $2
         ORDER BY store_id DESC, terminal_id DESC, receipt_no DESC",
    )
    .bind(id)
    .bind(first_left_out)
    .fetch_all(&mut *tx)
    .await?;
    bills.extend(tied.iter().map(bill_of));
    Ok(BillPage {
        bills,
        next_before: Some(first_left_out),
    })
}

async fn spend_by_year(tx: &mut Tx, id: &str) -> Result<Vec<YearSpend>, HqError> {
    let rows = query(
        "SELECT month, department, category, net, quantity, bills FROM member_months
         WHERE member_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut years: Vec<YearSpend> = Vec::new();
    for r in &rows {
        let Some(month) = r.get::<Option<NaiveDate>>(0) else {
            continue;
        };
        let (department, category): (String, String) = (r.get(1), r.get(2));
        let year = match years.iter_mut().find(|y| y.year == month.year()) {
            Some(y) => y,
            None => {
                years.push(YearSpend {
                    year: month.year(),
                    net: 0,
                    categories: Vec::new(),
                });
                years.last_mut().expect("pushed above")
            }
        };
        let net: i64 = r.get(3);
        year.net += net;
        let entry = match year
            .categories
            .iter_mut()
            .find(|c| c.department == department && c.category == category)
        {
            Some(c) => c,
            None => {
                year.categories.push(CategorySpend {
                    department,
                    category,
                    net: 0,
                    quantity: 0,
                    bills: 0,
                });
                year.categories.last_mut().expect("pushed above")
            }
        };
        entry.net += net;
        entry.quantity += r.get::<i64>(4);
        entry.bills += r.get::<i64>(5);
    }
    years.sort_by_key(|y| std::cmp::Reverse(y.year));
    for y in &mut years {
        y.categories.sort_by(|a, b| {
            b.net
                .cmp(&a.net)
                .then_with(|| (&a.department, &a.category).cmp(&(&b.department, &b.category)))
        });
        debug_assert_eq!(y.net, y.categories.iter().map(|c| c.net).sum::<i64>());
    }
    Ok(years)
}

async fn visits(tx: &mut Tx, id: &str) -> Result<Visits, HqError> {
    let rows = query(
        "SELECT store_id, kind, COUNT(*), CAST(SUM(total) AS BIGINT), MIN(at), MAX(at)
         FROM sales WHERE member_id = $1 GROUP BY store_id, kind",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut visits = Visits {
        bills: 0,
        returns: 0,
        spent: 0,
        first: None,
        last: None,
        stores: Vec::new(),
    };
    for r in &rows {
        let (store_id, kind): (String, String) = (r.get(0), r.get(1));
        let (count, spent): (i64, i64) = (r.get(2), r.get(3));
        let (first, last): (DateTime<Utc>, DateTime<Utc>) = (r.get(4), r.get(5));
        visits.spent += spent;
        if kind == "return" {
            visits.returns += count;
        } else {
            visits.bills += count;
            visits.first = Some(visits.first.map_or(first, |f| f.min(first)));
            visits.last = Some(visits.last.map_or(last, |l| l.max(last)));
        }
        let store = match visits.stores.iter_mut().find(|s| s.store_id == store_id) {
            Some(s) => s,
            None => {
                visits.stores.push(StoreVisits {
                    store_id,
                    bills: 0,
                    spent: 0,
                    last,
                });
                visits.stores.last_mut().expect("pushed above")
            }
        };
        if kind != "return" {
            store.bills += count;
        }
        store.spent += spent;
        store.last = store.last.max(last);
    }
    visits.stores.sort_by(|a, b| {
        b.bills
            .cmp(&a.bills)
            .then_with(|| a.store_id.cmp(&b.store_id))
    });
    Ok(visits)
}

async fn largest_purchase(tx: &mut Tx, id: &str) -> Result<Option<LargestPurchase>, HqError> {
    let Some(row) = query(
        "SELECT at, local_day, store_id, terminal_id, receipt_no, kind, total, tax, net, discount, items
         FROM sales WHERE member_id = $1 AND kind = 'sale'
         ORDER BY total DESC, at DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let bill = bill_of(&row);
    let lines = query(
        "SELECT CAST(line_no AS BIGINT), gtin, name, department, category, quantity, net, tax, discount
         FROM sale_lines WHERE store_id = $1 AND terminal_id = $2 AND receipt_no = $3
         ORDER BY line_no",
    )
    .bind(&bill.store_id)
    .bind(&bill.terminal_id)
    .bind(bill.receipt_no)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| BillLine {
        line_no: r.get::<i64>(0),
        gtin: r.get::<i64>(1).to_string(),
        name: r.get(2),
        department: r.get(3),
        category: r.get(4),
        quantity: r.get(5),
        net: r.get(6),
        tax: r.get(7),
        discount: r.get(8),
    })
    .collect();
    Ok(Some(LargestPurchase { bill, lines }))
}

async fn coupons(tx: &mut Tx, id: &str) -> Result<Vec<CouponState>, HqError> {
    let rows = query(
        "SELECT c.id, c.code, c.issued_at, r.store_id, r.receipt_no, r.amount, r.at
         FROM coupons c
         LEFT JOIN coupon_redemptions r ON r.member_id = c.member_id AND r.coupon_id = c.id
         WHERE c.member_id = $1 ORDER BY c.issued_at DESC, c.id LIMIT $2",
    )
    .bind(id)
    .bind(CODES_SHOWN as i64)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let code: String = r.get(1);
            // HQ signed it: the full code reads; were it not to, the coupon is listed bare.
            let coupon = match crate::domain::coupon::parse_code(&code) {
                Ok(crate::domain::coupon::CouponCode::Full(signed)) => Some(signed.coupon),
                _ => None,
            };
            let redeemed = r.get::<Option<String>>(3).map(|store_id| Redemption {
                store_id,
                receipt_no: r.get(4),
                amount: r.get(5),
                at: r.get(6),
            });
            CouponState {
                id: r.get(0),
                title: coupon.as_ref().map(|c| c.title.clone()),
                issued_at: r.get(2),
                valid_until: coupon.map(|c| c.valid_until),
                redeemed,
            }
        })
        .collect())
}

async fn lists(tx: &mut Tx, id: &str) -> Result<Vec<ListState>, HqError> {
    let rows = query(
        "SELECT l.id, l.period_start, l.period_end, l.issued_at,
                (SELECT COUNT(*) FROM list_offers o WHERE o.member_id = l.member_id AND o.list_id = l.id),
                (SELECT COUNT(*) FROM list_offers o
                 JOIN coupon_redemptions r ON r.member_id = o.member_id AND r.coupon_id = o.coupon_id
                 WHERE o.member_id = l.member_id AND o.list_id = l.id)
         FROM shopping_lists l WHERE l.member_id = $1 ORDER BY l.period_start DESC LIMIT $2",
    )
    .bind(id)
    .bind(CODES_SHOWN as i64)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| ListState {
            id: r.get(0),
            period_start: r.get(1),
            period_end: r.get(2),
            issued_at: r.get(3),
            offers: r.get(4),
            offers_redeemed: r.get(5),
        })
        .collect())
}

/// The member's open complaints, newest first: those the tills recorded whose status is
/// still `open`. (The one place that says which complaints are open.)
async fn open_complaints(tx: &mut Tx, id: &str) -> Result<Vec<OpenComplaint>, HqError> {
    let rows = query(
        "SELECT id, store_id, terminal_id, local_id, opened_at, category, channel, severity,
                state, content, last_note, response_due, resolve_due
         FROM complaint_cases
         WHERE member_id = $1 AND state IN ('open', 'in_progress')
         ORDER BY opened_at DESC, id",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .iter()
        .map(|r| OpenComplaint {
            id: r.get(0),
            store_id: r.get(1),
            terminal_id: r.get(2),
            local_id: r.get(3),
            at: r.get(4),
            category: r.get(5),
            channel: r.get(6),
            severity: r.get(7),
            state: r.get(8),
            content: r.get(9),
            handling: r.get(10),
            response_due: r.get(11),
            resolve_due: r.get(12),
        })
        .collect())
}

/// The list engine's items for the fortnight from `now`, from the member's own purchases
/// of the last year (as a store's ask for one member's list makes it), kept to those due
/// within the fortnight by the member's cycle.
async fn plan(
    tx: &mut Tx,
    id: &str,
    now: DateTime<Utc>,
    params: &Params,
) -> Result<Vec<PlanItem>, HqError> {
    let rows = query(
        "SELECT l.gtin, l.name, l.department, l.category, l.net, l.tax, l.at
         FROM sales s
         JOIN sale_lines l ON l.store_id = s.store_id AND l.terminal_id = s.terminal_id
                          AND l.receipt_no = s.receipt_no
         WHERE s.member_id = $1 AND s.at >= $2 AND s.at < $3 AND s.kind = 'sale'
         ORDER BY l.at DESC, l.store_id, l.terminal_id, l.receipt_no, l.line_no",
    )
    .bind(id)
    .bind(now - Duration::days(PLAN_HISTORY_DAYS))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Newest first: a product is named and classified as it last sold.
    let mut catalogue: Vec<ProductInfo> = Vec::new();
    let mut index: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
    let mut purchases = Vec::with_capacity(rows.len());
    for r in &rows {
        let gtin: i64 = r.get(0);
        let product = match index.get(&gtin) {
            Some(&p) => p,
            None => {
                let Some(parsed) = crate::domain::gs1::Gtin::from_gtin14_value(gtin as u64) else {
                    continue;
                };
                let text = |i: usize| Some(r.get::<String>(i)).filter(|t| !t.is_empty());
                catalogue.push(ProductInfo {
                    id: parsed.to_string(),
                    gtin: parsed,
                    name: r.get(1),
                    department: text(2),
                    category: text(3),
                    brand: BrandType::Unknown,
                    // Sold through the chain's tills, so the chain sells it.
                    stocked: true,
                });
                let p = catalogue.len() as u32 - 1;
                index.insert(gtin, p);
                p
            }
        };
        purchases.push(Purchase {
            product,
            at: r.get(6),
            amount: r.get::<i64>(4) + r.get::<i64>(5),
        });
    }
    let loaded = crate::lists::load::Loaded::from_parts(
        catalogue,
        vec![MemberHistory {
            member_id: id.to_string(),
            purchases,
        }],
    );
    // Asked for by name: made whatever the member spent lately.
    let params = Params {
        min_weekly_spend: i64::MIN,
        ..params.clone()
    };
    let made = super::lists::period_plan(&loaded, &[], now, &params);
    let Some(list) = made.lists.into_iter().find(|l| l.member_id == id) else {
        return Ok(Vec::new());
    };
    let mut items: Vec<PlanItem> = list
        .items
        .iter()
        .filter_map(|item| {
            let Basis::Own(features) = &item.basis else {
                return None;
            };
            if features.own_interval.is_none() || features.due_in >= PLAN_DAYS as f64 {
                return None;
            }
            let product = &loaded.catalogue[item.product as usize];
            Some(PlanItem {
                gtin: product.gtin.to_string(),
                name: product.name.clone(),
                category: product.category.clone(),
                due_in_days: features.due_in.round() as i64,
                reason: item.reason.clone(),
            })
        })
        .collect();
    items.sort_by(|a, b| a.due_in_days.cmp(&b.due_in_days).then(a.gtin.cmp(&b.gtin)));
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_reads_back_as_it_was_written() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let bill = Bill {
            at,
            local_day: NaiveDate::from_ymd_opt(2026, 3, 1),
            store_id: "S1".into(),
            terminal_id: "T01".into(),
            receipt_no: 7,
            kind: "sale".into(),
            total: 1130,
            tax: 130,
            net: Some(1000),
            discount: Some(0),
            items: Some(2),
        };
        let view = MemberView {
            as_of: at,
            record: MemberRecord {
                number: "M1".into(),
                name: "Acme Catering".into(),
                address: Some("1 Market St".into()),
                phone: None,
                email: None,
                card_opened: NaiveDate::from_ymd_opt(2020, 5, 1),
                customer_type: Some(CustomerType::Business),
                tier: "gold".into(),
                home_store: Some("S1".into()),
            },
            cards: Vec::new(),
            points: PointsLedger {
                balance: 5,
                entries: Vec::new(),
            },
            history: BillPage {
                bills: vec![bill.clone()],
                next_before: None,
            },
            spend_by_year: Vec::new(),
            visits: Visits {
                bills: 1,
                returns: 0,
                spent: 1130,
                first: Some(at),
                last: Some(at),
                stores: Vec::new(),
            },
            largest_purchase: Some(LargestPurchase {
                bill,
                lines: Vec::new(),
            }),
            coupons: Vec::new(),
            lists: Vec::new(),
            open_complaints: Vec::new(),
            plan: Vec::new(),
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["record"]["customer_type"], "business");
        let back: MemberView = serde_json::from_value(json).unwrap();
        assert_eq!(back, view);
    }
}
