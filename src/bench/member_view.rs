//! `storepos bench member-view`: the latency of HQ's chain-wide member view
//! (`HqStore::member_view`, what `GET /v1/members/{id}/view` answers) over members with a
//! year of history each, on the backend `hq.database` names (a fresh database, dropped at
//! the end). The members' sales go through HQ's real ingest, so the view reads the sale
//! rows, lines and rollups ingest keeps. Goal: p99 under 50 ms on PostgreSQL.

use std::time::Instant;

use anyhow::Result;
use chrono::{Duration, Utc};
use hdrhistogram::Histogram;
use serde_json::json;

use super::hq::Scratch;
use crate::config::Config;
use crate::domain::sale::{SaleLine, SaleRecord};
use crate::hq::HqStore;
use crate::hq::member_view::ViewAsk;

#[derive(Debug, clap::Args)]
pub struct MemberViewBenchArgs {
    /// Members, each shopping every week of the last year.
    #[arg(long, default_value_t = 300)]
    pub members: u64,
    /// Weeks of history per member.
    #[arg(long, default_value_t = 52)]
    pub weeks: u64,
    /// Timed views, of members drawn in turn.
    #[arg(long, default_value_t = 500)]
    pub views: u64,
}

/// Stores of the chain; a member shops at two of them.
const STORES: u64 = 5;
/// Products of the chain's catalogue, in ten categories.
const PRODUCTS: u64 = 300;

fn gtin(product: u64) -> u64 {
    super::generated_gtin(product).value()
}

/// The catalogue HQ classifies the lines by.
fn catalogue() -> Result<Vec<crate::domain::product::Product>> {
    let products: Vec<serde_json::Value> = (0..PRODUCTS)
        .map(|p| {
            json!({"gtin": super::generated_gtin(p).to_string(), "name": format!("Product {p}"),
                "name_en": null, "price": {"minor": 100 + (p * 37) % 3000, "currency": "CNY"},
                "tax_rate": 1300, "department": format!("Dept {}", p % 3),
                "category": format!("Cat {}", p % 10), "brand_type": "national",
                "manufacturer": null, "member_price": null, "bonus_points": "none",
                "weighed": false, "plu": null, "restricted": false, "external_id": null})
        })
        .collect();
    Ok(serde_json::from_value(serde_json::Value::from(products))?)
}

/// Member `m`'s basket of week `w`: 6–13 lines, mostly from their own 30 regular products.
fn basket(m: u64, w: u64) -> SaleRecord {
    let n = 6 + (m * 7 + w * 3) % 8;
    let lines: Vec<SaleLine> = (0..n)
        .map(|i| {
            let product = (m * 31 + (i * 7 + (w % 4) * (i % 2)) % 30) % PRODUCTS;
            let amount = 100 + ((product * 37) % 3000) as i64;
            SaleLine {
                line_no: i as u32 + 1,
                gtin: gtin(product),
                name: format!("Product {product}"),
                quantity: 1000,
                unit_price: amount,
                amount,
                discount: 0,
                tax_bp: 1300,
                tax: amount * 1300 / 11300,
                original_line: None,
                department: None,
                promotions: Vec::new(),
            }
        })
        .collect();
    let mut sale = crate::store::sales::sample_sale(1, w);
    sale.subtotal = lines.iter().map(|l| l.amount).sum();
    sale.tax = lines.iter().map(|l| l.tax).sum();
    sale.total = sale.subtotal;
    sale.tenders[0].amount = sale.subtotal;
    sale.change = 0;
    sale.lines = lines;
    sale.member_id = Some(member_id(m));
    sale
}

fn member_id(m: u64) -> String {
    format!("V{m:06}")
}

pub fn member_view(config: &Config, args: &MemberViewBenchArgs) -> Result<()> {
    anyhow::ensure!(
        args.members > 0 && args.weeks > 0 && args.views > 0,
        "counts must be positive"
    );
    let runtime = crate::hq::runtime()?;
    runtime.block_on(async {
        let db = Scratch::create(&config.hq.database, "view").await?;
        let store = HqStore::open(&db.url()).await?;
        store.put_products(&catalogue()?).await?;
        for m in 0..args.members {
            let home = format!("S{:03}", m % STORES);
            let member = super::hq::bench_member(&member_id(m), &home)?;
            store.upsert_member(&member).await?;
        }
        // Each store's till sells in time order: every member's weekly basket at one of
        // their two stores, over the last `weeks` weeks.
        let now = Utc::now();
        let mut sales: Vec<Vec<(chrono::DateTime<Utc>, SaleRecord)>> =
            vec![Vec::new(); STORES as usize];
        for w in 0..args.weeks {
            for m in 0..args.members {
                let store = ((m + w % 2) % STORES) as usize;
                let at = now - Duration::weeks((args.weeks - w) as i64)
                    + Duration::minutes(((m * 13) % (6 * 24 * 60)) as i64);
                sales[store].push((at, basket(m, w)));
            }
        }
        let started = Instant::now();
        let mut total = 0usize;
        let mut lines = 0usize;
        for (s, list) in sales.iter_mut().enumerate() {
            list.sort_by_key(|(at, _)| *at);
            let till = crate::hq::TerminalId {
                store_id: format!("S{s:03}"),
                terminal_id: "T01".into(),
            };
            store
                .register_terminal(&till.store_id, &till.terminal_id)
                .await?;
            for (chunk_no, chunk) in list.chunks(500).enumerate() {
                let events: Vec<storepos_sync::Envelope> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, (at, sale))| {
                        let seq = (chunk_no * 500 + i + 1) as u64;
                        serde_json::from_value(json!({"id": uuid::Uuid::now_v7(),
                            "store_id": till.store_id, "terminal_id": till.terminal_id,
                            "seq": seq, "kind": "sale.completed",
                            "payload": {"receipt_no": seq, "sale": sale}, "at": at}))
                    })
                    .collect::<Result<_, _>>()?;
                let reply = store.ingest(&till, &events).await?;
                anyhow::ensure!(
                    reply.refused.is_empty(),
                    "HQ refused a generated sale: {:?}",
                    reply.refused.first()
                );
                total += chunk.len();
                lines += chunk.iter().map(|(_, s)| s.lines.len()).sum::<usize>();
            }
        }
        println!(
            "{} members × {} weeks: {total} sales, {lines} lines ingested into {} in {:.1} s",
            args.members,
            args.weeks,
            db.backend(),
            started.elapsed().as_secs_f64()
        );
        let params = crate::domain::lists::Params::default();
        // One view first, so the engine's model is loaded before the timing.
        store
            .member_view(&member_id(0), &ViewAsk::now(), &params)
            .await?;
        let mut histogram = Histogram::<u64>::new(3)?;
        let mut planned = 0usize;
        for i in 0..args.views {
            let id = member_id((i * 7919) % args.members);
            let started = Instant::now();
            let view = store
                .member_view(&id, &ViewAsk::now(), &params)
                .await?
                .ok_or_else(|| anyhow::anyhow!("member {id} is missing"))?;
            histogram.record(started.elapsed().as_micros() as u64)?;
            planned += view.plan.len();
            anyhow::ensure!(view.visits.bills == args.weeks as i64, "{id}: bills");
        }
        let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "member view on {}: {} views, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal: p99 < 50 ms); {:.1} planned products per view",
            db.backend(),
            args.views,
            ms(0.5),
            ms(0.99),
            histogram.max() as f64 / 1000.0,
            planned as f64 / args.views as f64
        );
        drop(store);
        drop(db);
        Ok(())
    })
}
