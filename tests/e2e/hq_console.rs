//! The HQ console in a real browser: HQ runs as `storepos hq serve` on each backend, staff
//! accounts are made with `storepos hq staff add`, a till of S001 sells to a member and
//! syncs, and headless Chromium (driven through chromedriver by fantoccini) logs in, finds
//! the member by pinyin, adjusts their points with a reason and sees it on the ledger and
//! in the audit log, works a complaint from open to closed, runs a report and downloads
//! its CSV. A store manager of S001 is refused S002's pages and API routes (403), a change
//! without the session's CSRF token is refused (403) and changes nothing, and repeated
//! failed logins are answered 429. Every page is saved as a screenshot in English and in
//! Chinese under `target/ui-screenshots/console/`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, form, login, session_cookie, shows, text,
};
use common::hq::{Database, Hq, import_demo_members, run_ok, setup, storepos};

crate::on_each_backend!(staff_work_the_console_in_a_browser);

const ADMIN_PASSWORD: &str = "admin password 1";
const MANAGER_PASSWORD: &str = "manager password 1";
/// 张伟 of the demo members (home store S001), with a gold card.
const ZHANG_WEI: &str = "6200123412341234";

const SIGN_IN: &str =
    "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n";

/// Records a complaint about `store` through the CLI; returns its case id.
fn complaint(dir: &std::path::Path, store: &str, member: Option<&str>, content: &str) -> String {
    let mut c = storepos(dir);
    c.args([
        "hq",
        "complaints",
        "add",
        "--store",
        store,
        "--channel",
        "phone",
    ])
    .args(["--content", content, "--handler", "hq-desk", "--json"]);
    if let Some(m) = member {
        c.args(["--member", m]);
    }
    let case: Value = serde_json::from_str(&run_ok(&mut c)).unwrap();
    case["id"].as_str().unwrap().to_string()
}

/// English labels none of the Chinese pages may show.
const ENGLISH: [&str; 8] = [
    "Dashboard",
    "Members",
    "Complaints",
    "Log out",
    "Points balance",
    "Audit log",
    "Rows by",
    "Last upload",
];

fn staff_work_the_console_in_a_browser(db: Database) {
    let backend = match db {
        Database::Postgres { .. } => "postgres",
        Database::Sqlite { .. } => "sqlite",
    };
    let (work, _token) = setup(&db);
    let dir = work.path();
    import_demo_members(dir);
    add_staff(
        dir,
        &["admin", "--role", "admin", "--name", "Ada Admin"],
        ADMIN_PASSWORD,
    );
    add_staff(
        dir,
        &[
            "mgr1",
            "--role",
            "store_manager",
            "--store",
            "S001",
            "--name",
            "Li Store",
        ],
        MANAGER_PASSWORD,
    );
    // A store manager without a store, and a password on the command line, are refused.
    let out = storepos(dir)
        .args(["hq", "staff", "add", "nostore", "--role", "store_manager"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let listed = run_ok(storepos(dir).args(["hq", "staff", "list"]));
    assert!(
        listed.contains("mgr1") && listed.contains("S001") && !listed.contains("$argon2"),
        "{listed}"
    );

    // Today's sale at S001 to 张伟, synced to HQ.
    let script = format!(
        "{SIGN_IN}{{\"member\":\"{ZHANG_WEI}\"}}\n{{\"scan\":\"6901234567892\"}}\n{{\"scan\":\"6901234567892\"}}\n{{\"tender\":{{\"cash\":\"50.00\"}}}}\n"
    );
    let out = common::run_script(dir, &script);
    assert!(out.iter().any(|a| a["sale"].is_object()), "{out:?}");
    common::hq::register(dir, "S002", "T01");
    let ours = complaint(dir, "S001", None, "牛奶过期了 (expired milk)");
    let theirs = complaint(dir, "S002", None, "Queue too long at S002");
    let mut hq = Hq::start(dir);
    run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
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

        // Not logged in: the console sends one to the login page.
        c.goto(&format!("{base}console/members")).await.unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), "/console/login");
        shots.take(&c, "login", "en").await;

        login(&c, &base, "admin", ADMIN_PASSWORD).await;
        assert_eq!(c.current_url().await.unwrap().path(), "/console/dashboard");
        let dashboard = c.source().await.unwrap();
        assert!(
            dashboard.contains("<svg") && dashboard.contains("S001"),
            "{dashboard}"
        );
        shots.take(&c, "dashboard", "en").await;

        // Members: 张伟 by the initials of the pinyin of his name, as one types (htmx).
        c.goto(&format!("{base}console/members")).await.unwrap();
        c.find(Locator::Css("input[name=q]"))
            .await
            .unwrap()
            .send_keys("zw")
            .await
            .unwrap();
        let started = Instant::now();
        loop {
            // htmx may swap the results between finding them and reading them: a stale
            // element is read again on the next turn.
            let found = match c.find(Locator::Css("#results")).await {
                Ok(results) => results.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if found.contains("张伟") {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "zw found {found}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        shots.take(&c, "members", "en").await;
        // The whole pinyin finds him too, without JavaScript.
        c.goto(&format!("{base}console/members?q=zhangwei"))
            .await
            .unwrap();
        let row = text(&c, "#results").await;
        assert!(row.contains("张伟") && row.contains("13800138000"), "{row}");
        c.find(Locator::Css("#results td a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let member_path = arrives(&c, "/console/members/").await.path().to_string();
        let balance_before: i64 = text(&c, "#balance").await.trim().parse().unwrap();
        shots.take(&c, "member", "en").await;

        // A change without the session's CSRF token is refused and changes nothing.
        let cookie = session_cookie(&c).await;
        let refused = http
            .post(format!("{base}{}/adjust", &member_path[1..]))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("points", "1000"), ("reason", "no token")]))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 403);
        let member_no = member_path.rsplit('/').next().unwrap().to_string();
        let api_refused = http
            .post(format!("{base}v1/members/{member_no}/adjustments"))
            .header("cookie", &cookie)
            .json(&json!({"points": 1000, "reason": "no token"}))
            .send()
            .await
            .unwrap();
        assert_eq!(api_refused.status().as_u16(), 403);
        c.refresh().await.unwrap();
        assert_eq!(
            text(&c, "#balance").await.trim(),
            balance_before.to_string()
        );

        // A debit beyond the balance is refused with its reason; nothing changes.
        c.find(Locator::Css("input[name=points]"))
            .await
            .unwrap()
            .send_keys(&format!("-{}", balance_before + 1))
            .await
            .unwrap();
        c.find(Locator::Css("input[name=reason]"))
            .await
            .unwrap()
            .send_keys("too much")
            .await
            .unwrap();
        c.find(Locator::Css("form.stack button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let said = text(&c, ".notice.error").await;
        assert!(said.contains("would leave"), "{said}");
        assert_eq!(
            text(&c, "#balance").await.trim(),
            balance_before.to_string()
        );

        // Points adjusted with a reason: on the ledger, and in the audit log.
        c.goto(&format!("{base}{}", &member_path[1..]))
            .await
            .unwrap();
        c.find(Locator::Css("input[name=points]"))
            .await
            .unwrap()
            .send_keys("50")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=reason]"))
            .await
            .unwrap()
            .send_keys("goodwill: late delivery")
            .await
            .unwrap();
        c.find(Locator::Css("form.stack button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrives(&c, "adjusted=1").await;
        assert_eq!(
            text(&c, "#balance").await.trim(),
            (balance_before + 50).to_string()
        );
        let ledger = text(&c, "#ledger").await;
        assert!(
            ledger.contains("admin: goodwill: late delivery") && ledger.contains("+50"),
            "{ledger}"
        );
        // Read straight from HQ's database (its helper runs a runtime of its own: another thread).
        let adjusts = std::thread::scope(|t| {
            t.spawn(|| {
                db.scalar(
                    "SELECT COUNT(*) FROM point_transfers WHERE kind = 'adjust' AND points = 50",
                    &[],
                )
            })
            .join()
            .unwrap()
        });
        assert_eq!(adjusts, 1);
        c.goto(&format!("{base}console/audit?action=points.adjust"))
            .await
            .unwrap();
        let audit = text(&c, "#audit").await;
        assert!(
            audit.contains("points.adjust")
                && audit.contains(&member_no)
                && audit.contains("goodwill: late delivery")
                && audit.contains(&format!("\"balance\": {balance_before}")),
            "{audit}"
        );
        shots.take(&c, "audit", "en").await;

        // A complaint from open to closed.
        c.goto(&format!("{base}console/complaints")).await.unwrap();
        let queue = text(&c, "#queue").await;
        assert!(queue.contains(&ours) && queue.contains(&theirs), "{queue}");
        shots.take(&c, "complaints", "en").await;
        let case_url = format!("{base}console/complaints/{ours}");
        c.goto(&case_url).await.unwrap();
        shows(&c, "#state", "Open").await;
        shots.take(&c, "complaint", "en").await;
        let submit = |action: &'static str| {
            let c = c.clone();
            async move {
                c.find(Locator::Css(&format!("button[value={action}]")))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
            }
        };
        submit("handle").await;
        shows(&c, "#state", "In progress").await;
        // Resolving without an outcome is refused by the browser's form; past it, by HQ.
        c.find(Locator::Css("input[name=outcome]"))
            .await
            .unwrap()
            .send_keys("refunded and apologised")
            .await
            .unwrap();
        c.find(Locator::Css(
            "form:has(button[value=resolve]) input[name=satisfaction]",
        ))
        .await
        .unwrap()
        .send_keys("4")
        .await
        .unwrap();
        submit("resolve").await;
        shows(&c, "#state", "Resolved").await;
        submit("close").await;
        shows(&c, "#state", "Closed").await;
        let facts = text(&c, "#facts").await;
        assert!(
            facts.contains("refunded and apologised") && facts.contains('4'),
            "{facts}"
        );
        submit("reopen").await;
        shows(&c, "#state", "In progress").await;
        c.goto(&format!("{base}console/audit?action=complaint.step"))
            .await
            .unwrap();
        let steps = c.find_all(Locator::Css("#audit tr")).await.unwrap().len();
        assert_eq!(steps, 1 + 4, "a header and four steps");

        // The sales report of today by store, its chart and its CSV.
        c.goto(&format!("{base}console/reports?period=day&by=store"))
            .await
            .unwrap();
        let report = text(&c, "#report").await;
        assert!(report.contains("S001"), "{report}");
        assert!(c.source().await.unwrap().contains("<svg"));
        shots.take(&c, "reports", "en").await;
        let href = c
            .find(Locator::Css("#csv"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let csv = http
            .get(format!("{base}{}", href.trim_start_matches('/')))
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
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with("key,label,net,"), "{csv}");
        assert!(csv.lines().any(|l| l.starts_with("S001,")), "{csv}");

        c.goto(&format!("{base}console/tills")).await.unwrap();
        let tills = text(&c, "#tills").await;
        assert!(tills.contains("S001") && tills.contains("T01"), "{tills}");
        shots.take(&c, "tills", "en").await;

        // The same pages in Chinese: no English label left.
        c.goto(&format!(
            "{base}console/lang?to=zh_CN&back=/console/dashboard"
        ))
        .await
        .unwrap();
        for (name, path) in [
            ("dashboard", "console/dashboard".to_string()),
            ("members", "console/members?q=zw".to_string()),
            ("member", member_path[1..].to_string()),
            ("complaints", "console/complaints".to_string()),
            ("complaint", format!("console/complaints/{ours}")),
            ("reports", "console/reports?period=day&by=store".to_string()),
            ("tills", "console/tills".to_string()),
            ("audit", "console/audit".to_string()),
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
        c.find(Locator::Css("form.logout button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrives(&c, "/console/login").await;
        shots.take(&c, "login", "zh").await;
        // The old session is over.
        let ended = http
            .get(format!("{base}v1/complaints"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status().as_u16(), 401);

        // A store manager of S001: their store's data, and 403 on S002's, pages and API.
        c.goto(&format!("{base}console/login?lang=en"))
            .await
            .unwrap();
        login(&c, &base, "mgr1", MANAGER_PASSWORD).await;
        let mgr = session_cookie(&c).await;
        for (path, status) in [
            (format!("console/complaints/{theirs}"), 403),
            (format!("console/complaints/{ours}"), 200),
            ("console/reports?store=S002".to_string(), 403),
            ("console/reports/sales.csv?store=S002".to_string(), 403),
            ("console/reports?store=S001".to_string(), 200),
            ("console/members?q=zw".to_string(), 403),
            ("console/audit".to_string(), 403),
            ("console/tills".to_string(), 200),
            (format!("v1/complaints/{theirs}"), 403),
            (format!("v1/complaints/{ours}"), 200),
            ("v1/complaints?store=S002".to_string(), 403),
            ("v1/reports/sales?store=S002".to_string(), 403),
            ("v1/reports/sales?by=store".to_string(), 200),
            (format!("v1/members/{member_no}/view"), 403),
            ("v1/audit".to_string(), 403),
            ("v1/admin/report".to_string(), 403),
        ] {
            let answer = http
                .get(format!("{base}{path}"))
                .header("cookie", &mgr)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status().as_u16(), status, "{path}");
            if path == "v1/reports/sales?by=store" {
                let report: Value = answer.json().await.unwrap();
                assert_eq!(report["store"], "S001", "{report}");
            }
        }
        let listed: Value = http
            .get(format!("{base}v1/complaints"))
            .header("cookie", &mgr)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stores: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["store_id"].as_str().unwrap())
            .collect();
        assert!(
            !stores.is_empty() && stores.iter().all(|s| *s == "S001"),
            "{listed}"
        );
        c.goto(&format!("{base}console/complaints/{theirs}"))
            .await
            .unwrap();
        let page = text(&c, "main").await;
        assert!(page.contains("You may not see this page"), "{page}");
        shots.take(&c, "forbidden", "en").await;
        // A step on S002's case through the API, with the token: still 403, nothing moved.
        let csrf = c
            .find(Locator::Css("input[name=csrf]"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap()
            .unwrap();
        let step = http
            .post(format!("{base}v1/complaints/{theirs}/steps"))
            .header("cookie", &mgr)
            .header("x-csrf-token", &csrf)
            .json(&json!({"handler": "mgr1", "to_state": "in_progress"}))
            .send()
            .await
            .unwrap();
        assert_eq!(step.status().as_u16(), 403);
        c.close().await.unwrap();

        // A login with a NUL byte is a login that fails, not a database error.
        let hostile = http
            .post(format!("{base}console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("login", "adm\0in"),
                ("password", "wrong password"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(hostile.status().as_u16(), 401);

        // Failed logins: five refused, then 429 before any password is checked.
        for attempt in 1..=6 {
            let answer = http
                .post(format!("{base}console/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("login", "mgr1"), ("password", "wrong password")]))
                .send()
                .await
                .unwrap();
            let expected = if attempt <= 5 { 401 } else { 429 };
            assert_eq!(answer.status().as_u16(), expected, "attempt {attempt}");
        }
        let locked = http
            .post(format!("{base}console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("login", "mgr1"), ("password", MANAGER_PASSWORD)]))
            .send()
            .await
            .unwrap();
        assert_eq!(locked.status().as_u16(), 429);
        let admin = http
            .post(format!("{base}console/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("login", "admin"), ("password", ADMIN_PASSWORD)]))
            .send()
            .await
            .unwrap();
        assert_eq!(admin.status().as_u16(), 303);
        let set = admin.headers()["set-cookie"].to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
            "{set}"
        );
    });
    hq.stop();
}
