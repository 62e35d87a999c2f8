//! Complaint handling at HQ, on each backend: a till's complaint becomes one case however
//! often its batch is sent; HQ staff work a case through its whole life, every step kept;
//! an illegal step changes nothing; overdue lists follow the deadlines by severity; the
//! report's figures match figures computed here on their own. What tills read and note of
//! complaints is in `hq_complaints_till`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::common;
use crate::common::events::{complaint, envelope};
use crate::common::hq::{
    Database, Hq, import_demo_members, register, run_ok, setup, storepos, with_hq_settings,
};
use crate::on_each_backend;

pub(crate) const ADMIN: &str = "staff-secret";
/// 李娜, a member of the demo store S001.
pub(crate) const LI_NA: &str = "6200123412345678";
/// Ana Souza, a member of store S002 only HQ knows.
pub(crate) const ANA: &str = "7700000000001234";

on_each_backend!(
    a_till_complaint_is_one_case_and_staff_work_it_through_its_life,
    overdue_lists_follow_the_deadlines_by_severity,
    the_report_matches_figures_computed_apart,
);

pub(crate) struct Api {
    http: reqwest::blocking::Client,
    url: String,
}

impl Api {
    pub(crate) fn new(hq: &Hq) -> Api {
        Api {
            http: reqwest::blocking::Client::new(),
            url: hq.url.clone(),
        }
    }

    pub(crate) fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }

    pub(crate) fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json().unwrap_or(Value::Null))
    }

    pub(crate) fn ok(&self, token: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, v) = match body {
            Some(b) => self.post(token, path, b),
            None => self.get(token, path),
        };
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }
}

pub(crate) fn start(db: &Database) -> (tempfile::TempDir, String, Hq) {
    let (work, token) = setup(db);
    with_hq_settings(work.path(), &format!("admin_token = \"{ADMIN}\"\n"));
    import_demo_members(work.path());
    let hq = Hq::start(work.path());
    (work, token, hq)
}

pub(crate) fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("{v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn a_till_complaint_is_one_case_and_staff_work_it_through_its_life(db: Database) {
    let (work, _token, hq) = start(&db);
    let api = Api::new(&hq);
    // A till records a complaint at its counter and syncs.
    let out = common::run_script(
        work.path(),
        &format!(
            "{{\"sign_in\":{{\"operator\":\"1001\",\"pin\":\"1234\"}}}}\n\
             {{\"complaint\":{{\"member\":\"{LI_NA}\",\"content\":\"Rice bag torn\"}}}}\n\
             {{\"status\":{{}}}}\n"
        ),
    );
    let local = out[1]["complaint"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", out[1]));
    run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    let id = format!("S001.T01.{local}");
    let cases = api.ok(ADMIN, &format!("v1/complaints?member={LI_NA}"), None);
    assert_eq!(cases.as_array().unwrap().len(), 1, "{cases}");
    assert_eq!(cases[0]["id"], id.as_str());
    assert_eq!(cases[0]["state"], "open");
    assert_eq!(cases[0]["channel"], "counter");
    assert_eq!(cases[0]["content"], "Rice bag torn");

    // Another till's batch, sent twice: one case, one opening step.
    let t02 = register(work.path(), "S001", "T02");
    let batch = json!({"events": [envelope("S001", "T02", 1, "complaint.recorded",
        complaint(7, None, "cold milk"))]});
    for _ in 0..2 {
        let (status, reply) = api.post(&t02, "v1/events", &batch);
        assert_eq!(status, 200, "{reply}");
    }
    let count = |sql: &str| db.scalar(sql, &[]);
    assert_eq!(
        count("SELECT COUNT(*) FROM complaint_cases WHERE terminal_id = 'T02'"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM complaint_steps WHERE case_id = 'S001.T02.7'"),
        1
    );

    // HQ staff work the till's case through its life.
    let path = format!("v1/complaints/{id}/steps");
    let step = |body: Value| api.ok(ADMIN, &path, Some(&body));
    let refused = |body: Value, status: u16| {
        let before = api.ok(ADMIN, &format!("v1/complaints/{id}"), None);
        let (got, answer) = api.post(ADMIN, &path, &body);
        assert_eq!(got, status, "{body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{answer}"
        );
        let after = api.ok(ADMIN, &format!("v1/complaints/{id}"), None);
        assert_eq!(before, after, "a refused step changes nothing");
    };
    // Open cannot be closed or resolved at once.
    refused(json!({"handler": "wang", "to_state": "closed"}), 409);
    step(json!({"handler": "wang", "note": "called 李娜 back", "to_state": "in_progress"}));
    // Resolving needs an outcome; satisfaction is 1 to 5; closing skips resolving.
    refused(json!({"handler": "wang", "to_state": "resolved"}), 409);
    refused(json!({"handler": "wang", "to_state": "closed"}), 409);
    refused(
        json!({"handler": "wang", "to_state": "resolved", "outcome": "x", "satisfaction": 6}),
        422,
    );
    refused(json!({"handler": "", "note": "who?"}), 422);
    step(
        json!({"handler": "wang", "note": "store manager apologised",
        "to_state": "resolved", "outcome": "bag replaced, 20 points", "satisfaction": 4}),
    );
    step(json!({"handler": "zhao", "note": "member confirmed", "to_state": "closed"}));
    refused(json!({"handler": "zhao", "to_state": "closed"}), 409);
    step(
        json!({"handler": "zhao", "note": "member called again: second bag torn",
        "to_state": "in_progress"}),
    );
    step(json!({"handler": "zhao", "to_state": "resolved", "outcome": "refund"}));
    let done = step(json!({"handler": "zhao", "note": "closed after refund",
        "to_state": "closed", "satisfaction": 5}));
    assert_eq!(done["state"], "closed");
    assert_eq!(done["outcome"], "refund");
    assert_eq!(done["satisfaction"], 5);
    assert_eq!(done["handler"], "zhao");
    let steps = done["step_list"].as_array().unwrap();
    let moves: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|s| {
            (
                s["from_state"].as_str().unwrap_or("-"),
                s["to_state"].as_str().unwrap(),
                s["handler"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("-", "open", "1001"),
            ("open", "in_progress", "wang"),
            ("in_progress", "resolved", "wang"),
            ("resolved", "closed", "zhao"),
            ("closed", "in_progress", "zhao"),
            ("in_progress", "resolved", "zhao"),
            ("resolved", "closed", "zhao"),
        ]
    );
    assert_eq!(steps[2]["outcome"], "bag replaced, 20 points");
    assert_eq!(steps[2]["satisfaction"], 4);
    assert_eq!(steps[4]["note"], "member called again: second bag torn");
    for w in steps.windows(2) {
        assert!(time(&w[0]["at"]) <= time(&w[1]["at"]), "{steps:?}");
    }
    assert_eq!(time(&done["first_response_at"]), time(&steps[1]["at"]));
    assert_eq!(time(&done["closed_at"]), time(&steps[6]["at"]));
    assert_eq!(done["steps"], 7);
    // The till's own view of the member's cases: the last note, nothing more.
    let till = api.ok(&_token, &format!("v1/members/{LI_NA}/complaints"), None);
    assert_eq!(till[0]["last_note"], "closed after refund", "{till}");
    // Unknown things are not found, with a message.
    for path in ["v1/complaints/S001.T01.999", "v1/complaints/nothing"] {
        let (status, answer) = api.get(ADMIN, path);
        assert_eq!(status, 404, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no complaint")
        );
    }
    let (status, _) = api.post(
        ADMIN,
        "v1/complaints/nothing/steps",
        &json!({"handler": "x", "note": "y"}),
    );
    assert_eq!(status, 404);
}

/// Records a case by HQ staff at `opened` and returns its id.
pub(crate) fn record(
    api: &Api,
    severity: &str,
    store: &str,
    opened: DateTime<Utc>,
    extra: Value,
) -> String {
    let mut body = json!({"store_id": store, "channel": "phone", "severity": severity,
        "category": "service", "content": format!("{severity} complaint"), "handler": "desk",
        "opened_at": opened});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let case = api.ok(ADMIN, "v1/complaints", Some(&body));
    assert_eq!(case["state"], "open", "{case}");
    case["id"].as_str().unwrap().to_string()
}

fn overdue_lists_follow_the_deadlines_by_severity(db: Database) {
    let (work, _token, hq) = start(&db);
    let api = Api::new(&hq);
    let now = Utc::now();
    let t0 = now - Duration::hours(3);
    // Critical: 2 h to respond, none given in 3 h → overdue for its response.
    let critical = record(&api, "critical", "S001", t0, json!({}));
    // High: 8 h to respond → not yet.
    let high = record(&api, "high", "S001", t0, json!({}));
    // Normal, ten days ago, answered within the hour but never resolved (7 days) → overdue
    // for its resolution.
    let long_ago = now - Duration::days(10);
    let normal = record(
        &api,
        "normal",
        "S001",
        long_ago,
        json!({"member_id": LI_NA}),
    );
    api.ok(
        ADMIN,
        &format!("v1/complaints/{normal}/steps"),
        Some(&json!({"handler": "desk", "to_state": "in_progress",
            "at": long_ago + Duration::minutes(50)})),
    );
    // Low, ten days ago, resolved in time → never overdue.
    let low = record(&api, "low", "S001", long_ago, json!({}));
    for (to, minutes) in [("in_progress", 10), ("resolved", 20)] {
        api.ok(
            ADMIN,
            &format!("v1/complaints/{low}/steps"),
            Some(&json!({"handler": "desk", "to_state": to, "outcome": (to == "resolved").then_some("replaced"),
                "at": long_ago + Duration::minutes(minutes)})),
        );
    }
    let overdue = |query: &str| -> Vec<(String, String)> {
        let list = api.ok(ADMIN, &format!("v1/complaints?overdue=true{query}"), None);
        let mut ids: Vec<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["overdue"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        ids.sort();
        ids
    };
    let mut expected = vec![
        (critical.clone(), "response".to_string()),
        (normal.clone(), "resolution".to_string()),
    ];
    expected.sort();
    assert_eq!(overdue(""), expected);
    // Judged an hour after t0, the critical case is still in time; judged nine days
    // before now, so is the normal one.
    let at = |t: DateTime<Utc>| format!("&at={}", t.to_rfc3339().replace('+', "%2B"));
    assert_eq!(
        overdue(&at(t0 + Duration::hours(1))),
        vec![(normal.clone(), "resolution".into())]
    );
    assert_eq!(overdue(&at(long_ago + Duration::hours(2))), vec![]);
    assert_eq!(overdue("&store=S002"), vec![]);
    assert_eq!(
        overdue(&format!("&member={LI_NA}")),
        vec![(normal.clone(), "resolution".into())]
    );
    // Answering the critical case takes it off the response list.
    api.ok(
        ADMIN,
        &format!("v1/complaints/{critical}/steps"),
        Some(&json!({"handler": "desk", "note": "called back"})),
    );
    assert_eq!(overdue(""), vec![(normal.clone(), "resolution".into())]);
    let all = api.ok(ADMIN, "v1/complaints", None);
    assert_eq!(all.as_array().unwrap().len(), 4);
    let (status, _) = api.get(ADMIN, "v1/complaints?state=bogus");
    assert_eq!(status, 400);
    let _ = high;
    // The CLI lists the same, as a table and as JSON.
    let table = run_ok(storepos(work.path()).args(["hq", "complaints", "list", "--overdue"]));
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table.contains(&normal) && table.contains("resolution"),
        "{table}"
    );
    assert!(!table.contains(&critical), "{table}");
    let json: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "complaints",
        "list",
        "--overdue",
        "--json",
    ])))
    .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json[0]["id"], normal.as_str());
    // HQ staff at the command line: record a phone complaint, take it in hand, read it.
    let added: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "complaints",
        "add",
        "--member",
        LI_NA,
        "--channel",
        "phone",
        "--severity",
        "critical",
        "--category",
        "service",
        "--content",
        "rude at the till",
        "--handler",
        "desk",
        "--json",
    ])))
    .unwrap();
    assert_eq!(
        added["store_id"], "S001",
        "the member's home store: {added}"
    );
    assert_eq!(added["severity"], "critical");
    let id = added["id"].as_str().unwrap();
    let stepped = run_ok(storepos(work.path()).args([
        "hq",
        "complaints",
        "step",
        id,
        "--handler",
        "desk",
        "--to",
        "in_progress",
        "--note",
        "called back",
    ]));
    assert!(stepped.contains("state       in_progress"), "{stepped}");
    let shown = run_ok(storepos(work.path()).args(["hq", "complaints", "show", id]));
    assert!(
        shown.contains("called back") && shown.contains("STEP"),
        "{shown}"
    );
    // An illegal step at the command line fails with the reason and changes nothing.
    let refused = storepos(work.path())
        .args([
            "hq",
            "complaints",
            "step",
            id,
            "--handler",
            "desk",
            "--to",
            "closed",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("cannot move to closed"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let case = api.ok(ADMIN, &format!("v1/complaints/{id}"), None);
    assert_eq!(
        (case["state"].as_str(), case["steps"].as_u64()),
        (Some("in_progress"), Some(2))
    );
}

/// The value at nearest rank ⌈p·n/100⌉, computed its own way.
fn percentile(values: &[i64], p: f64) -> i64 {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    v.sort();
    let rank = (p / 100.0 * v.len() as f64).ceil() as usize;
    v[rank.max(1) - 1]
}

fn the_report_matches_figures_computed_apart(db: Database) {
    let (work, _token, hq) = start(&db);
    let api = Api::new(&hq);
    register(work.path(), "S002", "T01");
    let day = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
    // Eleven cases over three days: minutes to the first response, to resolution and to
    // closing (None: not reached), satisfaction, store, channel, category.
    #[allow(clippy::type_complexity)]
    let plan: [(
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<u8>,
        &str,
        &str,
        &str,
    ); 11] = [
        (
            0,
            Some(30),
            Some(120),
            Some(180),
            Some(5),
            "S001",
            "phone",
            "service",
        ),
        (
            1,
            Some(45),
            Some(300),
            Some(400),
            Some(4),
            "S001",
            "web",
            "service",
        ),
        (
            2,
            Some(10),
            Some(60),
            Some(61),
            Some(2),
            "S002",
            "social",
            "product",
        ),
        (3, Some(240), None, None, None, "S002", "phone", "price"),
        (
            4,
            Some(5),
            Some(20),
            Some(1440),
            Some(4),
            "S001",
            "phone",
            "product",
        ),
        (
            5,
            Some(600),
            Some(900),
            None,
            Some(3),
            "S001",
            "email",
            "service",
        ),
        (6, None, None, None, None, "S002", "app", "service"),
        (
            7,
            Some(90),
            Some(95),
            Some(2000),
            Some(1),
            "S001",
            "phone",
            "price",
        ),
        (
            8,
            Some(15),
            Some(500),
            Some(501),
            None,
            "S002",
            "web",
            "product",
        ),
        (
            9,
            Some(1),
            Some(2),
            Some(3),
            Some(5),
            "S001",
            "social",
            "service",
        ),
        (
            10,
            Some(70),
            Some(80),
            Some(90),
            Some(4),
            "S001",
            "phone",
            "service",
        ),
    ];
    let mut first = Vec::new();
    let mut close = Vec::new();
    for (i, respond, resolve, closing, satisfaction, store, channel, category) in plan {
        // Spread over 2026-03-02 to 2026-03-04.
        let opened = day + Duration::hours(5 * i);
        let body = json!({"store_id": store, "channel": channel, "category": category,
            "content": format!("case {i}"), "handler": "desk", "opened_at": opened});
        let id = api.ok(ADMIN, "v1/complaints", Some(&body))["id"]
            .as_str()
            .unwrap()
            .to_string();
        let step = |body: Value| api.ok(ADMIN, &format!("v1/complaints/{id}/steps"), Some(&body));
        if let Some(m) = respond {
            step(json!({"handler": "desk", "to_state": "in_progress",
                "at": opened + Duration::minutes(m)}));
            first.push(m * 60);
        }
        if let Some(m) = resolve {
            step(
                json!({"handler": "desk", "to_state": "resolved", "outcome": "settled",
                "at": opened + Duration::minutes(m)}),
            );
        }
        if let Some(m) = closing {
            step(
                json!({"handler": "desk", "to_state": "closed", "satisfaction": satisfaction,
                "at": opened + Duration::minutes(m)}),
            );
            close.push(m * 60);
        } else if let (Some(s), Some(_)) = (satisfaction, resolve) {
            step(json!({"handler": "desk", "satisfaction": s, "note": "member said"}));
        }
    }
    // One more case outside the range.
    record(&api, "normal", "S001", day - Duration::days(3), json!({}));
    let report = api.ok(
        ADMIN,
        "v1/reports/complaints?from=2026-03-02&to=2026-03-04",
        None,
    );
    assert_eq!(report["cases"], 11, "{report}");
    assert_eq!(report["first_response"]["cases"], first.len() as u64);
    assert_eq!(
        report["first_response"]["median_seconds"],
        percentile(&first, 50.0)
    );
    assert_eq!(
        report["first_response"]["p90_seconds"],
        percentile(&first, 90.0)
    );
    assert_eq!(report["to_close"]["cases"], close.len() as u64);
    assert_eq!(
        report["to_close"]["median_seconds"],
        percentile(&close, 50.0)
    );
    assert_eq!(report["to_close"]["p90_seconds"], percentile(&close, 90.0));
    let said: Vec<u64> = plan
        .iter()
        .filter(|p| p.2.is_some())
        .filter_map(|p| p.4.map(u64::from))
        .collect();
    assert_eq!(report["satisfaction"]["cases"], said.len() as u64);
    let average = said.iter().sum::<u64>() as f64 / said.len() as f64;
    assert_eq!(
        report["satisfaction"]["average"].as_f64().unwrap(),
        (average * 100.0).round() / 100.0
    );
    let distribution: Vec<u64> = (1..=5)
        .map(|k| said.iter().filter(|s| **s == k).count() as u64)
        .collect();
    assert_eq!(report["satisfaction"]["distribution"], json!(distribution));
    let volume = |field: &str, key: &str| -> u64 {
        report[field]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .map_or(0, |v| v["cases"].as_u64().unwrap())
    };
    for (field, index) in [("by_store", 5), ("by_channel", 6), ("by_category", 7)] {
        let keys: std::collections::BTreeSet<&str> =
            plan.iter().map(|p| [p.5, p.6, p.7][index - 5]).collect();
        for key in keys {
            let expected = plan
                .iter()
                .filter(|p| [p.5, p.6, p.7][index - 5] == key)
                .count();
            assert_eq!(volume(field, key), expected as u64, "{field} {key}");
        }
    }
    assert_eq!(volume("by_severity", "normal"), 11);
    assert_eq!(volume("by_state", "closed"), close.len() as u64);
    // An empty range answers zeros; a backwards one is refused.
    let empty = api.ok(
        ADMIN,
        "v1/reports/complaints?from=2020-01-01&to=2020-01-31",
        None,
    );
    assert_eq!(empty["cases"], 0);
    assert_eq!(
        empty["first_response"],
        json!({"cases": 0, "median_seconds": 0, "p90_seconds": 0})
    );
    assert_eq!(empty["satisfaction"]["average"], 0.0);
    assert_eq!(empty["by_store"], json!([]));
    let (status, answer) = api.get(ADMIN, "v1/reports/complaints?from=2026-03-04&to=2026-03-02");
    assert_eq!(status, 422, "{answer}");
    let (status, _) = api.get(ADMIN, "v1/reports/complaints?from=March&to=2026-03-02");
    assert_eq!(status, 400);
    // The CLI's report is the API's.
    let cli: Value = serde_json::from_str(&run_ok(storepos(work.path()).args([
        "hq",
        "complaints",
        "report",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-04",
        "--json",
    ])))
    .unwrap();
    assert_eq!(cli, report);
    let text = run_ok(storepos(work.path()).args([
        "hq",
        "complaints",
        "report",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-04",
    ]));
    assert!(
        text.contains("complaints opened 2026-03-02 to 2026-03-04: 11"),
        "{text}"
    );
    // Unknown store or member: not found, with a message.
    for (body, says) in [
        (
            json!({"store_id": "S999", "channel": "web", "content": "x", "handler": "h"}),
            "S999",
        ),
        (
            json!({"member_id": "nobody", "channel": "web", "content": "x", "handler": "h"}),
            "nobody",
        ),
    ] {
        let (status, answer) = api.post(ADMIN, "v1/complaints", &body);
        assert_eq!(status, 404, "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(says),
            "{answer}"
        );
    }
    let (status, _) = api.post(
        ADMIN,
        "v1/complaints",
        &json!({"store_id": "S001",
        "channel": "pigeon", "content": "x", "handler": "h"}),
    );
    assert_eq!(status, 422);
}
