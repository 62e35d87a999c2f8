//! `storepos bench reports`: a chain's year of sales made from the Complete Journey's real
//! baskets, ingested through HQ's API (lines and rollups included), then every sales
//! report asked through the API, with its latency, and every console page
//! ([`super::console`]).
//!
//! Each basket of the data set (weeks 1–49) is sold `--copies` times, each copy by another
//! household-member of another of `--stores` stores (half in Asia/Shanghai, half in
//! Europe/Berlin), at the basket's own local time. HQ's catalogue holds the data set's
//! products with its departments and categories; its members are the households' copies.

use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{NaiveDateTime, TimeZone};
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use super::hq::{Scratch, bench_member};
use crate::config::Config;
use crate::domain::sale::{SaleLine, SaleRecord, sample_sale};
use crate::hq::HqStore;
use crate::import::completejourney::gtin_for_product;

#[derive(Debug, clap::Args)]
pub struct ReportsBenchArgs {
    /// The Complete Journey data set (its .csv.gz files).
    #[arg(long, default_value = "../shared/data/completejourney")]
    pub data: std::path::PathBuf,
    /// Stores of the chain.
    #[arg(long, default_value_t = 20)]
    pub stores: usize,
    /// How many times each basket is sold (each time in another store).
    #[arg(long, default_value_t = 4)]
    pub copies: usize,
    /// Times each report is asked.
    #[arg(long, default_value_t = 50)]
    pub repeats: usize,
    /// Keep the scratch database at the end (its URL is printed), for `--reuse`.
    #[arg(long)]
    pub keep: bool,
    /// Ask the reports of a database a run with `--keep` left, without making and
    /// ingesting the data again.
    #[arg(long)]
    pub reuse: Option<String>,
}

/// One line of the data set.
struct Bought {
    household: u64,
    product: u64,
    quantity: i64,
    /// Paid, in cents.
    paid: i64,
    discount: i64,
    at: NaiveDateTime,
}

fn gz(dir: &std::path::Path, name: &str) -> Result<csv::Reader<Box<dyn Read>>> {
    let path = dir.join(name);
    let file = std::fs::File::open(&path).with_context(|| format!("{}", path.display()))?;
    Ok(csv::Reader::from_reader(Box::new(
        flate2::read::GzDecoder::new(file),
    )))
}

fn cents(text: &str) -> i64 {
    crate::import::completejourney::parse_cents(text).unwrap_or(0)
}

/// The baskets, in the data set's order, each with its lines.
fn baskets(dir: &std::path::Path) -> Result<Vec<Vec<Bought>>> {
    let mut reader = gz(dir, "transactions.csv.gz")?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("transactions.csv.gz has no {name} column"))
    };
    let (household, basket, product, quantity, value, disc, ts) = (
        col("household_id")?,
        col("basket_id")?,
        col("product_id")?,
        col("quantity")?,
        col("sales_value")?,
        col("retail_disc")?,
        col("transaction_timestamp")?,
    );
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Vec<Bought>> = Vec::new();
    for row in reader.records() {
        let row = row?;
        let (Ok(quantity), paid) = (row[quantity].parse::<i64>(), cents(&row[value])) else {
            continue;
        };
        // Fuel sold by the gallon runs to thousands of units a line, beyond what a till
        // sends (HQ refuses lines over 10,000 units): those lines are left out.
        if quantity <= 0 || quantity >= 10_000 || paid <= 0 {
            continue;
        }
        let Ok(at) = NaiveDateTime::parse_from_str(&row[ts], "%Y-%m-%dT%H:%M:%S") else {
            continue;
        };
        let line = Bought {
            household: row[household].parse().unwrap_or(0),
            product: row[product].parse().unwrap_or(0),
            quantity,
            paid,
            discount: cents(&row[disc]).abs(),
            at,
        };
        let slot = *index.entry(row[basket].to_string()).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[slot].push(line);
    }
    Ok(out)
}

/// HQ's catalogue: the data set's products with their departments and categories.
fn products(dir: &std::path::Path) -> Result<Vec<Value>> {
    let mut reader = gz(dir, "products.csv.gz")?;
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row?;
        let Some(gtin) = row[0].parse().ok().and_then(gtin_for_product) else {
            continue;
        };
        let text = |i: usize| {
            let t = row.get(i).unwrap_or("").trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        out.push(
            json!({"gtin": gtin.to_string(), "name": text(5).unwrap_or_else(|| row[0].to_string()),
            "name_en": null, "price": {"minor": 100, "currency": "CNY"}, "tax_rate": 900,
            "department": text(2), "category": text(4), "brand_type": "national",
            "manufacturer": null, "member_price": null, "bonus_points": "none",
            "weighed": false, "plu": null, "restricted": false, "external_id": null}),
        );
    }
    Ok(out)
}

/// A basket as a balanced sale record (prices with 9 % tax included).
fn sale_of(basket: &[Bought], member: &str) -> SaleRecord {
    let mut sale = sample_sale(1, 0);
    sale.lines = basket
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let amount = b.paid + b.discount;
            SaleLine {
                line_no: i as u32 + 1,
                gtin: gtin_for_product(b.product).map_or(0, |g| g.value()),
                name: b.product.to_string(),
                quantity: b.quantity * 1000,
                unit_price: amount / b.quantity,
                amount,
                discount: b.discount,
                tax_bp: 900,
                tax: b.paid * 900 / 10_900,
                original_line: None,
                department: None,
                promotions: Vec::new(),
            }
        })
        .collect();
    sale.subtotal = sale.lines.iter().map(|l| l.amount).sum();
    sale.discount = sale.lines.iter().map(|l| l.discount).sum();
    sale.tax = sale.lines.iter().map(|l| l.tax).sum();
    sale.total = sale.subtotal - sale.discount;
    sale.tenders[0].amount = sale.total;
    sale.change = 0;
    sale.member_id = Some(member.to_string());
    debug_assert!(sale.check().is_ok());
    sale
}

fn zone_of(store: usize) -> chrono_tz::Tz {
    if store.is_multiple_of(2) {
        chrono_tz::Asia::Shanghai
    } else {
        chrono_tz::Europe::Berlin
    }
}

pub fn reports(config: &Config, args: &ReportsBenchArgs) -> Result<()> {
    anyhow::ensure!(
        args.stores > 0 && args.copies > 0,
        "counts must be positive"
    );
    if let Some(url) = &args.reuse {
        let runtime = crate::hq::runtime()?;
        return runtime.block_on(async {
            let store = HqStore::open(url).await?;
            roll_up_and_ask(&store, args.repeats).await
        });
    }
    let started = Instant::now();
    let baskets = baskets(&args.data)?;
    let catalogue = products(&args.data)?;
    let lines: usize = baskets.iter().map(Vec::len).sum::<usize>() * args.copies;
    println!(
        "data: {} baskets × {} copies = {} sales, {lines} lines, {} products (read in {:.1} s)",
        baskets.len(),
        args.copies,
        baskets.len() * args.copies,
        catalogue.len(),
        started.elapsed().as_secs_f64()
    );
    let runtime = crate::hq::runtime()?;
    runtime.block_on(async {
        let db = Scratch::create(&config.hq.database, "reports").await?;
        let store = HqStore::open(&db.url()).await?;
        let base = serve(&store).await?;
        let (http, admin) = (reqwest::Client::new(), ADMIN);

        let products: Vec<crate::domain::product::Product> = catalogue
            .into_iter()
            .filter_map(|p| serde_json::from_value(p).ok())
            .collect();
        for chunk in products.chunks(5_000) {
            store.put_products(chunk).await?;
        }
        // Two tills per store; the members are the households' copies.
        let mut tokens = Vec::new();
        for s in 0..args.stores {
            let id = format!("S{s:03}");
            let zone = json!({"time_zone": zone_of(s).name()});
            let answer = http
                .put(format!("{base}/admin/settings/{id}"))
                .bearer_auth(admin)
                .json(&zone)
                .send()
                .await?;
            anyhow::ensure!(answer.status().is_success(), "settings: {}", answer.status());
            for t in 0..2 {
                let terminal = format!("T{t:02}");
                tokens.push((id.clone(), terminal.clone(), store.register_terminal(&id, &terminal).await?));
            }
        }
        let mut households: Vec<u64> = baskets.iter().map(|b| b[0].household).collect();
        households.sort_unstable();
        households.dedup();
        for h in &households {
            for k in 0..args.copies {
                let s = (*h as usize + 7 * k) % args.stores;
                store.upsert_member(&bench_member(&format!("CJ{h}x{k}"), &format!("S{s:03}"))?).await?;
            }
        }
        // Each till's events, in its own order.
        let mut queues: Vec<Vec<Value>> = vec![Vec::new(); tokens.len()];
        for (n, basket) in baskets.iter().enumerate() {
            let h = basket[0].household;
            for k in 0..args.copies {
                let s = (h as usize + 7 * k) % args.stores;
                let till = s * 2 + n % 2;
                let (store_id, terminal, _) = &tokens[till];
                let local = basket[0].at;
                let at = zone_of(s)
                    .from_local_datetime(&local)
                    .earliest()
                    .unwrap_or_else(|| zone_of(s).from_utc_datetime(&local))
                    .to_utc();
                let seq = queues[till].len() as u64 + 1;
                let sale = sale_of(basket, &format!("CJ{h}x{k}"));
                queues[till].push(json!({"id": uuid::Uuid::now_v7(), "store_id": store_id,
                    "terminal_id": terminal, "seq": seq, "kind": "sale.completed",
                    "payload": {"receipt_no": seq, "sale": sale}, "at": at}));
            }
        }
        let sales: usize = queues.iter().map(Vec::len).sum();
        let ingest = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        let retried = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for ((_, _, token), events) in tokens.iter().zip(queues) {
            let (http, url, token) = (http.clone(), format!("{base}/events"), token.clone());
            let retried = retried.clone();
            tasks.spawn(async move {
                for chunk in events.chunks(500) {
                    // A till sends its batch again after a 503 (HQ's pool busy), as the
                    // sync queue does; the retries are counted and printed.
                    let answer = loop {
                        let answer = http
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&json!({ "events": chunk }))
                            .send()
                            .await?;
                        if answer.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE {
                            break answer;
                        }
                        retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    };
                    let status = answer.status();
                    let reply: Value = answer.json().await?;
                    anyhow::ensure!(status.is_success(), "HQ answered {status}: {reply}");
                    anyhow::ensure!(
                        reply["refused"].as_array().is_none_or(Vec::is_empty),
                        "HQ refused events: {}",
                        reply["refused"]
                    );
                }
                Ok(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        let seconds = ingest.elapsed().as_secs_f64();
        println!(
            "ingest on {} through the API, 500 events a request from {} tills at once: {sales} sales ({lines} lines, rollups kept) in {seconds:.1} s = {:.0} sales/s, {:.0} lines/s; {} requests sent again after a 503",
            db.backend(),
            tokens.len(),
            sales as f64 / seconds,
            lines as f64 / seconds,
            retried.load(std::sync::atomic::Ordering::Relaxed)
        );

        roll_up_and_ask(&store, args.repeats).await?;
        drop(store);
        if args.keep {
            println!("kept: --reuse {}", db.url());
            std::mem::forget(db);
        }
        Ok(())
    })
}

/// The admin token the benchmark's HQ takes.
const ADMIN: &str = "bench-reports";

/// Serves HQ's API over `store` on a free local port; its base URL.
async fn serve(store: &HqStore) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let settings = crate::hq::api::ApiSettings {
        admin_token: Some(ADMIN.into()),
        ..Default::default()
    };
    let app = crate::hq::api::router(store.clone(), settings);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/v1"))
}

/// Rolls up the closed months as `hq serve`'s schedule does (timed), then asks every
/// report through the API: each period kind and breakdown, chain and one store.
async fn roll_up_and_ask(store: &HqStore, repeats: usize) -> Result<()> {
    let base = serve(store).await?;
    let (http, admin) = (reqwest::Client::new(), ADMIN);

    // The closed months rolled up, as `hq serve`'s schedule does.
    let rolling = Instant::now();
    let rolled = store.roll_up_months(chrono::Utc::now()).await?;
    println!(
        "month rollups: {} store-months and {} chain weeks in {:.1} s",
        rolled.months,
        rolled.weeks,
        rolling.elapsed().as_secs_f64()
    );

    // Every report through the API: each period kind and breakdown, chain and one store.
    let mut all = Histogram::<u64>::new(3)?;
    println!(
        "report latency through the API ({} asks each), ms:",
        repeats
    );
    for period in ["day", "week", "month", "quarter", "year"] {
        for by in [
            "chain",
            "store",
            "department",
            "category",
            "product",
            "hour",
        ] {
            for scope in ["", "&store=S001"] {
                let url = format!(
                    "{base}/reports/sales?period={period}&date=2017-06-15&by={by}{scope}&top=10"
                );
                let mut h = Histogram::<u64>::new(3)?;
                for _ in 0..repeats {
                    let asked = Instant::now();
                    let answer = http.get(&url).bearer_auth(admin).send().await?;
                    anyhow::ensure!(answer.status().is_success(), "{url}: {}", answer.status());
                    let _: Value = answer.json().await?;
                    let us = asked.elapsed().as_micros() as u64;
                    h.record(us)?;
                    all.record(us)?;
                }
                println!(
                    "  {period:7} by {by:10} {:9}  p50 {:7.1}  p99 {:7.1}",
                    if scope.is_empty() {
                        "chain"
                    } else {
                        "one store"
                    },
                    h.value_at_quantile(0.5) as f64 / 1000.0,
                    h.value_at_quantile(0.99) as f64 / 1000.0
                );
            }
        }
    }
    println!(
        "all reports: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal p99 < 200 ms)",
        all.value_at_quantile(0.5) as f64 / 1000.0,
        all.value_at_quantile(0.99) as f64 / 1000.0,
        all.max() as f64 / 1000.0
    );

    // The console's pages on the same data, a member's view among them.
    let member: String = crate::hq::db::query("SELECT MIN(id) FROM members")
        .fetch_one(store.pool())
        .await?
        .get(0);
    let root = base.trim_end_matches("/v1");
    super::console::ask_pages(store, root, &member, repeats).await
}
