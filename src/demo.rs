//! The demo store: a Chinese supermarket with a small catalogue (VAT at 13%, 9% and 6%,
//! weighed produce with PLUs, member prices, restricted goods), members and operators,
//! loaded from the CSV files embedded in the binary through the ordinary importers.
//!
//! `storepos demo` seeds a store and prices a few baskets the way the till's scan path
//! does — check digits, in-store labels, catalogue lookups, per-rate VAT — including a
//! misread barcode and an unknown item, which are refused without touching the basket.
//! Codes go through the configured scanner (the simulator by default) and each basket's
//! price-check slip goes to the configured receipt printer; the virtual printer's slips
//! are saved as PNG images when the demo store is kept (`--keep DIR`).

use std::path::Path;

use std::time::Duration;

use anyhow::{Context, Result};
use storepos_drivers::{Device, DeviceEvent, Document, InputDevice, TextStyle};

use crate::config::Config;
use crate::domain::money::Money;
use crate::domain::tax;
use crate::import;
use crate::store::{Store, members, operators};

pub const PRODUCTS_CSV: &str = include_str!("demo/products.csv");
pub const MEMBERS_CSV: &str = include_str!("demo/members.csv");
pub const OPERATORS_CSV: &str = include_str!("demo/operators.csv");
/// The demo store's promotions, one JSON object per line (the `import promotions` format).
pub const PROMOTIONS_JSONL: &str = include_str!("demo/promotions.jsonl");
/// Two sales at the counter, as a headless script: scans, a misread code, a discount, a
/// price override a supervisor approves, cash with change and a split card/cash payment.
pub const SALES_SCRIPT: &str = include_str!("demo/script.jsonl");

/// Loads the demo data into an empty store; a store that has products is left alone.
pub fn seed(store: &mut Store) -> Result<bool> {
    if store.catalogue.product_count()? > 0 {
        return Ok(false);
    }
    let source = |name: &str| store.dir().join(format!("(embedded demo {name}.csv)"));
    let (p, m, o) = (source("products"), source("members"), source("operators"));
    import::products::import_from(
        &mut store.catalogue,
        &p,
        import::csvfile_reader(PRODUCTS_CSV.as_bytes()),
    )?;
    import::members::import_from(
        store.catalogue.conn_mut(),
        &m,
        import::csvfile_reader(MEMBERS_CSV.as_bytes()),
    )?;
    import::operators::import_from(
        store.catalogue.conn_mut(),
        &o,
        import::csvfile_reader(OPERATORS_CSV.as_bytes()),
    )?;
    let promotions = store.dir().join("(embedded demo promotions.jsonl)");
    import::promotions::import_text(store.catalogue.conn_mut(), &promotions, PROMOTIONS_JSONL)?;
    Ok(true)
}

/// The baskets the demo prices: what a cashier would scan, as scanner data.
pub const DEMO_BASKETS: &[(&str, &[&str])] = &[
    (
        "Weekly shop",
        &[
            "6901234567892", // water
            "6901234567892", // water again
            "6904000000111", // milk 12-pack (9% VAT)
            "6920000000159", // store-brand rice
            "2104011003505", // bananas, price label 3.50
            "2504131012355", // apples, weight label 1.235 kg
            "6901234567893", // misread: wrong check digit
            "6900000000014", // valid code, not in the catalogue
            "6920000000845", // shopping bag
        ],
    ),
    (
        "Quick stop",
        &[
            "6910000000181", // cola
            "6908000000140", // beer (restricted)
            "6920000000913", // top-up service fee (6% VAT)
        ],
    ),
];

/// Pads `text` with spaces to `width` terminal columns; CJK characters take two.
fn pad_to_width(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// The store's part of the scripted demo in `dir`: seeds the demo store, prints price
/// checks (their slips kept as PNG files when `keep`) and runs the sales script. HQ's part
/// follows in [`crate::demo_hq::run_scripted`].
pub fn run_store(config: &Config, dir: &Path, keep: bool) -> Result<()> {
    let mut devices = storepos_drivers::build_all(&config.devices);
    devices.scanner.start().context("scanner")?;
    devices.printer.start().context("receipt printer")?;
    let mut store = crate::store::Store::open_configured(config, dir)?;
    seed(&mut store)?;
    let conn = store.catalogue.conn();
    println!(
        "{} ({}) — terminal {} — data in {}",
        config.store.name,
        config.store.id,
        config.terminal.id,
        dir.display()
    );
    println!(
        "catalogue: {} products, {} members, {} operators",
        store.catalogue.product_count()?,
        members::count(conn)?,
        operators::count(conn)?
    );
    for (basket_no, (title, codes)) in DEMO_BASKETS.iter().enumerate() {
        println!("\n== {title} ==");
        let mut lines = Vec::new();
        let mut slip = Document::new()
            .styled(config.store.name.clone(), TextStyle::new().center().bold())
            .styled(
                format!("PRICE CHECK / 价格查询 — {title}"),
                TextStyle::new().center(),
            )
            .rule();
        for raw in *codes {
            let scanned = scan_through(&mut devices, raw)?;
            let code = scanned.as_str();
            match store
                .catalogue
                .resolve_scan(code, &config.barcode.variable_measure)
            {
                Ok(item) => {
                    let flag = if item.product.restricted {
                        "  [age check]"
                    } else {
                        ""
                    };
                    println!(
                        "{} {:>7} {:>9}  {:>4}{flag}",
                        pad_to_width(&item.product.name, 30),
                        item.quantity.to_string(),
                        item.amount.to_string(),
                        item.product.tax_rate.to_string()
                    );
                    lines.push((item.product.tax_rate, item.amount.minor()));
                    slip = slip.pair(
                        format!("{} x{}", item.product.name, item.quantity),
                        item.amount.to_string(),
                    );
                }
                Err(e) => println!("  ! {code}: {e}"),
            }
        }
        let breakdown = tax::split(config.store.tax_mode, &lines);
        let currency = config.store.currency;
        let money = |minor| Money::from_minor(minor, currency).to_string();
        for rate in &breakdown.rates {
            println!(
                "  VAT {:>4}: net {:>8}  tax {:>6}  gross {:>8}",
                rate.rate.to_string(),
                money(rate.net),
                money(rate.tax),
                money(rate.gross)
            );
        }
        println!(
            "  TOTAL {} {}  (of which VAT {})",
            currency.code(),
            money(breakdown.gross),
            money(breakdown.tax)
        );
        for rate in &breakdown.rates {
            slip = slip.pair(format!("VAT {}", rate.rate), money(rate.tax));
        }
        slip = slip
            .rule()
            .pair_styled(
                "TOTAL",
                format!("{} {}", currency.code(), money(breakdown.gross)),
                TextStyle::new().bold().double(),
            )
            .cut();
        devices
            .printer
            .print(&slip)
            .context("printing the price-check slip")?;
        if let (true, Some(printer)) = (keep, &devices.simulators.printer) {
            let png = dir.join(format!("price-check-{}.png", basket_no + 1));
            let image = printer.render_job(printer.jobs().len() - 1)?;
            std::fs::write(&png, image.to_png())
                .with_context(|| format!("writing {}", png.display()))?;
            println!("  slip printed to {}", png.display());
        }
    }
    drop(store);
    run_sales(config, dir)
}

/// Runs the demo sales script through the headless terminal and prints each receipt.
fn run_sales(config: &Config, dir: &Path) -> Result<()> {
    let store = crate::store::Store::open_configured(config, dir)?;
    let mut config = config.clone();
    let hq = demo_hq_key();
    if config.loyalty.coupon_key.is_none() {
        config.loyalty.coupon_key = Some(hex::encode(hq.verifying_key().to_bytes()));
    }
    let mut terminal = crate::terminal::Terminal::open(store, config)?;
    println!("\n== Sales at the counter (headless script) ==");
    let member_sale = member_sale_script(&hq)?;
    for line in SALES_SCRIPT
        .lines()
        .chain(member_sale.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let answer = crate::terminal::headless::answer(&mut terminal, line);
        if answer["ok"] != true {
            println!(
                "  > {line}\n  ! {}",
                answer["error"]["message"].as_str().unwrap_or("")
            );
        }
        if let Some(receipt) = answer["sale"]["receipt"].as_str() {
            println!("\n{receipt}");
        }
    }
    Ok(())
}

/// The demo's stand-in for HQ's coupon-signing key. A real chain's HQ keeps its own key and
/// terminals hold only its public half (`loyalty.coupon_key`).
pub(crate) fn demo_hq_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[0x5e; 32])
}

/// A member sale: 张伟 identified by phone, a personalised coupon for milk scanned from
/// its QR code, part paid with points.
fn member_sale_script(hq: &ed25519_dalek::SigningKey) -> Result<String> {
    use crate::domain::coupon::{Coupon, Offer, OfferTarget, OfferValue, sign};
    let day = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2017, 12, d)
            .and_then(|n| n.and_hms_opt(0, 0, 0))
            .map(|n| n.and_utc())
            .context("demo coupon date")
    };
    let coupon = sign(
        Coupon {
            id: "DEMO-MILK".into(),
            member_id: "6200123412341234".into(),
            offer: Offer {
                target: OfferTarget::Product(crate::domain::gs1::Gtin::parse("6904000000111")?),
                value: OfferValue::AmountOff(500),
                min_spend: 0,
                max_discount: None,
            },
            valid_from: day(1)?,
            valid_until: day(15)?,
            single_use: true,
            funded_by: Some("Yili".into()),
            title: "伊利纯牛奶立减5元".into(),
        },
        hq,
    )
    .map_err(|e| anyhow::anyhow!("demo coupon: {e}"))?;
    Ok(format!(
        r#"{{"member":"13800138000"}}
{{"scan":"{}"}}
{{"scan":"6904000000111"}}
{{"scan":"6907000000174"}}
{{"tender":{{"points":200}}}}
{{"tender":{{"cash":"40.00"}}}}
"#,
        coupon.full_code()
    ))
}

/// Feeds scanner data through the configured scanner and returns the label it decoded.
/// With a real scanner configured there is nothing to feed, so the code is used as given.
fn scan_through(devices: &mut storepos_drivers::Devices, code: &str) -> Result<String> {
    let Some(sim) = &devices.simulators.scanner else {
        return Ok(code.to_string());
    };
    sim.scan(code);
    match devices.scanner.poll_event(Duration::from_secs(2)) {
        Some(DeviceEvent::Data(scan)) => Ok(scan.label),
        Some(DeviceEvent::Error(e)) => Err(anyhow::anyhow!("scanner: {e}")),
        other => Err(anyhow::anyhow!(
            "scanner gave no data for {code}: {other:?}"
        )),
    }
}

/// The demo configuration: the demo HQ's public key for coupons and lists, unless one is
/// set, and the simulated scale, unless a scale is configured.
pub fn with_demo_coupon_key(config: &Config) -> Config {
    let mut config = config.clone();
    if config.loyalty.coupon_key.is_none() {
        config.loyalty.coupon_key = Some(hex::encode(demo_hq_key().verifying_key().to_bytes()));
    }
    // The demo weighs produce on the simulated scale unless a scale is configured.
    if config.devices.scale == storepos_drivers::ScaleConfig::None {
        config.devices.scale = storepos_drivers::ScaleConfig::Simulated {
            stable_within_ms: 3000,
        };
    }
    config
}

/// The lists the demo HQ makes for the demo members this period, from the purchase
/// history in the demo store: what the fortnight's run at HQ signs with HQ's key and sends
/// the store in its coupons data set. (The demo HQ is this binary; a real HQ's key never
/// reaches a till.)
pub fn demo_lists(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<crate::protocol::SignedCode>> {
    let loaded = crate::lists::load::load(store.catalogue.conn())?;
    let start = crate::hq::lists::period_start(now);
    let plan =
        crate::hq::lists::period_plan(&loaded, &[], start, &crate::hq::lists::params_for(config));
    let key = demo_hq_key();
    plan.lists
        .iter()
        .filter(|l| !l.items.is_empty())
        .map(|list| {
            let signed = crate::domain::lists::coupons::sign_member_list(
                list,
                &[],
                &loaded.catalogue,
                &key,
                crate::domain::coupon::LIST_ITEMS_MAX,
            )?;
            Ok(crate::protocol::SignedCode {
                kind: "list".into(),
                id: signed.id().to_string(),
                member_id: list.member_id.clone(),
                code: signed.full_code(),
            })
        })
        .collect()
}

/// Keeps the demo HQ's lists of this period in the demo till, as its coupons data set
/// would bring them; returns how many.
pub fn keep_demo_lists(
    store: &Store,
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let lists = demo_lists(store, config, now)?;
    for l in &lists {
        crate::store::loyalty::keep_code(&store.terminal, &l.kind, &l.id, &l.member_id, &l.code)?;
    }
    Ok(lists.len())
}

/// A product bought on a demo visit (GTIN) and what was paid for it, in minor units.
type DemoPurchase = (u64, i64);

/// Weekly visits of demo members over the ten weeks before a moment: (card, every how many
/// weeks, what they buy and pay per visit in minor units). 张伟 and 刘洋 spend enough for
/// a personalised list; 李娜 comes every other week for a little, so she gets one only
/// when asked for by name.
const DEMO_HISTORY: &[(&str, i64, &[DemoPurchase])] = &[
    (
        "6200123412341234",
        1,
        &[
            (6904000000111, 4800),
            (6920000000159, 3590),
            (6903000000138, 6290),
            (6907000000174, 1250),
        ],
    ),
    (
        "6200111122223333",
        1,
        &[
            (6920000000227, 2680),
            (6905000000187, 990),
            (6911000000157, 1590),
        ],
    ),
    (
        "6200123412345678",
        2,
        &[(6901234567892, 200), (6920000000395, 1200)],
    ),
];

/// Gives the demo members the purchase history their shopping lists are made from: ten
/// weeks of visits before `now`. A store that already has history is left alone.
pub fn seed_history(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Result<bool> {
    use crate::store::history::{self, HistoryLine};
    let conn = store.catalogue.conn();
    if history::count(conn)? > 0 {
        return Ok(false);
    }
    let tx = conn.unchecked_transaction()?;
    for (card, every, basket) in DEMO_HISTORY {
        for week in (1..=10).filter(|w| w % every == 0) {
            let at = now - chrono::Duration::weeks(week) + chrono::Duration::hours(2);
            for (gtin, amount) in *basket {
                history::insert(
                    &tx,
                    &HistoryLine {
                        member_id: (*card).to_string(),
                        store_id: "S001".into(),
                        basket_id: format!("demo-{card}-{week}"),
                        gtin: *gtin,
                        quantity: 1000,
                        amount: *amount,
                        retail_disc: 0,
                        coupon_disc: 0,
                        at: at.to_rfc3339(),
                    },
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(true)
}
