//! The sales report as CSV: one record per row and then the total, with a header; money
//! in the currency's units (`12.34`), growth as signed percentages. `storepos hq report
//! sales --format csv` and the console's CSV download write the same text.

use crate::domain::money::format_scaled;

use super::{Figures, Row, SalesReport};

/// The columns of every row, in order.
pub const COLUMNS: [&str; 16] = [
    "key",
    "label",
    "net",
    "tax",
    "gross",
    "discount",
    "bills",
    "returns",
    "customers",
    "items",
    "items_per_bill",
    "average_bill",
    "member_share",
    "previous_net",
    "period_growth",
    "year_growth",
];

pub fn percent(v: Option<f64>) -> String {
    v.map(|g| format!("{:+.1}%", g * 100.0)).unwrap_or_default()
}

pub fn cells(row: &Row, digits: u32) -> Vec<String> {
    let money = |v: i64| format_scaled(v, digits);
    let f: &Figures = &row.current;
    vec![
        row.key.clone(),
        row.label.clone(),
        money(f.net),
        money(f.tax),
        money(f.gross),
        money(f.discount),
        f.bills.to_string(),
        f.returns.to_string(),
        f.customers.map(|c| c.to_string()).unwrap_or_default(),
        format!("{:.3}", f.items),
        format!("{:.2}", f.items_per_bill),
        money(f.average_bill.round() as i64),
        format!("{:.1}%", f.member_share * 100.0),
        money(row.previous.net),
        percent(row.period_growth),
        percent(row.year_growth),
    ]
}

/// Every row and then the total, one CSV record each, with a header.
pub fn sales_csv(report: &SalesReport, digits: u32) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    for row in report.rows.iter().chain(std::iter::once(&report.total)) {
        out.write_record(cells(row, digits))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("the CSV of UTF-8 text is UTF-8"))
}
