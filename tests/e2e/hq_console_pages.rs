//! The console's campaign, reconciliation, store settings and operators pages in a real
//! browser, on each backend. Two tills of S001 redeem the same signed coupon while HQ is
//! down, and a third till's ten weeks of sales to 张伟 earn her this fortnight's list; once
//! they sync, the campaigns page shows the coupon issued and redeemed, the list period with
//! its deals and the anonymised manufacturer report, and the reconciliation page shows the
//! second redemption with its cost. An admin changes S001's
//! settings and adds an operator through the forms: each change takes effect (the new
//! operator signs in at the till after a sync), a bad value is refused with its reason and
//! changes nothing, and each change is in the audit log with the record before and after.
//! Each role sees the pages its role opens (403 for the others), a store manager of S001
//! is refused S002's settings and operators (pages and forms), and a change without the
//! session's CSRF token is refused. Every page is saved as a screenshot at 1366×768 in
//! English and in Chinese under `target/ui-screenshots/console/`.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, form, login, session_cookie, text,
};
use common::hq::{Database, Hq, import_demo_members, run_ok, second_till, setup, storepos};

crate::on_each_backend!(staff_use_the_campaign_reconciliation_and_store_pages);

/// 张伟's card.
const ZHANG: &str = "6200123412341234";

/// Ten weeks of 张伟's visits before `before`, as a headless script.
fn history_script(before: DateTime<Utc>) -> String {
    let mut lines = vec![
        format!(
            r#"{{"set_clock":"{}"}}"#,
            (before - Duration::weeks(11)).to_rfc3339()
        ),
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#.to_string(),
        r#"{"open_shift":{"float":"200.00"}}"#.to_string(),
    ];
    for week in (1..=10).rev() {
        let at = before - Duration::weeks(week) + Duration::hours(3);
        lines.push(format!(r#"{{"set_clock":"{}"}}"#, at.to_rfc3339()));
        lines.push(format!(r#"{{"member":"{ZHANG}"}}"#));
        for gtin in ["6904000000111", "6920000000159", "6903000000138"] {
            lines.push(format!(r#"{{"scan":"{gtin}"}}"#));
        }
        lines.push(r#"{"tender":{"cash":"200.00"}}"#.to_string());
    }
    lines.join("\n") + "\n"
}

/// The admin token of the scripts that fill HQ's catalogue.
const STAFF_TOKEN: &str = "staff-token-for-scripts";
const ADMIN_PASSWORD: &str = "admin password 1";
const OTHER_PASSWORD: &str = "other password 1";

/// English labels of the new pages none of their Chinese versions may show.
const ENGLISH: [&str; 14] = [
    "Campaigns",
    "Reconciliation",
    "Store settings",
    "Operators",
    "Issued",
    "Redeemed",
    "Redemption rate",
    "Coupons redeemed twice",
    "Point overdrafts",
    "Save",
    "Log out",
    "None yet",
    "Time zone",
    "cashier",
];

/// How long a page may take to show what a test waits for, and how often it looks.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);
const TURN: std::time::Duration = std::time::Duration::from_millis(100);

/// Replaces what the input `css` holds with `value` (found again while the page that holds
/// it is still replacing the one before).
async fn fill(c: &Client, css: &str, value: &str) {
    let started = Instant::now();
    loop {
        if let Ok(input) = c.find(Locator::Css(css)).await
            && input.clear().await.is_ok()
            && input.send_keys(value).await.is_ok()
        {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "no {css}");
        tokio::time::sleep(TURN).await;
    }
}

async fn submit(c: &Client, form: &str) {
    c.find(Locator::Css(&format!("form#{form} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits until the input `css` holds `want` (a form's answer has loaded).
async fn holds(c: &Client, css: &str, want: &str) {
    let started = Instant::now();
    loop {
        let now = match c.find(Locator::Css(css)).await {
            Ok(e) => e.prop("value").await.ok().flatten(),
            Err(_) => None,
        };
        if now.as_deref() == Some(want) {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{css} holds {now:?}, not {want}"
        );
        tokio::time::sleep(TURN).await;
    }
}

/// The page's session CSRF token (the logout form carries it).
async fn csrf(c: &Client) -> String {
    c.find(Locator::Css("form.logout input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap()
}

fn staff_use_the_campaign_reconciliation_and_store_pages(db: Database) {
    let backend = match db {
        Database::Postgres { .. } => "postgres",
        Database::Sqlite { .. } => "sqlite",
    };
    let (t01, _) = setup(&db);
    let dir = t01.path();
    import_demo_members(dir);
    // HQ signs a coupon for 张伟; both tills of S001 know HQ's key.
    let key = run_ok(storepos(dir).args(["hq", "coupon-key"]))
        .trim()
        .to_string();
    let config = std::fs::read_to_string(dir.join("storepos.toml")).unwrap();
    std::fs::write(
        dir.join("storepos.toml"),
        format!("{config}\n[loyalty]\ncoupon_key = \"{key}\"\n"),
    )
    .unwrap();
    let issued = run_ok(storepos(dir).args([
        "hq",
        "issue-coupon",
        "--id",
        "X1",
        "--member",
        ZHANG,
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
    let t02 = second_till(dir, "T02");
    // A third till sells to 张伟 week after week, so that this fortnight's run makes her
    // a list with the deals' offers.
    let t03 = second_till(dir, "T03");
    let history = common::run_script(t03.path(), &history_script(Utc::now()));
    assert!(history.iter().all(|a| a["ok"] == true), "{history:?}");
    common::hq::register(dir, "S002", "T01");
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
    for till in [dir, t02.path()] {
        let out = common::run_script(till, &script);
        assert!(out[5]["sale"].is_object(), "{}", out[5]);
    }
    for (login, role, store) in [
        ("admin", "admin", None),
        ("fin", "finance", None),
        ("mkt", "marketing", None),
        ("mgr1", "store_manager", Some("S001")),
    ] {
        let mut args = vec![login, "--role", role, "--name", login];
        if let Some(s) = store {
            args.extend(["--store", s]);
        }
        let password = if login == "admin" {
            ADMIN_PASSWORD
        } else {
            OTHER_PASSWORD
        };
        add_staff(dir, &args, password);
    }
    common::hq::with_hq_settings(dir, &format!("admin_token = \"{STAFF_TOKEN}\"\n"));
    let mut hq = Hq::start(dir);
    // HQ's catalogue holds the milk before the sales arrive (their lines take its category).
    let money = |minor: i64| serde_json::json!({"minor": minor, "currency": "CNY"});
    let milk = serde_json::json!([{"gtin": "6904000000111", "name": "伊利纯牛奶250ml×12",
        "name_en": null, "price": money(5400), "tax_rate": 900, "department": "Dairy",
        "category": "Milk", "brand_type": "national", "manufacturer": null,
        "member_price": money(4800), "bonus_points": {"multiplier": 2}, "weighed": false, "plu": null,
        "restricted": false, "external_id": null}]);
    let put = reqwest::blocking::Client::new()
        .put(format!("{}v1/admin/products", hq.url))
        .bearer_auth(STAFF_TOKEN)
        .json(&milk)
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 200, "{}", put.text().unwrap());
    for till in [dir, t02.path(), t03.path()] {
        run_ok(storepos(till).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    }
    // A manufacturer funds an offer on what she buys most weeks.
    let start = storepos::hq::lists::period_start(Utc::now());
    let deal = serde_json::json!({"id": "MILK-1", "title": "1.00 off milk",
        "funding": {"manufacturer": "Acme Dairy"}, "target": {"product": "6904000000111"},
        "discount": {"amount": "1.00"}, "budget": "50.00",
        "valid_from": (start - Duration::days(30)).to_rfc3339(),
        "valid_until": (start + Duration::days(90)).to_rfc3339()});
    let deals = dir.join("deals.jsonl");
    std::fs::write(&deals, format!("{deal}\n")).unwrap();
    run_ok(storepos(dir).args(["hq", "import-deals"]).arg(&deals));
    let run: Value = serde_json::from_str(&run_ok(storepos(dir).args(["hq", "lists"]))).unwrap();
    assert_eq!(run["lists"], 1, "{run}");
    let base = hq.url.clone();
    let shots = Shots {
        dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/ui-screenshots/console"),
        backend,
    };
    std::fs::create_dir_all(&shots.dir).unwrap();
    let driver = Driver::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let c = browser(&driver, 1366, 768).await;
        login(&c, &base, "admin", ADMIN_PASSWORD).await;
        let nav = text(&c, "nav.side").await;
        for page in ["Campaigns", "Reconciliation", "Store settings", "Operators"] {
            assert!(nav.contains(page), "{nav}");
        }

        // Campaigns: the coupon issued one by one, redeemed once (the second redemption
        // is a conflict, not a redemption).
        c.goto(&format!("{base}console/campaigns")).await.unwrap();
        let issues = text(&c, "#issues").await;
        assert!(issues.contains("Coupons issued one by one"), "{issues}");
        let cells: Vec<String> = {
            let row = c
                .find_all(Locator::Css("#issues tr:nth-child(2) td"))
                .await
                .unwrap();
            let mut cells = Vec::new();
            for td in row {
                cells.push(td.text().await.unwrap());
            }
            cells
        };
        assert_eq!(
            &cells[2..6],
            ["1", "1", "100.0%", "5.00"],
            "issued, redeemed, rate, cost: {cells:?}"
        );
        // This fortnight's period: one list, running; the deals on it; the manufacturer
        // report by funding party and segment, without the member.
        let periods = text(&c, "#periods").await;
        assert!(periods.contains("running"), "{periods}");
        let lists = text(&c, "#periods tr:nth-child(2) td:nth-child(3)").await;
        assert_eq!(lists, "1", "{periods}");
        let deals = text(&c, "#deals").await;
        assert!(deals.lines().count() > 1, "{deals}");
        let manufacturers = text(&c, "#manufacturers").await;
        assert!(
            manufacturers.contains("user") && !manufacturers.contains("张伟"),
            "{manufacturers}"
        );
        shots.take(&c, "campaigns", "en").await;
        // One list period alone: its lists (none), and no coupon issues.
        c.goto(&format!("{base}console/campaigns?period=2017-12-04"))
            .await
            .unwrap();
        holds(&c, "input[name=period]", "2017-12-04").await;
        assert!(c.find(Locator::Css("#issues")).await.is_err());
        let bad = http
            .get(format!("{base}console/campaigns?period=soon"))
            .header("cookie", session_cookie(&c).await)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status().as_u16(), 400);

        // Reconciliation: T02's redemption came second and cost 5.00.
        c.goto(&format!("{base}console/reconciliation"))
            .await
            .unwrap();
        let conflicts = text(&c, "#conflicts").await;
        assert!(
            conflicts.contains("X1") && conflicts.contains("S001 · T02"),
            "{conflicts}"
        );
        assert_eq!(text(&c, "#conflict-cost").await, "5.00");
        shots.take(&c, "reconciliation", "en").await;

        // Store settings: a name, then another; a bad cash rounding changes nothing.
        c.goto(&format!("{base}console/settings?store=S001"))
            .await
            .unwrap();
        fill(&c, "input[name=name]", "Riverside 河畔店").await;
        submit(&c, "settings").await;
        arrives(&c, "saved=1").await;
        fill(&c, "input[name=name]", "Riverside 旗舰店").await;
        fill(&c, "input[name=address]", "1 River Road").await;
        submit(&c, "settings").await;
        arrives(&c, "saved=1").await;
        holds(&c, "input[name=name]", "Riverside 旗舰店").await;
        fill(&c, "input[name=cash_rounding]", "abc").await;
        submit(&c, "settings").await;
        let said = text(&c, ".notice.error").await;
        assert!(said.contains("abc"), "{said}");
        // The language switch of the refused form's answer leads back to the store's page.
        c.find(Locator::Css("a.lang"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrives(&c, "settings?store=S001").await;
        assert!(text(&c, "h1").await.contains("门店设置"));
        c.goto(&format!("{base}console/lang?to=en&back=/console/dashboard"))
            .await
            .unwrap();
        c.goto(&format!("{base}console/settings?store=S001"))
            .await
            .unwrap();
        holds(&c, "input[name=name]", "Riverside 旗舰店").await;
        holds(&c, "input[name=cash_rounding]", "").await;
        shots.take(&c, "settings", "en").await;
        c.goto(&format!("{base}console/audit?action=settings.put"))
            .await
            .unwrap();
        let rows = c.find_all(Locator::Css("#audit tr")).await.unwrap();
        assert_eq!(rows.len(), 1 + 2, "a header and two changes");
        let latest = rows[1].text().await.unwrap();
        assert!(
            latest.contains("S001")
                && latest.contains("\"name\": \"Riverside 河畔店\"")
                && latest.contains("\"name\": \"Riverside 旗舰店\""),
            "the change, before and after: {latest}"
        );

        // Operators: a supervisor added; a PIN that is not one is refused.
        c.goto(&format!("{base}console/operators?store=S001"))
            .await
            .unwrap();
        fill(&c, "input[name=id]", "2001").await;
        fill(&c, "input[name=name]", "王芳").await;
        c.find(Locator::Css("select[name=role] option[value=supervisor]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill(&c, "input[name=pin]", "12").await;
        submit(&c, "operator").await;
        let said = text(&c, ".notice.error").await;
        assert!(said.contains("PIN"), "{said}");
        assert!(c.find(Locator::Css("#operators")).await.is_err());
        holds(&c, "input[name=name]", "王芳").await;
        fill(&c, "input[name=pin]", "4321").await;
        submit(&c, "operator").await;
        arrives(&c, "saved=1").await;
        let operators = text(&c, "#operators").await;
        assert!(
            operators.contains("2001") && operators.contains("王芳"),
            "{operators}"
        );
        shots.take(&c, "operators", "en").await;
        c.goto(&format!("{base}console/audit?action=operators.put"))
            .await
            .unwrap();
        let audit = text(&c, "#audit").await;
        assert!(
            audit.contains("S001/2001") && audit.contains("王芳") && !audit.contains("4321"),
            "{audit}"
        );
        // Replacing her keeps who she was in the audit entry.
        c.goto(&format!("{base}console/operators?store=S001"))
            .await
            .unwrap();
        fill(&c, "input[name=id]", "2001").await;
        fill(&c, "input[name=name]", "王芳 (Fang)").await;
        fill(&c, "input[name=pin]", "4321").await;
        submit(&c, "operator").await;
        arrives(&c, "saved=1").await;
        c.goto(&format!("{base}console/audit?action=operators.put"))
            .await
            .unwrap();
        let latest = c.find_all(Locator::Css("#audit tr")).await.unwrap()[1]
            .text()
            .await
            .unwrap();
        assert!(
            latest.contains("\"name\": \"王芳\"")
                && latest.contains("\"role\": \"supervisor\"")
                && latest.contains("\"name\": \"王芳 (Fang)\"")
                && latest.contains("\"role\": \"cashier\""),
            "the operator before and after: {latest}"
        );
        // The till takes the operator from HQ: 王芳 signs in with her PIN.
        let till = dir.to_path_buf();
        let signed_in = tokio::task::spawn_blocking(move || {
            run_ok(storepos(&till).args(["--data-dir", "store", "sync", "--timeout", "60"]));
            common::run_script(
                &till,
                "{\"sign_in\":{\"operator\":\"2001\",\"pin\":\"4321\"}}\n",
            )
        })
        .await
        .unwrap();
        assert_eq!(signed_in[0]["ok"], true, "{:?}", signed_in[0]);

        // A change without the session's CSRF token is refused and changes nothing.
        let admin = session_cookie(&c).await;
        let refused = http
            .post(format!("{base}console/settings/S001"))
            .header("cookie", &admin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("name", "no token")]))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 403);

        // The same pages in Chinese: no English label left.
        c.goto(&format!(
            "{base}console/lang?to=zh_CN&back=/console/campaigns"
        ))
        .await
        .unwrap();
        for (name, path) in [
            ("campaigns", "console/campaigns"),
            ("reconciliation", "console/reconciliation"),
            ("settings", "console/settings?store=S001"),
            ("operators", "console/operators?store=S001"),
        ] {
            c.goto(&format!("{base}{path}")).await.unwrap();
            let shown = text(&c, "body").await;
            for word in ENGLISH {
                assert!(
                    !shown.contains(word),
                    "{name} in Chinese shows '{word}': {shown}"
                );
            }
            assert!(shown.contains("退出登录"), "{name}: {shown}");
            shots.take(&c, name, "zh").await;
        }
        c.close().await.unwrap();

        // Each role: the pages its role opens, 403 for the others; a store manager of
        // S001 is refused S002's settings and operators, pages and forms alike.
        for (who, allowed) in [
            ("fin", ["console/reconciliation"].as_slice()),
            ("mkt", ["console/campaigns"].as_slice()),
            ("mgr1", [].as_slice()),
        ] {
            let c = browser(&driver, 1366, 768).await;
            c.goto(&format!("{base}console/login?lang=en"))
                .await
                .unwrap();
            login(&c, &base, who, OTHER_PASSWORD).await;
            let cookie = session_cookie(&c).await;
            let token = csrf(&c).await;
            let nav = text(&c, "nav.side").await;
            for path in [
                "console/campaigns",
                "console/reconciliation",
                "console/settings?store=S001",
                "console/operators?store=S001",
                "console/settings?store=S002",
                "console/operators?store=S002",
            ] {
                let answer = http
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                let status = if allowed.contains(&path) { 200 } else { 403 };
                assert_eq!(answer.status().as_u16(), status, "{who}: {path}");
            }
            assert_eq!(nav.contains("Campaigns"), who == "mkt", "{who}: {nav}");
            assert_eq!(nav.contains("Reconciliation"), who == "fin", "{who}: {nav}");
            assert!(!nav.contains("Store settings") && !nav.contains("Operators"));
            let changes = [
                (
                    "console/settings/S002",
                    form(&[("csrf", &token), ("name", "taken over")]),
                ),
                (
                    "console/operators",
                    form(&[
                        ("csrf", &token),
                        ("store", "S002"),
                        ("id", "6666"),
                        ("name", "intruder"),
                        ("role", "manager"),
                        ("pin", "6666"),
                    ]),
                ),
            ];
            for (path, body) in changes {
                let answer = http
                    .post(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: {path}");
            }
            // The API's routes for the same changes, with the session and its token.
            let api = [
                (
                    "v1/admin/settings/S002",
                    serde_json::json!({"name": "taken over"}),
                ),
                (
                    "v1/admin/operators",
                    serde_json::json!([{"store_id": "S002", "id": "6666", "name": "intruder",
                        "role": "manager", "pin": "6666"}]),
                ),
            ];
            for (path, body) in api {
                let answer = http
                    .put(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: PUT {path}");
            }
            if who == "mgr1" {
                c.goto(&format!("{base}console/settings?store=S002"))
                    .await
                    .unwrap();
                assert!(text(&c, "main").await.contains("You may not see this page"));
            }
            c.close().await.unwrap();
        }
    });
    // Nothing the refused changes asked for reached HQ.
    let refused = db.scalar(
        "SELECT (SELECT COUNT(*) FROM operators WHERE store_id = 'S002')
              + (SELECT COUNT(*) FROM store_settings WHERE store_id = 'S002')",
        &[],
    );
    assert_eq!(refused, 0);
    hq.stop();
}
