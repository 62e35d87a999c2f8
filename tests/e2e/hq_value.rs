//! Member value and campaign results end to end, on PostgreSQL and on the embedded SQLite
//! file: a till syncs a year of member sales to `storepos hq serve`; the RFM segments,
//! the Pareto table and the members slipping away are checked against figures computed
//! here from the sales the till sent; a saved segment is exported as CSV and issued a
//! coupon each (members without marketing consent get none, and issuing again issues
//! nothing new); the fortnight's lists hold out a random group (configured share) that gets
//! no list, and the period's lift is the one the sales give; an empty period answers zeros.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::common::hq::{Database, Hq, run_ok, setup, storepos, with_hq_settings};
use storepos::domain::gs1::Gtin;
use storepos::hq::campaigns::held_out;
use storepos::hq::lists::{PERIOD_DAYS, period_start};
use storepos::hq::member_value::segments::campaign_coupon_id;

crate::on_each_backend!(member_value_segments_and_campaign_results_from_synced_sales);

const ADMIN: &str = "value-admin-token";
const OATS: u64 = 200_000_000_001;
const MILK: u64 = 200_000_000_002;
/// The members who shop weekly and qualify for lists.
const REGULARS: [&str; 8] = ["V01", "V02", "V03", "V04", "V05", "V06", "V07", "V08"];

fn gtin(body: u64) -> Gtin {
    Gtin::gtin13_from_body(body).unwrap()
}

fn product(body: u64, name: &str, category: &str) -> Value {
    json!({"gtin": gtin(body).to_string(), "name": name, "name_en": null,
        "price": {"minor": 500, "currency": "CNY"}, "tax_rate": 1300, "department": "Grocery",
        "category": category, "brand_type": "national", "manufacturer": null, "member_price": null,
        "bonus_points": "none", "weighed": false, "plu": null, "restricted": false,
        "external_id": format!("P{body}")})
}

/// A sale the till sent: who, when, its lines (product, amount) and coupons redeemed.
#[derive(Clone)]
struct Sale {
    member: Option<String>,
    at: DateTime<Utc>,
    lines: Vec<(u64, i64)>,
    coupons: Vec<(String, i64)>,
}

impl Sale {
    fn tax(amount: i64) -> i64 {
        amount * 1300 / 11300
    }

    /// Net sales ex tax, as HQ counts them.
    fn net(&self) -> i64 {
        self.lines.iter().map(|(_, a)| a - Sale::tax(*a)).sum()
    }

    fn envelope(&self, seq: u64) -> Value {
        let mut sale =
            serde_json::to_value(storepos::domain::sale::sample_sale(self.lines.len(), seq))
                .unwrap();
        for (i, (body, amount)) in self.lines.iter().enumerate() {
            let line = &mut sale["lines"][i];
            line["gtin"] = json!(gtin(*body).value());
            line["amount"] = json!(amount);
            line["unit_price"] = json!(amount);
            line["tax"] = json!(Sale::tax(*amount));
        }
        let subtotal: i64 = self.lines.iter().map(|l| l.1).sum();
        let tax: i64 = self.lines.iter().map(|l| Sale::tax(l.1)).sum();
        sale["subtotal"] = json!(subtotal);
        sale["tax"] = json!(tax);
        sale["total"] = json!(subtotal);
        sale["change"] = json!(0);
        sale["tenders"] = json!([{"kind": "cash", "amount": subtotal, "reference": null}]);
        sale["member_id"] = json!(self.member);
        if let (Some(member), false) = (&self.member, self.coupons.is_empty()) {
            sale["loyalty"] = json!({
                "member_id": member, "name": "M", "tier": "standard", "earned": 0, "redeemed": 0,
                "balance_before": 0, "balance_after": 0, "transfers": [],
                "coupons": self.coupons.iter().map(|(id, amount)| json!({"coupon_id": id, "title": "t", "amount": amount})).collect::<Vec<_>>(),
            });
        }
        json!({"id": uuid::Uuid::now_v7(), "store_id": "S001", "terminal_id": "T01",
            "seq": seq, "kind": "sale.completed", "payload": {"receipt_no": seq, "sale": sale},
            "at": self.at})
    }
}

fn sale(member: &str, at: DateTime<Utc>, amount: i64) -> Sale {
    Sale {
        member: Some(member.to_string()),
        at,
        lines: vec![(OATS, amount), (MILK, amount)],
        coupons: Vec::new(),
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// A list period, well over, with at least two regulars held out and two not at the
/// share of one half.
fn period_with_both_groups(now: DateTime<Utc>) -> DateTime<Utc> {
    (1..12)
        .map(|k| period_start(now) - Duration::days(PERIOD_DAYS * k))
        .filter(|p| *p + Duration::days(PERIOD_DAYS + 2) < now)
        .find(|p| {
            let held = REGULARS.iter().filter(|m| held_out(*p, m, 0.5)).count();
            held >= 2 && REGULARS.len() - held >= 2
        })
        .expect("a period within eleven fortnights splits the regulars")
}

/// Quintile scores by mid-rank, as README defines them.
fn quintiles(values: &[i64], higher_is_better: bool) -> Vec<i64> {
    let n = values.len() as i64;
    values
        .iter()
        .map(|&v| {
            let worse = values
                .iter()
                .filter(|&&x| if higher_is_better { x < v } else { x > v })
                .count() as i64;
            let equal = values.iter().filter(|&&x| x == v).count() as i64;
            1 + 5 * (2 * worse + equal) / (2 * n)
        })
        .collect()
}

fn member_value_segments_and_campaign_results_from_synced_sales(db: Database) {
    let now = Utc::now();
    let as_of = now.date_naive() - Duration::days(1);
    let end = midnight(as_of + Duration::days(1));
    let p = period_with_both_groups(now);
    let p_end = p + Duration::days(PERIOD_DAYS);

    // What the till sells: the regulars weekly from ten weeks before the period to
    // yesterday, each their own amount; V09 once, 400 days ago; V10 once, yesterday;
    // V11 a little weekly before the period only (slipping away); V12 on three days
    // 40–36 days ago (slipping away); and one sale to no member.
    let mut sales = Vec::new();
    for (i, m) in REGULARS.iter().enumerate() {
        let amount = 2000 + 250 * i as i64;
        // Each on their own weekday, so their recency differs.
        let mut at = p - Duration::days(70 - i as i64 % 7) + Duration::hours(10 + i as i64);
        while at < end {
            sales.push(sale(m, at, amount));
            at += Duration::days(7);
        }
    }
    sales.push(sale("V09", end - Duration::days(400), 5000));
    sales.push(sale("V10", end - Duration::hours(14), 900));
    for w in 1..=10 {
        sales.push(sale(
            "V11",
            p - Duration::days(7 * w) + Duration::hours(9),
            100,
        ));
    }
    for d in [40, 38, 36] {
        sales.push(sale(
            "V12",
            end - Duration::days(d) - Duration::hours(12),
            1500,
        ));
    }
    sales.push(Sale {
        member: None,
        at: end - Duration::days(3),
        lines: vec![(MILK, 7000)],
        coupons: Vec::new(),
    });

    let (work, token) = setup(&db);
    with_hq_settings(work.path(), &format!("admin_token = \"{ADMIN}\"\n"));
    let config = work.path().join("storepos.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}\n[hq.lists]\nholdout_share = 0.5\n"),
    )
    .unwrap();
    let members = work.path().join("value-members.csv");
    let mut csv = String::from("card,name,phone,tier,points,home_store\n");
    for i in 1..=12 {
        let tier = if i % 3 == 0 { "gold" } else { "standard" };
        csv.push_str(&format!(
            "77000000100{i:02},Member V{i:02},,{tier},0,S001\n"
        ));
    }
    std::fs::write(&members, csv).unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-members"])
            .arg(&members),
    );
    // The import keys members by card: their ids, and marketing consent for odd ones.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(storepos::hq::HqStore::open(&db.url())).unwrap();
    let ids: BTreeMap<String, String> = rt.block_on(async {
        let mut out = BTreeMap::new();
        for i in 1..=12 {
            let card = format!("77000000100{i:02}");
            let (mut m, _) = store.member_by_card(&card).await.unwrap().unwrap();
            m.consent.marketing = i % 2 == 1;
            store.upsert_member(&m).await.unwrap();
            out.insert(format!("V{i:02}"), m.id);
        }
        out
    });
    let id = |v: &str| ids[v].clone();
    let name_of: BTreeMap<String, String> =
        ids.iter().map(|(k, v)| (v.clone(), k.clone())).collect();
    let consented = |member: &str| name_of[member][1..].parse::<u32>().unwrap() % 2 == 1;
    for s in &mut sales {
        if let Some(m) = &s.member {
            s.member = Some(id(m));
        }
    }
    let regulars: Vec<String> = REGULARS.iter().map(|m| id(m)).collect();

    let hq = Hq::start(work.path());
    let http = reqwest::blocking::Client::new();
    let mut seq = 0;
    let mut sync = |batch: &[Sale]| {
        let events: Vec<Value> = batch
            .iter()
            .map(|s| {
                seq += 1;
                s.envelope(seq)
            })
            .collect();
        let r = http
            .post(format!("{}v1/events", hq.url))
            .bearer_auth(&token)
            .json(&json!({"events": events}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    };
    sales.sort_by_key(|s| s.at);
    for chunk in sales.chunks(400) {
        sync(chunk);
    }
    let admin_get = |path: &str| -> (u16, Value) {
        let r = http
            .get(format!("{}{path}", hq.url))
            .bearer_auth(ADMIN)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    };

    // --- RFM and the Pareto table, against the sales sent. ---
    let window_start = end - Duration::days(365);
    let mut bought: BTreeMap<String, (i64, i64, DateTime<Utc>)> = BTreeMap::new();
    for s in sales.iter().filter(|s| s.at >= window_start && s.at < end) {
        let Some(m) = &s.member else { continue };
        let e = bought.entry(m.clone()).or_insert((0, 0, s.at));
        e.0 += 1;
        e.1 += s.net();
        e.2 = e.2.max(s.at);
    }
    assert_eq!(
        bought.len(),
        11,
        "every member but V09 bought in the window"
    );
    let order: Vec<&String> = bought.keys().collect();
    let recency: Vec<i64> = bought.values().map(|b| (end - b.2).num_days()).collect();
    let r = quintiles(&recency, false);
    let f = quintiles(&bought.values().map(|b| b.0).collect::<Vec<_>>(), true);
    let m = quintiles(&bought.values().map(|b| b.1).collect::<Vec<_>>(), true);
    let scores: BTreeMap<&String, (i64, i64, i64)> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, (r[i], f[i], m[i])))
        .collect();

    // HQ computed yesterday's scores when it started, before the till synced: recomputed.
    let (status, value) = admin_get(&format!("v1/members/value?as_of={as_of}&recompute=true"));
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["members_scored"], 12, "{value}");
    let count = |segment: &str| {
        value["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["segment"] == segment)
            .unwrap()["members"]
            .as_i64()
            .unwrap()
    };
    let total: i64 = value["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["members"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 12);
    assert_eq!(value["segments"].as_array().unwrap().len(), 9);
    assert!(
        count("lost") >= 1,
        "V09 bought only before the window: {value}"
    );
    assert_eq!(count("new"), 1, "V10's one bill yesterday: {value}");
    // Pareto: the top 1 % and 5 % are one member, the top 20 % three (of eleven).
    let mut monetary: Vec<i64> = bought.values().map(|b| b.1).collect();
    monetary.sort_unstable_by(|a, b| b.cmp(a));
    let member_net: i64 = monetary.iter().sum();
    let all_net = member_net + 7000 - Sale::tax(7000);
    let pareto = &value["pareto"];
    assert_eq!(pareto["members"], 11);
    assert_eq!(pareto["member_net"], member_net);
    assert_eq!(pareto["all_net"], all_net);
    let share = pareto["member_share_of_sales"].as_f64().unwrap();
    assert!((share - member_net as f64 / all_net as f64).abs() < 1e-9);
    for (row, (pct, k)) in pareto["top"]
        .as_array()
        .unwrap()
        .iter()
        .zip([(1, 1), (5, 1), (20, 3)])
    {
        let net: i64 = monetary[..k].iter().sum();
        assert_eq!(row["top_percent"], pct);
        assert_eq!(row["members"], k as i64);
        assert_eq!(row["net"], net);
        let s = row["share_of_member_net"].as_f64().unwrap();
        assert!((s - net as f64 / member_net as f64).abs() < 1e-9, "{row}");
    }
    // The CLI reads the same stored scores.
    let cli: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "members",
        "value",
        "--as-of",
        &as_of.to_string(),
    ])))
    .unwrap();
    assert_eq!(cli, value);

    // --- Slipping away: V11 and V12, not the weekly regulars. ---
    let (status, slipping) = admin_get(&format!("v1/members/slipping?as_of={as_of}"));
    assert_eq!(status, 200, "{slipping}");
    let slipped: BTreeSet<String> = slipping["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        slipped,
        BTreeSet::from([id("V11"), id("V12")]),
        "{slipping}"
    );
    let v12 = slipping["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_id"] == id("V12").as_str())
        .unwrap();
    assert_eq!(v12["median_gap_days"], 2.0);
    assert_eq!(v12["days_since"], 36);

    // --- A saved segment: recent big spenders, exported and issued a coupon each. ---
    let put = http
        .put(format!("{}v1/segments/best", hq.url))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "Recent big spenders",
            "definition": {"r": {"min": 3, "max": 5}, "m": {"min": 4, "max": 5}}}))
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 200, "{}", put.text().unwrap());
    let expected: BTreeSet<String> = scores
        .iter()
        .filter(|(_, (r, _, m))| *r >= 3 && *m >= 4)
        .map(|(id, _)| (*id).clone())
        .collect();
    assert!(expected.len() >= 2, "{scores:?}");
    let csv = http
        .get(format!("{}v1/segments/best/members?as_of={as_of}", hq.url))
        .bearer_auth(ADMIN)
        .header("accept", "text/csv")
        .send()
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("member_id,name,tier,"));
    let exported: BTreeSet<String> = lines
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(exported, expected, "{text}");
    let (status, json_members) = admin_get(&format!("v1/segments/best/members?as_of={as_of}"));
    assert_eq!(status, 200);
    assert_eq!(
        json_members["members"].as_array().unwrap().len(),
        expected.len()
    );

    let valid_from = now - Duration::days(1);
    let campaign = json!({"campaign_id": "BEST-OATS", "title": "1.50 off oat flakes",
        "amount_off": 150, "product": gtin(OATS).to_string(),
        "valid_from": valid_from, "valid_until": now + Duration::days(30)});
    let issue = |body: &Value| -> (u16, Value) {
        let r = http
            .post(format!("{}v1/segments/best/coupons?as_of={as_of}", hq.url))
            .bearer_auth(ADMIN)
            .json(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap())
    };
    let with_consent: BTreeSet<&String> = expected.iter().filter(|m| consented(m)).collect();
    assert!(
        !with_consent.is_empty() && with_consent.len() < expected.len(),
        "{expected:?}"
    );
    let (status, first) = issue(&campaign);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["members"], expected.len());
    assert_eq!(first["issued"], with_consent.len(), "{first}");
    assert_eq!(
        first["without_consent"],
        expected.len() - with_consent.len()
    );
    let (status, again) = issue(&campaign);
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["issued"].as_i64(), again["already_issued"].as_u64()),
        (Some(0), Some(with_consent.len() as u64))
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM coupons", &[]),
        with_consent.len() as i64
    );
    // The same campaign id with another offer is refused.
    let mut other = campaign.clone();
    other["amount_off"] = json!(300);
    assert_eq!(issue(&other).0, 422);

    // --- Lists with a hold-out group, and the period's lift. ---
    let products = http
        .put(format!("{}v1/admin/products", hq.url))
        .bearer_auth(ADMIN)
        .json(&json!([
            product(OATS, "Oat flakes", "CEREAL"),
            product(MILK, "Milk", "DAIRY")
        ]))
        .send()
        .unwrap();
    assert_eq!(products.status().as_u16(), 200);
    let deals = work.path().join("deals.jsonl");
    std::fs::write(
        &deals,
        format!(
            "{}\n",
            json!({"id": "OATS-1", "title": "1.00 off oat flakes",
                "funding": {"manufacturer": "Acme Mills"}, "target": {"product": format!("P{OATS}")},
                "discount": {"amount": "1.00"}, "budget": "500.00",
                "valid_from": (p - Duration::days(30)).to_rfc3339(),
                "valid_until": (p_end + Duration::days(60)).to_rfc3339()})
        ),
    )
    .unwrap();
    run_ok(
        storepos(work.path())
            .args(["hq", "import-deals"])
            .arg(&deals),
    );
    let run: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "lists",
        "--at",
        &(p + Duration::hours(1)).to_rfc3339(),
    ])))
    .unwrap();
    let held: BTreeSet<String> = regulars
        .iter()
        .filter(|m| held_out(p, m, 0.5))
        .cloned()
        .collect();
    let holders: BTreeSet<String> = regulars
        .iter()
        .filter(|m| !held.contains(*m))
        .cloned()
        .collect();
    assert_eq!(run["held_out"], held.len(), "{run}");
    assert_eq!(run["lists"], holders.len(), "{run}");
    // The lists of period `p` only: those that end after it are of a later period (HQ's
    // schedule makes the current fortnight's lists on its own).
    let period_lists = || {
        rt.block_on(async {
            let later: BTreeSet<String> = store
                .store_lists("S001", p_end)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            store
                .store_lists("S001", p)
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.kind == "list" && !later.contains(&c.id))
                .collect::<Vec<_>>()
        })
    };
    let listed: BTreeSet<String> = period_lists().into_iter().map(|c| c.member_id).collect();
    assert_eq!(listed, holders, "the held-out members got no list");
    // A rerun holds out the same members and adds nothing.
    run_ok(storepos(work.path()).args([
        "hq",
        "lists",
        "--at",
        &(p + Duration::hours(2)).to_rfc3339(),
    ]));
    // Period `p` is the earliest with lists; the schedule's own runs are of later ones.
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM list_holdouts
             WHERE period_start = (SELECT MIN(period_start) FROM list_holdouts)",
            &[]
        ),
        held.len() as i64
    );

    // One list holder redeems the list's oats offer in the period; a segment member
    // redeems the campaign's coupon today.
    let holder = holders.iter().next().unwrap().clone();
    let codes = period_lists();
    let list_coupon = rt.block_on(async {
        let code = codes.iter().find(|c| c.member_id == holder).unwrap();
        let Ok(Some(storepos::domain::coupon::PrintedCode::List(
            storepos::domain::coupon::ListCode::Full(list),
        ))) = storepos::domain::coupon::parse_printed(&code.code)
        else {
            panic!("not a full list code: {}", code.code);
        };
        list.list.coupons[0].coupon.id.clone()
    });
    let redeemer = (*with_consent.iter().next().unwrap()).clone();
    let mut in_period = sale(&holder, p + Duration::days(3), 1800);
    in_period.coupons = vec![(list_coupon, 100)];
    let mut today = sale(&redeemer, now - Duration::minutes(5), 1200);
    today.coupons = vec![(campaign_coupon_id("BEST-OATS", &redeemer), 150)];
    sync(&[in_period.clone(), today.clone()]);
    sales.push(in_period.clone());
    sales.push(today.clone());
    // What a member bought of oat flakes in a span, ex tax, from the sales sent.
    let oats_of = |m: &String, from: DateTime<Utc>, until: DateTime<Utc>| -> i64 {
        sales
            .iter()
            .filter(|s| s.member.as_ref() == Some(m) && s.at >= from && s.at < until)
            .flat_map(|s| s.lines.iter())
            .filter(|(g, _)| *g == OATS)
            .map(|(_, a)| a - Sale::tax(*a))
            .sum()
    };

    let (status, report) = admin_get(&format!(
        "v1/reports/campaigns?period={}",
        (p + Duration::days(1)).date_naive()
    ));
    assert_eq!(status, 200, "{report}");
    let period = &report["list_periods"][0];
    assert_eq!(period["period_start"], json!(p), "{report}");
    assert_eq!(period["lists"], holders.len());
    assert_eq!(period["results"]["redeemed"], 1, "{report}");
    assert_eq!(period["results"]["cost"], 100);
    assert_eq!(
        period["results"]["targeted_sales"],
        oats_of(&holder, p, p_end),
        "{report}"
    );
    // The lift, from the sales the till sent in the period.
    let spent = |m: &String| -> i64 {
        sales
            .iter()
            .filter(|s| s.member.as_ref() == Some(m) && s.at >= p && s.at < p_end)
            .map(Sale::net)
            .sum()
    };
    let t: Vec<f64> = holders.iter().map(|m| spent(m) as f64).collect();
    let c: Vec<f64> = held.iter().map(|m| spent(m) as f64).collect();
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let var = |x: &[f64]| {
        let mu = mean(x);
        x.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)
    };
    let diff = mean(&t) - mean(&c);
    let half = 1.959964 * (var(&t) / t.len() as f64 + var(&c) / c.len() as f64).sqrt();
    let lift = &period["lift"];
    assert_eq!(lift["list_members"], holders.len());
    assert_eq!(lift["holdout_members"], held.len());
    assert_eq!(
        lift["sales_per_list_member"],
        mean(&t).round() as i64,
        "{lift}"
    );
    assert_eq!(lift["sales_per_holdout_member"], mean(&c).round() as i64);
    assert_eq!(lift["lift_per_member"], diff.round() as i64);
    assert!((lift["ci95_low"].as_i64().unwrap() - (diff - half).round() as i64).abs() <= 1);
    assert!((lift["ci95_high"].as_i64().unwrap() - (diff + half).round() as i64).abs() <= 1);
    assert_eq!(lift["measured"], true);
    let deal = report["deals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deal_id"] == "OATS-1")
        .unwrap();
    assert_eq!(deal["results"]["redeemed"], 1);
    assert_eq!(deal["funded_by"], "Acme Mills");
    assert_eq!(deal["results"]["redeemers"], 1);
    assert_eq!(
        deal["results"]["targeted_sales"],
        oats_of(&holder, p, p_end)
    );

    // The command line answers the same.
    let period_day = (p + Duration::days(1)).date_naive().to_string();
    let cli: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "campaigns",
        "--period",
        &period_day,
    ])))
    .unwrap();
    assert_eq!(cli["list_periods"], report["list_periods"]);
    let cli_csv = run_ok(storepos(work.path()).args([
        "hq",
        "segment",
        "members",
        "best",
        "--csv",
        "--as-of",
        &as_of.to_string(),
    ]));
    assert_eq!(cli_csv, text);

    let (status, all) = admin_get("v1/reports/campaigns");
    assert_eq!(status, 200);
    let best = all["coupon_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["campaign_id"] == "BEST-OATS")
        .unwrap();
    assert_eq!(best["segment_id"], "best");
    assert_eq!(best["results"]["issued"], with_consent.len());
    assert_eq!(best["results"]["redeemed"], 1);
    assert_eq!(best["results"]["cost"], 150);
    assert_eq!(
        best["results"]["targeted_sales"],
        oats_of(&redeemer, valid_from, now + Duration::days(30))
    );
    let rate = best["results"]["redemption_rate"].as_f64().unwrap();
    assert!((rate - 1.0 / with_consent.len() as f64).abs() < 1e-9);

    // --- Empty periods answer zeros; unknown ones a 4xx with a message. ---
    let (status, empty) = admin_get("v1/reports/campaigns?period=2001-03-05");
    assert_eq!(status, 200, "{empty}");
    let e = &empty["list_periods"][0];
    assert_eq!(
        (e["lists"].as_i64(), e["results"]["issued"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(e["lift"]["list_members"], 0);
    assert_eq!(e["lift"]["lift_per_member"], 0);
    let (status, nothing) = admin_get("v1/members/value?as_of=2001-03-05");
    assert_eq!(status, 200, "{nothing}");
    assert_eq!(nothing["members_scored"], 0);
    assert_eq!(nothing["pareto"]["member_net"], 0);
    assert_eq!(nothing["pareto"]["member_share_of_sales"], 0.0);
    for bad in [
        "v1/members/value?as_of=yesterday",
        "v1/members/value?as_of=2999-01-01",
        "v1/members/migration?from=2026-13-01&to=2026-01-01",
        "v1/reports/campaigns?period=soon",
    ] {
        let (status, body) = admin_get(bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (status, body) = admin_get("v1/segments/nope/members");
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("nope"));

    // --- Migration between a day before the period and yesterday. ---
    let before = (p - Duration::days(1)).date_naive();
    let (status, migration) = admin_get(&format!("v1/members/migration?from={before}&to={as_of}"));
    assert_eq!(status, 200, "{migration}");
    let moved: i64 = migration["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["members"].as_i64().unwrap())
        .sum();
    assert_eq!(
        moved, 12,
        "every member on one day or the other: {migration}"
    );
    // Members whose first purchase came after `before` come from `none`.
    let first_after = ids
        .values()
        .filter(|m| {
            sales
                .iter()
                .filter(|s| s.member.as_ref() == Some(m))
                .map(|s| s.at)
                .min()
                .is_some_and(|first| first >= midnight(before + Duration::days(1)))
        })
        .count() as i64;
    assert!(first_after >= 1, "V10 bought only yesterday");
    let from_none: i64 = migration["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"] == "none")
        .map(|c| c["members"].as_i64().unwrap())
        .sum();
    assert_eq!(from_none, first_after, "{migration}");
    drop(hq);
}
