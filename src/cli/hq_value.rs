//! `storepos hq members …`, `storepos hq segment …` and `storepos hq campaigns`: member
//! value, saved segments and campaign results on HQ's database (see
//! [`crate::hq::member_value`] and [`crate::hq::campaigns`]). Reports print as JSON; a
//! segment's members as JSON or CSV.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use crate::config::Config;
use crate::hq::HqStore;
use crate::hq::member_value::segments::{CampaignRequest, Definition, NewSegment, members_csv};
use crate::hq::member_value::{MigrationBy, SLIPPING_FACTOR};

#[derive(Debug, Subcommand)]
pub enum ValueCommand {
    /// Member value: RFM segments and the Pareto table, members slipping away, migration.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Saved segments: save one, list its members (JSON or CSV), issue its members a coupon.
    #[command(subcommand)]
    Segment(SegmentCommand),
    /// Campaign results: every coupon issue, deal and list period (with the lists' lift
    /// over the hold-out group).
    Campaigns {
        /// A day in the one list period to report on (YYYY-MM-DD).
        #[arg(long, value_name = "DAY")]
        period: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// Segment counts and the Pareto table as of a day.
    Value {
        /// The window's last day (YYYY-MM-DD; default yesterday).
        #[arg(long, value_name = "DAY")]
        as_of: Option<String>,
        /// Compute the day's scores again from the sales HQ holds now.
        #[arg(long)]
        recompute: bool,
    },
    /// Members past `factor` times their own median gap between purchase days.
    Slipping {
        #[arg(long, value_name = "DAY")]
        as_of: Option<String>,
        #[arg(long, default_value_t = SLIPPING_FACTOR)]
        factor: f64,
    },
    /// Members by segment (or tier) on one day against another.
    Migration {
        #[arg(long, value_name = "DAY")]
        from: String,
        #[arg(long, value_name = "DAY")]
        to: String,
        /// `segment` or `tier`.
        #[arg(long, default_value = "segment")]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SegmentCommand {
    /// Save (or replace) a segment.
    Put {
        id: String,
        #[arg(long)]
        name: String,
        /// The definition as JSON, e.g. '{"segments":["champions"],"consent_marketing":true}'.
        #[arg(long, value_name = "JSON")]
        definition: String,
    },
    /// A segment's members.
    Members {
        id: String,
        #[arg(long, value_name = "DAY")]
        as_of: Option<String>,
        /// CSV instead of JSON.
        #[arg(long)]
        csv: bool,
    },
    /// Sign and issue one coupon per member of the segment who consented to marketing;
    /// again under the same campaign id, only members not issued one yet.
    IssueCoupons {
        id: String,
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        title: String,
        /// Amount off, e.g. 5.00 (give this or --percent).
        #[arg(long)]
        amount: Option<String>,
        /// Percent off, e.g. 10.
        #[arg(long)]
        percent: Option<String>,
        /// The product (GTIN); else --category; else the whole basket.
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long, default_value = "0")]
        min_spend: String,
        /// First instant valid (RFC 3339).
        #[arg(long)]
        from: String,
        /// First instant no longer valid (RFC 3339).
        #[arg(long)]
        until: String,
        #[arg(long, value_name = "DAY")]
        as_of: Option<String>,
    },
}

fn day(text: Option<&str>) -> Result<NaiveDate> {
    match text {
        Some(t) => t
            .trim()
            .parse()
            .with_context(|| format!("'{t}' is not a day such as 2026-11-30")),
        None => Ok(Utc::now().date_naive() - chrono::Duration::days(1)),
    }
}

fn time(t: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .with_context(|| format!("'{t}' is not an RFC 3339 time"))
}

fn print(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub(super) async fn run(config: &Config, store: &HqStore, what: ValueCommand) -> Result<()> {
    match what {
        ValueCommand::Members(MembersCommand::Value { as_of, recompute }) => {
            let as_of = day(as_of.as_deref())?;
            if recompute {
                store.compute_scores(as_of).await?;
            }
            print(&store.member_value(as_of).await?)
        }
        ValueCommand::Members(MembersCommand::Slipping { as_of, factor }) => {
            if !(1.0..=100.0).contains(&factor) {
                bail!("--factor {factor} is not from 1 to 100");
            }
            print(&store.slipping_away(day(as_of.as_deref())?, factor).await?)
        }
        ValueCommand::Members(MembersCommand::Migration { from, to, by }) => {
            let by = match by.as_str() {
                "segment" => MigrationBy::Segment,
                "tier" => MigrationBy::Tier,
                other => bail!("--by {other}: give segment or tier"),
            };
            let (from, to) = (day(Some(&from))?, day(Some(&to))?);
            if from >= to {
                bail!("--from {from} must be before --to {to}");
            }
            print(&store.migration(from, to, by).await?)
        }
        ValueCommand::Segment(SegmentCommand::Put {
            id,
            name,
            definition,
        }) => {
            let definition: Definition = serde_json::from_str(&definition)
                .context("--definition is not a segment definition")?;
            print(
                &store
                    .put_segment(&id, &NewSegment { name, definition })
                    .await?,
            )
        }
        ValueCommand::Segment(SegmentCommand::Members { id, as_of, csv }) => {
            let Some(members) = store.segment_members(&id, day(as_of.as_deref())?).await? else {
                bail!("HQ has no segment '{id}' (save it with `storepos hq segment put`)");
            };
            if csv {
                print!("{}", members_csv(&members.members)?);
                Ok(())
            } else {
                print(&members)
            }
        }
        ValueCommand::Segment(SegmentCommand::IssueCoupons {
            id,
            campaign,
            title,
            amount,
            percent,
            product,
            category,
            min_spend,
            from,
            until,
            as_of,
        }) => {
            let currency = config.store.currency;
            let money =
                |text: &str| crate::domain::money::Money::parse(text, currency).map(|m| m.minor());
            let percent_off_bp = match percent {
                Some(p) => Some(
                    u32::try_from(crate::domain::money::parse_scaled(&p, 2)?)
                        .context("percent out of range")?,
                ),
                None => None,
            };
            let request = CampaignRequest {
                campaign_id: campaign,
                title,
                amount_off: amount.as_deref().map(money).transpose()?,
                percent_off_bp,
                product,
                category,
                min_spend: money(&min_spend)?,
                max_discount: None,
                valid_from: time(&from)?,
                valid_until: time(&until)?,
                funded_by: None,
            };
            let key = crate::hq::admin::signing_key(&config.hq.key_file())?;
            match store
                .issue_segment_coupons(&key, &id, day(as_of.as_deref())?, &request)
                .await?
            {
                Some(issue) => print(&issue),
                None => bail!("HQ has no segment '{id}' (save it with `storepos hq segment put`)"),
            }
        }
        ValueCommand::Campaigns { period } => {
            let period = period.as_deref().map(|p| day(Some(p))).transpose()?;
            print(&store.campaign_report(period).await?)
        }
    }
}
