//! The HQ console's pages on the reports benchmark's data: an administrator's session
//! asks every page (and each report page) `repeats` times through HQ's real router, and
//! the latency of each is printed against the console's goal (p99 < 100 ms).

use std::time::Instant;

use anyhow::Result;
use hdrhistogram::Histogram;

use crate::hq::HqStore;
use crate::hq::staff::Role;
use crate::hq::staff::sessions::Login;

/// The pages asked: every page a member of HQ staff opens, and the report page for each
/// period kind by the breakdowns the page is most used with.
fn pages(member: &str) -> Vec<String> {
    let mut pages: Vec<String> = [
        "dashboard",
        "members?q=CJ1",
        "complaints",
        "campaigns",
        "tills",
        "reconciliation",
        "audit",
        "catalogue",
        "promotions",
        "prices?store=S001",
        "settings",
        "operators",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    pages.push(format!("members/{member}"));
    for period in ["day", "week", "month", "quarter", "year"] {
        for by in ["chain", "store", "category", "product"] {
            pages.push(format!("reports?period={period}&date=2017-06-15&by={by}"));
        }
        pages.push(format!(
            "reports?period={period}&date=2017-06-15&by=category&store=S001"
        ));
    }
    pages
}

/// Asks every console page `repeats` times as an administrator, at `base` (the server's
/// root), and prints each page's latency.
pub async fn ask_pages(store: &HqStore, base: &str, member: &str, repeats: usize) -> Result<()> {
    let password = "bench-console-password";
    if store.staff_account("bench-admin").await?.is_none() {
        store
            .staff_add("bench-admin", None, Role::Admin, &[], password)
            .await?;
    }
    let session = match store
        .staff_login("bench-admin", password, "bench", chrono::Utc::now())
        .await?
    {
        Login::Opened(s) => s,
        _ => anyhow::bail!("the benchmark's administrator could not log in"),
    };
    // The members' names indexed for the search, as `hq serve`'s schedule does at every
    // tick (timed apart: a search after an import would otherwise index them first).
    let indexing = Instant::now();
    let indexed = store.index_member_names().await?;
    println!(
        "member search index: {indexed} names in {:.1} s",
        indexing.elapsed().as_secs_f64()
    );
    let cookie = format!("{}={}", crate::hq::api::session::COOKIE, session.id);
    let http = reqwest::Client::new();
    let mut all = Histogram::<u64>::new(3)?;
    println!("console pages ({repeats} asks each), ms:");
    for page in pages(member) {
        let url = format!("{base}/console/{page}");
        let mut h = Histogram::<u64>::new(3)?;
        for _ in 0..repeats {
            let asked = Instant::now();
            let answer = http
                .get(&url)
                .header(reqwest::header::COOKIE, &cookie)
                .send()
                .await?;
            let status = answer.status();
            let body = answer.text().await?;
            anyhow::ensure!(status.is_success(), "{url}: {status}");
            anyhow::ensure!(!body.is_empty(), "{url}: an empty page");
            let us = asked.elapsed().as_micros() as u64;
            h.record(us)?;
            all.record(us)?;
        }
        println!(
            "  {page:60}  p50 {:7.1}  p99 {:7.1}",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0
        );
    }
    println!(
        "all pages: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (goal p99 < 100 ms)",
        all.value_at_quantile(0.5) as f64 / 1000.0,
        all.value_at_quantile(0.99) as f64 / 1000.0,
        all.max() as f64 / 1000.0
    );
    Ok(())
}
