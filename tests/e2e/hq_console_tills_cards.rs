//! Tills' tokens and members' cards through the console, in a real browser, on each
//! backend. An admin rotates T02's token on the tills page: the new token is shown once,
//! the old one is refused at once (401) and the till syncs with the new one; revoking T02
//! makes its token useless on every till route while its sales stay in the reports.
//! Customer service blocks 张伟's lost card on her member page: HQ's lookup by card refuses
//! it, and a till of her store refuses it after a sync; replacing it by a new number gives
//! her a card the till takes. A blank reason and a mistyped card number (wrong check digit)
//! are refused with their reason and change nothing. Every change is in the audit log
//! (never a token); a store manager of S001 gets 403 on S002's tills (page, form, API),
//! other roles on the cards; a change without the session's CSRF token is refused. The
//! pages are saved in English and Chinese at 1366×768 and 768×1024.

use std::time::Instant;

use fantoccini::{Client, Locator};
use reqwest::StatusCode;

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, form, login, session_cookie, text,
};
use common::hq::{Database, Hq, import_demo_members, run_ok, second_till, setup, storepos};

crate::on_each_backend!(staff_rotate_and_revoke_tills_and_block_and_replace_cards);

/// 张伟: her member number is her first card.
const ZHANG: &str = "6200123412341234";
const STAFF_TOKEN: &str = "staff-token-for-scripts";
const PASSWORD: &str = "a password 1234";

/// English words none of the Chinese pages may show.
const ENGLISH: [&str; 14] = [
    "Tills",
    "Token",
    "New token",
    "Revoke",
    "revoked",
    "Status",
    "Block a lost card",
    "Replace a card",
    "New card number",
    "Reason",
    "Log out",
    "active",
    "Backlog",
    "Version",
];

const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// A new card number as a till issues them: a prefix, ten digits and their Luhn digit.
fn issued_card(digits: &str) -> String {
    let check = storepos::domain::member::luhn_digit(digits);
    format!("S001HQ{digits}{check}")
}

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
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
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

/// Picks `value` in the select `css` of a form.
async fn choose(c: &Client, form: &str, value: &str) {
    click(
        c,
        &format!("form#{form} select[name=card] option[value='{value}']"),
    )
    .await;
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

/// The status of a till route asked with `token`.
async fn till_status(http: &reqwest::Client, base: &str, token: &str) -> u16 {
    http.get(format!("{base}v1/checkpoints/members"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Sets the `hq.token` of the till in `dir`.
fn set_token(dir: &std::path::Path, token: &str) {
    let path = dir.join("storepos.toml");
    let config: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("token = ") {
                format!("token = \"{token}\"\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(path, config).unwrap();
}

fn token_of(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("storepos.toml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("token = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string()
}

const SALE: &str = r#"{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"0"}}
{"scan":"6904000000111"}
{"tender":{"cash":"100.00"}}
"#;

/// What the till in `dir` answers when `card` is presented, after a sync.
fn present(dir: &std::path::Path, card: &str) -> serde_json::Value {
    run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    let out = common::run_script(
        dir,
        &format!(
            "{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}\n{{\"open_shift\":{{\"float\":\"0\"}}}}\n{{\"member\":\"{card}\"}}\n"
        ),
    );
    out[2].clone()
}

/// [`Database::scalar`] from inside the test's runtime (on a thread of its own, which may
/// start the runtime the query needs).
fn scalar(db: &Database, sql: &str, args: &[&str]) -> i64 {
    std::thread::scope(|s| s.spawn(|| db.scalar(sql, args)).join().unwrap())
}

fn staff_rotate_and_revoke_tills_and_block_and_replace_cards(db: Database) {
    let backend = match db {
        Database::Postgres { .. } => "postgres",
        Database::Sqlite { .. } => "sqlite",
    };
    let (t01, token01) = setup(&db);
    let dir = t01.path();
    import_demo_members(dir);
    let t02 = second_till(dir, "T02");
    let s002 = common::hq::register(dir, "S002", "T01");
    // T02 sells while HQ is down.
    let out = common::run_script(t02.path(), SALE);
    assert!(out[3]["sale"].is_object(), "{}", out[3]);
    for (login, role, store) in [
        ("admin", "admin", None),
        ("cs", "customer_service", None),
        ("mkt", "marketing", None),
        ("mgr1", "store_manager", Some("S001")),
    ] {
        let mut args = vec![login, "--role", role, "--name", login];
        if let Some(s) = store {
            args.extend(["--store", s]);
        }
        add_staff(dir, &args, PASSWORD);
    }
    common::hq::with_hq_settings(dir, &format!("admin_token = \"{STAFF_TOKEN}\"\n"));
    let mut hq = Hq::start(dir);
    for till in [dir, t02.path()] {
        run_ok(storepos(till).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    }
    let t02_sales = "SELECT COUNT(*) FROM sales WHERE store_id = 'S001' AND terminal_id = 'T02'";
    assert_eq!(db.scalar(t02_sales, &[]), 1);
    let base = hq.url.clone();
    let shots = Shots {
        dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/ui-screenshots/console"),
        backend,
    };
    std::fs::create_dir_all(&shots.dir).unwrap();
    let driver = Driver::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let old02 = token_of(t02.path());
    let t02_dir = t02.path().to_path_buf();
    let t01_dir = dir.to_path_buf();
    let new_card = issued_card("1234567890");
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let report = || {
            let (http, base) = (&http, &base);
            async move {
                http.get(format!("{base}v1/reports/sales?period=day&by=store"))
                    .bearer_auth(STAFF_TOKEN)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let c = browser(&driver, 1366, 768).await;
        login(&c, &base, "admin", PASSWORD).await;

        // Rotate T02: the new token once, the old one refused at once.
        c.goto(&format!("{base}console/tills")).await.unwrap();
        let tills = text(&c, "#tills").await;
        assert!(tills.contains("T02") && tills.contains("S002"), "{tills}");
        shots.take(&c, "tills", "en").await;
        click(
            &c,
            "form.rotate[action='/console/tills/S001/T02/rotate'] button",
        )
        .await;
        let new02 = text(&c, "#new-token code.token").await;
        assert!(new02.starts_with("S001.T02.") && new02 != old02, "{new02}");
        assert!(text(&c, "#new-token").await.contains("once"));
        shots.take(&c, "tills-rotated", "en").await;
        assert_eq!(till_status(&http, &base, &old02).await, 401);
        assert_eq!(till_status(&http, &base, &new02).await, 200);
        // Shown once: the list again holds no token, nor does HQ's database in clear.
        c.goto(&format!("{base}console/tills")).await.unwrap();
        assert!(!text(&c, "body").await.contains(&new02));
        assert!(c.find(Locator::Css("#new-token")).await.is_err());
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM terminals WHERE token_hash = $1",
                &[&new02]
            ),
            0
        );
        // The till syncs with its new token: a second sale reaches HQ.
        let (dir2, token) = (t02_dir.clone(), new02.clone());
        tokio::task::spawn_blocking(move || {
            set_token(&dir2, &token);
            let out = common::run_script(&dir2, SALE);
            assert!(out[3]["sale"].is_object(), "{}", out[3]);
            run_ok(storepos(&dir2).args(["--data-dir", "store", "sync", "--timeout", "60"]));
        })
        .await
        .unwrap();
        assert_eq!(scalar(&db, t02_sales, &[]), 2);
        let before = report().await;
        assert!(before.contains("S001"), "{before}");

        // The till's uploader reported its version and an empty backlog with the batch;
        // a backlog that is not a number is refused and changes nothing.
        let t02 = "SELECT backlog FROM terminals WHERE store_id = 'S001' AND terminal_id = 'T02'";
        assert_eq!(scalar(&db, t02, &[]), 0);
        let garbled = http
            .post(format!("{base}v1/events"))
            .bearer_auth(&new02)
            .header("x-storepos-backlog", "lots")
            .json(&serde_json::json!({"events": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
        assert_eq!(scalar(&db, t02, &[]), 0);
        c.goto(&format!("{base}console/tills")).await.unwrap();
        let row = text(&c, "#tills").await;
        assert!(
            row.contains(env!("CARGO_PKG_VERSION")) && row.contains("Backlog"),
            "{row}"
        );

        // Revoke T02: every till route refuses it, its sales stay in the reports.
        // Asked first; keeping it changes nothing.
        click(
            &c,
            "form.revoke[action='/console/tills/S001/T02/revoke'] button",
        )
        .await;
        arrives(&c, "/console/tills/S001/T02/revoke").await;
        let ask = text(&c, "#revoke-ask").await;
        assert!(ask.contains("S001 · T02"), "{ask}");
        shots.take(&c, "tills-revoke-ask", "en").await;
        click(&c, "#revoke-ask a.button").await;
        for waited in 0.. {
            if c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/console/tills")
            {
                break;
            }
            assert!(waited < 100, "kept on the revoke question");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(till_status(&http, &base, &new02).await, 200);
        click(
            &c,
            "form.revoke[action='/console/tills/S001/T02/revoke'] button",
        )
        .await;
        arrives(&c, "/console/tills/S001/T02/revoke").await;
        click(&c, "form.revoke-confirm button").await;
        arrives(&c, "revoked=1").await;
        assert_eq!(till_status(&http, &base, &new02).await, 401);
        let ingest = http
            .post(format!("{base}v1/events"))
            .bearer_auth(&new02)
            .json(&serde_json::json!({"events": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(ingest.status(), StatusCode::UNAUTHORIZED);
        let lookup = http
            .get(format!("{base}v1/members/{ZHANG}"))
            .bearer_auth(&new02)
            .send()
            .await
            .unwrap();
        assert_eq!(lookup.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(scalar(&db, t02_sales, &[]), 2);
        assert_eq!(report().await, before, "the report is the same");
        let row = text(&c, "#tills").await;
        assert!(row.contains("revoked"), "{row}");
        shots.take(&c, "tills-revoked", "en").await;
        // A revoked till cannot be rotated back (409); registering it again is the way.
        let again = http
            .post(format!("{base}v1/admin/terminals/S001/T02/rotate"))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::CONFLICT);

        // No CSRF token: refused, T01 still speaks.
        let admin = session_cookie(&c).await;
        let refused = http
            .post(format!("{base}console/tills/S001/T01/revoke"))
            .header("cookie", &admin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(till_status(&http, &base, &token01).await, 200);
        c.close().await.unwrap();

        // Customer service: a blank reason and a wrong check digit change nothing.
        let c = browser(&driver, 1366, 768).await;
        login(&c, &base, "cs", PASSWORD).await;
        c.goto(&format!("{base}console/members/{ZHANG}"))
            .await
            .unwrap();
        shots.take(&c, "member-cards", "en").await;
        let cards = "SELECT COUNT(*) FROM member_cards WHERE member_id = $1 AND status = 'active'";
        assert_eq!(scalar(&db, cards, &[ZHANG]), 1);
        choose(&c, "block-card", ZHANG).await;
        fill(&c, "form#block-card input[name=reason]", "   ").await;
        click(&c, "form#block-card button[type=submit]").await;
        let said = text(&c, ".notice.error").await;
        assert!(said.contains("reason"), "{said}");
        let mistyped = format!("{}{}", &new_card[..new_card.len() - 1], {
            let last = new_card.as_bytes()[new_card.len() - 1] - b'0';
            (last + 1) % 10
        });
        fill(&c, "form#replace-card input[name=new_card]", &mistyped).await;
        fill(&c, "form#replace-card input[name=reason]", "lost").await;
        click(&c, "form#replace-card button[type=submit]").await;
        let said = text(&c, ".notice.error").await;
        assert!(said.contains("check digit"), "{said}");
        assert_eq!(scalar(&db, cards, &[ZHANG]), 1);
        assert_eq!(
            scalar(
                &db,
                "SELECT COUNT(*) FROM member_cards WHERE card = $1",
                &[&mistyped]
            ),
            0
        );

        // Block her card: HQ's lookup refuses it, and so does her store's till after a sync.
        c.goto(&format!("{base}console/members/{ZHANG}"))
            .await
            .unwrap();
        choose(&c, "block-card", ZHANG).await;
        fill(
            &c,
            "form#block-card input[name=reason]",
            "lost at the market",
        )
        .await;
        click(&c, "form#block-card button[type=submit]").await;
        arrives(&c, "card=blocked").await;
        assert_eq!(scalar(&db, cards, &[ZHANG]), 0);
        let lookup = http
            .get(format!("{base}v1/members/{ZHANG}"))
            .bearer_auth(&token01)
            .send()
            .await
            .unwrap();
        assert_eq!(lookup.status(), StatusCode::GONE);
        let till = t01_dir.clone();
        let at_till = tokio::task::spawn_blocking(move || present(&till, ZHANG))
            .await
            .unwrap();
        assert_eq!(at_till["error"]["code"], "bad_card", "{at_till}");
        // Blocking it twice is refused.
        let twice = http
            .post(format!("{base}v1/members/{ZHANG}/cards/{ZHANG}/block"))
            .bearer_auth(STAFF_TOKEN)
            .json(&serde_json::json!({"reason": "again"}))
            .send()
            .await
            .unwrap();
        assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Replace it: the new card works at the till.
        choose(&c, "replace-card", ZHANG).await;
        fill(&c, "form#replace-card input[name=new_card]", &new_card).await;
        fill(
            &c,
            "form#replace-card input[name=reason]",
            "new card issued",
        )
        .await;
        click(&c, "form#replace-card button[type=submit]").await;
        arrives(&c, "card=replaced").await;
        assert!(text(&c, "main").await.contains(&new_card));
        shots.take(&c, "member-cards-done", "en").await;
        let (till, card) = (t01_dir.clone(), new_card.clone());
        let at_till = tokio::task::spawn_blocking(move || present(&till, &card))
            .await
            .unwrap();
        assert_eq!(at_till["member"]["name"], "张伟", "{at_till}");
        // The same page in Chinese, at both sizes.
        c.goto(&format!(
            "{base}console/lang?to=zh_CN&back=/console/members/{ZHANG}"
        ))
        .await
        .unwrap();
        c.goto(&format!("{base}console/members/{ZHANG}"))
            .await
            .unwrap();
        let shown = text(&c, "body").await;
        for word in ENGLISH {
            assert!(
                !shown.contains(word),
                "the member page in Chinese shows '{word}'"
            );
        }
        shots.take(&c, "member-cards", "zh").await;
        c.close().await.unwrap();

        // The audit log: who, which terminal or card, before and after; never a token.
        let c = browser(&driver, 1366, 768).await;
        login(&c, &base, "admin", PASSWORD).await;
        for (action, target, with) in [
            ("terminal.rotate", "S001/T02", "rotated"),
            ("terminal.revoke", "S001/T02", "revoked"),
            ("card.block", ZHANG, "lost at the market"),
            ("card.replace", ZHANG, new_card.as_str()),
        ] {
            c.goto(&format!("{base}console/audit?action={action}"))
                .await
                .unwrap();
            let rows = c.find_all(Locator::Css("#audit tr")).await.unwrap();
            assert_eq!(rows.len(), 2, "{action}: a header and one change");
            let entry = rows[1].text().await.unwrap();
            assert!(
                entry.contains(target) && entry.contains(with),
                "{action}: {entry}"
            );
            assert!(
                !entry.contains(&new02) && !entry.contains(&old02),
                "{entry}"
            );
            if action == "card.block" {
                assert!(
                    entry.contains("\"status\": \"active\"")
                        && entry.contains("\"status\": \"blocked\"")
                        && entry.contains("cs"),
                    "before and after: {entry}"
                );
            }
        }
        // The tills page at both sizes, both languages.
        for (width, height, size) in [(1366, 768, ""), (768, 1024, "-tablet")] {
            c.set_window_size(width, height).await.unwrap();
            for lang in ["en", "zh_CN"] {
                c.goto(&format!("{base}console/lang?to={lang}&back=/console/tills"))
                    .await
                    .unwrap();
                c.goto(&format!("{base}console/tills")).await.unwrap();
                let shown = text(&c, "body").await;
                let short = if lang == "en" { "en" } else { "zh" };
                if short == "zh" {
                    for word in ENGLISH {
                        assert!(!shown.contains(word), "tills in Chinese show '{word}'");
                    }
                }
                let wide: i64 = c
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_i64()
                    .unwrap();
                assert!(
                    wide <= 0,
                    "tills{size} ({short}) scroll sideways by {wide}px"
                );
                shots.take(&c, &format!("tills{size}"), short).await;
                c.goto(&format!("{base}console/tills/S001/T01/revoke"))
                    .await
                    .unwrap();
                let ask = text(&c, "#revoke-ask").await;
                if short == "zh" {
                    for word in ENGLISH {
                        assert!(
                            !ask.contains(word),
                            "the revoke question in Chinese shows '{word}'"
                        );
                    }
                }
                shots
                    .take(&c, &format!("tills-revoke-ask{size}"), short)
                    .await;
                c.goto(&format!("{base}console/members/{ZHANG}"))
                    .await
                    .unwrap();
                let wide: i64 = c
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth",
                        vec![],
                    )
                    .await
                    .unwrap()
                    .as_i64()
                    .unwrap();
                assert!(
                    wide <= 0,
                    "member{size} ({short}) scroll sideways by {wide}px"
                );
                shots.take(&c, &format!("member-cards{size}"), short).await;
            }
        }
        c.close().await.unwrap();

        // A store manager of S001: S001's tills only; S002's are refused, page, form and
        // API alike. Roles other than admins and customer service may not change cards.
        for who in ["mgr1", "mkt"] {
            let c = browser(&driver, 1366, 768).await;
            c.goto(&format!("{base}console/login?lang=en"))
                .await
                .unwrap();
            login(&c, &base, who, PASSWORD).await;
            let cookie = session_cookie(&c).await;
            let token = csrf(&c).await;
            let post = |path: String, body: String| {
                let (http, cookie, base) = (&http, &cookie, &base);
                async move {
                    http.post(format!("{base}{path}"))
                        .header("cookie", cookie)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                }
            };
            let api = |path: String, body: serde_json::Value| {
                let (http, cookie, token, base) = (&http, &cookie, &token, &base);
                async move {
                    http.post(format!("{base}{path}"))
                        .header("cookie", cookie)
                        .header("x-csrf-token", token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .status()
                }
            };
            let page = http
                .get(format!("{base}console/tills"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            if who == "mgr1" {
                assert_eq!(page.status(), StatusCode::OK);
                let body = page.text().await.unwrap();
                assert!(body.contains("T01") && !body.contains("S002"), "{body}");
                for action in ["rotate", "revoke"] {
                    let form_status = post(
                        format!("console/tills/S002/T01/{action}"),
                        form(&[("csrf", &token)]),
                    )
                    .await;
                    assert_eq!(form_status, StatusCode::FORBIDDEN, "{action}");
                    let api_status = api(
                        format!("v1/admin/terminals/S002/T01/{action}"),
                        serde_json::json!({}),
                    )
                    .await;
                    assert_eq!(api_status, StatusCode::FORBIDDEN, "{action}");
                }
            } else {
                assert_eq!(page.status(), StatusCode::FORBIDDEN);
            }
            let card = post(
                format!("console/members/{ZHANG}/cards/block"),
                form(&[("csrf", &token), ("card", &new_card), ("reason", "no")]),
            )
            .await;
            assert_eq!(card, StatusCode::FORBIDDEN, "{who}");
            let card = api(
                format!("v1/members/{ZHANG}/cards/{new_card}/block"),
                serde_json::json!({"reason": "no"}),
            )
            .await;
            assert_eq!(card, StatusCode::FORBIDDEN, "{who}");
            c.close().await.unwrap();
        }
        assert_eq!(
            till_status(&http, &base, &s002).await,
            200,
            "S002's till speaks"
        );
    });
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM member_cards WHERE card = $1 AND status = 'active'",
            &[&new_card]
        ),
        1,
        "the refused changes changed nothing"
    );
    // The CLI revokes too, and `hq register` gives the till a token again.
    run_ok(storepos(dir).args(["hq", "revoke-terminal", "S002", "T01"]));
    let http = reqwest::blocking::Client::new();
    let status = |token: &str| {
        http.get(format!("{}v1/checkpoints/members", hq.url))
            .bearer_auth(token)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(status(&s002), StatusCode::UNAUTHORIZED);
    let again = common::hq::register(dir, "S002", "T01");
    assert_eq!(status(&again), StatusCode::OK);
    hq.stop();
}
