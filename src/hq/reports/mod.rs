//! HQ's sales reports (Metro's daily-to-yearly reports by category, with year over year,
//! customer and bill counts): [`period::Period`] says which local days a report covers and
//! what it compares with; [`sales::SalesQuery`] asks for a breakdown and
//! [`crate::hq::HqStore::sales_report`] answers it with a [`sales::SalesReport`], read from
//! the rollups that ingest keeps ([`crate::hq::sale_lines`]); [`trend::SalesTrend`] is a
//! period's net sales part by part beside a year earlier, for the console's line charts.

pub mod csv;
pub mod period;
pub mod sales;
mod statements;
pub mod trend;

pub use period::{Period, PeriodKind};
pub use sales::{By, Figures, RankedProduct, ReportError, Row, SalesQuery, SalesReport};
pub use trend::{SalesTrend, TrendPoint};
