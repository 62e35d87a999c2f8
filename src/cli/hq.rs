//! `storepos hq …`: the headquarters service and its administration, each command on the
//! database at `hq.database`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::config::Config;
use crate::import;

#[derive(Debug, Subcommand)]
pub enum HqCommand {
    /// Serve the HQ API at `hq.listen` (default 127.0.0.1:8640).
    Serve {
        /// Overrides `hq.listen`.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Register a terminal of a store and print its bearer token (for `hq.token`).
    Register {
        #[arg(long)]
        store: String,
        #[arg(long)]
        terminal: String,
    },
    /// Revoke a terminal's token: every till route refuses it from now on, its events and
    /// sales stay (`hq register` gives it a token again). Audited as the CLI's.
    RevokeTerminal { store: String, terminal: String },
    /// Load members into HQ from a members CSV (card,name,phone[,tier,points,home_store,email]).
    ImportMembers { file: PathBuf },
    /// Roll up every store's closed months for the long reports now (`hq serve` does it
    /// every ten minutes).
    RollUp,
    /// Print HQ's coupon-signing public key (for the terminals' `loyalty.coupon_key`).
    CouponKey,
    /// Sign a personalised coupon and print its QR form (and its short CODE128 form).
    IssueCoupon {
        #[arg(long)]
        id: String,
        #[arg(long)]
        member: String,
        #[arg(long)]
        title: String,
        /// Amount off, e.g. 5.00 (give this or --percent).
        #[arg(long)]
        amount: Option<String>,
        /// Percent off, e.g. 10.
        #[arg(long)]
        percent: Option<String>,
        /// The product it applies to (GTIN); else --category; else the whole basket.
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        category: Option<String>,
        /// Least spend for it to apply, e.g. 30.00.
        #[arg(long, default_value = "0")]
        min_spend: String,
        /// First day it is valid (RFC 3339).
        #[arg(long)]
        from: String,
        /// First instant it is no longer valid (RFC 3339).
        #[arg(long)]
        until: String,
    },
    /// Load deals (the `lists` deals format, JSON Lines) into HQ's feed for the lists.
    ImportDeals { file: PathBuf },
    /// Make, sign and keep the shopping lists of the fortnight a moment falls in (also run
    /// by `hq serve` when a fortnight starts); running it again for a period adds nothing.
    Lists {
        /// A moment in the period (RFC 3339; default now).
        #[arg(long, value_name = "DATETIME")]
        at: Option<String>,
    },
    /// What each manufacturer's (and the store's) offers did per segment: lists reached,
    /// offers issued and redeemed, cost. No member names or ids.
    ManufacturerReport,
    /// Expire points past their date (also run daily by `hq serve`).
    Expire {
        /// The moment to expire as of (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// HQ's reports: the reconciliation (coupons redeemed twice by offline tills, points
    /// redemptions that overdrew a balance; the default) and the sales reports.
    Report {
        #[command(subcommand)]
        what: Option<super::hq_report::ReportCommand>,
    },
    /// Complaint cases: record, list, show, step, report.
    Complaints {
        #[command(subcommand)]
        what: super::hq_complaints::ComplaintsCommand,
    },
    /// On a PostgreSQL database with the citus extension: make HQ's reference and
    /// distributed tables (by store, by member; see README, Distributed engines). Running
    /// it again changes nothing.
    Distribute {
        /// Shards per distributed table (default: Citus's `citus.shard_count`).
        #[arg(long, value_name = "N")]
        shard_count: Option<u32>,
    },
    /// Copy an embedded SQLite HQ database consistently into FILE (a new file) while HQ
    /// runs; a PostgreSQL HQ is backed up with pg_dump.
    Backup { file: PathBuf },
    #[command(flatten)]
    Value(super::hq_value::ValueCommand),
    /// The console's staff accounts: add, passwd, disable, list.
    Staff {
        #[command(subcommand)]
        what: super::hq_staff::StaffCommand,
    },
    /// One member across every store (`hq member view ID`).
    #[command(subcommand)]
    Member(super::hq_member::MemberCommand),
}

pub(super) fn run(config: &Config, what: HqCommand) -> Result<()> {
    let runtime = crate::hq::runtime()?;
    runtime.block_on(async {
        let store = crate::hq::HqStore::open(&config.hq.database)
            .await
            .with_context(|| format!("HQ database {}", config.hq.database))?
            .with_complaint_sla(config.hq.complaints)?;
        match what {
            HqCommand::Serve { listen } => {
                crate::hq::distribution::check(store.pool()).await?;
                let listen = listen.as_deref().unwrap_or(&config.hq.listen);
                let addr = listen.parse().with_context(|| {
                    format!("'{listen}' is not an address such as 127.0.0.1:8640")
                })?;
                let mut api = crate::hq::api::ApiSettings::from_config(&config.hq);
                api.currency = config.store.currency;
                let jobs = crate::hq::schedule::Jobs {
                    expiry: config.loyalty.points.expiry,
                    key_file: config.hq.key_file(),
                    params: crate::hq::lists::params_for(config),
                    currency: config.store.currency,
                };
                // HQ alone holds the key: it signs the fortnight's lists and the lists
                // stores ask for one member.
                match crate::hq::admin::signing_key(&jobs.key_file) {
                    Ok(key) => {
                        api.lists = Some(std::sync::Arc::new(crate::hq::api::ListSigner {
                            key,
                            params: jobs.params.clone(),
                            currency: jobs.currency,
                        }))
                    }
                    Err(e) => tracing::warn!("lists asked for by stores are refused: {e:#}"),
                }
                let schedule = tokio::spawn(crate::hq::schedule::run(store.clone(), jobs));
                let _abort_on_exit = AbortOnDrop(schedule);
                match (&config.hq.tls_cert, &config.hq.tls_key) {
                    (Some(cert), Some(key)) => {
                        crate::hq::serve_tls(store, addr, api, cert, key).await
                    }
                    _ => crate::hq::serve(store, addr, api).await,
                }
            }
            HqCommand::Register { store: s, terminal } => {
                let token = store.register_terminal(&s, &terminal).await?;
                println!("{token}");
                Ok(())
            }
            HqCommand::RevokeTerminal { store: s, terminal } => {
                let till = crate::hq::store::TerminalId {
                    store_id: s,
                    terminal_id: terminal,
                };
                // The audit log names who ran it as the CLI, with the machine's user.
                let who = crate::hq::staff::Principal {
                    login: format!("cli:{}", std::env::var("USER").unwrap_or_default()),
                    name: "storepos hq revoke-terminal".into(),
                    role: crate::hq::staff::Role::Admin,
                    stores: Vec::new(),
                    token: true,
                };
                store.revoke_terminal(&till, &who).await?;
                println!("revoked {}/{}", till.store_id, till.terminal_id);
                Ok(())
            }
            HqCommand::CouponKey => {
                let key = crate::hq::admin::signing_key(&config.hq.key_file())?;
                println!("{}", hex::encode(key.verifying_key().to_bytes()));
                Ok(())
            }
            HqCommand::IssueCoupon {
                id,
                member,
                title,
                amount,
                percent,
                product,
                category,
                min_spend,
                from,
                until,
            } => {
                let currency = config.store.currency;
                let money = |text: &str| {
                    crate::domain::money::Money::parse(text, currency).map(|m| m.minor())
                };
                use crate::domain::coupon::{Coupon, Offer, OfferTarget, OfferValue};
                let value = match (amount, percent) {
                    (Some(a), None) => OfferValue::AmountOff(money(&a)?),
                    (None, Some(p)) => OfferValue::PercentOff(
                        u32::try_from(crate::domain::money::parse_scaled(&p, 2)?)
                            .context("percent out of range")?,
                    ),
                    _ => anyhow::bail!("give either --amount or --percent"),
                };
                let target = match (product, category) {
                    (Some(g), _) => OfferTarget::Product(crate::domain::gs1::Gtin::parse(&g)?),
                    (None, Some(c)) => OfferTarget::Category(c),
                    (None, None) => OfferTarget::Basket,
                };
                let time = |t: &str| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map(|d| d.with_timezone(&chrono::Utc))
                        .with_context(|| format!("'{t}' is not an RFC 3339 time"))
                };
                let coupon = Coupon {
                    id,
                    member_id: member,
                    offer: Offer {
                        target,
                        value,
                        min_spend: money(&min_spend)?,
                        max_discount: None,
                    },
                    valid_from: time(&from)?,
                    valid_until: time(&until)?,
                    single_use: true,
                    funded_by: Some("store".into()),
                    title,
                };
                let key = crate::hq::admin::signing_key(&config.hq.key_file())?;
                let signed = store.issue_coupon(&key, coupon).await?;
                println!("{}\n{}", signed.full_code(), signed.short_code());
                Ok(())
            }
            HqCommand::Expire { at } => {
                let at = match at {
                    Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                        .with_context(|| format!("'{t}' is not an RFC 3339 time"))?
                        .with_timezone(&chrono::Utc),
                    None => chrono::Utc::now(),
                };
                let points = store
                    .expire_points(at, &config.loyalty.points.expiry)
                    .await?;
                println!("{points} points expired");
                Ok(())
            }
            HqCommand::ImportDeals { file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let mut deals = Vec::new();
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    deals.push(
                        serde_json::from_str::<serde_json::Value>(line).with_context(|| {
                            format!("{} line {}: not a JSON object", file.display(), n + 1)
                        })?,
                    );
                }
                let n = store.put_deals(&deals, config.store.currency).await?;
                println!("{n} deals");
                Ok(())
            }
            HqCommand::Lists { at } => {
                let at = match at {
                    Some(t) => crate::lists::parse_moment(&t)?,
                    None => chrono::Utc::now(),
                };
                let key = crate::hq::admin::signing_key(&config.hq.key_file())?;
                let start = crate::hq::lists::period_start(at);
                let working = crate::progress::Working::new("making the members' lists");
                let run = store
                    .make_lists(
                        &key,
                        start,
                        &crate::hq::lists::params_for(config),
                        config.store.currency,
                    )
                    .await?;
                drop(working);
                println!("{}", serde_json::to_string_pretty(&run)?);
                Ok(())
            }
            HqCommand::ManufacturerReport => {
                let report = store.manufacturer_report().await?;
                println!("{}", serde_json::to_string_pretty(&report)?);
                Ok(())
            }
            HqCommand::Member(what) => super::hq_member::run(config, &store, what).await,
            HqCommand::Distribute { shard_count } => {
                let laid = crate::hq::distribution::distribute(store.pool(), shard_count).await?;
                let now = laid.iter().filter(|t| t.now).count();
                for t in &laid {
                    let how = match t.placement {
                        crate::hq::distribution::Placement::Reference => "reference".to_string(),
                        crate::hq::distribution::Placement::Distributed { column, with } => {
                            format!("distributed by {column}, colocated with {with}")
                        }
                    };
                    let state = if t.now { "made" } else { "kept" };
                    println!("{:<32} {how} ({state})", t.table);
                }
                println!("{now} tables laid out now, {} already were", laid.len() - now);
                Ok(())
            }
            HqCommand::Backup { file } => {
                store.pool().backup_into(&file).await?;
                println!("HQ's database copied into {}", file.display());
                Ok(())
            }
            HqCommand::Value(what) => super::hq_value::run(config, &store, what).await,
            HqCommand::Report { what } => super::hq_report::run(&store, config, what).await,
            HqCommand::Complaints { what } => super::hq_complaints::run(&store, what).await,
            HqCommand::Staff { what } => super::hq_staff::run(&store, what).await,
            HqCommand::RollUp => {
                let done = store.roll_up_months(chrono::Utc::now()).await?;
                println!(
                    "{} store-months rolled up, {} chain weeks made{}",
                    done.months,
                    done.weeks,
                    if done.deferred > 0 {
                        format!(
                            "; {} stores took a late sale meanwhile and are rolled up at the next run",
                            done.deferred
                        )
                    } else {
                        String::new()
                    }
                );
                Ok(())
            }
            HqCommand::ImportMembers { file } => {
                let members = import::members::read_all(&file)?;
                let progress =
                    crate::progress::Counting::new("storing members", members.len() as u64);
                for m in &members {
                    progress.step();
                    store.upsert_member(m).await?;
                    if m.points_balance != 0 {
                        store.opening_balance(&m.id, m.points_balance).await?;
                    }
                }
                println!("{} members", members.len());
                Ok(())
            }
        }
    })
}

/// Stops a background task when the command that started it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
