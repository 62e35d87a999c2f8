//! Complaints as tills see them, on each backend: a till of another store reads no more
//! than a cashier needs and notes only what the rule allows; a note taken while HQ is away
//! reaches it once; complaints HQ held before the upgrade become cases.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use crate::common;
use crate::common::hq::{Database, Hq, register, run_ok, storepos};
use crate::hq_complaints::{ADMIN, ANA, Api, LI_NA, record, start};
use crate::on_each_backend;

on_each_backend!(
    a_till_of_another_store_reads_and_notes_only_what_the_rule_allows,
    a_note_taken_while_hq_is_away_reaches_it_once,
    complaints_held_before_the_upgrade_become_cases,
);

fn a_till_of_another_store_reads_and_notes_only_what_the_rule_allows(db: Database) {
    let (work, s001, hq) = start(&db);
    let api = Api::new(&hq);
    let s002 = register(work.path(), "S002", "T01");
    // A case of store S001 about 李娜, one about Ana Souza, and one without a member.
    let now = Utc::now();
    let li = record(
        &api,
        "high",
        "S001",
        now,
        json!({"member_id": LI_NA,
        "content": "private words about the manager"}),
    );
    let ana = record(&api, "normal", "S002", now, json!({"member_id": ANA}));
    let anon = record(&api, "low", "S001", now, json!({}));
    // Store S002's till reads 李娜's cases: what a cashier needs, nothing more.
    let seen = api.ok(&s002, &format!("v1/members/{LI_NA}/complaints"), None);
    assert_eq!(seen.as_array().unwrap().len(), 1, "{seen}");
    let mut keys: Vec<&str> = seen[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["category", "id", "last_note", "opened_at", "state"]);
    assert!(!seen.to_string().contains("private words"), "{seen}");
    assert_eq!(api.get(&s002, "v1/members/nobody/complaints").0, 404);
    // The staff routes are not a till's.
    for path in [
        format!("v1/complaints/{li}"),
        "v1/complaints".into(),
        "v1/reports/complaints?from=2026-01-01&to=2026-01-02".into(),
    ] {
        assert_eq!(api.get(&s002, &path).0, 401, "{path}");
    }
    let (status, _) = api.post(
        &s002,
        &format!("v1/complaints/{li}/steps"),
        &json!({"handler": "x", "to_state": "in_progress"}),
    );
    assert_eq!(status, 401);
    // S002's till notes S001's case only for the member it names.
    let note = |token: &str, id: &str, member: Option<&str>, note_id: uuid::Uuid| {
        api.post(
            token,
            &format!("v1/complaints/{id}/notes"),
            &json!({"note_id": note_id, "member_id": member, "operator_id": "2001",
                "note": "member asked at S002"}),
        )
    };
    let n1 = uuid::Uuid::now_v7();
    assert_eq!(note(&s002, &li, None, n1).0, 404);
    assert_eq!(note(&s002, &li, Some(ANA), n1).0, 404);
    assert_eq!(note(&s002, &anon, None, n1).0, 404);
    let steps = |id: &str| {
        api.ok(ADMIN, &format!("v1/complaints/{id}"), None)["steps"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(steps(&li), 1, "refused notes add nothing");
    let (status, seen) = note(&s002, &li, Some(LI_NA), n1);
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["last_note"], "member asked at S002");
    assert_eq!(seen["state"], "open", "a note moves nothing");
    // The same note again adds nothing.
    assert_eq!(note(&s002, &li, Some(LI_NA), n1).0, 200);
    assert_eq!(steps(&li), 2);
    // Its own store's cases, S002's till notes without a member; S001's till notes its own.
    assert_eq!(note(&s002, &ana, None, uuid::Uuid::now_v7()).0, 200);
    assert_eq!(note(&s001, &anon, None, uuid::Uuid::now_v7()).0, 200);
    // A till cannot move a case through its note.
    let (status, _) = api.post(
        &s001,
        &format!("v1/complaints/{anon}/notes"),
        &json!({"note_id": uuid::Uuid::now_v7(), "operator_id": "1001", "note": "x",
            "to_state": "closed"}),
    );
    assert_eq!(status, 422);
    let case = api.ok(ADMIN, &format!("v1/complaints/{anon}"), None);
    assert_eq!(case["state"], "open");
    let last = &case["step_list"][1];
    assert_eq!(
        (last["handler"].as_str(), last["to_state"].as_str()),
        (Some("2001"), Some("open"))
    );
    // A till walking through members' complaints is slowed like one walking through cards.
    let limited = (0..130)
        .map(|_| api.get(&s002, &format!("v1/members/{LI_NA}/complaints")))
        .find(|(status, _)| *status == 429);
    let (_, answer) = limited.expect("HQ answers 429 past the member lookups per minute");
    assert_eq!(answer["error"]["code"], "too_many_lookups", "{answer}");
}

fn a_note_taken_while_hq_is_away_reaches_it_once(db: Database) {
    let (work, _token, mut hq) = start(&db);
    let api = Api::new(&hq);
    // HQ staff opened a case about 李娜; the till sees it on her sheet.
    let id = record(
        &api,
        "normal",
        "S001",
        Utc::now(),
        json!({"member_id": LI_NA}),
    );
    let sign_in = "{\"sign_in\":{\"operator\":\"1001\",\"pin\":\"1234\"}}\n";
    let out = common::run_script(
        work.path(),
        &format!("{sign_in}{{\"member_complaints\":{{\"member\":\"{LI_NA}\"}}}}\n"),
    );
    let cases = &out[1]["member_complaints"];
    assert_eq!(cases["source"], "hq", "{}", out[1]);
    assert_eq!(cases["complaints"][0]["id"], id.as_str(), "{}", out[1]);
    // HQ goes away; the cashier notes the case and records a new complaint.
    hq.stop();
    let out = common::run_script(
        work.path(),
        &format!(
            "{sign_in}{{\"complaint_note\":{{\"member\":\"{LI_NA}\",\"id\":\"{id}\",\"note\":\"came back, still upset\"}}}}\n\
             {{\"complaint\":{{\"member\":\"{LI_NA}\",\"content\":\"Eggs broken\"}}}}\n\
             {{\"member_complaints\":{{\"member\":\"{LI_NA}\"}}}}\n"
        ),
    );
    assert!(
        out[1]["complaint_note"]["queued"].as_bool().unwrap(),
        "{}",
        out[1]
    );
    let offline = &out[3]["member_complaints"];
    assert_eq!(offline["source"], "till", "{}", out[3]);
    assert!(offline.to_string().contains("Eggs broken"), "{offline}");
    // HQ back: the note reaches the case once, with the operator as its handler.
    let hq = Hq::start(work.path());
    let api = Api::new(&hq);
    for _ in 0..2 {
        run_ok(storepos(work.path()).args(["--data-dir", "store", "sync", "--timeout", "30"]));
    }
    let case = api.ok(ADMIN, &format!("v1/complaints/{id}"), None);
    assert_eq!(case["steps"], 2, "{case}");
    assert_eq!(case["step_list"][1]["note"], "came back, still upset");
    assert_eq!(case["step_list"][1]["handler"], "1001");
    assert_eq!(case["state"], "open");
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM complaint_cases WHERE member_id = $1",
            &[LI_NA]
        ),
        2
    );
}

/// An HQ that held till complaints before complaint handling: its migration makes each a
/// case with its opening step and the default deadlines of a `normal` complaint.
fn complaints_held_before_the_upgrade_become_cases(db: Database) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let at = Utc.with_ymd_and_hms(2017, 12, 4, 1, 0, 0).unwrap();
    let body = json!({"id": 3, "member_id": null, "channel": "phone", "content": "sour milk",
        "handling": "apologised", "outcome": null, "satisfaction": 2, "status": "open",
        "at": "2017-12-04T09:00:00+08:00", "operator_id": "1001"});
    let url = db.url();
    rt.block_on(async {
        let before = |mut m: sqlx::migrate::Migrator| {
            m.migrations = m
                .migrations
                .iter()
                .filter(|x| x.version < 11)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            m.set_locking(false);
            m
        };
        let insert = "INSERT INTO complaints (store_id, terminal_id, local_id, member_id, body, at)
                      VALUES ('S001', 'T01', 3, NULL, $1, $2)";
        match &db {
            Database::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                before(sqlx::migrate!("src/hq/migrations/postgres"))
                    .run(&pool)
                    .await
                    .unwrap();
                sqlx::query(insert)
                    .bind(&body)
                    .bind(at)
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            Database::Sqlite { dir } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.path().join("hq.db"))
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                before(sqlx::migrate!("src/hq/migrations/sqlite"))
                    .run(&pool)
                    .await
                    .unwrap();
                sqlx::query(insert)
                    .bind(body.to_string())
                    .bind("2017-12-04T01:00:00.000000+00:00")
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
        let store = storepos::hq::HqStore::open(&url).await.unwrap();
        let case = store.complaint("S001.T01.3", Utc::now()).await.unwrap();
        let c = &case.case;
        assert_eq!(c.state, storepos::hq::complaints::State::Open);
        assert_eq!(c.channel, storepos::hq::complaints::Channel::Phone);
        assert_eq!(c.severity, storepos::hq::complaints::Severity::Normal);
        assert_eq!(
            (c.content.as_str(), c.category.as_str()),
            ("sour milk", "general")
        );
        assert_eq!(c.satisfaction, Some(2));
        assert_eq!(c.opened_at, at);
        assert_eq!(c.response_due, at + Duration::hours(24));
        assert_eq!(c.resolve_due, at + Duration::days(7));
        assert_eq!(c.terminal_id.as_deref(), Some("T01"));
        assert_eq!(case.step_list.len(), 1);
        assert_eq!(case.step_list[0].handler, "1001");
        assert_eq!(case.step_list[0].note.as_deref(), Some("apologised"));
        store.pool().close().await;
    });
}
