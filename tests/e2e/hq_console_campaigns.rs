//! The console's segments and deals pages in a real browser, on each backend. A till sells
//! to two demo members today and syncs. Marketing saves a segment (gold and silver members
//! who bought), sees its members for today and downloads them as CSV; with HQ started
//! without a coupon-signing key the coupon form is replaced by the refusal, and a coupon
//! issue posted anyway is refused; with its key HQ issues the campaign's coupon to the one
//! member who consented to marketing, and the segment's page counts it. Marketing adds a
//! deal, whose budget, reserved amount and what is left are shown. Bad input (an unknown
//! segment, a bad segment id, a score that is not one, garbled deal JSON, a bad or negative
//! budget) is refused with its reason and changes nothing; changes without the session's
//! CSRF token are refused; a store manager and customer service get 403 on every page and
//! route. Every new page is saved as a screenshot in English and Chinese at 1366×768 and at
//! 768×1024 under `target/ui-screenshots/console/`, with no English label on a Chinese page
//! and no sideways scroll.

use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, form, login, session_cookie, text,
};
use common::hq::{Database, Hq, import_demo_members, run_ok, setup, storepos, with_hq_settings};

crate::on_each_backend!(marketing_keeps_segments_coupons_and_deals);

const STAFF_TOKEN: &str = "staff-token-for-scripts";
const PASSWORD: &str = "marketing password 1";
const ZHANG_WEI: &str = "6200123412341234";
const LI_NA: &str = "6200123412345678";
const SIGN_IN: &str =
    "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n";

/// English labels of the new pages none of their Chinese versions may show.
const ENGLISH: [&str; 18] = [
    "Segments",
    "Deals and budgets",
    "Segment id",
    "Criteria",
    "Members in the segment",
    "Issue coupons",
    "Download CSV",
    "Campaign id",
    "Valid from",
    "Budget",
    "Save",
    "Change",
    "Add or change",
    "every member",
    "Marketing consent",
    "Funded by",
    "Log out",
    "Recency score",
];

const PATIENCE: Duration = Duration::from_secs(10);
const TURN: Duration = Duration::from_millis(100);

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

/// Waits until the element `css` finds says `part`.
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

async fn csrf(c: &Client) -> String {
    c.find(Locator::Css("form.logout input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap()
}

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

fn scalar(db: &Database, sql: &str, args: &[&str]) -> i64 {
    tokio::task::block_in_place(|| db.scalar(sql, args))
}

/// Marks the demo member of `card` as having consented to marketing (no route does).
fn consent(db: &Database, card: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = storepos::hq::HqStore::open(&db.url()).await.unwrap();
        let (mut m, _) = store.member_by_card(card).await.unwrap().unwrap();
        m.consent.marketing = true;
        store.upsert_member(&m).await.unwrap();
        m.id
    })
}

/// The member id of the demo member of `card`.
fn member_id(db: &Database, card: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = storepos::hq::HqStore::open(&db.url()).await.unwrap();
        store.member_by_card(card).await.unwrap().unwrap().0.id
    })
}

fn marketing_keeps_segments_coupons_and_deals(db: Database) {
    let backend = match db {
        Database::Postgres { .. } => "postgres",
        Database::Sqlite { .. } => "sqlite",
    };
    let (work, _) = setup(&db);
    let dir = work.path();
    import_demo_members(dir);
    for (login, role) in [
        ("mkt", "marketing"),
        ("mgr1", "store_manager"),
        ("cs", "customer_service"),
    ] {
        let mut args = vec![login, "--role", role, "--name", login];
        if role == "store_manager" {
            args.extend(["--store", "S001"]);
        }
        add_staff(dir, &args, PASSWORD);
    }
    let zhang = consent(&db, ZHANG_WEI);
    let li = member_id(&db, LI_NA);
    // Today's sales at S001 to 张伟 and 李娜, synced to HQ.
    for card in [ZHANG_WEI, LI_NA] {
        let script = format!(
            "{SIGN_IN}{{\"member\":\"{card}\"}}\n{{\"scan\":\"6901234567892\"}}\n{{\"tender\":{{\"cash\":\"50.00\"}}}}\n"
        );
        let out = common::run_script(dir, &script);
        assert!(out.iter().any(|a| a["sale"].is_object()), "{out:?}");
    }
    // HQ first without a key it can read (its key file is a directory).
    let no_key = dir.join("no-key");
    std::fs::create_dir(&no_key).unwrap();
    let config = std::fs::read_to_string(dir.join("storepos.toml")).unwrap();
    with_hq_settings(
        dir,
        &format!(
            "admin_token = \"{STAFF_TOKEN}\"\nkey_file = \"{}\"\n",
            no_key.display()
        ),
    );
    let mut hq = Hq::start(dir);
    run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    let base = hq.url.clone();
    let today = Utc::now().date_naive().to_string();
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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(&driver, 1366, 768).await;
        c.goto(&format!("{base}console/login?lang=en"))
            .await
            .unwrap();
        login(&c, &base, "mkt", PASSWORD).await;
        let nav = text(&c, "nav.side").await;
        assert!(
            nav.contains("Segments") && nav.contains("Deals and budgets"),
            "{nav}"
        );
        // The campaigns page links both.
        c.goto(&format!("{base}console/campaigns")).await.unwrap();
        click(&c, "#campaign-links a[href='/console/segments']").await;
        arrives(&c, "/console/segments").await;

        // A segment: gold and silver members who bought (any recency score).
        fill(&c, "#segment input[name=id]", "gold-silver").await;
        fill(&c, "#segment input[name=name]", "金银卡常客").await;
        fill(&c, "#segment input[name=r_min]", "1").await;
        fill(&c, "#segment input[name=tiers]", "gold, silver").await;
        submit(&c, "segment").await;
        arrives(&c, "/console/segments/gold-silver?saved=1").await;
        says(&c, "#criteria", "Recency score (R) 1–5").await;
        // Yesterday (the default) none of them had bought; today both.
        says(&c, "#count", "Members in the segment: 0").await;
        c.execute(
            &format!("document.querySelector('#day input[name=as_of]').value = '{today}';"),
            vec![],
        )
        .await
        .unwrap();
        submit(&c, "day").await;
        arrives(&c, &format!("as_of={today}")).await;
        says(&c, "#count", "Members in the segment: 2").await;
        let listed = text(&c, "#members").await;
        assert!(
            listed.contains("张伟") && listed.contains("李娜"),
            "{listed}"
        );
        // Without its key HQ says it cannot issue coupons.
        says(&c, "#nokey", "no coupon-signing key").await;
        c.execute("document.querySelector('#nokey').scrollIntoView();", vec![])
            .await
            .unwrap();
        shots.take(&c, "segment-no-key", "en").await;
        assert_eq!(audits("segment.put"), 1);

        // The CSV: the same members, as the API's.
        let cookie = session_cookie(&c).await;
        let token = csrf(&c).await;
        let csv_url = text(&c, "#day").await;
        assert!(csv_url.contains("Download CSV"));
        let csv = http
            .get(format!(
                "{base}console/segments/gold-silver/members.csv?as_of={today}"
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status().as_u16(), 200);
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let body = csv.text().await.unwrap();
        let mut lines = body.lines();
        assert!(lines.next().unwrap().starts_with("member_id,name,tier,"));
        let mut rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        rows.sort();
        let mut want = vec![
            (zhang.clone(), "张伟", "gold", "true"),
            (li.clone(), "李娜", "silver", "false"),
        ];
        want.sort();
        assert_eq!(rows.len(), 2, "{body}");
        for (row, (id, name, tier, consented)) in rows.iter().zip(&want) {
            assert_eq!(
                (&row[0], row[1].as_str(), row[2].as_str(), row[4].as_str()),
                (id, *name, *tier, *consented),
                "{body}"
            );
        }
        let api = http
            .get(format!(
                "{base}v1/segments/gold-silver/members?as_of={today}"
            ))
            .bearer_auth(STAFF_TOKEN)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(
            api.text().await.unwrap(),
            body,
            "the console's CSV is the API's"
        );

        // A coupon issue posted anyway is refused with the reason; nothing issued.
        let coupon = |with_token: bool| {
            let mut pairs = vec![
                ("as_of", today.as_str()),
                ("campaign_id", "VIP-5"),
                ("title", "满50减5"),
                ("kind", "amount"),
                ("value", "5.00"),
                ("target", "basket"),
                ("min_spend", "50"),
                ("valid_from", today.as_str()),
                ("valid_until", "2099-01-01"),
            ];
            if with_token {
                pairs.push(("csrf", token.as_str()));
            }
            form(&pairs)
        };
        let refused = http
            .post(format!("{base}console/segments/gold-silver/coupons"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(coupon(true))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 503);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("This HQ has no coupon-signing key")
        );
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM campaign_coupons", &[]), 0);
        c.close().await.unwrap();
    });

    // HQ again, with its key.
    hq.stop();
    std::fs::write(dir.join("storepos.toml"), &config).unwrap();
    with_hq_settings(dir, &format!("admin_token = \"{STAFF_TOKEN}\"\n"));
    let mut hq = Hq::start(dir);
    rt.block_on(async {
        let c = browser(&driver, 1366, 768).await;
        c.goto(&format!("{base}console/login?lang=en"))
            .await
            .unwrap();
        login(&c, &base, "mkt", PASSWORD).await;
        let cookie = session_cookie(&c).await;
        let token = csrf(&c).await;

        // A coupon for the segment: only 张伟 consented to marketing.
        c.goto(&format!(
            "{base}console/segments/gold-silver?as_of={today}"
        ))
        .await
        .unwrap();
        fill(&c, "#coupon input[name=campaign_id]", "VIP-5").await;
        fill(&c, "#coupon input[name=title]", "满50减5").await;
        fill(&c, "#coupon input[name=value]", "5.00").await;
        fill(&c, "#coupon input[name=min_spend]", "50").await;
        fill(&c, "#coupon input[name=valid_until]", "2099-01-01").await;
        submit(&c, "coupon").await;
        arrives(&c, "issued=").await;
        says(&c, "#issued", "coupons issued 1").await;
        says(&c, "#issued", "without marketing consent 1").await;
        let issues = text(&c, "#issues").await;
        assert!(issues.contains("VIP-5") && issues.contains("满50减5"), "{issues}");
        assert_eq!(
            text(&c, "#issues tr:nth-child(2) td.num").await,
            "1",
            "one coupon counted"
        );
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM campaign_coupons", &[]), 1);
        assert_eq!(audits("segment.coupons"), 1);
        // A bad coupon (a date that is not one) changes nothing.
        fill(&c, "#coupon input[name=campaign_id]", "VIP-6").await;
        fill(&c, "#coupon input[name=title]", "x").await;
        fill(&c, "#coupon input[name=value]", "5.00").await;
        fill(&c, "#coupon input[name=valid_until]", "someday").await;
        submit(&c, "coupon").await;
        says(&c, ".notice.error", "Valid until (UTC, not included): not a date ('someday')").await;
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM campaign_coupons", &[]), 1);

        // Bad segments: an unknown one, a bad id, a score that is not one.
        c.goto(&format!("{base}console/segments/nope")).await.unwrap();
        says(&c, "main", "HQ has no segment 'nope'").await;
        c.goto(&format!("{base}console/segments")).await.unwrap();
        fill(&c, "#segment input[name=id]", "bad id!").await;
        fill(&c, "#segment input[name=name]", "x").await;
        submit(&c, "segment").await;
        says(&c, ".notice.error", "must be 1–40 ASCII letters").await;
        fill(&c, "#segment input[name=id]", "gold-silver").await;
        fill(&c, "#segment input[name=m_max]", "x").await;
        submit(&c, "segment").await;
        says(&c, ".notice.error", "Monetary score (M): not a whole number ('x')").await;
        fill(&c, "#segment input[name=m_max]", "9").await;
        submit(&c, "segment").await;
        says(&c, ".notice.error", "a score range runs from min to max within 1–5").await;
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM segments", &[]), 1);
        assert_eq!(audits("segment.put"), 1);

        // A deal, funded by a manufacturer, for two segments.
        c.goto(&format!("{base}console/segments")).await.unwrap();
        click(&c, "nav.side a[href='/console/deals']").await;
        arrives(&c, "/console/deals").await;
        fill(&c, "#deal input[name=id]", "TEA-M7").await;
        fill(&c, "#deal input[name=title]", "绿茶立减1元").await;
        fill(&c, "#deal input[name=manufacturer]", "M7").await;
        fill(&c, "#deal input[name=target]", "Tea").await;
        fill(&c, "#deal input[name=discount]", "1.00").await;
        fill(&c, "#deal input[name=budget]", "500.00").await;
        click(&c, "#deal input[value='national/high']").await;
        click(&c, "#deal input[value='store/high']").await;
        fill(&c, "#deal input[name=valid_from]", "2026-01-01").await;
        fill(&c, "#deal input[name=valid_until]", "2099-01-01").await;
        submit(&c, "deal").await;
        arrives(&c, "saved=1").await;
        let row = text(&c, "#deal-TEA-M7").await;
        assert!(
            row.contains("绿茶立减1元") && row.contains("M7") && row.contains("500.00"),
            "{row}"
        );
        assert_eq!(text(&c, "#deal-TEA-M7 td.left").await, "500.00");
        assert_eq!(audits("deals.put"), 1);
        // What the lists reserved of it (two offers of a list run) is taken off.
        for (coupon, value) in [("L1", "150"), ("L2", "250")] {
            tokio::task::block_in_place(|| {
                db.execute(&format!(
                    "INSERT INTO list_offers (member_id, coupon_id, list_id, deal_id, funded_by, segment, max_value, period_start)
                     VALUES ('M-{coupon}', '{coupon}', 'LIST-{coupon}', 'TEA-M7', 'M7', 'national/high', {value}, '2026-01-05T00:00:00+00:00')"
                ))
            });
        }
        c.goto(&format!("{base}console/deals")).await.unwrap();
        let row = text(&c, "#deal-TEA-M7").await;
        assert!(row.contains("4.00"), "reserved: {row}");
        assert_eq!(text(&c, "#deal-TEA-M7 td.left").await, "496.00");
        // The same figures through the API.
        let listed: serde_json::Value = http
            .get(format!("{base}v1/deals"))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            (
                &listed[0]["id"],
                &listed[0]["budget"],
                &listed[0]["reserved"],
                &listed[0]["left"]
            ),
            (&json!("TEA-M7"), &json!(50000), &json!(400), &json!(49600)),
            "{listed}"
        );

        // Bad deals change nothing: a budget that is not an amount, a negative one,
        // garbled JSON through the API.
        for (budget, said) in [
            ("12,50", "12,50"),
            ("-5.00", "budget and min_spend must not be negative"),
        ] {
            c.goto(&format!("{base}console/deals?edit=TEA-M7"))
                .await
                .unwrap();
            fill(&c, "#deal input[name=budget]", budget).await;
            submit(&c, "deal").await;
            says(&c, ".notice.error", "Deal not saved").await;
            says(&c, ".notice.error", said).await;
            assert_eq!(text(&c, "#deal-TEA-M7 td.left").await, "496.00");
        }
        for garbled in ["[{\"id\": \"X\", ", "{\"id\": 1}", "[{\"id\": \"X\"}]"] {
            let answer = http
                .put(format!("{base}v1/deals"))
                .bearer_auth(STAFF_TOKEN)
                .header("content-type", "application/json")
                .body(garbled)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let said = answer.text().await.unwrap();
            assert!([400, 422].contains(&status), "{garbled}: {status} {said}");
            assert!(said.contains("\"message\""), "{said}");
        }
        assert_eq!(scalar(&db, "SELECT COUNT(*) FROM deals", &[]), 1);
        assert_eq!(audits("deals.put"), 1);
        // The same deal through the API, with the session and its token.
        let put = http
            .put(format!("{base}v1/deals"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &token)
            .json(&json!([{"id": "BASKET", "title": "整单立减", "funding": "store",
                "target": {"category": "Grocery"}, "discount": {"percent": "10"},
                "max_discount": "5.00", "budget": "100.00", "valid_from": "2026-01-01",
                "valid_until": "2099-01-01"}]))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status().as_u16(), 200, "{}", put.text().await.unwrap());
        assert_eq!(audits("deals.put"), 2);

        // Changes without the session's CSRF token are refused and change nothing.
        for (path, body) in [
            ("console/segments", form(&[("id", "x"), ("name", "x")])),
            (
                "console/segments/gold-silver/coupons",
                form(&[("campaign_id", "X"), ("title", "x"), ("value", "1.00")]),
            ),
            (
                "console/deals",
                form(&[("id", "X"), ("title", "x"), ("budget", "1.00")]),
            ),
        ] {
            let refused = http
                .post(format!("{base}{path}"))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status().as_u16(), 403, "{path}");
        }
        let refused = http
            .put(format!("{base}v1/deals"))
            .header("cookie", &cookie)
            .json(&json!([]))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 403);

        // Each new page in English and in Chinese, no sideways scroll.
        let pages = [
            ("segments", "console/segments?edit=gold-silver".to_string()),
            ("segment", format!("console/segments/gold-silver?as_of={today}")),
            ("deals", "console/deals?edit=TEA-M7".to_string()),
        ];
        for (width, height, suffix) in [(1366, 768, ""), (768, 1024, "-tablet")] {
            let c = browser(&driver, width, height).await;
            c.goto(&format!("{base}console/login?lang=en"))
                .await
                .unwrap();
            login(&c, &base, "mkt", PASSWORD).await;
            for (lang, short) in [("en", "en"), ("zh_CN", "zh")] {
                c.goto(&format!(
                    "{base}console/lang?to={lang}&back=/console/segments"
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
                    assert!(!scrolls_sideways(&c).await, "{name} {lang} at {width}");
                    shots.take(&c, &format!("{name}{suffix}"), short).await;
                    // The page's end: its forms.
                    c.execute("window.scrollTo(0, document.body.scrollHeight);", vec![])
                        .await
                        .unwrap();
                    shots.take(&c, &format!("{name}{suffix}-end"), short).await;
                }
            }
            c.close().await.unwrap();
        }
        c.close().await.unwrap();

        // A store manager and customer service: 403 on every page and route.
        for who in ["mgr1", "cs"] {
            let c = browser(&driver, 1366, 768).await;
            c.goto(&format!("{base}console/login?lang=en"))
                .await
                .unwrap();
            login(&c, &base, who, PASSWORD).await;
            let cookie = session_cookie(&c).await;
            let token = csrf(&c).await;
            let nav = text(&c, "nav.side").await;
            assert!(
                !nav.contains("Segments") && !nav.contains("Deals"),
                "{who}: {nav}"
            );
            for path in [
                "console/segments".to_string(),
                "console/segments?edit=gold-silver".to_string(),
                format!("console/segments/gold-silver?as_of={today}"),
                "console/segments/gold-silver/members.csv".to_string(),
                "console/deals".to_string(),
                "v1/deals".to_string(),
                "v1/segments/gold-silver/members".to_string(),
            ] {
                let answer = http
                    .get(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: {path}");
            }
            for (path, body) in [
                (
                    "console/segments",
                    form(&[("csrf", &token), ("id", "mine"), ("name", "x")]),
                ),
                (
                    "console/segments/gold-silver/coupons",
                    form(&[
                        ("csrf", &token),
                        ("campaign_id", "X"),
                        ("title", "x"),
                        ("value", "1.00"),
                        ("valid_from", "2026-01-01"),
                        ("valid_until", "2099-01-01"),
                    ]),
                ),
                (
                    "console/deals",
                    form(&[("csrf", &token), ("id", "X"), ("title", "x"), ("budget", "1")]),
                ),
            ] {
                let answer = http
                    .post(format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: POST {path}");
            }
            for (method, path, body) in [
                ("PUT", "v1/deals", json!([])),
                (
                    "PUT",
                    "v1/segments/mine",
                    json!({"name": "x", "definition": {}}),
                ),
                (
                    "POST",
                    "v1/segments/gold-silver/coupons",
                    json!({"campaign_id": "X", "title": "x", "amount_off": 100,
                        "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z"}),
                ),
            ] {
                let answer = http
                    .request(method.parse().unwrap(), format!("{base}{path}"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 403, "{who}: {method} {path}");
            }
            c.goto(&format!("{base}console/deals")).await.unwrap();
            assert!(text(&c, "main").await.contains("You may not see this page"));
            c.close().await.unwrap();
        }
    });
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM segments", &[]), 1);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM deals", &[]), 2);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM campaign_coupons", &[]), 1);
    hq.stop();
}
