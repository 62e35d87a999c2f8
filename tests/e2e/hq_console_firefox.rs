//! The HQ console in Firefox (Debian's Firefox ESR, driven through geckodriver by
//! fantoccini), as the Chromium tests drive it: logging in, finding a member by the
//! initials of the pinyin of their name as one types, adjusting their points through the
//! form, working a complaint, the reports page with its line and bar charts and its CSV,
//! the pages in Chinese, and a tablet's width. Screenshots under
//! `target/ui-screenshots/console/firefox-*`.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use crate::common;
use common::console::{
    Driver, Shots, add_staff, arrives, browser, login, session_cookie, shows, text,
};
use common::hq::{Database, Hq, import_demo_members, run_ok, setup, storepos};

const PASSWORD: &str = "admin password 1";
/// 张伟 of the demo members (home store S001).
const ZHANG_WEI: &str = "6200123412341234";

const SIGN_IN: &str =
    "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n{\"open_shift\":{\"float\":\"0\"}}\n";

#[test]
fn staff_work_the_console_in_firefox() {
    let db = Database::sqlite();
    let (work, _token) = setup(&db);
    let dir = work.path();
    import_demo_members(dir);
    add_staff(dir, &["admin", "--role", "admin"], PASSWORD);
    let script = format!(
        "{SIGN_IN}{{\"member\":\"{ZHANG_WEI}\"}}\n{{\"scan\":\"6901234567892\"}}\n{{\"tender\":{{\"cash\":\"50.00\"}}}}\n"
    );
    let out = common::run_script(dir, &script);
    assert!(out.iter().any(|a| a["sale"].is_object()), "{out:?}");
    let case: Value = serde_json::from_str(&run_ok(storepos(dir).args([
        "hq",
        "complaints",
        "add",
        "--store",
        "S001",
        "--channel",
        "phone",
        "--content",
        "牛奶过期了",
        "--handler",
        "hq-desk",
        "--json",
    ])))
    .unwrap();
    let case = case["id"].as_str().unwrap().to_string();
    let hq = Hq::start(dir);
    run_ok(storepos(dir).args(["--data-dir", "store", "sync", "--timeout", "60"]));
    let base = hq.url.clone();
    let shots = Shots {
        dir: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/ui-screenshots/console"),
        backend: "firefox",
    };
    std::fs::create_dir_all(&shots.dir).unwrap();
    let driver = Driver::firefox();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = browser(&driver, 1366, 768).await;
        login(&c, &base, "admin", PASSWORD).await;
        assert_eq!(c.current_url().await.unwrap().path(), "/console/dashboard");
        assert!(c.source().await.unwrap().contains("<svg"));
        shots.take(&c, "dashboard", "en").await;

        // 张伟 by "zw" as one types: htmx swaps the results in.
        c.goto(&format!("{base}console/members")).await.unwrap();
        c.find(Locator::Css("input[name=q]"))
            .await
            .unwrap()
            .send_keys("zw")
            .await
            .unwrap();
        let started = Instant::now();
        loop {
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
        c.find(Locator::Css("#results td a"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let member_path = arrives(&c, "/console/members/").await.path().to_string();
        let before: i64 = text(&c, "#balance").await.trim().parse().unwrap();

        // Points through the form (its CSRF field sent by Firefox): on the ledger.
        c.find(Locator::Css("input[name=points]"))
            .await
            .unwrap()
            .send_keys("25")
            .await
            .unwrap();
        c.find(Locator::Css("input[name=reason]"))
            .await
            .unwrap()
            .send_keys("goodwill in firefox")
            .await
            .unwrap();
        c.find(Locator::Css("form.stack button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        arrives(&c, "adjusted=1").await;
        assert_eq!(text(&c, "#balance").await.trim(), (before + 25).to_string());
        assert!(text(&c, "#ledger").await.contains("goodwill in firefox"));
        shots.take(&c, "member", "en").await;

        // A complaint taken into handling.
        c.goto(&format!("{base}console/complaints/{case}"))
            .await
            .unwrap();
        shows(&c, "#state", "Open").await;
        c.find(Locator::Css("button[value=handle]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        shows(&c, "#state", "In progress").await;
        shots.take(&c, "complaint", "en").await;

        // The month's report: lines part by part and bars, and its CSV.
        c.goto(&format!("{base}console/reports?period=month&by=store"))
            .await
            .unwrap();
        assert!(text(&c, "#report").await.contains("S001"));
        let charts = c.find_all(Locator::Css("svg.chart")).await.unwrap();
        assert_eq!(charts.len(), 2, "the line chart and the bar chart");
        let lines = c
            .find_all(Locator::Css("svg.chart polyline"))
            .await
            .unwrap();
        assert_eq!(lines.len(), 2, "this month's line and last year's");
        // The line is drawn: Firefox gives it a width on the page.
        let drawn = c
            .execute(
                "return document.querySelector('svg.chart polyline.cur').getBBox().width",
                vec![],
            )
            .await
            .unwrap();
        assert!(drawn.as_f64().unwrap() > 100.0, "{drawn}");
        // As lines, not filled areas.
        let filled = c
            .execute(
                "return [...document.querySelectorAll('svg.chart polyline')]
                    .map(l => getComputedStyle(l).fill)",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(filled, serde_json::json!(["none", "none"]), "{filled}");
        shots.take(&c, "reports", "en").await;
        let href = c
            .find(Locator::Css("#csv"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let csv = reqwest::Client::new()
            .get(format!("{base}{}", href.trim_start_matches('/')))
            .header("cookie", session_cookie(&c).await)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.lines().any(|l| l.starts_with("S001,")), "{csv}");

        // In Chinese.
        c.goto(&format!(
            "{base}console/lang?to=zh_CN&back=/console/dashboard"
        ))
        .await
        .unwrap();
        for (name, path) in [
            ("dashboard", "console/dashboard".to_string()),
            ("member", member_path[1..].to_string()),
            (
                "reports",
                "console/reports?period=month&by=store".to_string(),
            ),
        ] {
            c.goto(&format!("{base}{path}")).await.unwrap();
            let shown = text(&c, "body").await;
            assert!(shown.contains("退出登录"), "{name}: {shown}");
            for word in ["Dashboard", "Members", "Log out", "Net sales"] {
                assert!(!shown.contains(word), "{name} in Chinese shows {word}");
            }
            shots.take(&c, name, "zh").await;
        }
        c.close().await.unwrap();

        // A tablet's width: the report's table scrolls within the page, nothing wider.
        let t = browser(&driver, 768, 1024).await;
        login(&t, &base, "admin", PASSWORD).await;
        t.goto(&format!("{base}console/reports?period=month&by=store"))
            .await
            .unwrap();
        let wide = t
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            wide,
            Value::Bool(true),
            "the page is no wider than the tablet"
        );
        shots.take(&t, "reports-tablet", "en").await;
        t.close().await.unwrap();
    });
    drop(hq);
}
