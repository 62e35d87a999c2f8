//! HQ's biweekly shopping lists through its library API, on PostgreSQL and on the embedded
//! SQLite file: lists are made from the purchases the tills reported before the period,
//! only for members who qualify, signed so a till verifies them, sent to the member's home
//! store only; running a period twice adds nothing; a deal's budget holds across periods;
//! and the manufacturer report counts offers issued and redeemed with their cost and names
//! no member.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use common::hq::Database;
use serde_json::{Value, json};
use storepos::domain::coupon::{ListCode, PrintedCode, parse_printed};
use storepos::domain::gs1::Gtin;
use storepos::domain::lists::Params;
use storepos::domain::member::Member;
use storepos::domain::money::Currency;
use storepos::hq::lists::{PERIOD_DAYS, period_start};
use storepos::hq::{HqStore, TerminalId};
use storepos_sync::Envelope;

crate::on_each_backend!(lists_reach_home_stores_once_within_budget_and_report_without_names);

fn gtin(body: u64) -> Gtin {
    Gtin::gtin13_from_body(body).unwrap()
}

fn product(body: u64, name: &str, category: &str, brand: &str) -> Value {
    json!({"gtin": gtin(body).to_string(), "name": name, "name_en": null,
        "price": {"minor": 500, "currency": "CNY"}, "tax_rate": 1300, "department": "Grocery",
        "category": category, "brand_type": brand, "manufacturer": null, "member_price": null,
        "bonus_points": "none", "weighed": false, "plu": null, "restricted": false,
        "external_id": format!("P{body}")})
}

fn member(id: &str, home: &str) -> Member {
    serde_json::from_value(
        json!({"id": id, "name": format!("Name of {id}"), "phone": null,
        "email": null, "address": null, "cards": [], "card_opened": null, "tier": "standard",
        "home_store": home, "consent": {"marketing": true, "profiling": true},
        "points_balance": 0}),
    )
    .unwrap()
}

/// A member's sale of `amount` (minor units) of each product, at `at`; with coupon uses.
fn sale(
    till: &TerminalId,
    seq: u64,
    member: &str,
    at: DateTime<Utc>,
    lines: &[(u64, i64)],
    coupons: &[(&str, i64)],
) -> Envelope {
    let mut sale =
        serde_json::to_value(storepos::store::sales::sample_sale(lines.len(), seq)).unwrap();
    for (i, (body, amount)) in lines.iter().enumerate() {
        let line = &mut sale["lines"][i];
        line["gtin"] = json!(gtin(*body).value());
        line["amount"] = json!(amount);
        line["unit_price"] = json!(amount);
        line["tax"] = json!(amount * 1300 / 11300);
    }
    // The record adds up, as a till's does (HQ refuses one that does not).
    let sum = |field: &str| -> i64 {
        sale["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l[field].as_i64().unwrap())
            .sum()
    };
    let (subtotal, tax) = (sum("amount"), sum("tax"));
    sale["subtotal"] = json!(subtotal);
    sale["tax"] = json!(tax);
    sale["total"] = json!(subtotal);
    sale["change"] = json!(0);
    sale["tenders"] = json!([{"kind": "cash", "amount": subtotal, "reference": null}]);
    sale["member_id"] = json!(member);
    if !coupons.is_empty() {
        sale["loyalty"] = json!({
            "member_id": member, "name": "M", "tier": "standard", "earned": 0, "redeemed": 0,
            "balance_before": 0, "balance_after": 0, "transfers": [],
            "coupons": coupons.iter().map(|(id, amount)| json!({"coupon_id": id, "title": "t", "amount": amount})).collect::<Vec<_>>(),
        });
    }
    serde_json::from_value(json!({
        "id": uuid::Uuid::now_v7(), "store_id": till.store_id, "terminal_id": till.terminal_id,
        "seq": seq, "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
        "at": at}))
    .unwrap()
}

fn lists_reach_home_stores_once_within_budget_and_report_without_names(db: Database) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let currency = Currency::CNY;
    let params = Params::default();
    let start = period_start(Utc::now());
    let next = start + Duration::days(PERIOD_DAYS);
    let till = TerminalId {
        store_id: "S1".into(),
        terminal_id: "T01".into(),
    };
    let run = rt.block_on(async {
        store.register_terminal("S1", "T01").await.unwrap();
        for (id, home) in [("M1", "S1"), ("M2", "S2"), ("M3", "S1")] {
            store.upsert_member(&member(id, home)).await.unwrap();
        }
        let products: Vec<storepos::domain::product::Product> = serde_json::from_value(json!([
            product(200_000_000_001, "Oat flakes", "CEREAL", "national"),
            product(200_000_000_002, "Milk", "DAIRY", "national"),
            product(200_000_000_003, "Caviar", "LUXURY", "national"),
        ]))
        .unwrap();
        store.put_products(&products).await.unwrap();
        // A budget of 1.50 for offers of up to 1.00 (less for members of lesser segments):
        // it cannot cover every eligible member in both periods.
        let deal = json!({"id": "OATS-1", "title": "1.00 off oat flakes",
            "funding": {"manufacturer": "Acme Mills"}, "target": {"product": "P200000000001"},
            "discount": {"amount": "1.00"}, "budget": "1.50",
            "valid_from": (start - Duration::days(30)).to_rfc3339(),
            "valid_until": (next + Duration::days(60)).to_rfc3339()});
        store.put_deals(&[deal], currency).await.unwrap();
        let bad = json!({"id": "X", "title": "unknown product", "funding": "store",
            "target": {"product": "NOPE"}, "discount": {"amount": "1.00"}, "budget": "9.00",
            "valid_from": "2024-01-01", "valid_until": "2030-01-01"});
        assert!(store.put_deals(&[bad], currency).await.is_err());

        // Ten weeks of weekly shopping before the period: M1 and M2 spend 40.00 a week on
        // oats and milk, M3 2.00 a week (below the 25.00 threshold). M1 buys caviar only
        // after the period starts: that cannot be on a list made as of its start.
        let mut events = Vec::new();
        let mut seq = 0;
        for week in (1..=10).rev() {
            let at = start - Duration::days(7 * week) + Duration::hours(10);
            for (m, amount) in [("M1", 2000), ("M2", 2000), ("M3", 100)] {
                seq += 1;
                events.push(sale(
                    &till,
                    seq,
                    m,
                    at,
                    &[(200_000_000_001, amount), (200_000_000_002, amount)],
                    &[],
                ));
            }
        }
        seq += 1;
        events.push(sale(
            &till,
            seq,
            "M1",
            start + Duration::hours(1),
            &[(200_000_000_003, 90_000)],
            &[],
        ));
        // A sale HQ refuses (it does not add up) is parked, and says nothing about what M3
        // bought: its 4,000.00 must not make M3 qualify. (Sequence 32 comes later.)
        let mut refused = sale(
            &till,
            seq + 2,
            "M3",
            start - Duration::days(3),
            &[(200_000_000_001, 200_000), (200_000_000_002, 200_000)],
            &[],
        );
        refused.payload["sale"]["total"] = json!(1);
        events.push(refused);
        let reply = store.ingest(&till, &events).await.unwrap();
        assert_eq!(reply.refused.len(), 1, "the unbalanced sale is parked");

        let run = store
            .make_lists(&key, start, &params, currency)
            .await
            .unwrap();
        assert_eq!((run.members, run.lists), (3, 2), "{run:?}");
        assert!(run.offers >= 1, "{run:?}");
        assert!(store.list_run_done(start).await.unwrap());
        // The same period again adds nothing.
        store
            .make_lists(&key, start, &params, currency)
            .await
            .unwrap();
        run
    });
    assert_eq!(db.scalar("SELECT COUNT(*) FROM shopping_lists", &[]), 2);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM list_offers", &[]),
        run.offers as i64
    );

    let (s1, s2) = rt.block_on(async {
        (
            store.store_lists("S1", start).await.unwrap(),
            store.store_lists("S2", start).await.unwrap(),
        )
    });
    assert_eq!(
        s1.iter().map(|c| c.member_id.as_str()).collect::<Vec<_>>(),
        ["M1"]
    );
    assert_eq!(
        s2.iter().map(|c| c.member_id.as_str()).collect::<Vec<_>>(),
        ["M2"]
    );
    let mut offered_to = None;
    for code in s1.iter().chain(&s2) {
        assert_eq!(code.kind, "list");
        let Ok(Some(PrintedCode::List(ListCode::Full(list)))) = parse_printed(&code.code) else {
            panic!("not a full list code: {}", code.code);
        };
        list.verify(&key.verifying_key()).unwrap();
        let names: Vec<&str> = list.list.items.iter().map(|i| i.name.as_str()).collect();
        assert!(
            names.contains(&"Oat flakes") && names.contains(&"Milk"),
            "{names:?}"
        );
        assert!(
            !names.contains(&"Caviar"),
            "a purchase after the cut-off was used"
        );
        if let Some(c) = list.list.coupons.first() {
            offered_to = Some((code.member_id.clone(), c.coupon.id.clone()));
        }
    }
    let (member_with_offer, coupon) = offered_to.expect("one member got the oats offer");
    // The coupons data set carries the store's lists beside its coupons.
    let codes = rt.block_on(store.store_codes("S1")).unwrap();
    assert!(
        codes
            .iter()
            .any(|c| c.kind == "list" && c.member_id == "M1")
    );

    let second = rt.block_on(async {
        // The member redeems the offer; the next period shares out only what is left.
        let redeem = sale(
            &till,
            32,
            &member_with_offer,
            start + Duration::days(2),
            &[(200_000_000_001, 2000)],
            &[(&coupon, 100)],
        );
        store.ingest(&till, &[redeem]).await.unwrap();
        store
            .make_lists(&key, next, &params, currency)
            .await
            .unwrap()
    });
    let reserved = db.scalar(
        "SELECT CAST(SUM(max_value) AS BIGINT) FROM list_offers",
        &[],
    );
    assert!(
        reserved <= 150,
        "the deal's budget was overspent: {reserved}"
    );

    let report = rt.block_on(store.manufacturer_report()).unwrap();
    let acme = report["funding_parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["funded_by"] == "Acme Mills")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(
        acme["offers_issued"],
        (run.offers + second.offers) as i64,
        "{report}"
    );
    assert_eq!(acme["offers_redeemed"], 1, "{report}");
    assert_eq!(acme["cost"], 100, "{report}");
    assert_eq!(acme["reserved"], reserved, "{report}");
    let reached: i64 = acme["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["lists_reached"].as_i64().unwrap())
        .sum();
    assert_eq!(reached, (run.offers + second.offers) as i64, "{report}");
    let text = report.to_string();
    for m in ["M1", "M2", "M3", "Name of"] {
        assert!(!text.contains(m), "the report names a member: {text}");
    }
}
