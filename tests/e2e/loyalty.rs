//! Members at the till end to end, through the headless binary: identification by phone,
//! swipe and scanned card, points earned and paid with, reversal on return, HQ-signed
//! coupons and shopping lists verified offline (forged, used, expired and foreign ones
//! refused), enrolment, card replacement, complaints and the member view.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::{run_script, seed};
use ed25519_dalek::SigningKey;
use serde_json::Value;
use storepos::domain::coupon::{
    Coupon, ListItem, Offer, OfferTarget, OfferValue, ShoppingList, sign, sign_list,
};
use storepos::domain::gs1::Gtin;

/// HQ's signing key for these tests, and a store configured with its public half.
fn hq_store(dir: &std::path::Path) -> SigningKey {
    seed(dir);
    let key = SigningKey::from_bytes(&[7; 32]);
    std::fs::write(
        dir.join("storepos.toml"),
        format!(
            "[loyalty]\ncoupon_key = \"{}\"\n",
            hex::encode(key.verifying_key().to_bytes())
        ),
    )
    .unwrap();
    key
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn coupon(id: &str, member: &str, target: OfferTarget, value: OfferValue) -> Coupon {
    Coupon {
        id: id.into(),
        member_id: member.into(),
        offer: Offer {
            target,
            value,
            min_spend: 0,
            max_discount: None,
        },
        valid_from: at(2017, 12, 1),
        valid_until: at(2017, 12, 15),
        single_use: true,
        funded_by: Some("Yili".into()),
        title: format!("{id} offer"),
    }
}

const ZHANG: &str = "6200123412341234"; // 张伟, gold, 12,800 points at HQ
const LI: &str = "6200123412345678";
const MILK: &str = "6904000000111"; // 54.00, 9% VAT, x2 bonus points
const RICE: &str = "6920000000159"; // 39.90, +50 bonus points

fn start() -> String {
    r#"{"set_clock":"2017-12-04T09:00:00+08:00"}
{"sign_in":{"operator":"1001","pin":"1234"}}
{"open_shift":{"float":"100.00"}}
"#
    .to_string()
}

#[test]
fn a_member_earns_pays_with_points_and_a_return_reverses_both_exactly() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = start()
        + &format!(
            r#"{{"member":"138 0013 8000"}}
{{"scan":"{MILK}"}}
{{"scan":"{RICE}"}}
{{"tender":{{"points":500}}}}
{{"tender":{{"cash":"43.90"}}}}
{{"return":{{"receipt":"1","lines":[{{"line":1,"qty":"1"}},{{"line":2,"qty":"1"}}]}}}}
{{"approve":{{"operator":"2001","pin":"2222"}}}}
{{"member_view":"{ZHANG}"}}
{{"member":"{ZHANG}"}}
{{"scan":"{MILK}"}}
{{"tender":{{"points":99999}}}}
"#
        );
    let out = run_script(work.path(), &script);
    let badge = &out[3]["member"];
    assert_eq!(badge["name"], "张伟", "{}", out[3]);
    assert_eq!(badge["redeemable"], 12800);
    // 500 points pay 50.00 of 93.90.
    assert_eq!(out[6]["ok"], true, "{}", out[6]);
    let sale = &out[7]["sale"];
    assert_eq!(sale["tenders"][0]["kind"], "points", "{sale}");
    assert_eq!(sale["tenders"][0]["amount"], "50.00");
    let receipt = sale["receipt"].as_str().unwrap();
    // Earned on the 43.90 paid in money: base 4, gold tier 1.5x = 6, milk x2 adds its base
    // (2), rice +50 scaled by the share paid in money (1865/3990) = 23: 31 points.
    assert!(
        receipt.contains("本次积分") && receipt.contains("+31"),
        "{receipt}"
    );
    assert!(receipt.contains("12331"), "{receipt}");
    // The same figures as fields of the answer, not only in the receipt's text.
    assert_eq!(sale["points"]["earned"], 31, "{sale}");
    assert_eq!(sale["points"]["redeemed"], 500, "{sale}");
    assert_eq!(sale["points"]["balance"], 12331, "{sale}");
    assert_eq!(
        out[7]["member"],
        Value::Null,
        "the member leaves with the sale"
    );
    // The full return gives the 500 points back, takes the 31 back, refunds 43.90 in cash.
    let refund = &out[9]["sale"];
    assert_eq!(refund["total"], "-93.90", "{}", out[9]);
    let tenders = refund["tenders"].as_array().unwrap();
    assert!(
        tenders
            .iter()
            .any(|t| t["kind"] == "cash" && t["amount"] == "-43.90"),
        "{refund}"
    );
    assert!(
        tenders
            .iter()
            .any(|t| t["kind"] == "points" && t["amount"] == "-50.00"),
        "{refund}"
    );
    let view = &out[10]["member_view"];
    assert_eq!(view["points"]["balance"], 12800, "{view}");
    assert_eq!(view["points"]["history"].as_array().unwrap().len(), 4);
    // Points are checked against what the member may redeem.
    assert_eq!(out[13]["error"]["code"], "invalid", "{}", out[13]);
    assert!(
        out[13]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("12800"),
        "{}",
        out[13]
    );
}

#[test]
fn coupons_are_verified_offline_and_refused_when_forged_used_expired_or_foreign() {
    let work = tempfile::tempdir().unwrap();
    let key = hq_store(work.path());
    let milk = Gtin::parse(MILK).unwrap();
    let good = sign(
        coupon(
            "C100",
            ZHANG,
            OfferTarget::Product(milk),
            OfferValue::AmountOff(500),
        ),
        &key,
    )
    .unwrap()
    .full_code();
    let mut expired = coupon(
        "C101",
        ZHANG,
        OfferTarget::Basket,
        OfferValue::PercentOff(1000),
    );
    expired.valid_until = at(2017, 12, 2);
    let expired = sign(expired, &key).unwrap().full_code();
    let foreign = sign(
        coupon("C102", LI, OfferTarget::Basket, OfferValue::AmountOff(100)),
        &key,
    )
    .unwrap()
    .full_code();
    let forger = SigningKey::from_bytes(&[9; 32]);
    let forged = sign(
        coupon(
            "C103",
            ZHANG,
            OfferTarget::Basket,
            OfferValue::AmountOff(9000),
        ),
        &forger,
    )
    .unwrap()
    .full_code();
    let script = start()
        + &format!(
            r#"{{"scan":"{good}"}}
{{"scan":"{MILK}"}}
{{"scan":"{expired}"}}
{{"scan":"{foreign}"}}
{{"scan":"{forged}"}}
{{"scan":"SPC1.garbled"}}
{{"tender":{{"cash":"49.00"}}}}
{{"scan":"{good}"}}
"#
        );
    let out = run_script(work.path(), &script);
    // The coupon identifies its member and applies when the milk is scanned.
    assert_eq!(out[3]["member"]["id"], ZHANG, "{}", out[3]);
    assert_eq!(out[4]["basket"]["total"], "49.00", "{}", out[4]);
    let code = |i: usize| out[i]["error"]["code"].as_str().unwrap_or("").to_string();
    let message = |i: usize| {
        out[i]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(code(5), "coupon_refused");
    assert!(message(5).contains("expired"), "{}", message(5));
    assert_eq!(code(6), "coupon_refused");
    assert!(message(6).contains("another member"), "{}", message(6));
    assert_eq!(code(7), "coupon_refused", "{}", out[7]);
    assert_eq!(code(8), "coupon_refused", "{}", out[8]);
    let sale = &out[9]["sale"];
    assert!(
        sale["receipt"].as_str().unwrap().contains("C100 offer"),
        "{sale}"
    );
    assert_eq!(code(10), "coupon_refused", "a coupon redeems once");
    assert!(message(10).contains("used"), "{}", message(10));
}

#[test]
fn a_shopping_list_identifies_the_member_and_attaches_every_offer() {
    let work = tempfile::tempdir().unwrap();
    let key = hq_store(work.path());
    let milk = Gtin::parse(MILK).unwrap();
    let rice = Gtin::parse(RICE).unwrap();
    let coupons = vec![
        sign(
            coupon(
                "L1-MILK",
                ZHANG,
                OfferTarget::Product(milk),
                OfferValue::AmountOff(600),
            ),
            &key,
        )
        .unwrap(),
        sign(
            coupon(
                "L1-RICE",
                ZHANG,
                OfferTarget::Product(rice),
                OfferValue::PercentOff(1000),
            ),
            &key,
        )
        .unwrap(),
    ];
    let list = sign_list(
        ShoppingList {
            id: "L1".into(),
            member_id: ZHANG.into(),
            period_start: at(2017, 12, 1),
            period_end: at(2017, 12, 15),
            items: vec![ListItem {
                gtin: milk,
                name: "Yili milk".into(),
                department: Some("Dairy".into()),
                reason: "usually every 14 days".into(),
            }],
            coupons,
        },
        &key,
    )
    .unwrap()
    .full_code();
    let script = start()
        + &format!(
            r#"{{"scan":"{list}"}}
{{"scan":"{MILK}"}}
{{"tender":{{"card":"48.00","ref":"X1"}}}}
{{"member":"{ZHANG}"}}
{{"scan":"{list}"}}
"#
        );
    let out = run_script(work.path(), &script);
    let badge = &out[3]["member"];
    assert_eq!(badge["list"], "L1", "{}", out[3]);
    assert_eq!(badge["offers"].as_array().unwrap().len(), 2);
    // Only the milk offer applies: no rice was bought.
    assert_eq!(out[4]["basket"]["total"], "48.00", "{}", out[4]);
    let receipt = out[5]["sale"]["receipt"].as_str().unwrap().to_string();
    assert!(receipt.contains("L1-MILK offer"), "{receipt}");
    assert!(!receipt.contains("L1-RICE offer"), "{receipt}");
    // Scanned again, the list brings only what is still open on it.
    let again = &out[7]["member"]["offers"];
    assert_eq!(again.as_array().unwrap().len(), 1, "{}", out[7]);
    assert_eq!(again[0]["id"], "L1-RICE");
}

#[test]
fn enrolment_card_replacement_swipes_and_complaints() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    let script = start()
        + r#"{"enroll":{"name":"赵磊","phone":"13512345678","consent":{"marketing":true,"profiling":false}}}
{"enroll":{"name":"Someone","phone":"135-1234-5678"}}
{"swipe":";6200123412345678=4912?"}
{"swipe":";62001234123?"}
{"swipe":"garbage"}
{"replace_card":{"member":"6200123412345678","card":"6200123412345678"}}
{"clear_member":{}}
{"swipe":";6200123412345678=4912?"}
{"complaint":{"member":"6200123412345678","channel":"counter","content":"Milk past its date","handling":"refunded","satisfaction":4}}
{"complaint":{"content":"   "}}
{"member_view":"6200123412345678"}
{"member":"李"}
{"tap":"04:A2:3B:4C:5D:6E:7F"}
{"tap":"not-a-uid"}
"#;
    let out = run_script(work.path(), &script);
    let card = out[3]["card"].as_str().unwrap().to_string();
    assert!(card.starts_with("S001T01"), "{}", out[3]);
    assert_eq!(out[3]["member"]["name"], "赵磊");
    assert_eq!(out[4]["error"]["code"], "invalid", "the phone is taken");
    assert_eq!(out[5]["member"]["name"], "李娜", "{}", out[5]);
    assert_eq!(out[6]["error"]["code"], "unknown_member", "{}", out[6]);
    assert_eq!(out[7]["error"]["code"], "bad_card", "{}", out[7]);
    let new_card = out[8]["card"].as_str().unwrap();
    assert_ne!(new_card, "6200123412345678");
    assert_eq!(
        out[10]["error"]["code"], "bad_card",
        "the old card is blocked: {}",
        out[10]
    );
    assert!(out[11]["complaint"].as_i64().unwrap() >= 1, "{}", out[11]);
    assert_eq!(out[12]["error"]["code"], "invalid");
    let view = &out[13]["member_view"];
    assert_eq!(
        view["open_complaints"].as_array().unwrap().len(),
        1,
        "{view}"
    );
    assert_eq!(
        out[14]["member"]["name"], "李娜",
        "a name search finds her: {}",
        out[14]
    );
    // Enrolment, replacement and the complaint are events for HQ.
    let conn = rusqlite::Connection::open(work.path().join("store/terminal.db")).unwrap();
    let kinds: Vec<String> = conn
        .prepare("SELECT kind FROM outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kinds,
        ["member.enrolled", "card.replaced", "complaint.recorded"]
    );
}

#[test]
fn member_prices_and_member_only_specials_need_a_member() {
    let work = tempfile::tempdir().unwrap();
    common::seed_with_promotions(work.path());
    // Toothpaste 12.50: 20% off for members in the biweekly special (1-15 Dec 2017).
    let script = start()
        + &format!(
            r#"{{"scan":"{MILK}"}}
{{"scan":"6907000000174"}}
{{"member":"{ZHANG}"}}
{{"set_clock":"2017-12-20T09:00:00+08:00"}}
{{"scan":"6907000000174"}}
"#
        );
    let out = run_script(work.path(), &script);
    assert_eq!(
        out[4]["basket"]["total"], "66.50",
        "shelf prices: {}",
        out[4]
    );
    let member = &out[5]["basket"];
    // Milk at its member price 48.00, toothpaste 10.00.
    assert_eq!(member["total"], "58.00", "{member}");
    // After the special ends only the member price is left.
    assert_eq!(out[7]["basket"]["total"], "73.00", "{}", out[7]);
}

#[test]
fn signed_codes_from_hq_let_short_codes_redeem_offline() {
    let work = tempfile::tempdir().unwrap();
    let key = hq_store(work.path());
    let milk = Gtin::parse(MILK).unwrap();
    let c = sign(
        coupon(
            "C200",
            ZHANG,
            OfferTarget::Product(milk),
            OfferValue::PercentOff(1000),
        ),
        &key,
    )
    .unwrap();
    let forged = sign(
        coupon(
            "C201",
            ZHANG,
            OfferTarget::Basket,
            OfferValue::AmountOff(100),
        ),
        &SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap();
    let import = |text: String| {
        let file = work.path().join("codes.txt");
        std::fs::write(&file, text).unwrap();
        assert_cmd::Command::cargo_bin("storepos")
            .unwrap()
            .current_dir(work.path())
            .env_remove("STOREPOS_CONFIG")
            .args(["--data-dir", "store", "import", "codes"])
            .arg(&file)
            .assert()
    };
    let refused = import(format!("{}\n{}\n", c.full_code(), forged.full_code())).failure();
    let err = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(err.contains("line 2"), "{err}");
    import(format!("{}\n", c.full_code())).success();
    let script = start()
        + &format!(
            r#"{{"scan":"C:C201"}}
{{"scan":"{}"}}
{{"scan":"{MILK}"}}
"#,
            c.short_code()
        );
    let out = run_script(work.path(), &script);
    assert_eq!(out[3]["error"]["code"], "coupon_refused", "{}", out[3]);
    assert_eq!(out[4]["member"]["offers"][0]["id"], "C200", "{}", out[4]);
    assert_eq!(out[5]["basket"]["total"], "48.60", "{}", out[5]);
}

#[test]
fn a_chinese_name_is_found_by_its_pinyin_from_a_latin_keyboard() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    // 李娜 (lina) and 刘洋 (liuyang) both begin with "li".
    let script = start()
        + r#"{"member":"zw"}
{"clear_member":{}}
{"member":"li"}
{"member":"ZhangWei"}
{"clear_member":{}}
{"member":"liuy"}
{"member":"qq"}
"#;
    let out = run_script(work.path(), &script);
    assert_eq!(out[3]["ok"], true, "{}", out[3]);
    assert_eq!(out[3]["member"]["id"], ZHANG, "{}", out[3]);
    assert_eq!(out[3]["member"]["name"], "张伟", "{}", out[3]);
    // More than one match attaches nobody and lists the candidates to choose from.
    let candidates: Vec<&str> = out[5]["candidates"]
        .as_array()
        .unwrap_or_else(|| panic!("candidates: {}", out[5]))
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(candidates, ["李娜", "刘洋"], "{}", out[5]);
    assert!(out[5]["member"].is_null(), "{}", out[5]);
    assert_eq!(out[6]["member"]["name"], "张伟", "{}", out[6]);
    assert_eq!(out[8]["member"]["name"], "刘洋", "{}", out[8]);
    assert_eq!(out[9]["error"]["code"], "unknown_member", "{}", out[9]);
}

#[test]
fn refusals_name_amounts_as_money_not_minor_units() {
    let work = tempfile::tempdir().unwrap();
    seed(work.path());
    // 100 points are worth 10.00, more than the 2.00 water costs.
    let script = start()
        + &format!(
            r#"{{"member":"{ZHANG}"}}
{{"scan":"6901234567892"}}
{{"tender":{{"points":100}}}}
"#
        );
    let out = run_script(work.path(), &script);
    let refused = out.last().unwrap();
    assert_eq!(refused["ok"], false, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("10.00") && message.contains("2.00"),
        "{message}"
    );
    assert!(
        !message.contains("1000") && !message.contains(" 200 "),
        "{message}"
    );
}
