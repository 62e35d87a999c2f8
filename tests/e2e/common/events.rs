//! Terminal events as honest tills make them, for tests that post to HQ directly: a member
//! sale whose transfers derive from its receipt and whose redemption is a points tender,
//! members and envelopes.

use serde_json::{Value, json};
use storepos::domain::member::Member;
use storepos_sync::Envelope;

/// An envelope of `kind` from `store`/`terminal` at `seq`.
pub fn envelope(store: &str, terminal: &str, seq: u64, kind: &str, payload: Value) -> Envelope {
    serde_json::from_value(json!({
        "id": uuid::Uuid::now_v7(), "store_id": store, "terminal_id": terminal, "seq": seq,
        "kind": kind, "payload": payload, "at": "2017-12-04T01:00:00Z"}))
    .unwrap()
}

/// The sample sale of two lines (receipt `seq`) as a member sale: `earn` points earned and
/// `redeem` points paid with (a points tender worth 0.10 each), transfers derived from
/// the receipt as a till derives them.
pub fn member_sale(
    store: &str,
    terminal: &str,
    seq: u64,
    member: &str,
    earn: i64,
    redeem: i64,
) -> Envelope {
    let mut sale = serde_json::to_value(storepos::store::sales::sample_sale(2, seq)).unwrap();
    let key = format!("{store}/{terminal}/{seq}");
    let mut transfers = Vec::new();
    if redeem > 0 {
        let value = redeem * 10;
        let cash = sale["tenders"][0]["amount"].as_i64().unwrap() - value;
        sale["tenders"] = json!([
            {"kind": "cash", "amount": cash, "reference": null},
            {"kind": "points", "amount": value, "reference": redeem.to_string()},
        ]);
        transfers.push(json!({"id": format!("{key}:redeem:0"), "member_id": member,
            "kind": "redeem", "points": -redeem, "at": "2017-12-04T01:00:00Z",
            "source": key, "expires_at": null}));
    }
    if earn > 0 {
        transfers.push(json!({"id": format!("{key}:earn:0"), "member_id": member,
            "kind": "earn", "points": earn, "at": "2017-12-04T01:00:00Z",
            "source": key, "expires_at": null}));
    }
    sale["member_id"] = json!(member);
    sale["loyalty"] = json!({
        "member_id": member, "name": "M", "tier": "standard", "earned": earn,
        "redeemed": redeem, "balance_before": 0, "balance_after": 0, "transfers": transfers});
    envelope(
        store,
        terminal,
        seq,
        "sale.completed",
        json!({"receipt_no": seq, "sale": sale}),
    )
}

/// A member of `home` with one active card `card`.
pub fn member(id: &str, card: &str, home: &str) -> Member {
    serde_json::from_value(json!({
        "id": id, "name": format!("Member {id}"), "phone": null, "email": null,
        "address": null, "cards": [{"number": card, "status": "active"}],
        "card_opened": null, "tier": "standard", "home_store": home,
        "consent": {"marketing": false, "profiling": false}, "points_balance": 0}))
    .unwrap()
}

/// A complaint as a till records it (`member` optional).
pub fn complaint(id: i64, member: Option<&str>, content: &str) -> Value {
    json!({"complaint": {"id": id, "member_id": member, "channel": "counter",
        "content": content, "handling": null, "outcome": null, "satisfaction": null,
        "status": "open", "at": "2017-12-04T09:00:00+08:00", "operator_id": "1001"}})
}
