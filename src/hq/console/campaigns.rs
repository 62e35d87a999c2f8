//! Campaigns: the results of every coupon issue, deal and list period (issued, redeemed,
//! redemption rate, cost, the redeemers' sales of the targeted products, and for list
//! periods their status and the lift over the hold-out group), from the same report as
//! `GET /v1/reports/campaigns`; and the anonymised report manufacturers receive.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::T;
use super::layout::{self, Nav};
use super::{Viewer, money};
use crate::domain::lists::segments::{BrandLoyalty, Segment, Usage};
use crate::hq::api::AppState;
use crate::hq::api::value::{CampaignsQuery, campaigns_as};
use crate::hq::campaigns::{CampaignReport, Lift, Results};
use crate::hq::lists::ManufacturerReport;
use crate::hq::staff::Permission;

#[derive(Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
}

/// A share (0–1) as a percentage with one decimal.
fn share(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The column heads of [`Results`].
fn result_heads(v: &Viewer) -> Markup {
    html! {
        th.num { (v.t(T::Issued)) }
        th.num { (v.t(T::Redeemed)) }
        th.num { (v.t(T::RedemptionRate)) }
        th.num { (v.t(T::Cost)) }
        th.num { (v.t(T::Redeemers)) }
        th.num { (v.t(T::TargetedSales)) }
    }
}

fn result_cells(r: &Results) -> Markup {
    html! {
        td.num { (r.issued) }
        td.num { (r.redeemed) }
        td.num { (share(r.redemption_rate)) }
        td.num { (money(r.cost)) }
        td.num { (r.redeemers) }
        td.num { (money(r.targeted_sales)) }
    }
}

/// A segment's name (`national/high`) in the viewer's language.
pub fn segment_label(v: &Viewer, name: &str) -> String {
    let Some(s) = Segment::parse(name) else {
        return name.to_string();
    };
    let loyalty = match s.loyalty {
        BrandLoyalty::National => T::SegNational,
        BrandLoyalty::Store => T::SegStoreBrand,
        BrandLoyalty::Switcher => T::SegSwitcher,
    };
    let usage = match s.usage {
        Usage::Low => T::UsageLow,
        Usage::Mid => T::UsageMid,
        Usage::High => T::UsageHigh,
    };
    format!("{} · {}", v.t(loyalty), v.t(usage))
}

/// Who funds a deal: a manufacturer's name, or the chain itself (`store`).
pub fn funder_label<'a>(v: &Viewer, funded_by: &'a str) -> &'a str {
    if funded_by == "store" {
        v.t(T::FundedByChain)
    } else {
        funded_by
    }
}

fn lift_cells(v: &Viewer, l: &Lift) -> Markup {
    html! {
        td.num { (l.list_members) " / " (l.holdout_members) }
        td.num { (money(l.sales_per_list_member)) " / " (money(l.sales_per_holdout_member)) }
        td.num {
            strong { (money(l.lift_per_member)) }
            @if l.measured {
                br; span.muted { "[" (money(l.ci95_low)) ", " (money(l.ci95_high)) "]" }
            } @else {
                br; span.muted { (v.t(T::NotMeasured)) }
            }
        }
        td.num { (crate::hq::reports::csv::percent(l.relative_lift)) }
    }
}

fn report_body(v: &Viewer, r: &CampaignReport, m: &ManufacturerReport, period: &str) -> Markup {
    html! {
        p #campaign-links {
            a href="/console/segments" { (v.t(T::Segments)) } " · "
            a href="/console/deals" { (v.t(T::DealsBudgets)) }
        }
        form.inline method="get" action="/console/campaigns" {
            label { (v.t(T::ListPeriodOf)) input type="date" name="period" value=(period); }
            button type="submit" { (v.t(T::Show)) }
            @if !period.is_empty() { a.button href="/console/campaigns" { (v.t(T::AllPeriods)) } }
        }
        @if period.is_empty() {
            h2 { (v.t(T::CouponIssues)) }
            @if r.coupon_issues.is_empty() {
                p { (v.t(T::NoneYet)) }
            } @else {
                div.scroll {
                    table #issues {
                        tr { th { (v.t(T::Campaign)) } th { (v.t(T::Segment)) } (result_heads(v)) }
                        @for i in &r.coupon_issues {
                            tr {
                                td {
                                    @match &i.campaign_id {
                                        Some(id) => { (id) @if let Some(t) = &i.title { br; span.muted { (t) } } }
                                        None => { (v.t(T::SingleCoupons)) }
                                    }
                                }
                                td { (i.segment_id.as_deref().unwrap_or("")) }
                                (result_cells(&i.results))
                            }
                        }
                    }
                }
            }
        }
        h2 { (v.t(T::ListPeriods)) }
        @if r.list_periods.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table.wrap #periods {
                    tr {
                        th { (v.t(T::Period)) } th { (v.t(T::State)) } th.num { (v.t(T::Lists)) }
                        th.num { (v.t(T::Issued)) } th.num { (v.t(T::RedeemedRate)) }
                        th.num { (v.t(T::Cost)) } th.num { (v.t(T::TargetedSales)) }
                        th.num { (v.t(T::ListVsHoldout)) } th.num { (v.t(T::SalesPerMember)) }
                        th.num { (v.t(T::LiftPerMember)) } th.num { (v.t(T::RelativeLift)) }
                    }
                    @for p in &r.list_periods {
                        tr {
                            // The period's first and last day (its end is exclusive).
                            td.nowrap {
                                (p.period_start.format("%Y-%m-%d")) br;
                                "– " ((p.period_end - chrono::Duration::seconds(1)).format("%Y-%m-%d"))
                            }
                            td {
                                @if p.complete { span.badge { (v.t(T::PeriodOver)) } }
                                @else { span.badge.live { (v.t(T::PeriodRunning)) } }
                            }
                            td.num { (p.lists) }
                            td.num { (p.results.issued) }
                            td.num { (p.results.redeemed) br; span.muted { (share(p.results.redemption_rate)) } }
                            td.num { (money(p.results.cost)) }
                            td.num { (money(p.results.targeted_sales)) }
                            (lift_cells(v, &p.lift))
                        }
                    }
                }
            }
        }
        h2 { (v.t(T::Deals)) }
        @if r.deals.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table #deals {
                    tr { th { (v.t(T::Deal)) } th { (v.t(T::FundedBy)) } (result_heads(v)) }
                    @for d in &r.deals {
                        tr { td { (d.deal_id) } td { (funder_label(v, &d.funded_by)) } (result_cells(&d.results)) }
                    }
                }
            }
        }
        h2 { (v.t(T::ManufacturerReport)) }
        p.muted { (v.t(T::ManufacturerNote)) }
        @if m.funding_parties.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table #manufacturers {
                    tr {
                        th { (v.t(T::FundedBy)) } th { (v.t(T::Segment)) }
                        th.num { (v.t(T::ListsReached)) } th.num { (v.t(T::Issued)) }
                        th.num { (v.t(T::Redeemed)) } th.num { (v.t(T::Reserved)) } th.num { (v.t(T::Cost)) }
                    }
                    @for p in &m.funding_parties {
                        @for s in &p.segments {
                            tr {
                                td { (funder_label(v, &p.funded_by)) }
                                td { (segment_label(v, &s.segment)) }
                                td.num { (s.lists_reached) } td.num { (s.offers_issued) }
                                td.num { (s.offers_redeemed) } td.num { (money(s.reserved)) } td.num { (money(s.cost)) }
                            }
                        }
                        tr.total {
                            td { strong { (funder_label(v, &p.funded_by)) } } td { (v.t(T::Total)) } td {}
                            td.num { (p.offers_issued) } td.num { (p.offers_redeemed) }
                            td.num { (money(p.reserved)) } td.num { (money(p.cost)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/campaigns?period=`: every issue, deal and list period, or one period's.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Response {
    if let Err(r) = v.may(Permission::Campaigns) {
        return r;
    }
    let period = q
        .period
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let ask = CampaignsQuery {
        period: period.clone(),
    };
    let report = match campaigns_as(&state, &v.who, &ask).await {
        Ok(r) => r,
        Err(e) => return v.error(e),
    };
    let manufacturers = match state.store.manufacturer_figures().await {
        Ok(m) => m,
        Err(e) => return v.error(e.into()),
    };
    let body = report_body(&v, &report, &manufacturers, period.as_deref().unwrap_or(""));
    layout::page(&v, T::Campaigns, Nav::Campaigns, body).into_response()
}
