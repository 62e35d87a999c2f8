//! The chain-wide member view end to end, on PostgreSQL and on the embedded SQLite file:
//! tills of two stores sell to the same member (and take one sale back), sync, and
//! `GET /v1/members/{id}/view` answers the member's bills in both stores, spend per category
//! per year, visits, the largest purchase with its lines and the points balance, each
//! checked against figures computed here from the tills' own journals; an unknown member
//! is 404 with a message; a till reads the view only of the member whose card it names,
//! HQ staff of anyone; the till's `member_view` shows HQ's view while HQ answers and its
//! own history when HQ is gone; `storepos hq member view` prints the report.

use crate::common;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use serde_json::{Value, json};

use common::hq::{Database, Hq, import_demo_members, run_ok, setup, storepos};

crate::on_each_backend!(the_member_view_matches_what_the_tills_of_two_stores_sold);

const ZHANG: &str = "6200123412341234";
const STAFF: &str = "staff-secret";

/// What the tills' journals say, computed without HQ.
#[derive(Debug, Default)]
struct Expected {
    /// (store, receipt no, kind, total, at) of every bill of the member.
    bills: Vec<(String, i64, String, i64, DateTime<Utc>)>,
    /// (year, category) → net of tax.
    spend: BTreeMap<(i32, String), i64>,
    /// (store, receipt no) → the bill's (GTIN, net) lines.
    lines: BTreeMap<(String, i64), Vec<(String, i64)>>,
}

/// A product of HQ's catalogue, as the admin API takes it.
struct HqProduct {
    gtin: &'static str,
    name: &'static str,
    price: i64,
    vat_bp: u32,
    department: &'static str,
    category: &'static str,
    member_price: Option<i64>,
    /// As JSON.
    bonus: &'static str,
}

/// The products HQ's catalogue holds, put there after the first store's sales reached HQ
/// and before the second store sells: as the demo catalogue has them, so the points a till
/// awards are the ones HQ expects.
const HQ_PRODUCTS: &[HqProduct] = &[
    HqProduct {
        gtin: "6904000000111",
        name: "伊利纯牛奶250ml×12",
        price: 5400,
        vat_bp: 900,
        department: "Dairy",
        category: "Milk",
        member_price: Some(4800),
        bonus: r#"{"multiplier":2}"#,
    },
    HqProduct {
        gtin: "6904000000289",
        name: "光明鲜牛奶950ml",
        price: 1580,
        vat_bp: 900,
        department: "Dairy",
        category: "Milk",
        member_price: None,
        bonus: r#""none""#,
    },
    HqProduct {
        gtin: "6920000000159",
        name: "本店精选大米5kg",
        price: 3990,
        vat_bp: 900,
        department: "Grocery",
        category: "Rice & grains",
        member_price: Some(3590),
        bonus: r#"{"extra":50}"#,
    },
];

/// The category HQ gives each demo product: its catalogue's where it knew the product
/// when the sale reached it (`catalogue`), else the department the till sent.
fn categories(catalogue: bool) -> BTreeMap<u64, String> {
    let mut reader = csv::Reader::from_reader(storepos::demo::PRODUCTS_CSV.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (gtin, department) = (col("gtin"), col("department"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let category = HQ_PRODUCTS
                .iter()
                .find(|p| catalogue && p.gtin == &r[gtin])
                .map_or(r[department].to_string(), |p| p.category.to_string());
            (r[gtin].parse().unwrap(), category)
        })
        .collect()
}

/// `HQ_PRODUCTS` as `PUT /v1/admin/products` takes them.
fn hq_products() -> String {
    let money = |minor: i64| serde_json::json!({"minor": minor, "currency": "CNY"});
    let products: Vec<Value> = HQ_PRODUCTS
        .iter()
        .map(|p| {
            let bonus: Value = serde_json::from_str(p.bonus).unwrap();
            serde_json::json!({"gtin": p.gtin, "name": p.name, "name_en": null,
                "price": money(p.price), "tax_rate": p.vat_bp, "department": p.department,
                "category": p.category, "brand_type": "national", "manufacturer": null,
                "member_price": p.member_price.map(money), "bonus_points": bonus,
                "weighed": false, "plu": null, "restricted": false, "external_id": null})
        })
        .collect();
    Value::from(products).to_string()
}

/// Reads a till's journal export into `expected`: the member's bills, and their lines'
/// net (amount less discount less tax) per local year and category (HQ's catalogue's
/// where it held the product when the sales arrived, `catalogue`).
fn read_journal(dir: &std::path::Path, store: &str, catalogue: bool, expected: &mut Expected) {
    let export = run_ok(storepos(dir).args(["--data-dir", "store", "journal", "export"]));
    let categories = categories(catalogue);
    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    for line in export.lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let body = &entry["body"];
        let sale = if body["sale"].is_object() {
            &body["sale"]
        } else {
            body
        };
        if sale["member_id"].as_str() != Some(ZHANG) {
            continue;
        }
        let kind = entry["kind"].as_str().unwrap().to_string();
        let at: DateTime<Utc> = entry["at"].as_str().unwrap().parse().unwrap();
        let sign = if kind == "return" { -1 } else { 1 };
        let total = sale["total"].as_i64().unwrap() + sale["rounding"].as_i64().unwrap_or(0);
        expected.bills.push((
            store.to_string(),
            entry["receipt_no"].as_i64().unwrap(),
            kind,
            total,
            at,
        ));
        for l in sale["lines"].as_array().unwrap() {
            let net = l["amount"].as_i64().unwrap()
                - l["discount"].as_i64().unwrap()
                - l["tax"].as_i64().unwrap();
            let category = categories[&l["gtin"].as_u64().unwrap()].clone();
            let year = at.with_timezone(&china).year();
            *expected.spend.entry((year, category)).or_default() += sign * net.abs();
            expected
                .lines
                .entry((store.to_string(), entry["receipt_no"].as_i64().unwrap()))
                .or_default()
                .push((l["gtin"].as_u64().unwrap().to_string(), sign * net.abs()));
        }
    }
}

fn token_of(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("storepos.toml"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("token = \"")
                .map(|t| t.trim_end_matches('"').to_string())
        })
        .unwrap()
}

fn clock(at: DateTime<Utc>) -> String {
    format!(
        "{{\"set_clock\":\"{}\"}}\n",
        at.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
            .to_rfc3339()
    )
}

fn the_member_view_matches_what_the_tills_of_two_stores_sold(db: Database) {
    let (s1, _) = setup(&db);
    import_demo_members(s1.path());
    common::hq::with_hq_settings(s1.path(), &format!("admin_token = \"{STAFF}\"\n"));
    // Metro's record: the member buys for a business, at an address.
    let record = s1.path().join("record.csv");
    std::fs::write(
        &record,
        format!(
            "card,name,phone,tier,points,home_store,email,address,customer_type\n\
             {ZHANG},张伟,13800138000,gold,12800,S001,zhang.wei@example.com,上海市浦东新区世纪大道 100 号,business\n"
        ),
    )
    .unwrap();
    run_ok(
        storepos(s1.path())
            .args(["hq", "import-members"])
            .arg(&record),
    );
    let s2 = common::hq::till_of(s1.path(), "S002", "T01");
    let hq = Hq::start(s1.path());
    let http = reqwest::blocking::Client::new();

    // Milk every fortnight, in two stores; water taken back once.
    let now = Utc::now();
    let first = now - Duration::days(28);
    let script = format!(
        "{}{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}
{{\"open_shift\":{{\"float\":\"0\"}}}}
{{\"member\":\"{ZHANG}\"}}
{{\"scan\":\"6904000000111\"}}
{{\"scan\":\"6901234567892\"}}
{{\"quantity\":\"2\"}}
{{\"tender\":{{\"cash\":\"100.00\"}}}}
{}{{\"member\":\"{ZHANG}\"}}
{{\"scan\":\"6904000000111\"}}
{{\"scan\":\"6901023850013\"}}
{{\"tender\":{{\"cash\":\"100.00\"}}}}
{{\"return\":{{\"receipt\":\"1\",\"lines\":[{{\"line\":2,\"qty\":\"1\"}}]}}}}
{{\"approve\":{{\"operator\":\"2001\",\"pin\":\"2222\"}}}}
",
        clock(first),
        clock(now - Duration::days(14)),
    );
    let out = common::run_script(s1.path(), &script);
    for (i, answer) in out.iter().enumerate() {
        let asks_approval = answer["error"]["code"] == "approval_required";
        assert!(answer["ok"] != false || asks_approval, "line {i}: {answer}");
    }
    run_ok(storepos(s1.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    // HQ's catalogue from now on: the second store's lines take its categories.
    let put = http
        .put(format!("{}v1/admin/products", hq.url))
        .bearer_auth(STAFF)
        .header("content-type", "application/json")
        .body(hq_products())
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    let script = format!(
        "{}{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}
{{\"open_shift\":{{\"float\":\"0\"}}}}
{{\"member\":\"{ZHANG}\"}}
{{\"scan\":\"6904000000111\"}}
{{\"scan\":\"6904000000289\"}}
{{\"scan\":\"6920000000159\"}}
{{\"tender\":{{\"cash\":\"200.00\"}}}}
",
        clock(now - Duration::days(3)),
    );
    let out = common::run_script(s2.path(), &script);
    for (i, answer) in out.iter().enumerate() {
        let asks_approval = answer["error"]["code"] == "approval_required";
        assert!(answer["ok"] != false || asks_approval, "line {i}: {answer}");
    }
    for dir in [&s1, &s2] {
        run_ok(storepos(dir.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    }

    let mut expected = Expected::default();
    read_journal(s1.path(), "S001", false, &mut expected);
    read_journal(s2.path(), "S002", true, &mut expected);
    assert_eq!(expected.bills.len(), 4, "{expected:?}");

    let get = |path: &str, token: &str| -> (u16, Value) {
        let r = http
            .get(format!("{}{path}", hq.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    };
    let (status, view) = get(&format!("v1/members/{ZHANG}/view"), STAFF);
    assert_eq!(status, 200, "{view}");

    // The record, Metro's fields.
    let record = &view["record"];
    assert_eq!(record["number"], ZHANG);
    assert_eq!(record["name"], "张伟");
    assert_eq!(record["address"], "上海市浦东新区世纪大道 100 号");
    assert_eq!(record["customer_type"], "business");
    assert_eq!(record["phone"], "13800138000");

    // History across both stores, newest first, as the journals say.
    let mut bills = expected.bills.clone();
    // Newest first; bills of one instant (a sale and its return) by store and receipt.
    bills.sort_by(|a, b| (b.4, &b.0, b.1).cmp(&(a.4, &a.0, a.1)));
    let history: Vec<(String, i64, String, i64)> = view["history"]["bills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["store_id"].as_str().unwrap().to_string(),
                b["receipt_no"].as_i64().unwrap(),
                b["kind"].as_str().unwrap().to_string(),
                b["total"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, i64, String, i64)> = bills
        .iter()
        .map(|b| (b.0.clone(), b.1, b.2.clone(), b.3))
        .collect();
    assert_eq!(history, want, "{view}");

    // Paged: two at a time, the next page from the first's `next_before`.
    // The second and third bills share an instant: the first page takes both.
    let (_, page) = get(&format!("v1/members/{ZHANG}/view?limit=2"), STAFF);
    let next = page["history"]["next_before"].as_str().unwrap().to_string();
    assert_eq!(
        page["history"]["bills"].as_array().unwrap().len(),
        3,
        "{page}"
    );
    let (_, rest) = get(
        &format!(
            "v1/members/{ZHANG}/view?limit=2&before={}",
            next.replace('+', "%2B")
        ),
        STAFF,
    );
    let receipts = |v: &Value| -> Vec<(String, i64)> {
        v["history"]["bills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["store_id"].as_str().unwrap().to_string(),
                    b["receipt_no"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let paged: Vec<(String, i64)> = [receipts(&page), receipts(&rest)].concat();
    assert_eq!(
        paged,
        want.iter().map(|b| (b.0.clone(), b.1)).collect::<Vec<_>>()
    );
    assert!(rest["history"]["next_before"].is_null(), "{rest}");

    // Visits: three bills (and one return) in two stores.
    let sales: Vec<_> = expected.bills.iter().filter(|b| b.2 == "sale").collect();
    let visits = &view["visits"];
    assert_eq!(visits["bills"], sales.len() as i64);
    assert_eq!(visits["returns"], 1);
    let stores: Vec<&str> = visits["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["store_id"].as_str().unwrap())
        .collect();
    assert_eq!(stores, ["S001", "S002"]);
    assert_eq!(
        visits["spent"].as_i64().unwrap(),
        expected.bills.iter().map(|b| b.3).sum::<i64>()
    );

    // The largest purchase is the bill with the highest total.
    let largest = sales.iter().max_by_key(|b| (b.3, b.4)).unwrap();
    let bill = &view["largest_purchase"]["bill"];
    assert_eq!(
        (
            bill["store_id"].as_str().unwrap(),
            bill["receipt_no"].as_i64().unwrap(),
            bill["total"].as_i64().unwrap()
        ),
        (largest.0.as_str(), largest.1, largest.3),
        "{view}"
    );

    // The largest purchase's lines, as the till recorded them.
    let lines: Vec<(String, i64)> = view["largest_purchase"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["gtin"].as_str().unwrap().to_string(),
                l["net"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        expected.lines[&(largest.0.clone(), largest.1)],
        "{view}"
    );

    // Spend per category per year: the journals' lines, net of tax, returns taken off.
    let mut spend: BTreeMap<(i32, String), i64> = BTreeMap::new();
    for year in view["spend_by_year"].as_array().unwrap() {
        let y = year["year"].as_i64().unwrap() as i32;
        let mut total = 0;
        for c in year["categories"].as_array().unwrap() {
            let net = c["net"].as_i64().unwrap();
            *spend
                .entry((y, c["category"].as_str().unwrap().to_string()))
                .or_default() += net;
            total += net;
        }
        assert_eq!(year["net"].as_i64().unwrap(), total, "{year}");
    }
    spend.retain(|_, net| *net != 0);
    let mut want_spend = expected.spend.clone();
    want_spend.retain(|_, net| *net != 0);
    assert_eq!(spend, want_spend, "{view}");
    // Milk every fortnight, last bought three days ago: due within the fortnight.
    let plan: Vec<&str> = view["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["gtin"].as_str().unwrap())
        .collect();
    assert!(plan.contains(&"6904000000111"), "{view}");
    assert!(
        view["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p["reason"].as_str().unwrap().is_empty()
                && p["due_in_days"].as_i64().unwrap() < 14),
        "{view}"
    );

    // The balance is the ledger's and the member lookup's.
    let (_, found) = get(&format!("v1/members/{ZHANG}"), &token_of(s1.path()));
    assert_eq!(view["points"]["balance"], found["points_balance"]);
    let ledger: i64 = view["points"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .sum();
    assert_eq!(ledger, view["points"]["balance"].as_i64().unwrap());

    // Open complaints are the member's cases not yet resolved: one taken by phone shows
    // while it is worked on, and goes once it is resolved.
    assert_eq!(view["open_complaints"], json!([]), "{view}");
    let case: Value = http
        .post(format!("{}v1/complaints", hq.url))
        .bearer_auth(STAFF)
        .json(
            &json!({"store_id": "S001", "member_id": ZHANG, "category": "service",
                      "channel": "phone", "severity": "high",
                      "content": "Nobody at the service desk", "handler": "cs-li"}),
        )
        .send()
        .unwrap()
        .json()
        .unwrap();
    let case_id = case["id"].as_str().unwrap().to_string();
    let step = |body: Value| {
        let r = http
            .post(format!("{}v1/complaints/{case_id}/steps", hq.url))
            .bearer_auth(STAFF)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    };
    step(json!({"handler": "cs-li", "to_state": "in_progress", "note": "Called back"}));
    let (_, view) = get(&format!("v1/members/{ZHANG}/view"), STAFF);
    let open = view["open_complaints"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{view}");
    assert_eq!(
        (
            &open[0]["id"],
            &open[0]["state"],
            &open[0]["severity"],
            &open[0]["handling"]
        ),
        (
            &json!(case_id),
            &json!("in_progress"),
            &json!("high"),
            &json!("Called back")
        )
    );
    step(
        json!({"handler": "cs-li", "to_state": "resolved", "outcome": "Apologised",
                "satisfaction": 4}),
    );
    let (_, view) = get(&format!("v1/members/{ZHANG}/view"), STAFF);
    assert_eq!(view["open_complaints"], json!([]), "{view}");

    // An unknown member: 404 with a message.
    let (status, answer) = get("v1/members/NOBODY-1/view", STAFF);
    assert_eq!(status, 404, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("NOBODY-1"),
        "{answer}"
    );

    // A till reads the view of the member whose card it names, and no other.
    let till = token_of(s2.path());
    let (status, answer) = get(&format!("v1/members/{ZHANG}/view"), &till);
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = get(
        &format!("v1/members/{ZHANG}/view?card=6200123412345678"),
        &till,
    );
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = get(&format!("v1/members/{ZHANG}/view?card={ZHANG}"), &till);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["record"]["number"], ZHANG);
    let (status, _) = get(
        &format!("v1/members/{ZHANG}/view?card={ZHANG}"),
        "not-a-token",
    );
    assert_eq!(status, 401);

    // The till's sheet: HQ's view while HQ answers.
    let out = common::run_script(
        s2.path(),
        &format!(
            "{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}\n{{\"member\":\"{ZHANG}\"}}\n{{\"member_view\":{{}}}}\n"
        ),
    );
    let sheet = &out[2]["member_view"];
    assert_eq!(sheet["source"], "hq", "{sheet}");
    assert_eq!(sheet["hq"]["visits"]["bills"], sales.len() as i64);

    // The report staff print.
    let report = run_ok(storepos(s1.path()).args(["hq", "member", "view", ZHANG]));
    assert!(report.contains("Customer type  business"), "{report}");
    assert!(report.contains("上海市浦东新区世纪大道 100 号"), "{report}");
    assert!(report.contains("S002"), "{report}");
    let json: Value = serde_json::from_str(&run_ok(
        storepos(s1.path()).args(["hq", "member", "view", ZHANG, "--json"]),
    ))
    .unwrap();
    assert_eq!(json["visits"]["bills"], sales.len() as i64);

    // HQ gone: the till's own history, and it says so.
    drop(hq);
    let out = common::run_script(
        s2.path(),
        &format!(
            "{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}\n{{\"member\":\"{ZHANG}\"}}\n{{\"member_view\":{{}}}}\n"
        ),
    );
    let sheet = &out[2]["member_view"];
    assert_eq!(sheet["source"], "till", "{sheet}");
    assert!(sheet["hq"].is_null());
    assert!(sheet["hq_unavailable"].is_string(), "{sheet}");
}
