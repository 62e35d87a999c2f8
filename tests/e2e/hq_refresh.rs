//! HQ's data sets reach a running terminal without `storepos sync`: the headless terminal
//! fetches them in the background every `hq.refresh_every` seconds and applies them between
//! sales. A price HQ changes while a sale is in progress leaves that sale's prices alone;
//! the next sale has the new price.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::hq::{Database, Hq, setup};

crate::on_each_backend!(a_price_changed_at_hq_reaches_the_running_till_between_sales);

/// A headless terminal answering one line at a time.
struct Till {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Till {
    fn start(dir: &std::path::Path) -> Till {
        let mut child = common::headless_till(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Till {
            child,
            input,
            output,
        }
    }

    fn say(&mut self, command: Value) -> Value {
        writeln!(self.input, "{command}").unwrap();
        self.input.flush().unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for Till {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const WATER: &str = "6901234567892"; // 2.00 in the demo catalogue

fn a_price_changed_at_hq_reaches_the_running_till_between_sales(db: Database) {
    let (work, _token) = setup(&db);
    let config = std::fs::read_to_string(work.path().join("storepos.toml")).unwrap();
    std::fs::write(
        work.path().join("storepos.toml"),
        config.replace(
            "[hq]\n",
            "[hq]\nadmin_token = \"staff-secret\"\nrefresh_every = 1\n",
        ),
    )
    .unwrap();
    let hq = Hq::start(work.path());
    let mut till = Till::start(work.path());
    till.say(json!({"sign_in": {"operator": "1001", "pin": "1234"}}));
    till.say(json!({"open_shift": {"float": "0"}}));
    let first = till.say(json!({ "scan": WATER }));
    assert_eq!(first["basket"]["total"], "2.00", "{first}");

    // HQ staff change the price while this sale is in progress.
    let water = json!({"gtin": WATER, "name": "农夫山泉550ml", "name_en": null,
        "price": {"minor": 180, "currency": "CNY"}, "tax_rate": 1300, "department": "Grocery",
        "category": "Beverages", "brand_type": "national", "manufacturer": null,
        "member_price": null, "bonus_points": "none", "weighed": false, "plu": null,
        "restricted": false, "external_id": null});
    let answer = reqwest::blocking::Client::new()
        .put(format!("{}v1/admin/products", hq.url))
        .bearer_auth("staff-secret")
        .json(&json!([water]))
        .send()
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    std::thread::sleep(Duration::from_millis(2500));
    // The sale in progress keeps the prices it started with.
    let second = till.say(json!({ "scan": WATER }));
    assert_eq!(second["basket"]["total"], "4.00", "{second}");
    let sale = till.say(json!({"tender": {"cash": "4.00"}}));
    assert_eq!(sale["sale"]["total"], "4.00", "{sale}");

    // Between sales the till takes HQ's catalogue: the next sale has the new price.
    let started = Instant::now();
    loop {
        let status = till.say(json!({"status": {}}));
        assert_eq!(status["ok"], true, "{status}");
        let scanned = till.say(json!({ "scan": WATER }));
        if scanned["basket"]["total"] == "1.80" {
            break;
        }
        assert_eq!(scanned["basket"]["total"], "2.00", "{scanned}");
        let voided = till.say(json!({"void_sale": {}}));
        assert_eq!(voided["ok"], true, "{voided}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "HQ's price never reached the till"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
