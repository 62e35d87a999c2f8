//! The console's catalogue, store prices and promotions pages in a real browser, on each
//! backend. HQ's catalogue holds 120 products, listed 50 at a time and found by GTIN or
//! name. An admin adds a product and changes its price, sets S001's own price for it and
//! adds a promotion through the forms; after a sync, a till of S001 sells the product at
//! S001's price and a till of S002 at the chain's, each with the promotion. Bad values are
//! refused with their reason on the page and change nothing; every change is in the audit
//! log with the record before and after; a change without the session's CSRF token is
//! refused. A store manager of S001 sets S001's prices but is refused S002's (page, form
//! and API) and the catalogue and promotions; marketing and customer service are refused
//! all three. Every page is saved as a screenshot in English and Chinese at 1366×768 and
//! at 768×1024 under `target/ui-screenshots/console/`, with no English label on a Chinese
//! page and no sideways scroll.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use storepos::domain::gs1::Gtin;

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, form, login, session_cookie, shows, text,
};
use common::hq::{Database, Hq, run_ok, setup, storepos, till_of};

crate::on_each_backend!(staff_keep_the_catalogue_store_prices_and_promotions);

const STAFF_TOKEN: &str = "staff-token-for-scripts";
const ADMIN_PASSWORD: &str = "admin password 1";
const OTHER_PASSWORD: &str = "other password 1";
/// 农夫山泉 in the demo catalogue (2.00).
const WATER: &str = "6901234567892";

/// English labels of the three pages none of their Chinese versions may show.
const ENGLISH: [&str; 22] = [
    "Catalogue",
    "Store prices",
    "Promotions",
    "Product name",
    "Chain price",
    "Store price",
    "Member price",
    "Next page",
    "Save",
    "Change",
    "Search",
    "Members only",
    "percent off",
    "Back to the chain",
    "Starts",
    "Ends",
    "Flags",
    "Brand",
    "national brand",
    "all products",
    "Log out",
    "Add or change",
];

const PATIENCE: Duration = Duration::from_secs(10);
const TURN: Duration = Duration::from_millis(100);

/// Replaces what the input `css` holds with `value`.
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

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn submit(c: &Client, form: &str) {
    click(c, &format!("form#{form} button[type=submit]")).await;
}

/// Waits until the element `css` finds says `part` (a refused form's answer has loaded).
async fn says(c: &Client, css: &str, part: &str) {
    let started = Instant::now();
    loop {
        let now = text(c, css).await;
        if now.contains(part) {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "{css} says {now}, not {part}");
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

/// The number of rows of the table `css` (its header included).
async fn rows(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(&format!("{css} tr")))
        .await
        .unwrap()
        .len()
}

/// The newest audit entry of `action`, as the audit page shows it.
async fn latest_audit(c: &Client, base: &str, action: &str) -> String {
    c.goto(&format!("{base}console/audit?action={action}"))
        .await
        .unwrap();
    text(c, "#audit").await;
    c.find_all(Locator::Css("#audit tr")).await.unwrap()[1]
        .text()
        .await
        .unwrap()
}

/// Whether the page scrolls sideways (wider than the window).
async fn scrolls_sideways(c: &Client) -> bool {
    let widths = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    widths[0].as_i64().unwrap() > widths[1].as_i64().unwrap()
}

/// The single integer a query of HQ's database returns, read from inside the test's
/// runtime (reading PostgreSQL starts a runtime of its own).
fn scalar(db: &Database, sql: &str, args: &[&str]) -> i64 {
    tokio::task::block_in_place(|| db.scalar(sql, args))
}

/// A GTIN-13 made from a 12-digit body.
fn gtin(body: u64) -> String {
    Gtin::gtin13_from_body(body).unwrap().to_string()
}

/// A product as the admin API takes it.
fn product(gtin: &str, name: &str, minor: i64) -> Value {
    json!({"gtin": gtin, "name": name, "name_en": null,
        "price": {"minor": minor, "currency": "CNY"}, "tax_rate": 1300, "department": "Grocery",
        "category": "Snacks", "brand_type": "national", "manufacturer": null,
        "member_price": null, "bonus_points": "none", "weighed": false, "plu": null,
        "restricted": false, "external_id": null})
}

/// Signs in at the till in `dir` after a sync and scans `gtins`: the basket's total.
fn till_total(dir: &std::path::Path, gtins: &[&str]) -> String {
    run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    let mut script = String::from(
        "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n",
    );
    for g in gtins {
        script.push_str(&format!("{{\"scan\":\"{g}\"}}\n"));
    }
    let answers = common::run_script(dir, &script);
    let last = answers.last().unwrap();
    assert_eq!(last["ok"], true, "{answers:?}");
    last["basket"]["total"].as_str().unwrap().to_string()
}

fn staff_keep_the_catalogue_store_prices_and_promotions(db: Database) {
    let backend = match db {
        Database::Postgres { .. } => "postgres",
        Database::Sqlite { .. } => "sqlite",
    };
    let (s001, _) = setup(&db);
    let dir = s001.path();
    let s002 = till_of(dir, "S002", "T01");
    for (login, role, store) in [
        ("admin", "admin", None),
        ("mgr1", "store_manager", Some("S001")),
        ("mkt", "marketing", None),
        ("cs", "customer_service", None),
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
    // HQ's catalogue: water and 119 snacks, more than two pages.
    let mut catalogue = vec![product(WATER, "农夫山泉550ml", 200)];
    catalogue.extend((1..120).map(|i| {
        product(
            &gtin(697_100_000_000 + i),
            &format!("Snack {i:03}"),
            500 + i as i64,
        )
    }));
    let put = reqwest::blocking::Client::new()
        .put(format!("{}v1/admin/products", hq.url))
        .bearer_auth(STAFF_TOKEN)
        .json(&catalogue)
        .send()
        .unwrap();
    assert_eq!(put.status().as_u16(), 200, "{}", put.text().unwrap());
    let tea = gtin(697_000_000_001);
    let base = hq.url.clone();
    let shots = Shots {
        dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/ui-screenshots/console"),
        backend,
    };
    std::fs::create_dir_all(&shots.dir).unwrap();
    let audits = |action: &str| {
        scalar(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = $1",
            &[action],
        )
    };
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
        for page in ["Catalogue", "Store prices", "Promotions"] {
            assert!(nav.contains(page), "{nav}");
        }

        // The catalogue, 50 products a page; by name and by GTIN.
        c.goto(&format!("{base}console/catalogue")).await.unwrap();
        assert_eq!(rows(&c, "#products").await, 1 + 50);
        click(&c, "a#next").await;
        arrives(&c, "after=").await;
        let second = text(&c, "#products").await;
        assert!(
            second.contains("Snack 050") && !second.contains("Snack 049"),
            "{second}"
        );
        fill(&c, "#search input[name=q]", "snack 10").await;
        click(&c, "#search button").await;
        arrives(&c, "q=snack").await;
        assert_eq!(rows(&c, "#products").await, 1 + 10, "Snack 100 to 109");
        fill(&c, "#search input[name=q]", WATER).await;
        click(&c, "#search button").await;
        arrives(&c, WATER).await;
        assert_eq!(rows(&c, "#products").await, 1 + 1);

        // A new product through the form, then a new price for it.
        c.goto(&format!("{base}console/catalogue")).await.unwrap();
        fill(&c, "#product input[name=gtin]", &tea).await;
        fill(&c, "#product input[name=name]", "西湖龙井250g").await;
        fill(&c, "#product input[name=name_en]", "Longjing 250g").await;
        fill(&c, "#product input[name=price]", "38.00").await;
        fill(&c, "#product input[name=member_price]", "35.00").await;
        fill(&c, "#product input[name=department]", "Grocery").await;
        fill(&c, "#product input[name=category]", "Tea").await;
        submit(&c, "product").await;
        arrives(&c, "saved=1").await;
        let listed = text(&c, "#products").await;
        assert!(
            listed.contains("西湖龙井250g") && listed.contains("38.00"),
            "{listed}"
        );
        fill(&c, "#product input[name=price]", "36.50").await;
        submit(&c, "product").await;
        arrives(&c, "saved=1").await;
        shows(&c, "#products td.num", "36.50 CNY").await;
        // Bad values change nothing and say why: a price that is not one (the form), a
        // negative price (the same check as the API's).
        for (price, said) in [
            ("abc", "Price: not an amount"),
            ("-1.00", "must not be negative"),
        ] {
            fill(&c, "#product input[name=price]", price).await;
            submit(&c, "product").await;
            says(&c, ".notice.error", said).await;
        }
        assert_eq!(
            audits("products.put"),
            1 + 2,
            "the API's and the two changes"
        );
        let entry = latest_audit(&c, &base, "products.put").await;
        assert!(
            entry.contains(&tea)
                && entry.contains("\"minor\": 3800")
                && entry.contains("\"minor\": 3650"),
            "the product before and after: {entry}"
        );

        // S001's own price for it; a bad one is refused.
        c.goto(&format!("{base}console/prices?store=S001&q={tea}"))
            .await
            .unwrap();
        assert_eq!(text(&c, "#prices td.own").await, "—");
        click(&c, "#prices a[href*=gtin]").await;
        arrives(&c, "gtin=").await;
        fill(&c, "#price input[name=price]", "1.5x").await;
        submit(&c, "price").await;
        says(&c, ".notice.error", "1.5x").await;
        fill(&c, "#price input[name=price]", "33.00").await;
        submit(&c, "price").await;
        arrives(&c, "saved=1").await;
        shows(&c, "#prices td.own", "33.00").await;
        assert_eq!(audits("prices.put"), 1);

        // A promotion: 10% off water. Bad ones are refused with their reason.
        c.goto(&format!("{base}console/promotions")).await.unwrap();
        fill(&c, "#promotion input[name=id]", "WATER10").await;
        fill(&c, "#promotion input[name=name]", "矿泉水九折").await;
        fill(&c, "#promotion input[name=start]", "2020-01-01").await;
        fill(&c, "#promotion input[name=end]", "2099-01-01 00:00").await;
        fill(&c, "#promotion input[name=products]", WATER).await;
        fill(&c, "#promotion input[name=percent]", "10").await;
        submit(&c, "promotion").await;
        arrives(&c, "saved=1").await;
        let listed = text(&c, "#promotions").await;
        assert!(
            listed.contains("WATER10") && listed.contains("percent off 10%"),
            "{listed}"
        );
        let before = listed.clone();
        for (field, value, said) in [
            ("end", "2019-12-31", "must end after it starts"),
            ("products", "4006381333931", "not in HQ's catalogue"),
            ("products", "4006381333932", "not a valid GTIN"),
            ("percent", "150", "percentage must be from 0 to 100"),
        ] {
            c.goto(&format!("{base}console/promotions?edit=WATER10"))
                .await
                .unwrap();
            fill(&c, &format!("#promotion input[name={field}]"), value).await;
            submit(&c, "promotion").await;
            says(&c, ".notice.error", said).await;
            assert_eq!(text(&c, "#promotions").await, before, "nothing changed");
        }
        // A negative amount off, as a new promotion: refused, nothing stored.
        c.goto(&format!("{base}console/promotions")).await.unwrap();
        fill(&c, "#promotion input[name=id]", "NEG").await;
        fill(&c, "#promotion input[name=name]", "负数").await;
        fill(&c, "#promotion input[name=start]", "2020-01-01").await;
        fill(&c, "#promotion input[name=end]", "2099-01-01").await;
        click(&c, "select[name=kind] option[value=amount_off]").await;
        fill(&c, "#promotion input[name=amount]", "-1.00").await;
        submit(&c, "promotion").await;
        says(
            &c,
            ".notice.error",
            "NEG: amounts and prices must not be negative",
        )
        .await;
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM promotions", &[]), 1);
        assert_eq!(audits("promotions.put"), 1);
        // Changed to 20% and back to 10%: the audit entry holds both.
        c.goto(&format!("{base}console/promotions?edit=WATER10"))
            .await
            .unwrap();
        fill(&c, "#promotion input[name=percent]", "20").await;
        submit(&c, "promotion").await;
        arrives(&c, "saved=1").await;
        let entry = latest_audit(&c, &base, "promotions.put").await;
        assert!(
            entry.contains("\"basis_points\": 1000") && entry.contains("\"basis_points\": 2000"),
            "the promotion before and after: {entry}"
        );
        c.goto(&format!("{base}console/promotions?edit=WATER10"))
            .await
            .unwrap();
        fill(&c, "#promotion input[name=percent]", "10").await;
        submit(&c, "promotion").await;
        arrives(&c, "saved=1").await;

        // The tills take it all at their next sync: S001 sells the tea at its own price,
        // S002 at the chain's, both with water 10% off.
        let (one, two) = (dir.to_path_buf(), s002.path().to_path_buf());
        let tea_ = tea.clone();
        let totals = tokio::task::spawn_blocking(move || {
            (
                till_total(&one, &[&tea_, WATER]),
                till_total(&two, &[&tea_, WATER]),
            )
        })
        .await
        .unwrap();
        assert_eq!(totals, ("34.80".to_string(), "38.30".to_string()));

        // Back to the chain's price: the before and after of both changes in the log.
        c.goto(&format!(
            "{base}console/prices?store=S001&q={tea}&gtin={tea}"
        ))
        .await
        .unwrap();
        click(&c, "#price button[name=clear]").await;
        arrives(&c, "saved=1").await;
        shows(&c, "#prices td.own", "—").await;
        let entry = latest_audit(&c, &base, "prices.put").await;
        assert!(
            entry.contains("\"price\": \"33.00\"") && entry.contains("\"price\": null"),
            "the price before and after: {entry}"
        );
        assert_eq!(
            scalar(&db, "SELECT COUNT(*) FROM store_prices", &[]),
            0,
            "S001 is back at the chain's price"
        );

        // Changes without the session's CSRF token are refused and change nothing.
        let admin = session_cookie(&c).await;
        for (path, body) in [
            (
                "console/catalogue",
                form(&[
                    ("gtin", &tea),
                    ("name", "x"),
                    ("price", "1.00"),
                    ("currency", "CNY"),
                    ("tax_rate", "13"),
                ]),
            ),
            (
                "console/prices",
                form(&[("store", "S001"), ("gtin", &tea), ("price", "1.00")]),
            ),
            (
                "console/promotions",
                form(&[
                    ("id", "X"),
                    ("name", "x"),
                    ("start", "2020-01-01"),
                    ("end", "2099-01-01"),
                    ("kind", "percent_off"),
                    ("percent", "50"),
                ]),
            ),
        ] {
            let refused = http
                .post(format!("{base}{path}"))
                .header("cookie", &admin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status().as_u16(), 403, "{path}");
        }

        // Each page in English and in Chinese (no English label left), no sideways scroll.
        let pages = [
            ("catalogue", format!("console/catalogue?q=&edit={tea}")),
            ("prices", format!("console/prices?store=S001&gtin={tea}")),
            ("promotions", "console/promotions?edit=WATER10".to_string()),
        ];
        for (lang, short) in [("en", "en"), ("zh_CN", "zh")] {
            c.goto(&format!(
                "{base}console/lang?to={lang}&back=/console/catalogue"
            ))
            .await
            .unwrap();
            for (name, path) in &pages {
                c.goto(&format!("{base}{path}")).await.unwrap();
                let shown = text(&c, "body").await;
                if short == "zh" {
                    for word in ENGLISH {
                        assert!(
                            !shown.contains(word),
                            "{name} in Chinese shows '{word}': {shown}"
                        );
                    }
                    assert!(shown.contains("退出登录"), "{name}: {shown}");
                }
                assert!(!scrolls_sideways(&c).await, "{name} in {lang}");
                shots.take(&c, name, short).await;
            }
        }
        c.close().await.unwrap();

        // A tablet: each page in both languages, nothing wider than the window.
        let c = browser(&driver, 768, 1024).await;
        login(&c, &base, "admin", ADMIN_PASSWORD).await;
        for lang in ["en", "zh_CN"] {
            c.goto(&format!(
                "{base}console/lang?to={lang}&back=/console/catalogue"
            ))
            .await
            .unwrap();
            for (name, path) in &pages {
                c.goto(&format!("{base}{path}")).await.unwrap();
                text(&c, "main h1").await;
                assert!(!scrolls_sideways(&c).await, "{name} {lang} on a tablet");
                let lang = if lang == "en" { "en" } else { "zh" };
                shots.take(&c, &format!("{name}-tablet"), lang).await;
            }
        }
        c.close().await.unwrap();

        // Each role: a store manager of S001 keeps S001's prices and nothing else;
        // marketing and customer service none of the three pages.
        for who in ["mgr1", "mkt", "cs"] {
            let c = browser(&driver, 1366, 768).await;
            c.goto(&format!("{base}console/login?lang=en"))
                .await
                .unwrap();
            login(&c, &base, who, OTHER_PASSWORD).await;
            let cookie = session_cookie(&c).await;
            let token = csrf(&c).await;
            let nav = text(&c, "nav.side").await;
            let manager = who == "mgr1";
            assert_eq!(nav.contains("Store prices"), manager, "{who}: {nav}");
            assert!(
                !nav.contains("Catalogue") && !nav.contains("Promotions"),
                "{who}: {nav}"
            );
            for (path, mine) in [
                ("console/prices?store=S001".to_string(), manager),
                ("console/prices".to_string(), manager),
                ("console/prices?store=S002".to_string(), false),
                ("console/catalogue".to_string(), false),
                (format!("console/catalogue?edit={tea}"), false),
                ("console/promotions".to_string(), false),
            ] {
                let answer = http
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                let status = if mine { 200 } else { 403 };
                assert_eq!(answer.status().as_u16(), status, "{who}: {path}");
            }
            let post = |path: &str, body: String| {
                http.post(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
            };
            let price = |store: &str| {
                form(&[
                    ("csrf", &token),
                    ("store", store),
                    ("gtin", WATER),
                    ("price", "0.01"),
                ])
            };
            let refused = [
                ("console/prices", price("S002")),
                (
                    "console/catalogue",
                    form(&[
                        ("csrf", &token),
                        ("gtin", WATER),
                        ("name", "x"),
                        ("price", "0.01"),
                        ("currency", "CNY"),
                        ("tax_rate", "13"),
                    ]),
                ),
                (
                    "console/promotions",
                    form(&[
                        ("csrf", &token),
                        ("id", "X"),
                        ("name", "x"),
                        ("start", "2020-01-01"),
                        ("end", "2099-01-01"),
                        ("kind", "percent_off"),
                        ("percent", "50"),
                    ]),
                ),
            ];
            for (path, body) in refused {
                let answer = post(path, body).await.unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: POST {path}");
            }
            let own = post("console/prices", price("S001")).await.unwrap();
            assert_eq!(
                own.status().as_u16(),
                if manager { 303 } else { 403 },
                "{who}: S001"
            );
            // The API's routes for the same changes, with the session and its token.
            let api = [
                (
                    "v1/admin/prices/S002",
                    json!([{"gtin": WATER, "price": "0.01"}]),
                    403,
                ),
                (
                    "v1/admin/prices/S001",
                    json!([{"gtin": WATER, "price": null}]),
                    if manager { 200 } else { 403 },
                ),
                ("v1/admin/products", json!([product(WATER, "x", 1)]), 403),
                ("v1/admin/promotions", json!([]), 403),
            ];
            for (path, body, status) in api {
                let answer = http
                    .put(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), status, "{who}: PUT {path}");
            }
            if manager {
                c.goto(&format!("{base}console/prices?store=S002"))
                    .await
                    .unwrap();
                assert!(text(&c, "main").await.contains("You may not see this page"));
                c.goto(&format!("{base}console/prices")).await.unwrap();
                let picker = text(&c, "select[name=store]").await;
                assert!(
                    picker.contains("S001") && !picker.contains("S002"),
                    "{picker}"
                );
            }
            c.close().await.unwrap();
        }
    });
    // Nothing a refused change asked for reached HQ: the manager's S001 price was set and
    // cleared, S002 has none, water is still water.
    let left = scalar(
        &db,
        "SELECT (SELECT COUNT(*) FROM store_prices) + (SELECT COUNT(*) FROM promotions)",
        &[],
    );
    assert_eq!(left, 1, "WATER10 only");
    assert_eq!(
        audits("prices.put"),
        2 + 2,
        "the admin's two, the manager's two"
    );
    hq.stop();
}
