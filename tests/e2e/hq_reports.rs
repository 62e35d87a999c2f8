//! HQ's sales reports against the tills' own journals: two stores, one in Asia/Shanghai
//! and one in Europe/Berlin, sell across Berlin's change to summer time (2026-03-29,
//! 02:00 → 03:00), a year before and a week before, with members and a return; both
//! sync, and every figure of `GET /v1/reports/sales` (and of `storepos hq report sales`
//! as CSV) is checked against totals this test computes from `storepos journal export`
//! of each till. Lines HQ held before it kept them are back-filled to the same report.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde_json::{Value, json};

use crate::common;
use common::hq::{Database, Hq, run_ok, setup, storepos};

crate::on_each_backend!(reports_match_the_tills_journals_across_a_daylight_saving_change);

const ADMIN: &str = "report-staff";
/// Bright fresh milk: no bonus points, no member price (HQ's points rules check both).
const MILK: &str = "6904000000289";
const WATER: &str = "6901234567892";
const NOODLES: &str = "6901023850013";

/// HQ's own classification of the products the test sells: not the tills' departments, so
/// the report shows HQ derived them.
fn hq_class(gtin: &str) -> (&'static str, &'static str) {
    match gtin {
        MILK => ("Fresh", "Dairy drinks"),
        WATER => ("Grocery", "Beverages"),
        // Unknown to HQ: the till's department names both.
        _ => ("", ""),
    }
}

/// A sale at `at` (RFC 3339) of the products, for the member's card if any.
fn sale(at: &str, member: Option<&str>, gtins: &[&str], cash: &str) -> String {
    let mut s = format!("{{\"set_clock\":\"{at}\"}}\n");
    if let Some(card) = member {
        s.push_str(&format!("{{\"member\":\"{card}\"}}\n"));
    }
    for g in gtins {
        s.push_str(&format!("{{\"scan\":\"{g}\"}}\n"));
    }
    s.push_str(&format!("{{\"tender\":{{\"cash\":\"{cash}\"}}}}\n"));
    s
}

const SIGN_IN: &str =
    "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n";

/// One journal line as the test reads it.
struct Sold {
    store: &'static str,
    day: NaiveDate,
    hour: u32,
    sale: bool,
    member: Option<String>,
    /// (gtin, department, category, net, tax, discount, quantity in thousandths)
    lines: Vec<(i64, String, String, i64, i64, i64, i64)>,
}

/// Reads a till's journal export into its sales, on the store's local days.
fn journal(dir: &std::path::Path, store: &'static str, zone: chrono_tz::Tz) -> Vec<Sold> {
    let out = dir.join("journal.jsonl");
    run_ok(
        storepos(dir)
            .args(["--data-dir", "store", "journal", "export", "--out"])
            .arg(&out),
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut sold = Vec::new();
    for line in text.lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let kind = entry["kind"].as_str().unwrap();
        if kind != "sale" && kind != "return" {
            continue;
        }
        let body = &entry["body"];
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339(entry["at"].as_str().unwrap())
            .unwrap()
            .to_utc();
        let local = at.with_timezone(&zone);
        let inclusive = body["total"].as_i64().unwrap()
            == body["subtotal"].as_i64().unwrap() - body["discount"].as_i64().unwrap();
        let lines = body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let gtin = l["gtin"].as_i64().unwrap();
                let (amount, discount, tax) = (
                    l["amount"].as_i64().unwrap(),
                    l["discount"].as_i64().unwrap(),
                    l["tax"].as_i64().unwrap(),
                );
                let (mut department, mut category) = hq_class(&gtin.to_string());
                let till = l["department"].as_str().unwrap_or("unassigned").to_string();
                let (department, category) = if department.is_empty() {
                    (till.clone(), till)
                } else {
                    (
                        std::mem::take(&mut department).to_string(),
                        std::mem::take(&mut category).to_string(),
                    )
                };
                let quantity = l["quantity"].as_i64().unwrap();
                let quantity = if kind == "return" {
                    -quantity.abs()
                } else {
                    quantity
                };
                let net = amount - discount - if inclusive { tax } else { 0 };
                (gtin, department, category, net, tax, discount, quantity)
            })
            .collect();
        sold.push(Sold {
            store,
            day: local.date_naive(),
            hour: local.hour(),
            sale: kind == "sale",
            member: body["member_id"].as_str().map(str::to_string),
            lines,
        });
    }
    sold
}

/// What the test expects of a set of sales, computed from the journals.
#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    net: i64,
    tax: i64,
    discount: i64,
    bills: i64,
    returns: i64,
    customers: Option<i64>,
    member_net: i64,
    milli_items: i64,
}

fn expect<'a>(sold: impl Iterator<Item = &'a Sold>, customers: bool) -> Expected {
    let mut e = Expected::default();
    let mut members = std::collections::BTreeSet::new();
    for s in sold {
        let net: i64 = s.lines.iter().map(|l| l.3).sum();
        e.net += net;
        e.tax += s.lines.iter().map(|l| l.4).sum::<i64>();
        e.discount += s.lines.iter().map(|l| l.5).sum::<i64>();
        e.milli_items += s.lines.iter().map(|l| l.6).sum::<i64>();
        if s.sale {
            e.bills += 1;
        } else {
            e.returns += 1;
        }
        if let Some(m) = &s.member {
            e.member_net += net;
            if s.sale {
                members.insert(m.clone());
            }
        }
    }
    e.customers = customers.then_some(members.len() as i64);
    e
}

fn check(figures: &Value, e: &Expected, what: &str) {
    let got = |k: &str| {
        figures[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{what}: {k} in {figures}"))
    };
    assert_eq!(
        (
            got("net"),
            got("tax"),
            got("discount"),
            got("bills"),
            got("member_net")
        ),
        (e.net, e.tax, e.discount, e.bills, e.member_net),
        "{what}: {figures}"
    );
    assert_eq!(got("gross"), e.net + e.tax, "{what}");
    if let Some(c) = e.customers {
        assert_eq!(figures["customers"], json!(c), "{what}: customers");
        assert_eq!(got("returns"), e.returns, "{what}: returns");
    }
    let items = figures["items"].as_f64().unwrap();
    assert!(
        (items - e.milli_items as f64 / 1000.0).abs() < 1e-9,
        "{what}: items {items} vs {}",
        e.milli_items
    );
    if e.bills > 0 {
        let average = figures["average_bill"].as_f64().unwrap();
        assert!(
            (average - (e.net + e.tax) as f64 / e.bills as f64).abs() < 1e-6,
            "{what}: average bill"
        );
    }
}

/// Checks every report of the test's periods, chain and each store, against the journals;
/// returns how many rows it checked.
fn check_reports(report: &dyn Fn(&str) -> Value, sold: &[Sold]) -> usize {
    let d = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let within = |from: NaiveDate, to: NaiveDate| move |s: &&Sold| s.day >= from && s.day <= to;
    let mut checked = 0;
    for (period, date, from, to, last_from, last_to, prev_from, prev_to) in [
        (
            "day",
            "2026-03-29",
            d("2026-03-29"),
            d("2026-03-29"),
            d("2025-03-30"),
            d("2025-03-30"),
            d("2026-03-28"),
            d("2026-03-28"),
        ),
        (
            "day",
            "2026-03-30",
            d("2026-03-30"),
            d("2026-03-30"),
            d("2025-03-31"),
            d("2025-03-31"),
            d("2026-03-29"),
            d("2026-03-29"),
        ),
        (
            "week",
            "2026-03-29",
            d("2026-03-23"),
            d("2026-03-29"),
            d("2025-03-24"),
            d("2025-03-30"),
            d("2026-03-16"),
            d("2026-03-22"),
        ),
        (
            "month",
            "2026-03",
            d("2026-03-01"),
            d("2026-03-31"),
            d("2025-03-01"),
            d("2025-03-31"),
            d("2026-02-01"),
            d("2026-02-28"),
        ),
        // A closed quarter and a closed year: after the roll-up, read from the chain's
        // tables by quarter and by year.
        (
            "quarter",
            "2025-Q1",
            d("2025-01-01"),
            d("2025-03-31"),
            d("2024-01-01"),
            d("2024-03-31"),
            d("2024-10-01"),
            d("2024-12-31"),
        ),
        (
            "year",
            "2025",
            d("2025-01-01"),
            d("2025-12-31"),
            d("2024-01-01"),
            d("2024-12-31"),
            d("2024-01-01"),
            d("2024-12-31"),
        ),
        (
            "year",
            "2026",
            d("2026-01-01"),
            d("2026-12-31"),
            d("2025-01-01"),
            d("2025-12-31"),
            d("2025-01-01"),
            d("2025-12-31"),
        ),
    ] {
        for store in [None, Some("S001"), Some("S002")] {
            let in_scope = |s: &&Sold| store.is_none_or(|one| s.store == one);
            let scope = store.map(|s| format!("&store={s}")).unwrap_or_default();
            let what = format!("{period} {date}{scope}");
            let chain = report(&format!(
                "period={period}&date={date}&by=chain{scope}&top=3"
            ));
            assert_eq!(chain["period"]["from"], json!(from.to_string()), "{what}");
            assert_eq!(chain["period"]["to"], json!(to.to_string()), "{what}");
            let now = expect(sold.iter().filter(in_scope).filter(within(from, to)), true);
            let year = expect(
                sold.iter()
                    .filter(in_scope)
                    .filter(within(last_from, last_to)),
                true,
            );
            let before = expect(
                sold.iter()
                    .filter(in_scope)
                    .filter(within(prev_from, prev_to)),
                true,
            );
            check(&chain["total"]["current"], &now, &format!("{what} total"));
            check(
                &chain["total"]["last_year"],
                &year,
                &format!("{what} last year"),
            );
            check(
                &chain["total"]["previous"],
                &before,
                &format!("{what} previous"),
            );
            let growth =
                |then: i64| (then != 0).then(|| (now.net - then) as f64 / then.abs() as f64);
            assert_eq!(
                chain["total"]["year_growth"].as_f64(),
                growth(year.net),
                "{what}"
            );
            assert_eq!(
                chain["total"]["period_growth"].as_f64(),
                growth(before.net),
                "{what}"
            );

            // The trend: every part's net, and the same part's a year earlier.
            let trend = report(&format!("trend?period={period}&date={date}{scope}"));
            let part_of = |s: &Sold| match period {
                "day" => s.hour.to_string(),
                "quarter" | "year" => s.day.format("%Y-%m").to_string(),
                _ => s.day.to_string(),
            };
            let net_of = |part: &str, from: NaiveDate, to: NaiveDate| -> i64 {
                sold.iter()
                    .filter(in_scope)
                    .filter(within(from, to))
                    .filter(|s| part_of(s) == part)
                    .map(|s| s.lines.iter().map(|l| l.3).sum::<i64>())
                    .sum()
            };
            let points = trend["points"].as_array().unwrap();
            let parts = match period {
                "day" => 24,
                "quarter" => 3,
                "year" => 12,
                _ => (to - from).num_days() as usize + 1,
            };
            assert_eq!(points.len(), parts, "{what} trend");
            for p in points {
                let (part, then) = (
                    p["part"].as_str().unwrap(),
                    p["last_year_part"].as_str().unwrap(),
                );
                assert_eq!(
                    p["net"].as_i64(),
                    Some(net_of(part, from, to)),
                    "{what} trend {part}"
                );
                assert_eq!(
                    p["last_year_net"].as_i64(),
                    Some(net_of(then, last_from, last_to)),
                    "{what} trend {then} a year earlier"
                );
            }
            let drawn: i64 = points.iter().map(|p| p["net"].as_i64().unwrap()).sum();
            assert_eq!(drawn, now.net, "{what}: the trend adds up to the total");

            // By store, category and hour: every row against the journals.
            // A line's key in a breakdown by category, department or product.
            let line_key = |by: &str, l: &(i64, String, String, i64, i64, i64, i64)| match by {
                "category" => l.2.clone(),
                "product" => l.0.to_string(),
                _ => l.1.clone(),
            };
            for by in ["store", "category", "department", "product", "hour"] {
                let r = report(&format!("period={period}&date={date}&by={by}{scope}&top=0"));
                let mut groups: BTreeMap<String, Vec<Sold>> = BTreeMap::new();
                for s in sold.iter().filter(in_scope).filter(within(from, to)) {
                    let keys: Vec<String> = match by {
                        "store" => vec![s.store.to_string()],
                        "hour" => vec![s.hour.to_string()],
                        _ => {
                            let mut k: Vec<String> =
                                s.lines.iter().map(|l| line_key(by, l)).collect();
                            k.sort();
                            k.dedup();
                            k
                        }
                    };
                    for key in keys {
                        let lines = s
                            .lines
                            .iter()
                            .filter(|l| matches!(by, "store" | "hour") || line_key(by, l) == key)
                            .cloned()
                            .collect();
                        groups.entry(key).or_default().push(Sold {
                            store: s.store,
                            day: s.day,
                            hour: s.hour,
                            sale: s.sale,
                            member: s.member.clone(),
                            lines,
                        });
                    }
                }
                let rows: BTreeMap<String, &Value> = r["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|row| row["current"]["net"] != 0 || row["current"]["bills"] != 0)
                    .map(|row| (row["key"].as_str().unwrap().to_string(), row))
                    .collect();
                assert_eq!(
                    rows.keys().collect::<Vec<_>>(),
                    groups.keys().collect::<Vec<_>>(),
                    "{what} by {by}"
                );
                for (key, members) in &groups {
                    let counted = matches!(by, "store" | "hour");
                    let mut e = expect(members.iter(), counted);
                    if !counted {
                        // Bills with a line in the group; returns are not counted as bills.
                        e.returns = 0;
                    }
                    if by == "product" {
                        // Products carry no member share.
                        e.member_net = 0;
                    }
                    check(&rows[key]["current"], &e, &format!("{what} by {by} {key}"));
                    if by == "product" {
                        // The product's sales the period before and a year earlier.
                        for (column, from, to) in [
                            ("previous", prev_from, prev_to),
                            ("last_year", last_from, last_to),
                        ] {
                            let net: i64 = sold
                                .iter()
                                .filter(in_scope)
                                .filter(within(from, to))
                                .flat_map(|s| &s.lines)
                                .filter(|l| l.0.to_string() == *key)
                                .map(|l| l.3)
                                .sum();
                            assert_eq!(
                                rows[key][column]["net"].as_i64(),
                                Some(net),
                                "{what} by product {key}, {column}"
                            );
                        }
                    }
                    checked += 1;
                }
                let net: i64 = rows
                    .values()
                    .map(|r| r["current"]["net"].as_i64().unwrap())
                    .sum();
                assert_eq!(net, now.net, "{what} by {by}: the rows add up to the total");
            }
            // The best seller by net is the product the journals sold most of, by net.
            let mut by_product: BTreeMap<i64, i64> = BTreeMap::new();
            for s in sold.iter().filter(in_scope).filter(within(from, to)) {
                for l in &s.lines {
                    *by_product.entry(l.0).or_default() += l.3;
                }
            }
            let best = by_product
                .iter()
                .max_by_key(|(g, n)| (**n, -**g))
                .map(|(g, _)| *g);
            assert_eq!(
                chain["top_products"][0]["gtin"].as_i64(),
                best,
                "{what}: {}",
                chain["top_products"]
            );
        }
    }
    checked
}

fn reports_match_the_tills_journals_across_a_daylight_saving_change(db: Database) {
    let (shanghai, _) = setup(&db);
    common::hq::with_hq_settings(shanghai.path(), &format!("admin_token = \"{ADMIN}\"\n"));
    common::hq::import_demo_members(shanghai.path());
    let berlin = common::hq::till_of(shanghai.path(), "S002", "T01");
    let hq = Hq::start(shanghai.path());
    let http = reqwest::blocking::Client::new();
    let put = |path: &str, body: Value| {
        let r = http
            .put(format!("{}v1/admin/{path}", hq.url))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}: {}", r.text().unwrap());
    };
    put("settings/S001", json!({"time_zone": "Asia/Shanghai"}));
    put("settings/S002", json!({"time_zone": "Europe/Berlin"}));
    let product = |gtin: &str, name: &str, price: i64, tax: i64| {
        let (department, category) = hq_class(gtin);
        json!({"gtin": gtin, "name": name, "name_en": null, "price": {"minor": price, "currency": "CNY"},
            "tax_rate": tax * 100, "department": department, "category": category,
            "brand_type": "national", "manufacturer": null, "member_price": null,
            "bonus_points": "none", "weighed": false, "plu": null, "restricted": false,
            "external_id": null})
    };
    put(
        "products",
        json!([
            product(MILK, "光明鲜牛奶950ml", 1580, 9),
            product(WATER, "农夫山泉", 200, 13)
        ]),
    );
    // A zone that is not one is refused, and so is a change once the store has sales.
    let bad = http
        .put(format!("{}v1/admin/settings/S001", hq.url))
        .bearer_auth(ADMIN)
        .json(&json!({"time_zone": "UTC+8"}))
        .send()
        .unwrap();
    assert_eq!(bad.status().as_u16(), 422);

    // Berlin: 23:30Z on the 28th is 00:30 CET on the 29th; 21:30Z on the 29th is 23:30
    // CEST the same day; 22:30Z is 00:30 CEST on the 30th (a fixed UTC+1 would say 23:30
    // on the 29th).
    let berlin_script = [
        SIGN_IN.to_string(),
        sale("2025-03-30T10:00:00Z", None, &[MILK, WATER], "100.00"),
        sale(
            "2026-03-22T09:00:00Z",
            Some("6200123412341234"),
            &[WATER],
            "10.00",
        ),
        sale("2026-03-28T23:30:00Z", None, &[MILK, NOODLES], "100.00"),
        sale(
            "2026-03-29T21:30:00Z",
            Some("6200123412345678"),
            &[WATER, WATER],
            "10.00",
        ),
        sale(
            "2026-03-29T22:30:00Z",
            Some("6200123412345678"),
            &[MILK],
            "100.00",
        ),
        "{\"status\":{}}\n".to_string(),
    ]
    .concat();
    let out = common::run_script(berlin.path(), &berlin_script);
    assert_eq!(
        out.iter().filter(|a| a["sale"].is_object()).count(),
        5,
        "{out:?}"
    );
    // Shanghai: 15:30Z is 23:30 on the 29th, 16:30Z 00:30 on the 30th; the first is
    // partly returned on the 30th.
    let shanghai_script = [
        SIGN_IN.to_string(),
        sale("2025-03-30T03:00:00Z", Some("6200123412341234"), &[MILK], "100.00"),
        sale("2026-03-29T15:30:00Z", Some("6200123412341234"), &[MILK, MILK, NOODLES], "200.00"),
        sale("2026-03-29T16:30:00Z", None, &[WATER, NOODLES], "10.00"),
        "{\"set_clock\":\"2026-03-30T02:00:00Z\"}\n".to_string(),
        "{\"return\":{\"receipt\":\"R/S001/T01/00000002\",\"lines\":[{\"line\":1,\"qty\":\"1\"}]}}\n"
            .to_string(),
        "{\"approve\":{\"operator\":\"2001\",\"pin\":\"2222\"}}\n".to_string(),
        "{\"status\":{}}\n".to_string(),
    ]
    .concat();
    let out = common::run_script(shanghai.path(), &shanghai_script);
    assert_eq!(
        out.iter().filter(|a| a["sale"].is_object()).count(),
        4,
        "{out:?}"
    );
    for dir in [shanghai.path(), berlin.path()] {
        run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    }
    let again = http
        .put(format!("{}v1/admin/settings/S002", hq.url))
        .bearer_auth(ADMIN)
        .json(&json!({"time_zone": "Asia/Shanghai"}))
        .send()
        .unwrap();
    assert_eq!(again.status().as_u16(), 422, "a zone change under sales");

    let mut sold = journal(shanghai.path(), "S001", chrono_tz::Asia::Shanghai);
    sold.extend(journal(berlin.path(), "S002", chrono_tz::Europe::Berlin));
    assert_eq!(sold.len(), 9);
    assert_eq!(
        sold.iter()
            .filter(|s| s.store == "S002" && s.day == NaiveDate::from_ymd_opt(2026, 3, 30).unwrap())
            .count(),
        1,
        "Berlin's 22:30Z sale is on the 30th"
    );

    // `trend?…` asks for the trend, anything else for the sales report.
    let report = |query: &str| -> Value {
        let path = match query.strip_prefix("trend?") {
            Some(q) => format!("sales/trend?{q}"),
            None => format!("sales?{query}"),
        };
        let r = http
            .get(format!("{}v1/reports/{path}", hq.url))
            .bearer_auth(ADMIN)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{query}");
        r.json().unwrap()
    };
    let d = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let within = |from: NaiveDate, to: NaiveDate| move |s: &&Sold| s.day >= from && s.day <= to;
    let checked = check_reports(&report, &sold);
    assert!(checked > 60, "{checked} rows checked");

    // HQ's schedule rolled up the closed months (empty then) as it started; the sales
    // reached it later, so the reports above read them by day. Rolled up now, the long
    // reports read whole months from the month rollups, to the same figures.
    let months_after_march = "SELECT COUNT(*) FROM stores WHERE store_id IN ('S001', 'S002') AND months_until >= '2026-04-01'";
    let rolled = run_ok(storepos(shanghai.path()).args(["hq", "roll-up"]));
    assert!(!rolled.starts_with("0 "), "{rolled}");
    assert_eq!(db.scalar(months_after_march, &[]), 2, "{rolled}");
    assert!(db.scalar("SELECT COUNT(*) FROM customers_by_month", &[]) > 0);
    // The chain's weeks both stores rolled up are made: the week reports (this one, the
    // one before and a year earlier) read them.
    let made =
        "SELECT COUNT(*) FROM chain_weeks WHERE week IN ('2025-03-24', '2026-03-16', '2026-03-23')";
    assert_eq!(db.scalar(made, &[]), 3, "{rolled}");
    assert_eq!(check_reports(&report, &sold), checked, "rolled up");

    // A sale made offline in March reaches HQ after March was rolled up: Berlin's March is
    // read by day again, with the sale in it, until it is rolled up anew.
    let late = [
        SIGN_IN.to_string(),
        sale(
            "2026-03-10T09:00:00Z",
            Some("6200123412345678"),
            &[MILK, WATER],
            "100.00",
        ),
        "{\"status\":{}}\n".to_string(),
    ]
    .concat();
    let out = common::run_script(berlin.path(), &late);
    assert_eq!(
        out.iter().filter(|a| a["sale"].is_object()).count(),
        1,
        "{out:?}"
    );
    run_ok(storepos(berlin.path()).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM stores WHERE store_id = 'S002' AND months_until = '2026-03-01'",
            &[]
        ),
        1
    );
    let mut sold = journal(shanghai.path(), "S001", chrono_tz::Asia::Shanghai);
    sold.extend(journal(berlin.path(), "S002", chrono_tz::Europe::Berlin));
    assert_eq!(sold.len(), 10);
    let checked = check_reports(&report, &sold);
    run_ok(storepos(shanghai.path()).args(["hq", "roll-up"]));
    assert_eq!(db.scalar(months_after_march, &[]), 2);
    assert_eq!(check_reports(&report, &sold), checked, "rolled up again");
    // The late sale's week was made again, with it.
    assert_eq!(db.scalar(made, &[]), 3);
    let week_of_late_sale = |table: &str, day: &str| {
        db.scalar(
            &format!(
                "SELECT CAST(COALESCE(SUM(net), 0) AS BIGINT) FROM {table}
                 WHERE {day} >= '2026-03-09' AND {day} < '2026-03-16'"
            ),
            &[],
        )
    };
    let by_day = week_of_late_sale("sales_by_product", "day");
    assert!(by_day > 0);
    assert_eq!(
        week_of_late_sale("sales_by_product_chain_week", "week"),
        by_day
    );

    // The command line gives the same figures as CSV.
    let csv = run_ok(storepos(shanghai.path()).args([
        "hq",
        "report",
        "sales",
        "--period",
        "day",
        "--date",
        "2026-03-30",
        "--by",
        "category",
        "--format",
        "csv",
    ]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let total = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| r[0].starts_with("chain"))
        .expect("a total row");
    let day30 = expect(
        sold.iter().filter(within(d("2026-03-30"), d("2026-03-30"))),
        true,
    );
    assert_eq!(
        total[2].replace('.', "").parse::<i64>().unwrap(),
        day30.net,
        "{csv}"
    );

    // Bad input: 4xx with a message; an empty period answers zeros.
    for (query, status) in [
        ("period=fortnight", 422),
        ("date=2026-13-01", 422),
        ("by=colour", 422),
        ("store=S404", 404),
        ("top=100000", 422),
        ("rows=0", 422),
        ("rows=100001", 422),
    ] {
        let r = http
            .get(format!("{}v1/reports/sales?{query}", hq.url))
            .bearer_auth(ADMIN)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{query}");
        let body: Value = r.json().unwrap();
        assert!(
            !body["error"]["message"].as_str().unwrap().is_empty(),
            "{body}"
        );
    }
    // A breakdown lists the rows with the largest net sales, as many as asked for, and
    // says how many there are.
    let products = report("period=year&date=2026&by=product&rows=1");
    let mut sold_products: BTreeMap<i64, i64> = BTreeMap::new();
    for s in sold
        .iter()
        .filter(|s| s.day.to_string().starts_with("2026"))
    {
        for l in &s.lines {
            *sold_products.entry(l.0).or_default() += l.3;
        }
    }
    assert_eq!(
        products["rows_total"],
        json!(sold_products.len()),
        "{products}"
    );
    let best = sold_products
        .iter()
        .max_by_key(|(g, n)| (**n, -**g))
        .map(|(g, _)| g.to_string());
    assert_eq!(products["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        products["rows"][0]["key"].as_str().map(str::to_string),
        best
    );
    let empty = report("period=month&date=2031-01&by=category");
    assert_eq!(empty["rows"], json!([]));
    check(
        &empty["total"]["current"],
        &Expected {
            customers: Some(0),
            ..Default::default()
        },
        "empty",
    );
    let unauthorised = http
        .get(format!("{}v1/reports/sales", hq.url))
        .send()
        .unwrap();
    assert_eq!(unauthorised.status().as_u16(), 401);

    // HQ held sales before it kept lines: their lines are filled when it opens again, to
    // the same report.
    let before = report("period=year&date=2026&by=category&top=5");
    drop(hq);
    for sql in [
        "DELETE FROM sale_lines",
        "DELETE FROM sales_by_category",
        "DELETE FROM sales_by_hour",
        "DELETE FROM sales_by_product",
        "DELETE FROM member_months",
        "DELETE FROM sold_products",
        "UPDATE sales SET local_day = NULL, local_hour = NULL, net = NULL, discount = NULL, items = NULL",
    ] {
        db.execute(sql);
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM sale_lines", &[]), 0);
    let hq = Hq::start(shanghai.path());
    let r = http
        .get(format!(
            "{}v1/reports/sales?period=year&date=2026&by=category&top=5",
            hq.url
        ))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    assert_eq!(r.json::<Value>().unwrap(), before);
    let lines: i64 = sold.iter().map(|s| s.lines.len() as i64).sum();
    assert_eq!(db.scalar("SELECT COUNT(*) FROM sale_lines", &[]), lines);
}
