//! Hostile input for the headless till: thousands of generated lines (valid commands,
//! mutated ones, invalid UTF-8, control characters, huge numbers, lines far over the length
//! limit) through the real binary's `terminal --headless --script -`. The till must not
//! panic, must answer every non-blank line with exactly one JSON line, and a refusal must
//! change nothing: replaying only the lines it took, on a fresh copy of the store, gives the
//! same answers and the same sales and journal.

use std::path::Path;

use serde_json::Value;

use crate::common;

/// The longest line the till takes (`MAX_LINE_BYTES`, stated in the README).
const MAX_LINE_BYTES: usize = 64 * 1024;

const GTINS: &[&str] = &[
    "6901234567892",
    "6904000000111",
    "6920000000159",
    "6901023850013",
    "2104011003505",
    "2504131012355",
    "6920000000845",
    "6901234567893",
    "6900000000014",
    "6908000000140",
];

const AMOUNTS: &[&str] = &[
    "0",
    "0.01",
    "1",
    "2.00",
    "5.50",
    "10",
    "20.00",
    "50.00",
    "100.00",
    "999999.99",
    "1000000",
    "1000000.01",
    "6901234567892",
    "92233720368547758",
    "-1",
    "0.001",
    "1e3",
    "",
    " 1",
];

const QUANTITIES: &[&str] = &["1", "2", "3", "0.5", "0.001", "1.250", "0", "-1", "1000000"];

const PERCENTS: &[&str] = &["1", "5", "10", "10.01", "50", "100", "100.01", "150", "-5"];

/// A command a cashier or script might send.
fn valid(rng: &mut common::Rng) -> String {
    let amount = rng.pick(AMOUNTS);
    let small = rng.pick(&["1.00", "2.00", "5.00", "10.00", "60.00", "100.00"]);
    let line = 1 + rng.below(4);
    let reason = rng.pick(&["dented", "loyal customer", "", "price match"]);
    match rng.below(100) {
        0..=29 => format!(r#"{{"scan":"{}"}}"#, rng.pick(GTINS)),
        30..=34 => format!(
            r#"{{"key_item":{{"plu":"{}","qty":"{}"}}}}"#,
            rng.pick(&["4011", "4131", "99", "123", "7"]),
            rng.pick(QUANTITIES)
        ),
        35..=39 => format!(r#"{{"quantity":"{}"}}"#, rng.pick(QUANTITIES)),
        40..=42 => format!(r#"{{"void_line":{line}}}"#),
        43..=46 => format!(
            r#"{{"discount":{{"line":{line},"percent":"{}","reason":"{reason}"}}}}"#,
            rng.pick(PERCENTS)
        ),
        47..=48 => format!(
            r#"{{"discount":{{"percent":"{}","reason":"{reason}"}}}}"#,
            rng.pick(PERCENTS)
        ),
        49 => format!(r#"{{"discount":{{"amount":"{amount}","reason":"{reason}"}}}}"#),
        50..=51 => format!(
            r#"{{"price_override":{{"line":{line},"price":"{amount}","reason":"{reason}"}}}}"#
        ),
        52..=63 => format!(r#"{{"tender":{{"cash":"{small}"}}}}"#),
        64..=66 => format!(r#"{{"tender":{{"cash":"{amount}"}}}}"#),
        67..=68 => format!(
            r#"{{"tender":{{"card":"{small}","ref":"C{}"}}}}"#,
            rng.below(99)
        ),
        69 => format!(r#"{{"tender":{{"voucher":"{amount}"}}}}"#),
        70..=71 => r#"{"void_sale":{}}"#.into(),
        72 => r#"{"approve":{"operator":"2001","pin":"2222"}}"#.into(),
        73 => format!(r#"{{"cash_in":{{"amount":"{amount}","reason":"top-up"}}}}"#),
        74 => format!(r#"{{"cash_out":{{"amount":"{amount}","reason":"pickup"}}}}"#),
        75 => r#"{"report":"x"}"#.into(),
        76 => r#"{"suspend":{}}"#.into(),
        77 => format!(r#"{{"resume":{{"id":"{}"}}}}"#, 1 + rng.below(5)),
        78..=79 => format!(
            r#"{{"return_preview":{{"receipt":"{}","lines":[{{"line":1,"qty":"{}"}}]}}}}"#,
            1 + rng.below(6),
            rng.pick(QUANTITIES)
        ),
        80 => format!(
            r#"{{"return":{{"receipt":"{}","lines":[{{"line":1,"qty":"{}"}}]}}}}"#,
            1 + rng.below(6),
            rng.pick(QUANTITIES)
        ),
        81..=82 => format!(
            r#"{{"member":"{}"}}"#,
            rng.pick(&["13800138000", "6200123412341234", "nobody", "李"])
        ),
        83 => r#"{"clear_member":{}}"#.into(),
        84 => format!(
            r#"{{"complaint":{{"content":"{}","satisfaction":{}}}}}"#,
            rng.pick(&["slow queue", "", "rude\\u0000", "ok"]),
            rng.below(7)
        ),
        // Enrolment draws random card numbers, so only refused ones are sent.
        85 => r#"{"enroll":{"name":"Zhao\u0000Lei","phone":"13512345678"}}"#.into(),
        86 => r#"{"status":{}}"#.into(),
        87 => r#"{"tender":{"points":500}}"#.into(),
        88 => format!(
            r#"{{"close_shift":{{"counted":"{}"}}}}"#,
            rng.pick(&["92233720368547758", "-5", "abc"])
        ),
        89 => r#"{"sign_in":{"operator":"1001","pin":"0000"}}"#.into(),
        90 => r#"{"open_shift":{"float":"100.00"}}"#.into(),
        _ => format!(r#"{{"scan":"{}"}}"#, rng.pick(GTINS)),
    }
}

/// A command damaged the ways input gets damaged, or written to hurt.
fn mutated(rng: &mut common::Rng) -> Vec<u8> {
    let mut bytes = valid(rng).into_bytes();
    if bytes.starts_with(br#"{"enroll""#) {
        // Left whole: a mutation that removed its NUL would enrol with a random card.
        return bytes;
    }
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(8) {
            0 => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            1 => bytes.insert(at, [b'"', b'{', b'}', b',', b':', b'\\'][rng.below(6)]),
            2 => bytes
                .splice(at..at, b"\\u0000".iter().copied())
                .for_each(drop),
            3 => bytes
                .splice(at..at, [0xff, 0xfe].iter().copied())
                .for_each(drop),
            4 => bytes
                .splice(at..at, "99999999999999999999".bytes())
                .for_each(drop),
            5 => bytes.splice(at..at, "\u{202e}汉".bytes()).for_each(drop),
            6 => bytes.truncate(at),
            _ => {
                if at < bytes.len() {
                    bytes[at] = b'0' + (rng.below(10) as u8);
                }
            }
        }
    }
    bytes.retain(|&b| b != b'\n');
    bytes
}

/// The input lines: a start that gets the till selling, then a hostile mix.
fn generate(seed: u64, count: usize) -> Vec<Vec<u8>> {
    let mut rng = common::Rng(seed);
    let mut lines: Vec<Vec<u8>> = [
        r#"{"set_clock":"2017-12-04T09:00:00+08:00"}"#,
        r#"{"sign_in":{"operator":"1001","pin":"1234"}}"#,
        r#"{"open_shift":{"float":"100.00"}}"#,
    ]
    .iter()
    .map(|l| l.as_bytes().to_vec())
    .collect();
    while lines.len() < count {
        let line = match rng.below(1000) {
            0..=649 => valid(&mut rng).into_bytes(),
            650..=929 => mutated(&mut rng),
            930..=959 => {
                let mut junk: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                junk.retain(|&b| b != b'\n');
                junk
            }
            960..=974 => Vec::new(),
            975..=979 => b"   \t ".to_vec(),
            980..=989 => {
                let mut long = br#"{"scan":""#.to_vec();
                long.extend(std::iter::repeat_n(b'7', MAX_LINE_BYTES + rng.below(5000)));
                long.extend_from_slice(br#""}"#);
                long
            }
            990..=994 => {
                // Just within the limit: read, parsed and refused without quoting it all.
                let mut near = br#"{"scan":""#.to_vec();
                near.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES - 20));
                near.extend_from_slice(br#""}"#);
                near
            }
            _ => r#"{"sign_in":{"operator":"2001","pin":"2222"}}"#.as_bytes().to_vec(),
        };
        lines.push(line);
    }
    lines
}

/// Whether the till skips a line without an answer.
fn is_blank(line: &[u8]) -> bool {
    line.len() <= MAX_LINE_BYTES
        && std::str::from_utf8(line).is_ok_and(|t| t.trim_end_matches('\r').trim().is_empty())
}

fn run(work: &Path, lines: &[Vec<u8>]) -> Vec<Value> {
    let mut input = Vec::new();
    for line in lines {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    common::run_bytes(work, input)
}

/// What the till made durable, minus what is random by design (event ids, signatures).
fn durable(work: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(work.join("store/terminal.db")).unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT receipt_no || '|' || kind || '|' || at || '|' || body FROM journal ORDER BY receipt_no",
        "SELECT receipt_no || '|' || kind || '|' || total || '|' || change FROM sales ORDER BY receipt_no",
        "SELECT kind || '|' || amount || '|' || reason FROM cash_movements ORDER BY id",
        "SELECT id || '|' || COALESCE(closed_at, 'open') || '|' || COALESCE(counted, '-') FROM shifts ORDER BY id",
        "SELECT seq || '|' || kind FROM outbox ORDER BY seq",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let found: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.extend(found);
    }
    rows
}

#[test]
fn hostile_lines_get_one_answer_each_and_refusals_change_nothing() {
    for seed in [0x5EED_F00D, 0x0BAD_C0DE] {
        hostile_run(seed);
    }
}

fn hostile_run(seed: u64) {
    let lines = generate(seed, 3000);
    let hostile = tempfile::tempdir().unwrap();
    common::seed(hostile.path());
    let replay = tempfile::tempdir().unwrap();
    common::seed(replay.path());

    let answers = run(hostile.path(), &lines);
    let answered: Vec<&Vec<u8>> = lines.iter().filter(|l| !is_blank(l)).collect();
    assert_eq!(
        answers.len(),
        answered.len(),
        "one answer per non-blank line"
    );

    // The lines the till took: accepted ones, and those it held for approval (holding is
    // their effect); every other refusal must have changed nothing.
    let mut taken = Vec::new();
    let mut expected = Vec::new();
    let mut refused = 0;
    for (line, answer) in answered.iter().zip(&answers) {
        let ok = answer["ok"] == true;
        let held = answer["error"]["code"] == "approval_required";
        if let Some(message) = answer["error"]["message"].as_str() {
            assert!(
                message.chars().count() <= 300,
                "a refusal quoted too much: {message}"
            );
        }
        if ok || held {
            taken.push((*line).clone());
            expected.push(answer.clone());
        } else {
            refused += 1;
        }
    }
    let sales = answers.iter().filter(|a| a.get("sale").is_some()).count();
    let mut codes = std::collections::BTreeMap::new();
    for a in &answers {
        *codes
            .entry(a["error"]["code"].as_str().unwrap_or("ok").to_string())
            .or_insert(0) += 1;
    }
    eprintln!(
        "seed {seed:#x}: {} lines, {} answered: {} taken, {refused} refused, {sales} sales; {codes:?}",
        lines.len(),
        answers.len(),
        taken.len()
    );
    assert!(refused > 500, "the mix refuses plenty: {refused}");
    assert!(sales > 20, "the mix completes sales: {sales}");
    assert!(taken.len() > 800, "the mix takes plenty: {}", taken.len());

    let replayed = run(replay.path(), &taken);
    assert_eq!(replayed.len(), expected.len());
    for (i, (got, want)) in replayed.iter().zip(&expected).enumerate() {
        assert_eq!(
            got,
            want,
            "taken line {i} answered differently without the refused lines: {}",
            String::from_utf8_lossy(&taken[i])
        );
    }
    assert_eq!(durable(hostile.path()), durable(replay.path()));
}
