//! End-to-end tests of `storepos lists …` on a tiny Complete Journey-shaped fixture made
//! here: generate (and that purchases after the cut-off change nothing), evaluate, the
//! coupon backtest, printing the lists HQ signed, and the headless `print_list` and `list_batch`.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn storepos(dir: &Path, cfg: &Path) -> Command {
    let mut cmd = Command::cargo_bin("storepos").unwrap();
    cmd.current_dir(dir)
        .env_remove("STOREPOS_CONFIG")
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(cfg);
    cmd
}

fn gz(path: &Path, text: &str) {
    let mut out = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    out.write_all(text.as_bytes()).unwrap();
    out.finish().unwrap();
}

/// Four households over twelve weeks from 2017-01-02: 1 buys national milk weekly and
/// bread every other week, 2 store milk weekly, 3 a bit of everything, 4 once. With
/// `later`, everyone also buys lots after 2017-03-27, the cut-off of the tests.
fn fixture(dir: &Path, later: bool) {
    std::fs::create_dir_all(dir).unwrap();
    gz(
        &dir.join("products.csv.gz"),
        "product_id,manufacturer_id,department,brand,product_category,product_type,package_size\n\
         1001,7,GROCERY,National,FLUID MILK,MILK WHITE,1 GA\n\
         1002,8,GROCERY,Private,FLUID MILK,MILK WHITE,1 GA\n\
         1003,9,PASTRY,National,BREAD,BREAD WHITE,20 OZ\n\
         1004,9,PRODUCE,National,BANANAS,BANANAS,\n\
         1005,9,GROCERY,National,GRILLS,CHARCOAL,10 LB\n",
    );
    gz(
        &dir.join("demographics.csv.gz"),
        "household_id,age,income\n1,45-54,50-74K\n",
    );
    let mut tx = String::from(
        "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,coupon_disc,coupon_match_disc,week,transaction_timestamp\n",
    );
    let mut basket = 0;
    let mut line = |h: u32, p: u32, day: i64, value: &str, tx: &mut String| {
        basket += 1;
        let at = chrono::NaiveDate::from_ymd_opt(2017, 1, 2).unwrap() + chrono::Duration::days(day);
        tx.push_str(&format!(
            "{h},300,{basket},{p},1,{value},0.0,0.0,0.0,1,{}T15:00:00\n",
            at.format("%Y-%m-%d")
        ));
    };
    for week in 0..12 {
        line(1, 1001, week * 7, "30.00", &mut tx);
        if week % 2 == 0 {
            line(1, 1003, week * 7 + 1, "3.50", &mut tx);
        }
        line(2, 1002, week * 7 + 2, "26.00", &mut tx);
        line(
            3,
            [1001, 1002, 1003, 1004][week as usize % 4],
            week * 7 + 3,
            "28.00",
            &mut tx,
        );
    }
    line(4, 1005, 3, "9.00", &mut tx);
    if later {
        for h in 1..=4 {
            for d in 0..10 {
                line(h, 1005, 84 + d, "50.00", &mut tx);
                line(h, 1004, 84 + d, "1.00", &mut tx);
            }
        }
    }
    gz(&dir.join("transactions.csv.gz"), &tx);
    gz(
        &dir.join("campaign_descriptions.csv.gz"),
        "campaign_id,campaign_type,start_date,end_date\n8,Type A,2017-03-01,2017-04-30\n9,Type B,2017-03-01,2017-04-30\n",
    );
    gz(
        &dir.join("campaigns.csv.gz"),
        "campaign_id,household_id\n8,1\n8,2\n9,1\n",
    );
    let mut coupons = String::from("coupon_upc,product_id,campaign_id\n");
    for (i, p) in [1001, 1002, 1003, 1004, 1005].iter().enumerate() {
        coupons.push_str(&format!("5000{i},{p},8\n"));
    }
    // A pool larger than 16 coupons, so the pick matters.
    for i in 10..40 {
        coupons.push_str(&format!("6000{i},99{i},8\n"));
    }
    gz(&dir.join("coupons.csv.gz"), &coupons);
    gz(
        &dir.join("coupon_redemptions.csv.gz"),
        "household_id,coupon_upc,campaign_id,redemption_date\n1,50000,8,2017-03-10\n2,50001,8,2017-03-12\n",
    );
}

struct Store {
    work: tempfile::TempDir,
    cfg: PathBuf,
}

impl Store {
    fn new(later: bool) -> Store {
        let work = tempfile::tempdir().unwrap();
        let cj = work.path().join("cj");
        fixture(&cj, later);
        let key_file = work.path().join("hq.key");
        std::fs::write(&key_file, "07".repeat(32)).unwrap();
        let public = hex::encode(
            ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                .verifying_key()
                .to_bytes(),
        );
        // HQ's tools read its key; the till's configuration names none (a till refuses it).
        let till = format!(
            "data_dir = \"{}\"\n[store]\ncurrency = \"USD\"\nutc_offset = \"-05:00\"\n[loyalty]\ncoupon_key = \"{public}\"\n",
            work.path().join("data").display(),
        );
        std::fs::write(work.path().join("till.toml"), &till).unwrap();
        let cfg = work.path().join("us.toml");
        std::fs::write(
            &cfg,
            format!("{till}[hq]\nkey_file = \"{}\"\n", key_file.display()),
        )
        .unwrap();
        let store = Store { work, cfg };
        store
            .cmd()
            .args(["import", "completejourney"])
            .arg(&cj)
            .assert()
            .success();
        store
    }

    fn cmd(&self) -> Command {
        storepos(self.work.path(), &self.cfg)
    }

    /// A command of the store's till, whose configuration holds no HQ key.
    fn till(&self) -> Command {
        storepos(self.work.path(), &self.path("till.toml"))
    }

    /// HQ signs the lists of 2017-03-27 (with its key, as its fortnight's run does) and
    /// the till keeps them (as its coupons data set brings them).
    fn hq_sends_lists(&self) {
        self.generate(
            "sent.csv",
            &["--codes", self.path("sent.txt").to_str().unwrap()],
        );
        self.till()
            .args(["import", "codes"])
            .arg(self.path("sent.txt"))
            .assert()
            .success();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn generate(&self, out: &str, extra: &[&str]) -> String {
        self.cmd()
            .args([
                "lists",
                "generate",
                "--as-of",
                "2017-03-27T05:00:00Z",
                "--out",
            ])
            .arg(self.path(out))
            .args(extra)
            .assert()
            .success();
        std::fs::read_to_string(self.path(out)).unwrap()
    }
}

#[test]
fn generate_lists_the_likely_products_of_members_who_spend_enough() {
    let store = Store::new(false);
    let deals = store.path("deals.jsonl");
    std::fs::write(
        &deals,
        concat!(
            "# milk deal, funded by the manufacturer\n",
            r#"{"id":"MILK","title":"0.50 off milk","funding":{"manufacturer":"M7"},"target":{"product":"1001"},"discount":{"amount":"0.50"},"budget":"0.60","valid_from":"2017-03-01","valid_until":"2017-05-01"}"#,
            "\n",
            r#"{"id":"OWN","title":"Try our milk","funding":"store","target":{"product":"1002"},"discount":{"percent":"20"},"max_discount":"1.00","budget":"10.00","valid_from":"2017-03-01","valid_until":"2017-05-01","switch_to_store_brand":true}"#,
            "\n"
        ),
    )
    .unwrap();
    let csv = store.generate(
        "lists.csv",
        &[
            "--deals",
            deals.to_str().unwrap(),
            "--codes",
            store.path("codes.txt").to_str().unwrap(),
        ],
    );
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "member_id,product_id,rank,score,reason,offer_coupon,offer_title,offer_value,offer_funded_by,offer_segment"
    );
    // Household 1 buys milk every week: first on its list, with the reason and the deal.
    let first = rows.iter().find(|r| r.starts_with("1,")).unwrap();
    assert!(first.starts_with("1,1001,1,"), "{csv}");
    assert!(
        first.contains("usually every 7 days, last bought"),
        "{first}"
    );
    assert!(
        first.contains("0.50 off milk,0.50 off,M7,national/high"),
        "{first}"
    );
    // The store-brand switch goes to the national-brand loyal heavy milk buyer only.
    assert!(
        rows.iter()
            .any(|r| r.starts_with("1,1002,") && r.contains("Try our milk")),
        "{csv}"
    );
    assert!(
        !rows
            .iter()
            .any(|r| !r.starts_with("1,") && r.contains("Try our milk")),
        "{csv}"
    );
    // The budget of 0.60 covers the loyal heavy user's 0.50, not a light user's 0.25 too.
    assert_eq!(
        rows.iter().filter(|r| r.contains("0.50 off milk")).count(),
        1,
        "{csv}"
    );
    // Household 4 spent 9.00 once, long ago: no list.
    assert!(!rows.iter().any(|r| r.starts_with("4,")), "{csv}");
    // The signed lists import at a till.
    store
        .cmd()
        .args(["import", "codes"])
        .arg(store.path("codes.txt"))
        .assert()
        .success();

    // No threshold: household 4 gets a list too.
    let all = store.generate("all.csv", &["--min-weekly-spend", "0"]);
    assert!(all.lines().any(|r| r.starts_with("4,1005,1,")), "{all}");
}

#[test]
fn purchases_after_the_cut_off_do_not_change_the_lists() {
    let before = Store::new(false).generate("a.csv", &["--min-weekly-spend", "0"]);
    let after = Store::new(true).generate("b.csv", &["--min-weekly-spend", "0"]);
    assert_eq!(before, after);
}

/// The figures of an evaluation's table: every line but the first method's name.
fn figures(table: &str) -> Vec<String> {
    // A note on what the list model has seen speaks of the model, not of the figures.
    table
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .map(|l| match l.strip_prefix("the lists") {
            Some(_) => l
                .split_whitespace()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .join(" "),
            None => l.to_string(),
        })
        .collect()
}

#[test]
fn evaluate_scores_the_lists_generate_writes_and_any_lists_file() {
    let store = Store::new(true);
    for spend in ["0", "25.00"] {
        store.generate("out.csv", &["--min-weekly-spend", spend]);
        let evaluate = |extra: &[&std::ffi::OsStr]| -> String {
            let out = store
                .cmd()
                .args([
                    "lists",
                    "evaluate",
                    "--as-of",
                    "2017-03-27T05:00:00Z",
                    "--min-weekly-spend",
                    spend,
                ])
                .args(extra)
                .assert()
                .success();
            String::from_utf8(out.get_output().stdout.clone()).unwrap()
        };
        let made = evaluate(&[]);
        let file = evaluate(&["--lists".as_ref(), store.path("out.csv").as_os_str()]);
        assert!(made.contains("the lists generate makes"), "{made}");
        assert!(file.contains("the lists in the file"), "{file}");
        assert_eq!(figures(&made), figures(&file), "{made}\n{file}");
    }
    // A file whose lists differ scores differently: the figures come from the file.
    std::fs::write(
        store.path("other.csv"),
        "member_id,product_id,rank\n1,1005,1\n2,1005,1\n3,1005,1\n",
    )
    .unwrap();
    let other = store
        .cmd()
        .args([
            "lists",
            "evaluate",
            "--as-of",
            "2017-03-27T05:00:00Z",
            "--lists",
        ])
        .arg(store.path("other.csv"))
        .assert()
        .success();
    let other = String::from_utf8(other.get_output().stdout.clone()).unwrap();
    assert!(other.contains("(3 with a list of their own"), "{other}");

    // A file naming what the store does not hold, or with a bad rank, is refused by row.
    for (body, why) in [
        (
            "member_id,product_id,rank\n1,1001,1\n1,9999,2\n",
            "row 3: no product '9999'",
        ),
        (
            "member_id,product_id,rank\n77,1001,1\n",
            "row 2: the store holds no history of member '77'",
        ),
        (
            "member_id,product_id,rank\n1,1001,0\n",
            "row 2: rank '0' is not a positive",
        ),
        (
            "member_id,product_id,rank\n1,1001,1\n1,1002,1\n",
            "row 3: member '1' has rank 1 twice",
        ),
        ("member_id,product\n1,1001\n", "no 'product_id' column"),
    ] {
        std::fs::write(store.path("bad.csv"), body).unwrap();
        store
            .cmd()
            .args(["lists", "evaluate", "--as-of", "2017-03-27", "--lists"])
            .arg(store.path("bad.csv"))
            .assert()
            .failure()
            .stderr(predicate::str::contains(why));
    }
    store
        .cmd()
        .args([
            "lists",
            "evaluate",
            "--as-of",
            "2017-03-27",
            "--lists",
            "missing.csv",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("missing.csv"));
    store
        .cmd()
        .args([
            "lists",
            "evaluate",
            "--as-of",
            "2017-03-27",
            "--as-of",
            "2017-03-20",
            "--lists",
        ])
        .arg(store.path("out.csv"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("one --as-of"));
}

#[test]
fn evaluate_and_backtest_print_their_tables() {
    let store = Store::new(true);
    store
        .cmd()
        .args([
            "lists",
            "evaluate",
            "--as-of",
            "2017-03-27T05:00:00Z",
            "--as-of",
            "2017-03-20",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("recall@10")
                .and(predicate::str::contains("own most frequent products"))
                .and(predicate::str::contains("best sellers"))
                .and(predicate::str::contains("time-decayed frequency"))
                .and(predicate::str::contains("TIFU-KNN"))
                .and(predicate::str::contains(
                    "fitted on the period before: half-life",
                ))
                .and(predicate::str::contains(
                    "3 members with 2 baskets or more before",
                )),
        );
    store
        .cmd()
        .args(["lists", "backtest"])
        .arg(store.path("cj"))
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"all\s+2\s+2\s+100.0%").unwrap());
}

#[test]
fn fit_learns_a_model_from_the_stores_past_that_evaluate_and_generate_use() {
    let store = Store::new(true);
    let model = store.path("model.json.gz");
    store
        .cmd()
        .args([
            "lists",
            "fit",
            "--as-of",
            "2017-02-27",
            "--as-of",
            "2017-03-06",
            "--as-of",
            "2017-03-13",
            "--candidates",
            "5",
            "--trees",
            "20",
            "--out",
        ])
        .arg(&model)
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"fitted 20 trees on \d+ candidates of \d+ member periods")
                .unwrap(),
        );
    // The model file is gzip'd JSON naming the features it was fitted on.
    let mut json = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&model).unwrap()),
        &mut json,
    )
    .unwrap();
    assert!(
        json.contains("\"window_share_since_first\""),
        "{}",
        &json[..200]
    );
    for model_arg in [model.to_str().unwrap(), "none"] {
        store
            .cmd()
            .args([
                "lists",
                "evaluate",
                "--as-of",
                "2017-03-27T05:00:00Z",
                "--model",
                model_arg,
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "3 members with 2 baskets or more before",
            ));
    }
    let with_model = store.generate(
        "m.csv",
        &[
            "--min-weekly-spend",
            "0",
            "--model",
            model.to_str().unwrap(),
        ],
    );
    assert!(
        with_model.lines().any(|r| r.starts_with("1,1001,")),
        "{with_model}"
    );

    // A model that is not one, or is missing, is refused with its name and nothing runs.
    let bad = store.path("bad.json");
    std::fs::write(&bad, "{\"features\":[\"price\"],\"candidates\":5").unwrap();
    store
        .cmd()
        .args(["lists", "generate", "--as-of", "2017-03-27", "--model"])
        .arg(&bad)
        .arg("--out")
        .arg(store.path("never.csv"))
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("bad.json").and(predicate::str::contains("not a list model")),
        );
    assert!(!store.path("never.csv").exists());
    store
        .cmd()
        .args([
            "lists",
            "evaluate",
            "--as-of",
            "2017-03-27",
            "--model",
            "missing.json",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot read missing.json"));
    // Cut-offs with nothing bought after them give nothing to learn from.
    store
        .cmd()
        .args(["lists", "fit", "--as-of", "2016-01-01", "--out"])
        .arg(store.path("empty.json"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no labelled candidates"));
}

#[test]
fn print_prints_the_lists_hq_signed_and_signs_nothing() {
    let store = Store::new(false);
    store.hq_sends_lists();
    let saved = store.path("printed");
    store
        .till()
        .args([
            "lists",
            "print",
            "--member",
            "1",
            "--as-of",
            "2017-03-27T05:00:00Z",
            "--save",
        ])
        .arg(&saved)
        .assert()
        .success()
        .stdout(predicate::str::contains("printed list L170327-"));
    let text_file = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "txt"))
        .unwrap();
    let text = std::fs::read_to_string(text_file).unwrap();
    assert!(text.contains("Member: Household 1"), "{text}");
    assert!(
        text.contains("GROCERY") && text.contains("PASTRY"),
        "{text}"
    );
    assert!(text.contains("usually every 7 days"), "{text}");
    assert!(text.contains("TIPS"), "{text}");
    assert!(
        text.contains("[QR ") || text.contains("[L:L170327-"),
        "{text}"
    );
    store
        .till()
        .args(["lists", "print", "--all", "--as-of", "2017-03-27T05:00:00Z"])
        .assert()
        .success()
        .stderr(predicate::str::contains("[1/3] member 1"))
        .stdout(predicate::str::contains("printed 3 lists"));
    // Household 4 got no list from HQ, and this till has no HQ link to ask for one.
    store
        .till()
        .args([
            "lists",
            "print",
            "--member",
            "4",
            "--as-of",
            "2017-03-27T05:00:00Z",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no HQ link"));
    // A till configured with HQ's key file prints nothing and says why.
    store
        .cmd()
        .args([
            "lists",
            "print",
            "--member",
            "1",
            "--as-of",
            "2017-03-27T05:00:00Z",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("which a till never holds"));
}

#[test]
fn the_headless_terminal_prints_a_members_list() {
    let store = Store::new(false);
    let ops = store.path("ops.csv");
    std::fs::write(&ops, "id,name,role,pin\n1001,Ann,cashier,1234\n").unwrap();
    store
        .cmd()
        .args(["import", "operators"])
        .arg(&ops)
        .assert()
        .success();
    store.hq_sends_lists();
    let script = store.path("script.jsonl");
    std::fs::write(
        &script,
        concat!(
            r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
            "\n",
            r#"{"set_clock":"2017-03-27T05:00:00Z"}"#,
            "\n",
            r#"{"print_list":{"member":"8800000001"}}"#,
            "\n",
            r#"{"print_list":{"member":"nobody"}}"#,
            "\n",
            r#"{"list_batch":{}}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = store
        .till()
        .args(["terminal", "--headless", "--script"])
        .arg(&script)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let list = &lines[2]["list"];
    assert_eq!(lines[2]["ok"], true, "{}", lines[2]);
    assert_eq!(list["member"], "1");
    assert!(list["code"].as_str().unwrap().starts_with("L:L170327-"));
    assert!(
        list["text"]
            .as_str()
            .unwrap()
            .contains("usually every 7 days")
    );
    assert_eq!(lines[3]["error"]["code"], "unknown_member");
    // A batch prints the lists HQ sent: the households spending 25.00 a week or more over
    // the eight weeks before the period, not household 4, who came once.
    assert_eq!(
        lines[4]["batch"],
        serde_json::json!(["1", "2", "3"]),
        "{}",
        lines[4]
    );
}

#[test]
fn lists_commands_have_help() {
    let store = tempfile::tempdir().unwrap();
    let cfg = store.path().join("none.toml");
    std::fs::write(&cfg, "").unwrap();
    for args in [
        vec!["lists", "--help"],
        vec!["lists", "generate", "--help"],
        vec!["lists", "evaluate", "--help"],
        vec!["lists", "backtest", "--help"],
        vec!["lists", "fit", "--help"],
        vec!["lists", "print", "--help"],
        vec!["bench", "lists", "--help"],
    ] {
        storepos(store.path(), &cfg)
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage"));
    }
}
