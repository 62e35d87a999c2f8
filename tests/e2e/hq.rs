//! HQ end to end, each test once on real PostgreSQL and once on the embedded SQLite file:
//! `storepos hq` serves members and takes terminal events; a terminal finds a member it has
//! never seen through HQ (one card, every store) and carries on when HQ is gone; bad
//! requests get 4xx with a message; replays change nothing; a terminal's token is refused
//! for another store's events.

use crate::common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::hq::{
    Database, Hq, import_demo_members, register, run_ok, second_till, setup, storepos,
};

crate::on_each_backend!(
    a_card_from_another_store_is_found_at_hq_and_offline_the_till_sells_on,
    bad_requests_get_4xx_replays_change_nothing_and_tokens_are_scoped,
    a_terminal_uploads_its_sales_and_hq_balances_match_the_till,
    a_terminal_offline_for_a_week_keeps_selling_and_catches_up,
    members_reach_the_other_tills_of_the_store_with_balances_and_blocked_cards,
    double_redemption_across_tills_is_reported_and_points_expire_once,
    the_catalogue_and_promotions_administered_at_hq_reach_the_tills,
);

fn a_card_from_another_store_is_found_at_hq_and_offline_the_till_sells_on(db: Database) {
    let (work, _token) = setup(&db);
    let hq = Hq::start(work.path());
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"7700000000001234"}
{"scan":"6901234567892"}
"#;
    let out = common::run_script(work.path(), script);
    let badge = &out[2]["member"];
    assert_eq!(badge["name"], "Ana Souza", "{}", out[2]);
    assert_eq!(badge["points"], 900);
    drop(hq);
    // HQ gone: the member is now in the till's cache; an unknown card is just unknown, fast.
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"swipe":";7700000000001234=4912?"}
{"member":"7700000000005678"}
{"scan":"6901234567892"}
{"tender":{"cash":"2.00"}}
"#;
    let started = Instant::now();
    let out = common::run_script(work.path(), script);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out[1]["member"]["name"], "Ana Souza", "{}", out[1]);
    assert_eq!(out[2]["error"]["code"], "unknown_member", "{}", out[2]);
    assert_eq!(out[4]["sale"]["receipt_no"], 1, "{}", out[4]);
}

fn bad_requests_get_4xx_replays_change_nothing_and_tokens_are_scoped(db: Database) {
    let (work, token) = setup(&db);
    let other = register(work.path(), "S002", "T09");
    let hq = Hq::start(work.path());
    let http = reqwest::blocking::Client::new();
    let post = |token: &str, body: String| {
        let r = http
            .post(format!("{}v1/events", hq.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let event = |seq: u64, points: i64| {
        let sale = storepos::store::sales::sample_sale(1, seq);
        let mut sale = serde_json::to_value(&sale).unwrap();
        sale["member_id"] = json!("7700000000001234");
        sale["loyalty"] = json!({
            "member_id": "7700000000001234", "name": "Ana", "tier": "silver", "earned": points,
            "redeemed": 0, "balance_before": 0, "balance_after": points,
            "transfers": [{"id": format!("S001/T01/{seq}:earn:0"), "member_id": "7700000000001234",
                "kind": "earn", "points": points, "at": "2017-12-04T01:00:00Z",
                "source": format!("S001/T01/{seq}"), "expires_at": null}]
        });
        json!({"id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01", "seq": seq,
               "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
               "at": "2017-12-04T01:00:00Z"})
    };
    let batch = |events: Vec<Value>| json!({ "events": events }).to_string();

    // Event 2 before 1: HQ keeps it, reports 1 missing, acknowledges nothing yet.
    let (first, second, third) = (event(1, 1), event(2, 2), event(3, 3));
    let (status, reply) = post(&token, batch(vec![second.clone()]));
    assert_eq!(
        (status, &reply["acked_seq"], &reply["missing"]),
        (200, &json!(0), &json!([{"first": 1, "last": 1}]))
    );
    let (_, reply) = post(
        &token,
        batch(vec![first.clone(), second.clone(), third.clone()]),
    );
    assert_eq!(
        reply,
        json!({"acked_seq": 3, "missing": [], "missing_total": 0})
    );
    // The same events again change nothing; other events under the same sequences (new
    // ids, as a till whose data directory was re-created would send) are a conflict that
    // changes nothing either.
    let (_, reply) = post(&token, batch(vec![first, third]));
    assert_eq!(reply["acked_seq"], 3);
    let (status, reply) = post(&token, batch(vec![event(1, 1), event(3, 3)]));
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["conflict"]["seq"], 1, "{reply}");
    let member = http
        .get(format!("{}v1/members/7700000000001234", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(member["points_balance"], 900 + 1 + 2 + 3, "{member}");

    // Another store's token cannot send this terminal's events.
    let (status, reply) = post(&other, batch(vec![event(4, 4)]));
    assert_eq!(status, 403, "{reply}");
    // No token, a wrong token, truncated JSON, wrong shapes: 4xx with a message.
    assert_eq!(post("nope", batch(vec![])).0, 401);
    let full = batch(vec![event(4, 4)]);
    for body in [
        full[..full.len() / 2].to_string(),
        "{}".into(),
        "[]".into(),
        "{\"events\":[{\"seq\":\"x\"}]}".into(),
    ] {
        let (status, reply) = post(&token, body.clone());
        assert!((400..500).contains(&status), "{status} for {body}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    }
    let r = http
        .get(format!("{}v1/members/not%20a%20card", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .get(format!("{}v1/members/1234567890", hq.url))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Metrics and the OpenAPI document are served, and the document names every route.
    let metrics = http
        .get(format!("{}metrics", hq.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("storepos_hq_events_total"), "{metrics}");
    let doc: Value = http
        .get(format!("{}openapi.json", hq.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for path in [
        "/health",
        "/metrics",
        "/openapi.json",
        "/v1/events",
        "/v1/journal/anchors",
        "/v1/members/{card}",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    drop(work);
}

fn a_terminal_uploads_its_sales_and_hq_balances_match_the_till(db: Database) {
    let (work, token) = setup(&db);
    import_demo_members(work.path());
    let hq = Hq::start(work.path());
    let script = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"6200123412341234"}
{"scan":"6904000000111"}
{"tender":{"points":200}}
{"tender":{"cash":"34.00"}}
{"member":"6200123412345678"}
{"scan":"6920000000159"}
{"tender":{"card":"39.90","ref":"K1"}}
{"complaint":{"member":"6200123412345678","content":"Rice bag torn"}}
{"status":{}}
"#;
    let out = common::run_script(work.path(), script);
    let zhang_after = out[5]["sale"]["receipt"].as_str().unwrap().to_string();
    let li_earned: i64 = {
        let receipt = out[8]["sale"]["receipt"].as_str().unwrap();
        let line = receipt.lines().find(|l| l.starts_with("本次积分")).unwrap();
        line.split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches('+')
            .parse()
            .unwrap()
    };
    let http = reqwest::blocking::Client::new();
    let balance = |card: &str| -> i64 {
        http.get(format!("{}v1/members/{card}", hq.url))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json::<Value>()
            .unwrap()["points_balance"]
            .as_i64()
            .unwrap()
    };
    // The till printed 张伟's new balance; HQ holds the same.
    let printed: i64 = zhang_after
        .lines()
        .find(|l| l.starts_with("积分余额"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(balance("6200123412341234"), printed);
    assert_eq!(balance("6200123412345678"), 3560 + li_earned);
    // Every sale and the complaint reached HQ, once.
    let sales = db.scalar("SELECT COUNT(*) FROM sales", &[]);
    let complaints = db.scalar("SELECT COUNT(*) FROM complaints", &[]);
    assert_eq!((sales, complaints), (2, 1));
    // A later session sees nothing left to send.
    let out = common::run_script(
        work.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"status\":{}}\n",
    );
    assert_eq!(out[1]["sync"]["backlog"], 0, "{}", out[1]);
}

fn a_terminal_offline_for_a_week_keeps_selling_and_catches_up(db: Database) {
    let (work, _token) = setup(&db);
    // HQ knows the chain's members, whose points the week's sales move.
    import_demo_members(work.path());
    // HQ is not running: a week of trading, 40 sales a day, members and points included.
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for day in 4..11 {
        script.push_str(&format!(
            "{{\"set_clock\":\"2017-12-{day:02}T09:00:00+08:00\"}}\n"
        ));
        for i in 0..40u32 {
            if i.is_multiple_of(2) {
                script.push_str("{\"member\":\"13800138000\"}\n");
            }
            script.push_str("{\"scan\":\"6904000000111\"}\n{\"tender\":{\"cash\":\"100.00\"}}\n");
        }
    }
    script.push_str("{\"status\":{}}\n");
    let out = common::run_script(work.path(), &script);
    let last = out.last().unwrap();
    assert_eq!(last["sync"]["online"], false, "{last}");
    assert_eq!(last["sync"]["backlog"], 280, "{last}");
    assert_eq!(out.iter().filter(|a| a["sale"].is_object()).count(), 280);
    // The link returns.
    let hq = Hq::start(work.path());
    let started = Instant::now();
    run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    assert!(started.elapsed() < Duration::from_secs(30));
    let sales = db.scalar("SELECT COUNT(*) FROM sales", &[]);
    assert_eq!(sales, 280);
    drop(hq);
}

fn members_reach_the_other_tills_of_the_store_with_balances_and_blocked_cards(db: Database) {
    let (t01, _token) = setup(&db);
    import_demo_members(t01.path());
    let hq = Hq::start(t01.path());
    // A second till of the same store.
    let t02 = second_till(t01.path(), "T02");

    let out = common::run_script(
        t01.path(),
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"6200123412341234"}
{"scan":"6904000000111"}
{"tender":{"points":500}}
{"tender":{"cash":"4.00"}}
{"replace_card":{"member":"6200123412345678","card":"6200123412345678"}}
"#,
    );
    let printed = out[5]["sale"]["receipt"].as_str().unwrap().to_string();
    let balance: i64 = printed
        .lines()
        .find(|l| l.starts_with("积分余额"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .parse()
        .unwrap();
    for dir in [&t01, &t02] {
        run_ok(storepos(dir.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    }
    let out = common::run_script(
        t02.path(),
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"member":"6200123412341234"}
{"swipe":";6200123412345678=4912?"}
"#,
    );
    assert_eq!(out[2]["member"]["points"], balance, "{}", out[2]);
    assert_eq!(out[2]["member"]["redeemable"], balance);
    assert_eq!(
        out[3]["error"]["code"], "bad_card",
        "blocked everywhere: {}",
        out[3]
    );
    // On the till that sold, HQ's balance now includes its movements: nothing is counted twice.
    let out = common::run_script(
        t01.path(),
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"member\":\"6200123412341234\"}\n",
    );
    assert_eq!(out[1]["member"]["points"], balance, "{}", out[1]);
    assert_eq!(out[1]["member"]["redeemable"], balance);
    drop(hq);
}

fn double_redemption_across_tills_is_reported_and_points_expire_once(db: Database) {
    let (t01, _) = setup(&db);
    import_demo_members(t01.path());
    let key = run_ok(storepos(t01.path()).args(["hq", "coupon-key"]))
        .trim()
        .to_string();
    let config = std::fs::read_to_string(t01.path().join("storepos.toml")).unwrap();
    let loyalty = format!(
        "[loyalty]\ncoupon_key = \"{key}\"\n[loyalty.points]\nexpiry = {{ after_months = 1 }}\n"
    );
    std::fs::write(
        t01.path().join("storepos.toml"),
        format!("{config}\n{loyalty}"),
    )
    .unwrap();
    let issued = run_ok(storepos(t01.path()).args([
        "hq",
        "issue-coupon",
        "--id",
        "X1",
        "--member",
        "6200123412341234",
        "--title",
        "Milk 5 off",
        "--amount",
        "5.00",
        "--product",
        "6904000000111",
        "--from",
        "2017-12-01T00:00:00Z",
        "--until",
        "2017-12-31T00:00:00Z",
    ]));
    let code = issued.lines().next().unwrap().to_string();
    // The id names that coupon: issued again to another member, it is refused.
    let again = storepos(t01.path())
        .args([
            "hq",
            "issue-coupon",
            "--id",
            "X1",
            "--member",
            "6200123412345678",
            "--title",
            "Milk 5 off",
            "--amount",
            "5.00",
            "--from",
            "2017-12-01T00:00:00Z",
            "--until",
            "2017-12-31T00:00:00Z",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && said.contains("coupon X1 was issued to member"),
        "{said}"
    );
    // A second till of the store, with the same configuration but its own token.
    let t02 = second_till(t01.path(), "T02");
    // HQ is down: both tills take the same coupon.
    let script = format!(
        r#"{{"set_clock":"2017-12-04T09:00:00+08:00"}}
{{"sign_in":{{"operator":"1001","pin":"1234"}}}}
{{"open_shift":{{"float":"0"}}}}
{{"scan":"{code}"}}
{{"scan":"6904000000111"}}
{{"tender":{{"cash":"49.00"}}}}
"#
    );
    let mut earned = 0;
    for dir in [&t01, &t02] {
        let out = common::run_script(dir.path(), &script);
        let sale = &out[5]["sale"];
        assert_eq!(sale["total"], "49.00", "{}", out[5]);
        let receipt = sale["receipt"].as_str().unwrap();
        earned += receipt
            .lines()
            .find(|l| l.starts_with("本次积分"))
            .and_then(|l| l.split_whitespace().last())
            .unwrap()
            .trim_start_matches('+')
            .parse::<i64>()
            .unwrap();
    }
    let hq = Hq::start(t01.path());
    for dir in [&t01, &t02] {
        run_ok(storepos(dir.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    }
    let report: Value =
        serde_json::from_str(&run_ok(storepos(t01.path()).args(["hq", "report"]))).unwrap();
    let conflicts = report["coupon_conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{report}");
    assert_eq!(conflicts[0]["coupon_id"], "X1");
    assert_eq!(report["coupon_conflict_cost"], 500);
    // Two months on, the points both sales earned expire, once.
    let first = run_ok(storepos(t01.path()).args(["hq", "expire", "--at", "2018-02-10T00:00:00Z"]));
    assert_eq!(first.trim(), format!("{earned} points expired"));
    let again = run_ok(storepos(t01.path()).args(["hq", "expire", "--at", "2018-02-11T00:00:00Z"]));
    assert_eq!(again.trim(), "0 points expired");
    let http = reqwest::blocking::Client::new();
    let token = std::fs::read_to_string(t01.path().join("storepos.toml"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("token = \"")
                .map(|t| t.trim_end_matches('"').to_string())
        })
        .unwrap();
    let member: Value = http
        .get(format!("{}v1/members/6200123412341234", hq.url))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        member["points_balance"], 12800,
        "the opening balance never expires: {member}"
    );
}

fn the_catalogue_and_promotions_administered_at_hq_reach_the_tills(db: Database) {
    let (work, _) = setup(&db);
    let config = std::fs::read_to_string(work.path().join("storepos.toml")).unwrap();
    std::fs::write(
        work.path().join("storepos.toml"),
        config.replace("[hq]\n", "[hq]\nadmin_token = \"staff-secret\"\n"),
    )
    .unwrap();
    let hq = Hq::start(work.path());
    let http = reqwest::blocking::Client::new();
    let put = |path: &str, token: &str, body: String| {
        let r = http
            .put(format!("{}v1/admin/{path}", hq.url))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let water = json!({"gtin":"6901234567892","name":"农夫山泉550ml","name_en":null,"price":{"minor":180,"currency":"CNY"},
        "tax_rate":1300,"department":"Grocery","category":"Beverages","brand_type":"national","manufacturer":null,
        "member_price":null,"bonus_points":"none","weighed":false,"plu":null,"restricted":false,"external_id":null});
    let products = json!([water]).to_string();
    assert_eq!(put("products", "wrong", products.clone()).0, 401);
    assert!((400..500).contains(&put("products", "staff-secret", "[{\"gtin\":".into()).0));
    let (status, reply) = put("products", "staff-secret", products);
    assert_eq!(status, 200, "{reply}");
    let backwards = json!([{"id":"P9","name":"backwards","start":"2031-01-01T00:00:00Z","end":"2017-01-01T00:00:00Z",
        "kind":{"percent_off":{"target":"any","basis_points":500}}}]);
    assert_eq!(
        put("promotions", "staff-secret", backwards.to_string()).0,
        422
    );
    let promo = json!([{"id":"P1","name":"水九折","start":"2017-01-01T00:00:00Z","end":"2031-01-01T00:00:00Z",
        "kind":{"percent_off":{"target":{"gtins":["6901234567892"]},"basis_points":1000}}}]);
    assert_eq!(put("promotions", "staff-secret", promo.to_string()).0, 200);

    let staff = json!([{"store_id":"S001","id":"1001","name":"陈小红","role":"cashier","pin":"8642"},
        {"store_id":"S002","id":"7001","name":"Elsewhere","role":"manager","pin":"1111"}]);
    assert_eq!(put("operators", "staff-secret", staff.to_string()).0, 200);
    let bad_pin = json!([{"store_id":"S001","id":"1002","name":"X","role":"cashier","pin":"12"}]);
    assert_eq!(put("operators", "staff-secret", bad_pin.to_string()).0, 422);

    let settings = |body: Value| {
        let r = http
            .put(format!("{}v1/admin/settings/S001", hq.url))
            .bearer_auth("staff-secret")
            .json(&body)
            .send()
            .unwrap();
        r.status().as_u16()
    };
    assert_eq!(settings(json!({"cash_rounding": "abc"})), 422);
    assert_eq!(settings(json!({"shop": "x"})), 422);
    assert_eq!(
        settings(
            json!({"name": "StorePOS 中关村店", "cash_rounding": "0.10", "points": {"earn_per_point": 100}})
        ),
        200
    );

    run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    let out = common::run_script(
        work.path(),
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"sign_in":{"operator":"1001","pin":"8642"}}
{"open_shift":{"float":"0"}}
{"scan":"6901234567892"}
{"scan":"6904000000111"}
{"sign_in":{"operator":"7001","pin":"1111"}}
{"tender":{"cash":"2.00"}}
"#,
    );
    // HQ's settings for the store: its name on the receipt, cash rounded to 0.10.
    let sale = &out[6]["sale"];
    assert_eq!(sale["total"], "1.60", "{sale}");
    assert!(
        sale["receipt"]
            .as_str()
            .unwrap()
            .contains("StorePOS 中关村店"),
        "{sale}"
    );
    // The store's operators are HQ's now: the new PIN works, the old one and another
    // store's operator do not.
    assert_eq!(out[0]["error"]["code"], "bad_credentials", "{}", out[0]);
    assert_eq!(out[5]["error"]["code"], "bad_credentials", "{}", out[5]);
    let out: Vec<Value> = out[1..].to_vec();
    // HQ's price (1.80) less HQ's promotion (10%); the milk HQ does not list is gone.
    assert_eq!(out[2]["basket"]["total"], "1.62", "{}", out[2]);
    assert_eq!(out[3]["error"]["code"], "unknown_item", "{}", out[3]);
    let report = http
        .get(format!("{}v1/admin/report", hq.url))
        .bearer_auth("staff-secret")
        .send()
        .unwrap();
    assert_eq!(report.status().as_u16(), 200);
}
