//! HQ trusts no till beyond its token, each attack once on PostgreSQL and once on the
//! embedded SQLite file: another store's terminal cannot take over a member or card,
//! block a card, mint points, use a kind of transfer a till never makes or book another
//! till's transfer ids; points beyond the programme's range, NUL characters and unknown
//! kinds are refused by rule and parked, never blocking the events behind them; a terminal
//! that lost its data directory and sends other events under held sequences gets a
//! conflict, recorded, and nothing of its batch is applied. Every refusal leaves HQ's
//! members, cards, balances and transfers as they were.

use crate::common;

use common::events::{complaint, envelope, member, member_sale};
use common::hq::Database;
use serde_json::{Value, json};
use storepos::hq::store::HqError;
use storepos::hq::{HqStore, IngestReply, TerminalId};
use storepos_sync::Envelope;

crate::on_each_backend!(
    another_stores_enrolment_takes_no_card_and_no_member,
    another_store_cannot_block_a_members_card,
    a_sale_cannot_mint_points_or_use_a_transfer_a_till_never_makes,
    a_foreign_till_cannot_book_another_tills_transfer_ids,
    points_beyond_the_programme_range_are_refused_not_a_failure,
    nul_characters_are_parked_and_never_block_the_events_behind,
    unknown_kinds_are_refused_and_parked,
    a_return_gives_back_no_more_than_its_sale_moved,
    a_lost_terminal_db_resending_other_events_gets_a_recorded_conflict,
    sequences_out_of_range_are_refused_and_not_stored,
    http_answers_422_with_refusals_and_409_with_the_conflict,
);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn till(store: &str, terminal: &str) -> TerminalId {
    TerminalId {
        store_id: store.into(),
        terminal_id: terminal.into(),
    }
}

/// HQ with member ZW (card 6200123412341234, home S001, 500 points) and a terminal T01 in
/// each of S001 and S002.
fn chain(rt: &tokio::runtime::Runtime, db: &Database) -> HqStore {
    let store = rt.block_on(HqStore::open(&db.url())).unwrap();
    rt.block_on(store.upsert_member(&member("ZW", "6200123412341234", "S001")))
        .unwrap();
    rt.block_on(store.opening_balance("ZW", 500)).unwrap();
    for s in ["S001", "S002"] {
        rt.block_on(store.register_terminal(s, "T01")).unwrap();
    }
    store
}

/// What a refusal must leave unchanged: members, cards, accounts and transfers.
fn state(db: &Database) -> Vec<i64> {
    let mut all = db.row(
        "SELECT (SELECT COUNT(*) FROM members), (SELECT COUNT(*) FROM member_cards),
                (SELECT COUNT(*) FROM member_cards WHERE status = 'blocked'),
                (SELECT COUNT(*) FROM point_transfers),
                (SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM point_accounts),
                (SELECT COUNT(*) FROM sales)",
        &[],
    );
    all.push(db.scalar(
        "SELECT COUNT(*) FROM members WHERE id = 'ZW' AND name = 'Member ZW' AND home_store = 'S001'",
        &[],
    ));
    all
}

fn ingest(
    rt: &tokio::runtime::Runtime,
    store: &HqStore,
    t: &TerminalId,
    events: &[Envelope],
) -> IngestReply {
    rt.block_on(store.ingest(t, events)).unwrap()
}

/// The rules of the refusals of a reply, in order, each parked.
fn parked_rules(reply: &IngestReply) -> Vec<&str> {
    assert!(reply.refused.iter().all(|r| r.parked), "{reply:?}");
    reply.refused.iter().map(|r| r.rule.as_str()).collect()
}

fn enrolment(seq: u64, id: &str, card: &str, home: &str) -> Envelope {
    let m = member(id, card, home);
    envelope(
        "S002",
        "T01",
        seq,
        "member.enrolled",
        json!({ "member": m }),
    )
}

fn another_stores_enrolment_takes_no_card_and_no_member(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let before = state(&db);
    let s002 = till("S002", "T01");
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[
            // Over S001's card, as a new member.
            enrolment(1, "X1", "6200123412341234", "S002"),
            // Over S001's member id, with a new card.
            enrolment(2, "ZW", "6200999900001111", "S002"),
            // A member of another store.
            enrolment(3, "X3", "6200999900002222", "S001"),
        ],
    );
    assert_eq!(
        parked_rules(&reply),
        ["card_taken", "member_exists", "not_home_store"]
    );
    assert_eq!(reply.acked_seq, 3, "parked events hold their sequence");
    assert_eq!(state(&db), before, "nothing of a refused enrolment applied");
    let (zw, balance) = rt
        .block_on(store.member_by_card("6200123412341234"))
        .unwrap()
        .unwrap();
    assert_eq!((zw.id.as_str(), balance), ("ZW", 500));
    // A blocked card at enrolment is refused; an honest enrolment of S002 is applied.
    let mut blocked = member("X4", "6200999900003333", "S002");
    blocked.cards[0].status = storepos::domain::member::CardStatus::Blocked;
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[
            envelope(
                "S002",
                "T01",
                4,
                "member.enrolled",
                json!({ "member": blocked }),
            ),
            enrolment(5, "X5", "6200999900005555", "S002"),
        ],
    );
    assert_eq!(parked_rules(&reply), ["blocked_card"]);
    assert_eq!(reply.acked_seq, 5);
    let (x5, _) = rt
        .block_on(store.member_by_card("6200999900005555"))
        .unwrap()
        .unwrap();
    assert_eq!(x5.home_store.as_deref(), Some("S002"));
    let refused = rt.block_on(store.refused_events(Some("S002"))).unwrap();
    assert_eq!(refused.len(), 4, "{refused:?}");
    let report = serde_json::to_value(rt.block_on(store.reconciliation()).unwrap()).unwrap();
    assert_eq!(report["refused_event_count"], 4, "{report}");
}

fn replacement(seq: u64, store: &str, blocked: &str, new_card: &str) -> Envelope {
    envelope(
        store,
        "T01",
        seq,
        "card.replaced",
        json!({"member_id": "ZW", "blocked": blocked, "new_card": new_card}),
    )
}

fn another_store_cannot_block_a_members_card(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    rt.block_on(store.upsert_member(&member("OTHER", "6200777700001111", "S001")))
        .unwrap();
    let before = state(&db);
    let reply = ingest(
        &rt,
        &store,
        &till("S002", "T01"),
        &[replacement(
            1,
            "S002",
            "6200123412341234",
            "6200999900001111",
        )],
    );
    assert_eq!(parked_rules(&reply), ["not_home_store"]);
    assert_eq!(state(&db), before);
    // The home store may, but only for the member's own card and to a new card.
    let s001 = till("S001", "T01");
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[
            replacement(1, "S001", "6200777700001111", "6200999900001111"),
            replacement(2, "S001", "6200123412341234", "6200777700001111"),
        ],
    );
    assert_eq!(parked_rules(&reply), ["card_not_members", "card_taken"]);
    assert_eq!(state(&db), before);
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[replacement(
            3,
            "S001",
            "6200123412341234",
            "6200999900001111",
        )],
    );
    assert!(reply.refused.is_empty(), "{reply:?}");
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM member_cards WHERE member_id = 'ZW' AND status = 'blocked'",
            &[]
        ),
        1
    );
}

fn a_sale_cannot_mint_points_or_use_a_transfer_a_till_never_makes(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let before = state(&db);
    let s002 = till("S002", "T01");
    let minting = member_sale("S002", "T01", 1, "ZW", 1_000_000, 0);
    let mut adjust = member_sale("S002", "T01", 2, "ZW", 5, 0);
    let t = &mut adjust.payload["sale"]["loyalty"]["transfers"][0];
    t["kind"] = json!("adjust");
    t["id"] = json!("S002/T01/2:adjust:0");
    let mut expire = member_sale("S002", "T01", 3, "ZW", 0, 50);
    let t = &mut expire.payload["sale"]["loyalty"]["transfers"][0];
    t["kind"] = json!("expire");
    t["id"] = json!("S002/T01/3:expire:0");
    // Points paid with that the tenders do not name, and earning for someone else.
    let mut untendered = member_sale("S002", "T01", 4, "ZW", 0, 50);
    untendered.payload["sale"]["tenders"] = json!([{"kind": "cash",
        "amount": untendered.payload["sale"]["total"], "reference": null}]);
    untendered.payload["sale"]["change"] = json!(0);
    let mut elsewhere = member_sale("S002", "T01", 5, "ZW", 5, 0);
    elsewhere.payload["sale"]["loyalty"]["transfers"][0]["member_id"] = json!("X");
    let unknown = member_sale("S002", "T01", 6, "NOBODY", 5, 0);
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[minting, adjust, expire, untendered, elsewhere, unknown],
    );
    assert_eq!(
        parked_rules(&reply),
        [
            "points_not_earned",
            "transfer_kind_not_allowed",
            "transfer_kind_not_allowed",
            "redeem_not_tendered",
            "member_mismatch",
            "unknown_member",
        ]
    );
    assert_eq!(reply.acked_seq, 6);
    assert_eq!(
        state(&db),
        before,
        "no refused sale applied, not even its sale row"
    );
    // What the programme gives is applied.
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[member_sale("S002", "T01", 7, "ZW", 5, 100)],
    );
    assert!(reply.refused.is_empty(), "{reply:?}");
    let (_, balance) = rt.block_on(store.member("ZW")).unwrap().unwrap();
    assert_eq!(balance, 500 + 5 - 100);
    // Products HQ's catalogue does not hold (8.29 of them here) may carry bonuses HQ cannot
    // check, but never worth more than was paid for them: 82 points of 0.10, not 83.
    let over = member_sale("S002", "T01", 8, "ZW", 83, 0);
    let reply = ingest(&rt, &store, &s002, &[over]);
    assert_eq!(parked_rules(&reply), ["points_not_earned"]);
    let within = member_sale("S002", "T01", 9, "ZW", 80, 0);
    let reply = ingest(&rt, &store, &s002, &[within]);
    assert!(reply.refused.is_empty(), "{reply:?}");
    let (_, balance) = rt.block_on(store.member("ZW")).unwrap().unwrap();
    assert_eq!(balance, 500 + 5 - 100 + 80);
}

fn a_foreign_till_cannot_book_another_tills_transfer_ids(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let before = state(&db);
    // S002's till books the ids S001/T01's receipt 7 will derive.
    let mut squat = member_sale("S002", "T01", 1, "ZW", 0, 400);
    for t in squat.payload["sale"]["loyalty"]["transfers"]
        .as_array_mut()
        .unwrap()
    {
        t["id"] = json!("S001/T01/7:redeem:0");
        t["source"] = json!("S001/T01/7");
    }
    let reply = ingest(&rt, &store, &till("S002", "T01"), &[squat]);
    assert_eq!(parked_rules(&reply), ["transfer_not_derived"]);
    assert_eq!(state(&db), before);
    // The real till's receipts 1..6 (no points) and 7: earn 10, redeem 600 of a balance of 500.
    let s001 = till("S001", "T01");
    let mut batch: Vec<Envelope> = (1..=6)
        .map(|seq| {
            let sale = serde_json::to_value(storepos::store::sales::sample_sale(1, seq)).unwrap();
            envelope(
                "S001",
                "T01",
                seq,
                "sale.completed",
                json!({"receipt_no": seq, "sale": sale}),
            )
        })
        .collect();
    batch.push(member_sale("S001", "T01", 7, "ZW", 10, 600));
    let reply = ingest(&rt, &store, &s001, &batch);
    assert!(reply.refused.is_empty(), "{reply:?}");
    assert_eq!(reply.acked_seq, 7);
    let (_, balance) = rt.block_on(store.member("ZW")).unwrap().unwrap();
    assert_eq!(
        balance,
        500 - 600 + 10,
        "the real redemption and earning both applied"
    );
    let report = serde_json::to_value(rt.block_on(store.reconciliation()).unwrap()).unwrap();
    let overdrafts = report["point_overdrafts"].as_array().unwrap();
    assert_eq!(overdrafts.len(), 1, "{report}");
    assert_eq!(overdrafts[0]["transfer_id"], "S001/T01/7:redeem:0");
    assert_eq!(overdrafts[0]["shortfall"], 100);
}

fn points_beyond_the_programme_range_are_refused_not_a_failure(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let before = state(&db);
    let s001 = till("S001", "T01");
    let huge = member_sale("S001", "T01", 1, "ZW", 1 << 62, 0);
    let mut debit = member_sale("S001", "T01", 2, "ZW", 0, 50);
    debit.payload["sale"]["loyalty"]["transfers"][0]["points"] = json!(-(1i64 << 62));
    let mut amount = member_sale("S001", "T01", 3, "ZW", 0, 0);
    amount.payload["sale"]["total"] = json!(i64::MAX);
    let mut overflowing = member_sale("S001", "T01", 4, "ZW", 0, 0);
    overflowing.payload["sale"]["lines"][0]["amount"] = json!(i64::MAX);
    overflowing.payload["sale"]["lines"][1]["amount"] = json!(i64::MAX);
    let reply = ingest(&rt, &store, &s001, &[huge, debit, amount, overflowing]);
    assert_eq!(
        parked_rules(&reply),
        [
            "points_out_of_range",
            "points_out_of_range",
            "amount_out_of_range",
            "amount_out_of_range"
        ]
    );
    assert_eq!(reply.acked_seq, 4);
    assert_eq!(state(&db), before);
}

fn nul_characters_are_parked_and_never_block_the_events_behind(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let s002 = till("S002", "T01");
    let mut named = member("X1", "6200999900001111", "S002");
    named.name = "Li\u{0}Na".into();
    let before = state(&db);
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[
            envelope(
                "S002",
                "T01",
                1,
                "complaint.recorded",
                complaint(1, None, "cold\u{0}milk"),
            ),
            envelope(
                "S002",
                "T01",
                2,
                "member.enrolled",
                json!({ "member": named }),
            ),
            envelope(
                "S002",
                "T01",
                3,
                "complaint.recorded",
                complaint(2, Some("ZW"), "queue"),
            ),
        ],
    );
    assert_eq!(parked_rules(&reply), ["nul_character", "nul_character"]);
    assert_eq!(reply.acked_seq, 3, "the till is not blocked");
    assert_eq!(state(&db), before);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM complaints", &[]), 1);
    // The same batch again is held (the parked events are resends of themselves), and the
    // next batch applies.
    let reply = ingest(
        &rt,
        &store,
        &s002,
        &[envelope(
            "S002",
            "T01",
            4,
            "complaint.recorded",
            complaint(3, None, "ok"),
        )],
    );
    assert!(reply.refused.is_empty(), "{reply:?}");
    assert_eq!(reply.acked_seq, 4);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM complaints", &[]), 2);
    let parked = rt.block_on(store.refused_events(Some("S002"))).unwrap();
    assert_eq!(
        parked
            .iter()
            .map(|p| (p.seq, p.rule.as_str()))
            .collect::<Vec<_>>(),
        [(1, "nul_character"), (2, "nul_character")]
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM events WHERE seq = 1 AND store_id = 'S002' AND payload_hash IS NOT NULL",
            &[]
        ),
        1,
        "the parked copy keeps the original's hash"
    );
}

fn unknown_kinds_are_refused_and_parked(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let reply = ingest(
        &rt,
        &store,
        &till("S001", "T01"),
        &[
            envelope(
                "S001",
                "T01",
                1,
                "blob.stored",
                json!({"data": "x".repeat(1000)}),
            ),
            envelope(
                "S001",
                "T01",
                2,
                "complaint.recorded",
                complaint(1, None, "ok"),
            ),
        ],
    );
    assert_eq!(parked_rules(&reply), ["unknown_kind"]);
    assert!(
        reply.refused[0].message.contains("blob.stored"),
        "{reply:?}"
    );
    assert_eq!(reply.acked_seq, 2);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM complaints", &[]), 1);
}

/// A return of `original` moving `transfers` (kind, points) for ZW.
fn member_return(seq: u64, original: u64, transfers: &[(&str, u32, i64)]) -> Envelope {
    let mut sale = serde_json::to_value(storepos::store::sales::sample_sale(1, seq)).unwrap();
    sale["kind"] = json!("return");
    for field in ["subtotal", "tax", "total"] {
        sale[field] = json!(-sale[field].as_i64().unwrap());
    }
    for field in ["amount", "tax", "unit_price"] {
        sale["lines"][0][field] = json!(-sale["lines"][0][field].as_i64().unwrap());
    }
    sale["tenders"] = json!([{"kind": "cash", "amount": sale["total"], "reference": null}]);
    sale["change"] = json!(0);
    sale["original_receipt"] = json!(original);
    sale["member_id"] = json!("ZW");
    let key = format!("S001/T01/{seq}");
    sale["loyalty"] = json!({
        "member_id": "ZW", "name": "M", "tier": "standard", "earned": 0, "redeemed": 0,
        "balance_before": 0, "balance_after": 0,
        "transfers": transfers.iter().map(|(kind, n, points)| json!({
            "id": format!("{key}:{kind}:{n}"), "member_id": "ZW", "kind": kind,
            "points": points, "at": "2017-12-04T01:00:00Z", "source": key,
            "expires_at": null})).collect::<Vec<_>>()});
    envelope(
        "S001",
        "T01",
        seq,
        "return.completed",
        json!({"receipt_no": seq, "sale": sale}),
    )
}

fn a_return_gives_back_no_more_than_its_sale_moved(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let s001 = till("S001", "T01");
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[
            member_sale("S001", "T01", 1, "ZW", 8, 200),
            member_return(2, 1, &[("reverse", 0, 150), ("reverse", 1, -6)]),
        ],
    );
    assert!(reply.refused.is_empty(), "{reply:?}");
    let before = state(&db);
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[
            // 150 + 60 given back of 200 redeemed; 6 + 3 taken back of 8 earned.
            member_return(3, 1, &[("reverse", 0, 60)]),
            member_return(4, 1, &[("reverse", 1, -3)]),
            member_return(5, 9, &[("reverse", 0, 1)]),
            member_return(6, 1, &[("adjust", 0, 1)]),
        ],
    );
    assert_eq!(
        parked_rules(&reply),
        [
            "reversal_exceeds_sale",
            "reversal_exceeds_sale",
            "return_without_sale",
            "transfer_kind_not_allowed"
        ]
    );
    assert_eq!(state(&db), before);
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[member_return(
            7,
            1,
            &[("reverse", 0, 50), ("reverse", 1, -2)],
        )],
    );
    assert!(
        reply.refused.is_empty(),
        "what is left may be moved: {reply:?}"
    );
    let (_, balance) = rt.block_on(store.member("ZW")).unwrap().unwrap();
    assert_eq!(balance, 500 + 8 - 200 + 150 - 6 + 50 - 2);
}

fn a_lost_terminal_db_resending_other_events_gets_a_recorded_conflict(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let s001 = till("S001", "T01");
    let first: Vec<Envelope> = (1..=3)
        .map(|seq| member_sale("S001", "T01", seq, "ZW", seq as i64, 0))
        .collect();
    assert_eq!(ingest(&rt, &store, &s001, &first).acked_seq, 3);
    // A resend of the same events is held: the same answer, nothing twice.
    assert_eq!(ingest(&rt, &store, &s001, &first).acked_seq, 3);
    let before = state(&db);
    // terminal.db re-created: sequences and receipts restart at 1 with other sales.
    let second: Vec<Envelope> = (1..=4)
        .map(|seq| member_sale("S001", "T01", seq, "ZW", 2 * seq as i64, 0))
        .collect();
    let Err(HqError::Conflict(conflict)) = rt.block_on(store.ingest(&s001, &second)) else {
        panic!("a conflict")
    };
    assert_eq!(
        (conflict.seq, conflict.held_id, conflict.sent_id),
        (1, first[0].id, second[0].id)
    );
    assert_eq!(
        state(&db),
        before,
        "nothing of the batch applied, not even seq 4"
    );
    assert_eq!(ingest(&rt, &store, &s001, &[]).acked_seq, 3);
    // The same content under another id, a held id under another sequence, a held
    // receipt number under a new sequence: each a conflict too.
    let mut same_content = first[0].clone();
    same_content.id = uuid::Uuid::now_v7();
    let mut moved = first[2].clone();
    moved.seq = 4;
    let mut receipt = member_sale("S001", "T01", 4, "ZW", 1, 0);
    receipt.payload["receipt_no"] = json!(2);
    for batch in [vec![same_content], vec![moved], vec![receipt]] {
        let result = rt.block_on(store.ingest(&s001, &batch));
        assert!(matches!(result, Err(HqError::Conflict(_))), "{result:?}");
    }
    assert_eq!(state(&db), before);
    let report = serde_json::to_value(rt.block_on(store.reconciliation()).unwrap()).unwrap();
    assert_eq!(report["seq_conflict_count"], 4, "{report}");
    assert_eq!(report["seq_conflicts"][0]["held_id"], json!(first[0].id));
}

fn sequences_out_of_range_are_refused_and_not_stored(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let s001 = till("S001", "T01");
    let at = |seq: u64| {
        envelope(
            "S001",
            "T01",
            seq,
            "complaint.recorded",
            complaint(seq as i64 % 1000 + 1, None, "x"),
        )
    };
    let reply = ingest(
        &rt,
        &store,
        &s001,
        &[at(0), at((1 << 53) + 1), at(u64::MAX), at(100_002), at(1)],
    );
    let rules: Vec<(&str, bool)> = reply
        .refused
        .iter()
        .map(|r| (r.rule.as_str(), r.parked))
        .collect();
    assert_eq!(
        rules,
        [
            ("seq_out_of_range", false),
            ("seq_too_far_ahead", false),
            ("seq_out_of_range", false),
            ("seq_out_of_range", false)
        ],
        "in sequence order"
    );
    assert_eq!(reply.acked_seq, 1);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM events", &[]), 1);
}

fn http_answers_422_with_refusals_and_409_with_the_conflict(db: Database) {
    let rt = runtime();
    let store = chain(&rt, &db);
    let token = rt.block_on(store.register_terminal("S002", "T01")).unwrap();
    let app = storepos::hq::api::router(store.clone(), storepos::hq::api::ApiSettings::default());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post = |events: &[Envelope]| -> (u16, Value) {
        let request = http
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "events": events }))
            .send();
        rt.block_on(async {
            let r = request.await.unwrap();
            (r.status().as_u16(), r.json().await.unwrap())
        })
    };
    let good = envelope(
        "S002",
        "T01",
        2,
        "complaint.recorded",
        complaint(1, None, "ok"),
    );
    let batch = [enrolment(1, "X1", "6200123412341234", "S002"), good];
    let (status, body) = post(&batch);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["acked_seq"], 2, "{body}");
    assert_eq!(body["refused"][0]["rule"], "card_taken");
    assert_eq!(body["refused"][0]["parked"], true);
    assert_eq!(body["error"]["code"], "refused");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("card_taken"),
        "{body}"
    );
    // The same batch again: held, the same answer.
    assert_eq!(post(&batch).0, 422);
    let mut other = batch[1].clone();
    other.id = uuid::Uuid::now_v7();
    let (status, body) = post(&[other.clone()]);
    assert_eq!(status, 409, "{body}");
    let answer: storepos_sync::wire::ConflictAnswer = serde_json::from_value(body).unwrap();
    assert_eq!(answer.error.code, "seq_conflict");
    assert_eq!(
        (
            answer.conflict.seq,
            answer.conflict.held_id,
            answer.conflict.sent_id
        ),
        (2, batch[1].id, other.id)
    );
    let good = envelope(
        "S002",
        "T01",
        3,
        "complaint.recorded",
        complaint(2, None, "ok"),
    );
    let (status, body) = post(&[good]);
    assert_eq!((status, &body["acked_seq"]), (200, &json!(3)), "{body}");
}
