//! HQ's rules through its library API, each test once on PostgreSQL and once on the
//! embedded SQLite file: many terminals posting at once, every batch sent twice at once,
//! apply every event exactly once (on SQLite the writers serialize and wait for each other; on
//! PostgreSQL they lock the accounts they move); and points redeemed at two offline tills
//! beyond the balance are applied and the second recorded as an overdraft whose shortfall
//! accounts for the balance below zero; a store's own price set through the admin API is in
//! that store's catalogue data set and no other's; a batch mixing sales, a duplicate, a
//! complaint and a coupon used twice moves the ledger exactly as its events would one by one
//! (PostgreSQL stores runs of sales set-based, SQLite row by row). Every event is one an
//! honest till makes: its members are HQ's, its transfers derive from its receipt.

use crate::common;

use common::hq::Database;
use serde_json::json;
use storepos::hq::{HqStore, TerminalId};
use storepos_sync::Envelope;

crate::on_each_backend!(
    many_terminals_at_once_with_every_batch_twice_apply_each_event_once,
    points_spent_at_two_offline_tills_are_an_overdraft_in_the_report,
    a_store_price_reaches_that_store_catalogue_only,
    one_batch_of_mixed_events_moves_the_ledger_as_its_events_one_by_one,
);

/// A member sale of receipt `seq` earning `earn` and redeeming `redeem` points, as an
/// honest till makes it.
fn sale(store: &str, terminal: &str, seq: u64, member: &str, earn: i64, redeem: i64) -> Envelope {
    common::events::member_sale(store, terminal, seq, member, earn, redeem)
}

/// Registers members at HQ (home store S001).
fn members(rt: &tokio::runtime::Runtime, store: &HqStore, ids: &[&str]) {
    for (i, id) in ids.iter().enumerate() {
        let m = common::events::member(id, &format!("6200{i:012}"), "S001");
        rt.block_on(store.upsert_member(&m)).unwrap();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn many_terminals_at_once_with_every_batch_twice_apply_each_event_once(db: Database) {
    const TERMINALS: usize = 12;
    const SALES: u64 = 40;
    let rt = runtime();
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    let tills: Vec<TerminalId> = (0..TERMINALS)
        .map(|t| TerminalId {
            store_id: format!("S00{}", t % 3),
            terminal_id: format!("T{t:02}"),
        })
        .collect();
    for till in &tills {
        rt.block_on(store.register_terminal(&till.store_id, &till.terminal_id))
            .unwrap();
    }
    let mut ids = vec!["SHARED".to_string()];
    for t in 0..TERMINALS {
        ids.extend([0, 2].map(|k| format!("M{t:02}{k}")));
    }
    members(
        &rt,
        &store,
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (t, till) in tills.iter().enumerate() {
            // Every odd sale earns the member all tills share 1 point, every even sale its
            // own member 5.
            let events: Vec<Envelope> = (1..=SALES)
                .map(|seq| {
                    let (member, points) = if seq % 2 == 1 {
                        ("SHARED".to_string(), 1)
                    } else {
                        (format!("M{t:02}{}", seq % 4), 5)
                    };
                    sale(&till.store_id, &till.terminal_id, seq, &member, points, 0)
                })
                .collect();
            // The terminal's batches in turn, each sent twice at once (a retry racing the
            // request whose answer was lost), while every other terminal does the same.
            let (store, till) = (store.clone(), till.clone());
            tasks.spawn(async move {
                for batch in events.chunks(10) {
                    let (first, again) =
                        tokio::join!(store.ingest(&till, batch), store.ingest(&till, batch));
                    let last = batch.last().unwrap().seq;
                    assert_eq!(first.unwrap().acked_seq, last);
                    assert_eq!(again.unwrap().acked_seq, last);
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    });
    for till in &tills {
        let reply = rt.block_on(store.ingest(till, &[])).unwrap();
        assert_eq!(
            (reply.acked_seq, reply.missing.len()),
            (SALES, 0),
            "{till:?}"
        );
    }
    let total = TERMINALS as i64 * SALES as i64;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), total);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM sales", &[]), total);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM point_transfers", &[]),
        total
    );
    let balance = |member: &str| {
        db.scalar(
            "SELECT balance FROM point_accounts WHERE member_id = $1",
            &[member],
        )
    };
    assert_eq!(
        balance("SHARED"),
        total / 2,
        "one point per odd sale, each once"
    );
    for t in 0..TERMINALS {
        for k in [0, 2] {
            assert_eq!(balance(&format!("M{t:02}{k}")), 5 * SALES as i64 / 4);
        }
    }
}

fn points_spent_at_two_offline_tills_are_an_overdraft_in_the_report(db: Database) {
    let rt = runtime();
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    let till = |t: &str| TerminalId {
        store_id: "S001".into(),
        terminal_id: t.into(),
    };
    for t in ["T01", "T02"] {
        rt.block_on(store.register_terminal("S001", t)).unwrap();
    }
    members(&rt, &store, &["OD1"]);
    rt.block_on(store.opening_balance("OD1", 100)).unwrap();
    // Both tills knew a balance of 100 and each let the member pay with 80 points.
    let first = sale("S001", "T01", 1, "OD1", 0, 80);
    let second = sale("S001", "T02", 1, "OD1", 0, 80);
    rt.block_on(store.ingest(&till("T01"), std::slice::from_ref(&first)))
        .unwrap();
    for _ in 0..2 {
        let reply = rt
            .block_on(store.ingest(&till("T02"), std::slice::from_ref(&second)))
            .unwrap();
        assert_eq!(reply.acked_seq, 1);
    }
    let balance = db.scalar(
        "SELECT balance FROM point_accounts WHERE member_id = $1",
        &["OD1"],
    );
    assert_eq!(balance, -60, "both redemptions applied, each once");
    let report = serde_json::to_value(rt.block_on(store.reconciliation()).unwrap()).unwrap();
    let overdrafts = report["point_overdrafts"].as_array().unwrap();
    assert_eq!(overdrafts.len(), 1, "{report}");
    assert_eq!(overdrafts[0]["member_id"], "OD1");
    assert_eq!(overdrafts[0]["transfer_id"], "S001/T02/1:redeem:0");
    assert_eq!(
        overdrafts[0]["shortfall"], 60,
        "the shortfall is exactly what the balance is below zero"
    );
}

fn a_store_price_reaches_that_store_catalogue_only(db: Database) {
    let rt = runtime();
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    let product = |gtin: &str, price: i64, member: Option<i64>| {
        serde_json::from_value::<storepos::domain::product::Product>(json!({
            "gtin": gtin, "name": "P", "name_en": null,
            "price": {"minor": price, "currency": "CNY"}, "tax_rate": 1300,
            "department": null, "category": null, "brand_type": "national",
            "manufacturer": null,
            "member_price": member.map(|m| json!({"minor": m, "currency": "CNY"})),
            "bonus_points": "none", "weighed": false, "plu": null, "restricted": false,
            "external_id": null}))
        .unwrap()
    };
    const WATER: &str = "6901234567892";
    const MILK: &str = "6904000000111";
    rt.block_on(store.put_products(&[product(WATER, 200, None), product(MILK, 5400, Some(4800))]))
        .unwrap();
    let tokens: Vec<String> = ["S001", "S002"]
        .iter()
        .map(|s| rt.block_on(store.register_terminal(s, "T01")).unwrap())
        .collect();
    let app = storepos::hq::api::router(
        store.clone(),
        storepos::hq::api::ApiSettings {
            admin_token: Some("staff".into()),
            ..Default::default()
        },
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/v1/", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let put = |store: &str, body: serde_json::Value| {
        let request = http
            .put(format!("{url}admin/prices/{store}"))
            .bearer_auth("staff")
            .json(&body)
            .send();
        rt.block_on(async { request.await.unwrap().status().as_u16() })
    };
    let prices = |token: &str| -> Vec<(i64, Option<i64>)> {
        let request = http
            .get(format!("{url}checkpoints/catalogue"))
            .bearer_auth(token)
            .send();
        let checkpoint: serde_json::Value =
            rt.block_on(async { request.await.unwrap().json().await.unwrap() });
        checkpoint["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["price"]["minor"].as_i64().unwrap(),
                    p["member_price"]["minor"].as_i64(),
                )
            })
            .collect()
    };
    // Bad requests change nothing: an unknown product, a malformed or negative price, a bad
    // store id, even beside a good line.
    for (store_id, body) in [
        (
            "S002",
            json!([{"gtin": WATER, "price": "1.50"}, {"gtin": "6920000000159", "price": "1.00"}]),
        ),
        ("S002", json!([{"gtin": WATER, "price": "1.5x"}])),
        ("S002", json!([{"gtin": WATER, "price": "-1.00"}])),
        ("S002", json!([{"gtin": "6901234567893", "price": "1.00"}])),
        ("S 2", json!([{"gtin": WATER, "price": "1.00"}])),
    ] {
        assert_eq!(put(store_id, body.clone()), 422, "{store_id} {body}");
    }
    assert_eq!(
        put("S002", json!([{"gtin": WATER}])),
        422,
        "price must be given or null"
    );
    assert_eq!(prices(&tokens[1]), vec![(200, None), (5400, Some(4800))]);
    // S002's own prices: water cheaper, milk below the chain's member price.
    assert_eq!(
        put(
            "S002",
            json!([{"gtin": WATER, "price": "1.50"}, {"gtin": MILK, "price": "45.00"}])
        ),
        200
    );
    assert_eq!(prices(&tokens[1]), vec![(150, None), (4500, Some(4500))]);
    assert_eq!(
        prices(&tokens[0]),
        vec![(200, None), (5400, Some(4800))],
        "S001 keeps the chain's"
    );
    // Back to the chain's price for water.
    assert_eq!(put("S002", json!([{"gtin": WATER, "price": null}])), 200);
    assert_eq!(prices(&tokens[1]), vec![(200, None), (4500, Some(4500))]);
}

/// A sale event as [`sale`] makes it, also redeeming `coupons` (id, amount).
fn sale_with_coupons(seq: u64, member: &str, earn: i64, coupons: &[(&str, i64)]) -> Envelope {
    let mut e = sale("S001", "T01", seq, member, earn, 0);
    e.payload["sale"]["loyalty"]["coupons"] = json!(
        coupons
            .iter()
            .map(|(id, amount)| json!({"coupon_id": id, "title": "Coupon", "amount": amount}))
            .collect::<Vec<_>>()
    );
    e
}

fn one_batch_of_mixed_events_moves_the_ledger_as_its_events_one_by_one(db: Database) {
    let rt = runtime();
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    let till = TerminalId {
        store_id: "S001".into(),
        terminal_id: "T01".into(),
    };
    rt.block_on(store.register_terminal("S001", "T01")).unwrap();
    members(&rt, &store, &["A", "B"]);
    rt.block_on(store.opening_balance("A", 100)).unwrap();
    let complaint = common::events::envelope(
        "S001",
        "T01",
        3,
        "complaint.recorded",
        common::events::complaint(1, Some("A"), "Queue too long"),
    );
    let second = sale("S001", "T01", 2, "A", 0, 60);
    let batch = vec![
        sale("S001", "T01", 1, "A", 0, 60), // 100 → 40
        second.clone(),                     // 40 → -20: 20 short
        complaint,
        sale("S001", "T01", 4, "A", 10, 0), // A -10
        second,                             // sent twice: once
        sale("S001", "T01", 5, "A", 0, 70), // -10 → -80: all 70 short
        sale_with_coupons(6, "B", 6, &[("C1", 150)]),
        sale_with_coupons(7, "B", 1, &[("C1", 150), ("C2", 90)]),
    ];
    let reply = rt.block_on(store.ingest(&till, &batch)).unwrap();
    assert_eq!((reply.acked_seq, reply.missing.len()), (7, 0));
    let check = |a: i64, b: i64, sales: i64| {
        let balance = |m: &str| {
            db.scalar(
                "SELECT balance FROM point_accounts WHERE member_id = $1",
                &[m],
            )
        };
        assert_eq!((balance("A"), balance("B")), (a, b));
        assert_eq!(db.scalar("SELECT COUNT(*) FROM sales", &[]), sales);
        let shortfall = |t: &str| {
            db.scalar(
                "SELECT shortfall FROM point_overdrafts WHERE transfer_id = $1",
                &[t],
            )
        };
        assert_eq!(db.scalar("SELECT COUNT(*) FROM point_overdrafts", &[]), 2);
        assert_eq!(shortfall("S001/T01/2:redeem:0"), 20);
        assert_eq!(
            shortfall("S001/T01/5:redeem:0"),
            70,
            "never more than the debit"
        );
        assert_eq!(db.scalar("SELECT COUNT(*) FROM complaints", &[]), 1);
        let winner = |c: &str| {
            db.scalar(
                "SELECT receipt_no FROM coupon_redemptions WHERE coupon_id = $1",
                &[c],
            )
        };
        assert_eq!((winner("C1"), winner("C2")), (6, 7), "first to arrive wins");
        assert_eq!(
            db.row(
                "SELECT COUNT(*), CAST(SUM(amount) AS BIGINT), MIN(receipt_no) FROM coupon_conflicts",
                &[]
            ),
            vec![1, 150, 7],
            "the second use of C1 is a conflict with its cost"
        );
    };
    check(-80, 7, 6);
    // The whole batch again with one new sale: only the new sale counts.
    let mut again = batch.clone();
    again.push(sale("S001", "T01", 8, "A", 80, 0));
    let reply = rt.block_on(store.ingest(&till, &again)).unwrap();
    assert_eq!(reply.acked_seq, 8);
    assert!(reply.refused.is_empty(), "{reply:?}");
    check(0, 7, 7);
}
