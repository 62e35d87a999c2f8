//! Tests of the per-member sheet against a small hand-made purchase history.

use super::*;
use crate::domain::member::{CardStatus, Consent, MemberCard};
use crate::store::history::{self, HistoryLine};
use crate::store::schema::migrate_catalogue;

const MILK: u64 = 1001;
const BREAD: u64 = 1002;
const TV: u64 = 1003;
const EGGS: u64 = 1004;
/// Sold once, no longer in the catalogue.
const GONE: u64 = 9999;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    at("2024-06-15T12:00:00Z")
}

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate_catalogue(&mut conn).unwrap();
    for (gtin, name, department, category) in [
        (MILK, "Milk", "Fresh", "Dairy"),
        (BREAD, "Bread", "Fresh", "Bakery"),
        (TV, "Television", "Non-food", "Electronics"),
        (EGGS, "Eggs", "Fresh", "Dairy"),
    ] {
        conn.execute(
            "INSERT INTO products (gtin, name, price, tax_bp, department, category)
             VALUES (?1, ?2, 100, 1300, ?3, ?4)",
            rusqlite::params![gtin as i64, name, department, category],
        )
        .unwrap();
    }
    for id in ["M1", "M2"] {
        let member = Member {
            id: id.into(),
            name: format!("Member {id}"),
            phone: None,
            email: None,
            address: None,
            customer_type: None,
            cards: vec![MemberCard {
                number: format!("C{id}"),
                status: CardStatus::Active,
            }],
            card_opened: None,
            tier: "standard".into(),
            home_store: None,
            consent: Consent::default(),
            points_balance: 0,
        };
        members::upsert(&conn, &member, None).unwrap();
    }
    conn
}

fn buy(conn: &Connection, basket: &str, when: &str, lines: &[(u64, i64, i64)]) {
    for &(gtin, quantity, amount) in lines {
        history::insert(
            conn,
            &HistoryLine {
                member_id: "M1".into(),
                store_id: "S1".into(),
                basket_id: basket.into(),
                gtin,
                quantity,
                amount,
                retail_disc: 0,
                coupon_disc: 0,
                at: when.into(),
            },
        )
        .unwrap();
    }
}

/// Six baskets up to 15 June 2024 and one after it.
fn history(conn: &Connection) {
    buy(
        conn,
        "B1",
        "2023-05-01T10:00:00Z",
        &[(TV, 1000, 300_000), (MILK, 1000, 250), (MILK, 1000, 250)],
    );
    buy(conn, "B0", "2023-12-20T10:00:00Z", &[(BREAD, 1000, 800)]);
    buy(
        conn,
        "B2",
        "2024-01-10T10:00:00Z",
        &[(MILK, 1000, 500), (BREAD, 1000, 800)],
    );
    buy(
        conn,
        "B3",
        "2024-01-24T10:00:00Z",
        &[(MILK, 1000, 500), (EGGS, 1000, 1200), (MILK, 1000, 500)],
    );
    buy(
        conn,
        "B4",
        "2024-02-07T10:00:00Z",
        &[(MILK, 1200, 600), (GONE, 1000, 1000)],
    );
    buy(conn, "B5", "2024-03-06T10:00:00Z", &[(BREAD, 1000, 800)]);
    buy(conn, "B6", "2024-07-01T10:00:00Z", &[(MILK, 1000, 500)]);
}

fn sheet_of_m1() -> MemberSheet {
    let conn = db();
    history(&conn);
    sheet(&conn, "M1", now(), Currency::CNY).unwrap().unwrap()
}

#[test]
fn recent_baskets_are_newest_first_and_ignore_the_future() {
    let s = sheet_of_m1();
    let order: Vec<&str> = s.recent.iter().map(|b| b.basket_id.as_str()).collect();
    assert_eq!(order, ["B5", "B4", "B3", "B2", "B0", "B1"]);
    let b3 = &s.recent[2];
    assert_eq!((b3.lines, b3.total), (3, 2200));
    assert_eq!(b3.at, at("2024-01-24T10:00:00Z"));
    assert_eq!(s.member.id, "M1");
    assert_eq!(s.currency, Currency::CNY);
}

#[test]
fn spend_per_category_covers_this_calendar_year() {
    let s = sheet_of_m1();
    assert_eq!(s.year, 2024);
    let spend: Vec<(Option<&str>, Option<&str>, i64, u32)> = s
        .spend_by_category
        .iter()
        .map(|c| {
            (
                c.category.as_deref(),
                c.department.as_deref(),
                c.spend,
                c.baskets,
            )
        })
        .collect();
    assert_eq!(
        spend,
        [
            (Some("Dairy"), Some("Fresh"), 3300, 3),
            (Some("Bakery"), Some("Fresh"), 1600, 2),
            (None, None, 1000, 1),
        ]
    );
}

#[test]
fn largest_purchase_with_its_top_products() {
    let s = sheet_of_m1();
    let largest = s.largest_purchase.unwrap();
    assert_eq!(largest.basket.basket_id, "B1");
    assert_eq!((largest.basket.lines, largest.basket.total), (3, 300_500));
    let top: Vec<(u64, Option<&str>, i64, i64)> = largest
        .top_lines
        .iter()
        .map(|l| (l.gtin, l.name.as_deref(), l.quantity, l.amount))
        .collect();
    // The two milk lines count as one product.
    assert_eq!(
        top,
        [
            (TV, Some("Television"), 1000, 300_000),
            (MILK, Some("Milk"), 2000, 500)
        ]
    );
}

#[test]
fn visits_and_spend_over_the_last_twelve_months() {
    let s = sheet_of_m1();
    let p = &s.last_12_months;
    assert_eq!(p.since, at("2023-06-15T12:00:00Z"));
    // B0, B2, B3, B4, B5: B1 is older, B6 is later than now.
    assert_eq!((p.visits, p.spend, p.average_basket), (5, 6700, 1340));
}

#[test]
fn purchase_plan_from_products_bought_in_three_baskets() {
    let s = sheet_of_m1();
    let plan: Vec<(u64, u32, u32, DateTime<Utc>, i64)> = s
        .plan
        .iter()
        .map(|p| {
            (
                p.gtin,
                p.baskets,
                p.interval_days,
                p.next_due,
                p.due_in_days,
            )
        })
        .collect();
    assert_eq!(
        plan,
        [
            // Milk in B1, B2, B3, B4 (twice in B1 and B3 counts once): gaps of 254, 14
            // and 14 days, median 14.
            (MILK, 4, 14, at("2024-02-21T10:00:00Z"), -115),
            // Bread in B0, B2, B5: gaps of 21 and 56 days, median 38.5, rounded to 39.
            (BREAD, 3, 39, at("2024-04-14T10:00:00Z"), -62),
        ]
    );
    assert_eq!(s.plan[0].name.as_deref(), Some("Milk"));
    assert_eq!(s.plan[0].last_bought, at("2024-02-07T10:00:00Z"));
    assert_eq!(s.plan[1].category.as_deref(), Some("Bakery"));
}

#[test]
fn a_member_without_history_has_an_empty_sheet() {
    let conn = db();
    history(&conn);
    let s = sheet(&conn, "M2", now(), Currency::CNY).unwrap().unwrap();
    assert!(s.recent.is_empty() && s.spend_by_category.is_empty() && s.plan.is_empty());
    assert!(s.largest_purchase.is_none());
    assert_eq!(
        (s.last_12_months.visits, s.last_12_months.average_basket),
        (0, 0)
    );
    assert!(
        sheet(&conn, "nobody", now(), Currency::CNY)
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_sheet_serialises_and_reading_it_writes_nothing() {
    let conn = db();
    history(&conn);
    let before = conn.total_changes();
    let s = sheet(&conn, "M1", now(), Currency::CNY).unwrap().unwrap();
    assert_eq!(conn.total_changes(), before);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["last_12_months"]["spend"], 6700);
    assert_eq!(json["plan"][0]["interval_days"], 14);
    assert_eq!(json["recent"][0]["basket_id"], "B5");
}

#[test]
fn a_garbled_purchase_time_is_reported() {
    let conn = db();
    buy(&conn, "BX", "yesterday", &[(MILK, 1000, 500)]);
    let err = sheet(&conn, "M1", now(), Currency::CNY).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("yesterday")),
        "{err}"
    );
}

#[test]
fn rounding_to_the_nearest_unit() {
    assert_eq!(div_round(7, 2), 4);
    assert_eq!(div_round(-7, 2), -4);
    assert_eq!(div_round(6700, 5), 1340);
    assert_eq!(div_round(10, 3), 3);
    assert_eq!(div_round(5, 0), 0);
}
