//! Weighed items keyed by PLU: the weight comes from the scale (`devices.scale`, here the
//! simulated Toledo 8217 scale), stable readings only; zero, negative, overload and a
//! weight that never settles are refused and add nothing; with no scale, a weighed item
//! keyed without its weight is refused and asks for it (never a silent 1 kg).

use storepos::terminal::Terminal;
use storepos::terminal::headless::answer;
use storepos_drivers::ScaleConfig;

fn open_terminal(dir: &std::path::Path, scale: ScaleConfig) -> Terminal {
    let mut config = storepos::config::Config::default();
    config.devices.scale = scale;
    let mut store = storepos::store::Store::open_configured(&config, dir).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let mut terminal = Terminal::open(store, config).unwrap();
    for line in [
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ] {
        assert_eq!(answer(&mut terminal, line)["ok"], true);
    }
    terminal
}

fn lines(answer: &serde_json::Value) -> usize {
    answer["basket"]["lines"].as_array().unwrap().len()
}

#[test]
fn key_item_takes_the_stable_weight_and_refuses_what_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut terminal = open_terminal(
        dir.path(),
        ScaleConfig::Simulated {
            stable_within_ms: 1500,
        },
    );
    assert!(terminal.has_scale());
    let sim = terminal.scale_simulator().expect("simulated scale");

    // Bananas, 6.98 a kg: placed now, settled a moment later; the reading waits for it.
    sim.place(1250);
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
    assert_eq!(a["ok"], true, "{a}");
    let line = &a["basket"]["lines"][0];
    assert_eq!(line["qty"], "1.250", "{a}");
    assert_eq!(line["amount"], "8.73", "{a}"); // 6.98 × 1.250 = 8.725, rounded half up
    assert_eq!(terminal.weigh().unwrap().milli(), 1250);

    // A keyed weight is still taken as keyed, whatever is on the scale.
    let a = answer(
        &mut terminal,
        r#"{"key_item":{"plu":"4664","qty":"0.500"}}"#,
    );
    assert_eq!(a["basket"]["lines"][1]["qty"], "0.500", "{a}");

    for (grams, code, says) in [
        (0, "weight", "zero"),
        (-40, "weight", "negative"),
        (16_000, "weight", "overloaded"),
    ] {
        sim.place_settled(grams);
        let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
        assert_eq!(a["ok"], false, "{a}");
        assert_eq!(a["error"]["code"], code, "{a}");
        let message = a["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert_eq!(terminal.basket().lines().len(), 2, "nothing added");
    }

    // Still moving when the time is up.
    sim.place(900);
    sim.keep_moving();
    let started = std::time::Instant::now();
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
    assert_eq!(a["error"]["code"], "weight", "{a}");
    assert!(
        a["error"]["message"].as_str().unwrap().contains("settle"),
        "{a}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
    assert_eq!(terminal.basket().lines().len(), 2);

    // The scale unplugged: a device refusal, nothing added.
    sim.place_settled(700);
    sim.set_plugged(false);
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
    assert_eq!(a["error"]["code"], "device", "{a}");
    assert_eq!(terminal.basket().lines().len(), 2);
    sim.set_plugged(true);
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(lines(&a), 3);
    assert_eq!(a["basket"]["lines"][2]["qty"], "0.700");
}

#[test]
fn without_a_scale_a_weighed_item_needs_its_weight_keyed() {
    let dir = tempfile::tempdir().unwrap();
    let mut terminal = open_terminal(dir.path(), ScaleConfig::None);
    assert!(!terminal.has_scale());
    assert!(terminal.scale_simulator().is_none());
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"4011"}}"#);
    assert_eq!(a["ok"], false, "{a}");
    assert_eq!(a["error"]["code"], "weight_required", "{a}");
    let message = a["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("PLU 4011") && message.contains("key its weight"),
        "{message}"
    );
    assert!(terminal.basket().is_empty(), "no silent 1 kg");
    let a = answer(
        &mut terminal,
        r#"{"key_item":{"plu":"4011","qty":"0.750"}}"#,
    );
    assert_eq!(a["basket"]["lines"][0]["qty"], "0.750", "{a}");
    // An item sold by the unit keyed without qty is one, as before.
    let a = answer(&mut terminal, r#"{"key_item":{"plu":"99"}}"#);
    assert_eq!(a["basket"]["lines"][1]["qty"], "1", "{a}");
}
