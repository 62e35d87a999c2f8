//! Printing HQ's shopping lists at a till that holds no HQ private key, through the real
//! binaries on both HQ backends: a till sells to members over ten weeks and uploads; HQ's
//! fortnight run makes and signs the lists; the till fetches them in its coupons data set
//! and prints a member's list exactly as HQ signed it; a member who did not qualify gets a
//! list HQ makes on demand; another store's member, a list signed with another key and a
//! till configured with HQ's key file are refused.

use std::path::Path;

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::common;
use common::hq::{Database, Hq, import_demo_members, run_ok, setup, storepos};

crate::on_each_backend!(a_till_without_hqs_key_prints_the_lists_hq_signed);

/// 张伟 spends well over 25.00 a week (she qualifies for the fortnight's list); 李娜 buys a
/// bottle of water now and then (she gets a list only when she asks).
const ZHANG: &str = "6200123412341234";
const LI: &str = "6200123412345678";
/// A member of store S002.
const WANG: &str = "6200987654321098";

/// Ten weeks of visits before `before`, as a headless script.
fn history_script(before: chrono::DateTime<Utc>) -> String {
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
        if week % 3 == 0 {
            lines.push(format!(r#"{{"member":"{LI}"}}"#));
            lines.push(r#"{"scan":"6901234567892"}"#.to_string());
            lines.push(r#"{"tender":{"cash":"2.00"}}"#.to_string());
        }
    }
    lines.join("\n") + "\n"
}

fn headless(dir: &Path, script: &str) -> Vec<Value> {
    let file = dir.join("script.jsonl");
    std::fs::write(&file, script).unwrap();
    let out = run_ok(
        storepos(dir)
            .args(["--data-dir", "store", "terminal", "--headless", "--script"])
            .arg(&file),
    );
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn print_list(dir: &Path, member: &str) -> Value {
    let script = format!(
        "{}\n{}\n",
        r#"{"sign_in":{"operator":"9001","pin":"9999"}}"#,
        serde_json::json!({"print_list": {"member": member}})
    );
    headless(dir, &script).pop().unwrap()
}

/// The full code HQ keeps for a member's list of the current period.
fn hq_code(db: &Database, member: &str) -> Option<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = storepos::hq::HqStore::open(&db.url()).await.unwrap();
        store
            .store_lists("S001", Utc::now())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.member_id == member)
            .map(|c| c.code)
    })
}

fn a_till_without_hqs_key_prints_the_lists_hq_signed(db: Database) {
    let (work, token) = setup(&db);
    let dir = work.path();
    import_demo_members(dir);
    let public = run_ok(storepos(dir).args(["hq", "coupon-key"]))
        .trim()
        .to_string();
    let config = std::fs::read_to_string(dir.join("storepos.toml")).unwrap();
    std::fs::write(
        dir.join("storepos.toml"),
        format!("{config}[loyalty]\ncoupon_key = \"{public}\"\n"),
    )
    .unwrap();
    let hq = Hq::start(dir);

    // The till's sales reach HQ; the fortnight's run makes the lists from them.
    let start = storepos::hq::lists::period_start(Utc::now());
    let answers = headless(dir, &history_script(start));
    assert!(
        answers.iter().all(|a| a["ok"] == true),
        "{:?}",
        answers.iter().find(|a| a["ok"] != true)
    );
    run_ok(storepos(dir).args(["--data-dir", "store", "sync"]));
    let run: Value = serde_json::from_str(&run_ok(storepos(dir).args(["hq", "lists"]))).unwrap();
    assert_eq!(run["lists"], 1, "only 张伟 qualifies: {run}");
    let zhang_code = hq_code(&db, ZHANG).expect("HQ made 张伟's list");
    assert!(hq_code(&db, LI).is_none());
    run_ok(storepos(dir).args(["--data-dir", "store", "sync"]));

    // The batch names the members HQ sent lists for; her list prints as HQ signed it.
    let batch = headless(
        dir,
        "{\"sign_in\":{\"operator\":\"9001\",\"pin\":\"9999\"}}\n{\"list_batch\":{}}\n",
    );
    assert_eq!(
        batch[1]["batch"],
        serde_json::json!([ZHANG]),
        "{}",
        batch[1]
    );
    let printed = print_list(dir, ZHANG);
    assert_eq!(printed["ok"], true, "{printed}");
    let list = &printed["list"];
    assert_eq!(list["source"], "hq");
    assert_eq!(
        list["full_code"], zhang_code,
        "printed byte for byte as signed"
    );
    let text = list["text"].as_str().unwrap();
    assert!(text.contains("Member: 张伟"), "{text}");
    assert!(
        text.contains(&format!("[QR {} bytes]", zhang_code.len())),
        "{text}"
    );

    // 李娜 did not qualify: HQ makes hers when she asks, for this store's member only.
    let printed = print_list(dir, LI);
    assert_eq!(printed["ok"], true, "{printed}");
    assert_eq!(printed["list"]["source"], "on_demand");
    assert_eq!(
        printed["list"]["full_code"].as_str(),
        hq_code(&db, LI).as_deref(),
        "the on-demand list is the one HQ keeps"
    );
    let ask = |member: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}v1/lists/{member}", hq.url))
            .bearer_auth(&token)
            .send()
            .unwrap()
    };
    let foreign = ask(WANG);
    assert_eq!(foreign.status().as_u16(), 403);
    assert!(foreign.text().unwrap().contains("not_home_store"));
    let printed = print_list(dir, WANG);
    assert_eq!(printed["ok"], false, "{printed}");
    assert!(
        printed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not_home_store"),
        "{printed}"
    );
    // Asking again and again is slowed down per terminal.
    let statuses: Vec<u16> = (0..12).map(|_| ask(LI).status().as_u16()).collect();
    assert!(statuses.contains(&429), "{statuses:?}");

    // A list signed with any other key is never printed: with HQ away, nothing is.
    drop(hq);
    let forger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let forged = storepos::domain::coupon::sign_list(
        storepos::domain::coupon::ShoppingList {
            id: "LFORGED-1".into(),
            member_id: "6200555566667777".into(),
            period_start: start,
            period_end: start + Duration::days(14),
            items: vec![storepos::domain::coupon::ListItem {
                gtin: storepos::domain::gs1::Gtin::parse("6901234567892").unwrap(),
                name: "Water".into(),
                department: None,
                reason: String::new(),
            }],
            coupons: vec![],
        },
        &forger,
    )
    .unwrap();
    let codes = dir.join("forged.txt");
    std::fs::write(&codes, format!("{}\n", forged.full_code())).unwrap();
    let imported = storepos(dir)
        .args(["--data-dir", "store", "import", "codes"])
        .arg(&codes)
        .output()
        .unwrap();
    assert!(!imported.status.success(), "a forged list was imported");
    // Even put straight into the till's store (a tampered data set), it is not printed.
    rusqlite::Connection::open(dir.join("store/terminal.db"))
        .unwrap()
        .execute(
            "INSERT INTO signed_codes (kind, id, member_id, code) VALUES ('list', ?1, ?2, ?3)",
            ["LFORGED-1", "6200555566667777", &forged.full_code()],
        )
        .unwrap();
    let printed = print_list(dir, "6200555566667777");
    assert_eq!(printed["ok"], false, "{printed}");
    assert!(
        printed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{printed}"
    );
    let batch = headless(
        dir,
        "{\"sign_in\":{\"operator\":\"9001\",\"pin\":\"9999\"}}\n{\"list_batch\":{}}\n",
    );
    assert_eq!(
        batch[1]["batch"],
        serde_json::json!([ZHANG, LI]),
        "{}",
        batch[1]
    );
    // The scan of the forged list is refused too.
    let scanned = headless(
        dir,
        &format!(
            "{}\n{}\n",
            r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
            serde_json::json!({"scan": forged.full_code()})
        ),
    );
    assert_eq!(scanned[1]["ok"], false, "{}", scanned[1]);

    // A till configured with HQ's key file does not start, and says why.
    std::fs::write(
        dir.join("till-with-key.toml"),
        format!(
            "{}[hq]\nkey_file = \"storepos-hq.key\"\n",
            "[loyalty]\ncoupon_key = \"".to_string() + &public + "\"\n"
        ),
    )
    .unwrap();
    let refused = storepos(dir)
        .args([
            "--config",
            "till-with-key.toml",
            "--data-dir",
            "store",
            "terminal",
            "--headless",
            "--script",
            "script.jsonl",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("which a till never holds"), "{said}");
    // doctor warns of the key file beside the till.
    let doctor = storepos(dir).arg("doctor").output().unwrap();
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        said.contains("HQ's private coupon-signing key is on this machine"),
        "{said}"
    );
}
