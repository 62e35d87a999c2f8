//! A statement HQ's database refuses is answered with its cause, never as "HQ cannot reach
//! its database": a distributed planner's refusal (Citus's `could not run distributed query
//! with FOR UPDATE/SHARE commands`, SQLSTATE 0A000, raised here on plain PostgreSQL by a
//! trigger) and a constraint the database keeps are 500s naming them, and the batch they
//! stopped is applied once when sent again after the cause is gone.

use serde_json::{Value, json};

use crate::common;
use common::hq::{Database, Hq, setup};

/// Posts one batch with the terminal's token; the status and the answer.
fn post(hq: &Hq, token: &str, events: &Value) -> (u16, Value) {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}v1/events", hq.url))
        .bearer_auth(token)
        .json(&json!({ "events": events }))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

#[test]
fn a_refused_statement_is_a_500_with_its_cause_and_the_batch_applies_once_after() {
    let db = Database::postgres();
    let (work, token) = setup(&db);
    let hq = Hq::start(work.path());
    let batch = json!([common::events::member_sale(
        "S001", "T01", 1, "M-HQ-ERR", 0, 0
    )]);

    db.execute(
        "CREATE FUNCTION refuse_like_citus() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             RAISE EXCEPTION 'could not run distributed query with FOR UPDATE/SHARE commands'
                 USING ERRCODE = 'feature_not_supported';
         END $$;
         CREATE TRIGGER refuse_like_citus BEFORE UPDATE ON terminals
             FOR EACH ROW EXECUTE FUNCTION refuse_like_citus();",
    );
    let (status, answer) = post(&hq, &token, &batch);
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer["error"]["code"], "unsupported", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("0A000") && message.contains("could not run distributed query"),
        "{message}"
    );
    assert!(!message.contains("cannot reach"), "{message}");

    db.execute(
        "DROP TRIGGER refuse_like_citus ON terminals;
         ALTER TABLE terminals ADD CONSTRAINT acked_below_one CHECK (acked_seq < 1) NOT VALID;",
    );
    let (status, answer) = post(&hq, &token, &batch);
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer["error"]["code"], "constraint", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("23514") && message.contains("acked_below_one"),
        "{message}"
    );

    // Nothing of the batch was kept by the refused attempts: sent again, it applies once.
    db.execute("ALTER TABLE terminals DROP CONSTRAINT acked_below_one");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 0);
    let (status, answer) = post(&hq, &token, &batch);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["acked_seq"], 1, "{answer}");
    let (status, answer) = post(&hq, &token, &batch);
    assert_eq!((status, &answer["acked_seq"]), (200, &json!(1)), "{answer}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 1);
}
