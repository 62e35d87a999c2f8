//! `storepos hq member view ID [--json]`: the chain-wide member view read straight from
//! HQ's database, as a report to read before visiting a customer (or as the API's JSON).

use std::fmt::Write as _;

use anyhow::Result;
use clap::Subcommand;

use crate::config::Config;
use crate::domain::money::{Currency, Money};
use crate::hq::member_view::{MAX_BILLS, MemberView, ViewAsk};

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// One member across every store: record, visits, spend per category per year, the
    /// largest purchase, recent bills, points, coupons and lists, open complaints and the
    /// suggested purchase plan.
    View {
        /// The member's number.
        id: String,
        /// Print the view as the API answers it (JSON).
        #[arg(long)]
        json: bool,
        /// Recent bills listed (1–200).
        #[arg(long, default_value_t = 10)]
        bills: u32,
    },
}

pub(super) async fn run(
    config: &Config,
    store: &crate::hq::HqStore,
    what: MemberCommand,
) -> Result<()> {
    match what {
        MemberCommand::View { id, json, bills } => {
            anyhow::ensure!(
                (1..=MAX_BILLS).contains(&bills),
                "--bills must be 1–{MAX_BILLS}"
            );
            let ask = ViewAsk {
                limit: bills,
                ..ViewAsk::now()
            };
            let params = crate::hq::lists::params_for(config);
            let Some(view) = store.member_view(&id, &ask, &params).await? else {
                anyhow::bail!("HQ has no member {id}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print!("{}", report(&view, config.store.currency));
            }
            Ok(())
        }
    }
}

/// The view as a plain-text report.
pub fn report(view: &MemberView, currency: Currency) -> String {
    let money = |minor: i64| Money::from_minor(minor, currency).to_string();
    let day = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d").to_string();
    let or_dash = |v: Option<&str>| v.unwrap_or("—").to_string();
    let r = &view.record;
    let mut out = String::new();
    let _ = writeln!(out, "Member {}  {}", r.number, r.name);
    let _ = writeln!(
        out,
        "  Customer type  {}",
        or_dash(r.customer_type.map(|t| t.as_str()))
    );
    let _ = writeln!(out, "  Address        {}", or_dash(r.address.as_deref()));
    let _ = writeln!(out, "  Phone          {}", or_dash(r.phone.as_deref()));
    let _ = writeln!(
        out,
        "  Card opened    {}",
        or_dash(r.card_opened.map(|d| d.to_string()).as_deref())
    );
    let _ = writeln!(
        out,
        "  Tier           {}   home store {}",
        r.tier,
        or_dash(r.home_store.as_deref())
    );
    let cards: Vec<String> = view
        .cards
        .iter()
        .map(|c| match c.status {
            crate::domain::member::CardStatus::Active => c.number.clone(),
            crate::domain::member::CardStatus::Blocked => format!("{} (blocked)", c.number),
        })
        .collect();
    let _ = writeln!(out, "  Cards          {}", cards.join(", "));
    let _ = writeln!(out, "  Points         {}", view.points.balance);

    let v = &view.visits;
    let _ = writeln!(out, "\nVisits");
    let _ = writeln!(
        out,
        "  {} bills, {} returns, {} spent; first {}, last {}",
        v.bills,
        v.returns,
        money(v.spent),
        or_dash(v.first.map(day).as_deref()),
        or_dash(v.last.map(day).as_deref())
    );
    for s in &v.stores {
        let _ = writeln!(
            out,
            "  {:<10} {:>5} bills {:>14}   last {}",
            s.store_id,
            s.bills,
            money(s.spent),
            day(s.last)
        );
    }

    let _ = writeln!(out, "\nSpend per category (net of tax)");
    if view.spend_by_year.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for y in &view.spend_by_year {
        let _ = writeln!(out, "  {}  {}", y.year, money(y.net));
        for c in &y.categories {
            let _ = writeln!(
                out,
                "    {:<28} {:>14} {:>5} bills",
                format!("{} / {}", c.department, c.category),
                money(c.net),
                c.bills
            );
        }
    }

    let _ = writeln!(out, "\nLargest purchase");
    match &view.largest_purchase {
        None => {
            let _ = writeln!(out, "  none");
        }
        Some(l) => {
            let b = &l.bill;
            let _ = writeln!(
                out,
                "  {}  store {} till {} receipt {}  {}",
                day(b.at),
                b.store_id,
                b.terminal_id,
                b.receipt_no,
                money(b.total)
            );
            for line in &l.lines {
                let _ = writeln!(
                    out,
                    "    {:<30} {:>10} {:>14}",
                    line.name,
                    crate::domain::money::Quantity::from_milli(line.quantity).to_string(),
                    money(line.net + line.tax)
                );
            }
        }
    }

    let _ = writeln!(out, "\nRecent bills");
    if view.history.bills.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for b in &view.history.bills {
        let _ = writeln!(
            out,
            "  {}  {:<8} {:<6} {:>8}  {:<6} {:>14}",
            day(b.at),
            b.store_id,
            b.terminal_id,
            b.receipt_no,
            b.kind,
            money(b.total)
        );
    }

    let _ = writeln!(out, "\nSuggested purchase plan (next fortnight)");
    if view.plan.is_empty() {
        let _ = writeln!(out, "  nothing due");
    }
    for p in &view.plan {
        let when = match p.due_in_days {
            d if d < 0 => format!("overdue {} d", -d),
            0 => "due today".to_string(),
            d => format!("in {d} d"),
        };
        let _ = writeln!(out, "  {:<30} {:<12} {}", p.name, when, p.reason);
    }

    let _ = writeln!(out, "\nPoints ledger (latest)");
    for e in &view.points.entries {
        let _ = writeln!(
            out,
            "  {}  {:<8} {:>8}  {}",
            day(e.at),
            e.kind,
            e.points,
            e.source
        );
    }

    let _ = writeln!(out, "\nCoupons");
    if view.coupons.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for c in &view.coupons {
        let state = match &c.redeemed {
            Some(r) => format!(
                "redeemed {} at {} ({})",
                day(r.at),
                r.store_id,
                money(r.amount)
            ),
            None => "not redeemed".to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<20} {:<30} {}",
            c.id,
            c.title.as_deref().unwrap_or(""),
            state
        );
    }
    let _ = writeln!(out, "\nShopping lists");
    if view.lists.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for l in &view.lists {
        let _ = writeln!(
            out,
            "  {}–{}  {} offers, {} redeemed",
            day(l.period_start),
            day(l.period_end),
            l.offers,
            l.offers_redeemed
        );
    }

    let _ = writeln!(out, "\nOpen complaints");
    if view.open_complaints.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for c in &view.open_complaints {
        let _ = writeln!(
            out,
            "  {}  {}  {} ({}, {}, {}): {}",
            day(c.at),
            c.id,
            c.store_id,
            c.channel,
            c.severity,
            c.state.replace('_', " "),
            c.content
        );
    }
    out
}
