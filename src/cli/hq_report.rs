//! `storepos hq report …`: HQ's reports printed as a table, CSV or JSON.

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};

use crate::config::Config;
use crate::domain::money::{format_scaled, minor_digits};
use crate::hq::HqStore;
use crate::hq::api::reports::{SalesParams, today};
use crate::hq::reports::csv::{COLUMNS, cells};
use crate::hq::reports::{ReportError, SalesReport};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Coupons redeemed twice by offline tills and their cost, points redemptions that
    /// overdrew a balance, refused events and sequence conflicts (the default).
    Reconciliation,
    /// The sales of a period by chain, store, department, category, product or hour, with
    /// the period before, a year earlier, growth and the best and worst sellers.
    Sales {
        /// day, week, month, quarter or year.
        #[arg(long, default_value = "month")]
        period: String,
        /// A day in the period (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY; default today).
        #[arg(long)]
        date: Option<String>,
        /// chain, store, department, category, product or hour.
        #[arg(long, default_value = "chain")]
        by: String,
        /// One store's sales (default: the whole chain).
        #[arg(long)]
        store: Option<String>,
        /// How many best and worst selling products to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// How many rows to list, those with the largest net sales (default: all, up to
        /// 100,000).
        #[arg(long, default_value_t = crate::hq::api::reports::MOST_ROWS)]
        rows: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

pub(super) async fn run(
    store: &HqStore,
    config: &Config,
    what: Option<ReportCommand>,
) -> Result<()> {
    match what.unwrap_or(ReportCommand::Reconciliation) {
        ReportCommand::Reconciliation => {
            let report = store.reconciliation().await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        ReportCommand::Sales {
            period,
            date,
            by,
            store: one,
            top,
            rows,
            format,
        } => {
            let params = SalesParams {
                period: Some(period),
                date,
                by: Some(by),
                store: one,
                top: Some(top),
                rows: Some(rows),
            };
            let query = match params.query(today()) {
                Ok(q) => q,
                Err(m) => bail!(m),
            };
            let report = match store.sales_report(&query).await {
                Ok(r) => r,
                Err(ReportError::UnknownStore(s)) => bail!("HQ knows no store '{s}'"),
                Err(ReportError::Hq(e)) => return Err(e.into()),
            };
            let digits = minor_digits(config.store.currency);
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Format::Csv => print!("{}", crate::hq::reports::csv::sales_csv(&report, digits)?),
                Format::Table => print!("{}", table_of(&report, digits)),
            }
        }
    }
    Ok(())
}

fn table_of(report: &SalesReport, digits: u32) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut text = format!(
        "Sales by {} of the {} {} to {} ({}), against {} to {} and {} to {}\n",
        report.by.as_str(),
        report.period.kind.as_str(),
        report.period.from,
        report.period.to,
        report.store.as_deref().unwrap_or("the whole chain"),
        report.previous.from,
        report.previous.to,
        report.last_year.from,
        report.last_year.to,
    );
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(COLUMNS);
    for row in &report.rows {
        table.add_row(cells(row, digits));
    }
    let mut total = cells(&report.total, digits);
    total[0] = format!("TOTAL {}", total[0]);
    table.add_row(total);
    text.push_str(&table.to_string());
    text.push('\n');
    for (title, products) in [
        ("Best sellers", &report.top_products),
        ("Worst sellers", &report.bottom_products),
    ] {
        if products.is_empty() {
            continue;
        }
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_header(["gtin", "name", "category", "net", "quantity", "bills"]);
        for p in products {
            t.add_row(vec![
                p.gtin.to_string(),
                p.name.clone(),
                p.category.clone(),
                format_scaled(p.net, digits),
                format!("{:.3}", p.quantity),
                p.bills.to_string(),
            ]);
        }
        text.push_str(&format!("{title}\n{t}\n"));
    }
    text
}
