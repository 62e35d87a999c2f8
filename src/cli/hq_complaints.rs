//! `storepos hq complaints …`: HQ staff record complaints taken by phone, web or social
//! media, list and read cases, take their steps and read the report, on HQ's database.
//! Output is a table to read, or JSON with `--json`.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use crate::hq::HqStore;
use crate::hq::complaints::report::{ComplaintReport, Durations, Volume};
use crate::hq::complaints::store::{ListFilter, ListedCase};
use crate::hq::complaints::{CaseWithSteps, Channel, NewComplaint, Severity, State, StepRequest};

#[derive(Debug, Subcommand)]
pub enum ComplaintsCommand {
    /// Record a complaint taken by HQ staff (a new open case).
    Add {
        /// The store it is about (default: the member's home store).
        #[arg(long)]
        store: Option<String>,
        #[arg(long)]
        member: Option<String>,
        /// e.g. service, product, price (default: general).
        #[arg(long)]
        category: Option<String>,
        /// counter, phone, web, social, email or app.
        #[arg(long, value_parser = parse_channel)]
        channel: Channel,
        /// low, normal, high or critical: sets the deadlines.
        #[arg(long, value_parser = parse_severity, default_value = "normal")]
        severity: Severity,
        /// What the member said.
        #[arg(long)]
        content: String,
        /// Who took it.
        #[arg(long)]
        handler: String,
        /// When it was received (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        at: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// List cases, newest first.
    List {
        /// open, in_progress, resolved or closed.
        #[arg(long, value_parser = parse_state)]
        state: Option<State>,
        #[arg(long)]
        store: Option<String>,
        #[arg(long)]
        member: Option<String>,
        /// Only cases past a deadline they have not met.
        #[arg(long)]
        overdue: bool,
        /// Judge deadlines at this moment (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        at: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// A case with its steps.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Take a step: move the case (--to) or add a note.
    Step {
        id: String,
        #[arg(long)]
        handler: String,
        #[arg(long)]
        note: Option<String>,
        /// in_progress, resolved, closed (or in_progress again to reopen).
        #[arg(long, value_parser = parse_state)]
        to: Option<State>,
        /// How it was settled (to resolve).
        #[arg(long)]
        outcome: Option<String>,
        /// The member's satisfaction, 1–5.
        #[arg(long)]
        satisfaction: Option<u8>,
        /// When the step was taken (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        at: Option<DateTime<Utc>>,
        #[arg(long)]
        json: bool,
    },
    /// The report over the cases opened from --from to --to (UTC days, both included).
    Report {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        json: bool,
    },
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    Channel::parse(s)
        .ok_or_else(|| format!("'{s}' is not counter, phone, web, social, email or app"))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("'{s}' is not low, normal, high or critical"))
}

fn parse_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| format!("'{s}' is not open, in_progress, resolved or closed"))
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 time: {e}"))
}

pub(super) async fn run(store: &HqStore, what: ComplaintsCommand) -> Result<()> {
    let now = Utc::now();
    match what {
        ComplaintsCommand::Add {
            store: store_id,
            member,
            category,
            channel,
            severity,
            content,
            handler,
            at,
            json,
        } => {
            let new = NewComplaint {
                store_id,
                member_id: member,
                category,
                channel,
                severity,
                content,
                handler,
                opened_at: at,
            };
            let case = store.record_complaint(&new, now).await?;
            print_case(&case, json)
        }
        ComplaintsCommand::List {
            state,
            store: store_id,
            member,
            overdue,
            at,
            json,
        } => {
            let filter = ListFilter {
                state,
                store: store_id,
                member,
                overdue: Some(overdue),
                at,
                limit: None,
            };
            let cases = store.complaints(&filter, now).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cases)?);
            } else {
                print!("{}", list_table(&cases));
            }
            Ok(())
        }
        ComplaintsCommand::Show { id, json } => {
            let case = store.complaint(&id, now).await?;
            print_case(&case, json)
        }
        ComplaintsCommand::Step {
            id,
            handler,
            note,
            to,
            outcome,
            satisfaction,
            at,
            json,
        } => {
            let step = StepRequest {
                handler,
                note,
                to_state: to,
                outcome,
                satisfaction,
                at,
            };
            let case = store
                .complaint_step(&id, &step, now)
                .await
                .with_context(|| format!("complaint {id} unchanged"))?;
            print_case(&case, json)
        }
        ComplaintsCommand::Report { from, to, json } => {
            let report = store.complaint_report(from, to).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report_text(&report));
            }
            Ok(())
        }
    }
}

fn print_case(case: &CaseWithSteps, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(case)?);
    } else {
        print!("{}", case_text(case));
    }
    Ok(())
}

/// Rows under a header, each column as wide as its widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(w - c.chars().count()));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn cut(text: &str, max: usize) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut s: String = one_line.chars().take(max - 1).collect();
    s.push('…');
    s
}

fn list_table(cases: &[ListedCase]) -> String {
    if cases.is_empty() {
        return "no complaints\n".into();
    }
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|l| {
            let c = &l.case;
            vec![
                c.id.clone(),
                c.state.as_str().into(),
                c.severity.as_str().into(),
                c.store_id.clone(),
                c.member_id.clone().unwrap_or_else(|| "-".into()),
                c.category.clone(),
                c.channel.as_str().into(),
                time(c.opened_at),
                match l.overdue {
                    Some(crate::hq::complaints::Overdue::Response) => "response".into(),
                    Some(crate::hq::complaints::Overdue::Resolution) => "resolution".into(),
                    None => "-".into(),
                },
                cut(&c.content, 40),
            ]
        })
        .collect();
    table(
        &[
            "ID", "STATE", "SEVERITY", "STORE", "MEMBER", "CATEGORY", "CHANNEL", "OPENED",
            "OVERDUE", "CONTENT",
        ],
        &rows,
    )
}

fn case_text(c: &CaseWithSteps) -> String {
    let k = &c.case;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let at = |v: Option<DateTime<Utc>>| v.map_or_else(|| "-".into(), time);
    let mut out = format!(
        "complaint {}\n  state       {}\n  store       {}\n  member      {}\n  category    {}\n  \
         channel     {}\n  severity    {}\n  content     {}\n  outcome     {}\n  satisfaction {}\n  \
         opened      {}\n  responded   {} (due {})\n  resolved    {} (due {})\n  closed      {}\n",
        k.id,
        k.state.as_str(),
        k.store_id,
        opt(&k.member_id),
        k.category,
        k.channel.as_str(),
        k.severity.as_str(),
        k.content,
        opt(&k.outcome),
        k.satisfaction.map_or_else(|| "-".into(), |s| s.to_string()),
        time(k.opened_at),
        at(k.first_response_at),
        time(k.response_due),
        at(k.resolved_at),
        time(k.resolve_due),
        at(k.closed_at),
    );
    if let Some(o) = c.overdue {
        out.push_str(&format!("  OVERDUE     {o:?}\n"));
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = c
        .step_list
        .iter()
        .map(|s| {
            vec![
                s.step_no.to_string(),
                time(s.at),
                s.from_state.map_or("-", State::as_str).into(),
                s.to_state.as_str().into(),
                s.handler.clone(),
                cut(
                    &s.note
                        .clone()
                        .or_else(|| s.outcome.clone())
                        .unwrap_or_default(),
                    60,
                ),
            ]
        })
        .collect();
    out.push_str(&table(
        &["STEP", "AT", "FROM", "TO", "HANDLER", "NOTE"],
        &rows,
    ));
    out
}

fn report_text(r: &ComplaintReport) -> String {
    let mut out = format!("complaints opened {} to {}: {}\n", r.from, r.to, r.cases);
    let section = |out: &mut String, title: &str, v: &[Volume]| {
        out.push_str(&format!("\nby {title}\n"));
        let rows: Vec<Vec<String>> = v
            .iter()
            .map(|x| vec![x.key.clone(), x.cases.to_string()])
            .collect();
        out.push_str(&table(&[&title.to_uppercase(), "CASES"], &rows));
    };
    section(&mut out, "category", &r.by_category);
    section(&mut out, "store", &r.by_store);
    section(&mut out, "channel", &r.by_channel);
    section(&mut out, "severity", &r.by_severity);
    section(&mut out, "state", &r.by_state);
    let hours = |s: i64| format!("{:.1} h", s as f64 / 3600.0);
    let times = |d: &Durations| {
        vec![
            d.cases.to_string(),
            hours(d.median_seconds),
            hours(d.p90_seconds),
        ]
    };
    out.push('\n');
    let mut first = vec!["first response".to_string()];
    first.extend(times(&r.first_response));
    let mut close = vec!["close".to_string()];
    close.extend(times(&r.to_close));
    out.push_str(&table(
        &["TIME TO", "CASES", "MEDIAN", "P90"],
        &[first, close],
    ));
    let s = &r.satisfaction;
    out.push_str(&format!(
        "\nsatisfaction: {} cases, average {:.2}; 1:{} 2:{} 3:{} 4:{} 5:{}\n",
        s.cases,
        s.average,
        s.distribution[0],
        s.distribution[1],
        s.distribution[2],
        s.distribution[3],
        s.distribution[4]
    ));
    out
}
