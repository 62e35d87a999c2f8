//! Reconciliation (admins and finance): what offline tills did that HQ could not take
//! back, from the same report as `GET /v1/admin/report`: coupons redeemed again after the
//! first redemption won, with their cost; points redemptions that overdrew a balance; the
//! events HQ refused and parked; and the sequence conflicts it answered.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::i18n::T;
use super::layout::{self, Nav};
use super::members::enc;
use super::{Viewer, money, when};
use crate::hq::admin::{Reconciliation, Redemption};
use crate::hq::api::AppState;
use crate::hq::api::staff::reconciliation_as;
use crate::hq::staff::Permission;

fn redemption(r: &Redemption) -> Markup {
    html! { (r.store_id) " · " (r.terminal_id) " #" (r.receipt_no) }
}

fn body(v: &Viewer, r: &Reconciliation) -> Markup {
    let overdrawn: i64 = r.point_overdrafts.iter().map(|o| o.shortfall).sum();
    html! {
        div.cards #summary {
            section.card {
                h2 { (v.t(T::CouponConflicts)) }
                dl.facts {
                    dt { (v.t(T::Count)) } dd #conflict-count { (r.coupon_conflicts.len()) }
                    dt { (v.t(T::Cost)) } dd #conflict-cost { (money(r.coupon_conflict_cost)) }
                }
            }
            section.card {
                h2 { (v.t(T::PointOverdrafts)) }
                dl.facts {
                    dt { (v.t(T::Count)) } dd #overdraft-count { (r.point_overdrafts.len()) }
                    dt { (v.t(T::ShortfallPoints)) } dd { (overdrawn) }
                }
            }
            section.card {
                h2 { (v.t(T::TillProblems)) }
                dl.facts {
                    dt { (v.t(T::RefusedEvents)) } dd { (r.refused_event_count) }
                    dt { (v.t(T::SeqConflicts)) } dd { (r.seq_conflict_count) }
                }
            }
        }
        h2 { (v.t(T::CouponConflicts)) }
        p.muted { (v.t(T::CouponConflictsNote)) }
        @if r.coupon_conflicts.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table #conflicts {
                    tr {
                        th { (v.t(T::Coupon)) } th { (v.t(T::FirstRedemption)) }
                        th { (v.t(T::SecondRedemption)) } th.num { (v.t(T::Cost)) } th { (v.t(T::When)) }
                    }
                    @for c in &r.coupon_conflicts {
                        tr {
                            td { code { (c.coupon_id) } }
                            td { (redemption(&c.first)) }
                            td { (redemption(&c.second)) }
                            td.num { (money(c.cost)) }
                            td { (when(c.at)) }
                        }
                    }
                }
            }
        }
        h2 { (v.t(T::PointOverdrafts)) }
        p.muted { (v.t(T::PointOverdraftsNote)) }
        @if r.point_overdrafts.is_empty() {
            p { (v.t(T::NoneYet)) }
        } @else {
            div.scroll {
                table #overdrafts {
                    tr {
                        th { (v.t(T::Member)) } th { (v.t(T::Transfer)) }
                        th.num { (v.t(T::Shortfall)) } th { (v.t(T::When)) }
                    }
                    @for o in &r.point_overdrafts {
                        tr {
                            td {
                                @if v.who.role.may(Permission::MembersRead) {
                                    a href=(format!("/console/members/{}", enc(&o.member_id))) { (o.member_id) }
                                } @else { (o.member_id) }
                            }
                            td { code { (o.transfer_id) } }
                            td.num { (o.shortfall) }
                            td { (when(o.at)) }
                        }
                    }
                }
            }
        }
        @if !r.refused_events.is_empty() {
            h2 { (v.t(T::RefusedEvents)) }
            div.scroll {
                table #refused {
                    tr {
                        th { (v.t(T::Store)) } th { (v.t(T::Terminal)) } th.num { (v.t(T::Sequence)) }
                        th { (v.t(T::Kind)) } th { (v.t(T::Rule)) } th { (v.t(T::When)) }
                    }
                    @for e in &r.refused_events {
                        tr {
                            td { (e.store_id) } td { (e.terminal_id) } td.num { (e.seq) }
                            td { code { (e.kind) } }
                            td { code { (e.rule) } br; span.muted { (e.message) } }
                            td { (when(e.received_at)) }
                        }
                    }
                }
            }
        }
        @if !r.seq_conflicts.is_empty() {
            h2 { (v.t(T::SeqConflicts)) }
            div.scroll {
                table #seq-conflicts {
                    tr {
                        th { (v.t(T::Store)) } th { (v.t(T::Terminal)) } th.num { (v.t(T::Sequence)) }
                        th { (v.t(T::Note)) } th { (v.t(T::When)) }
                    }
                    @for c in &r.seq_conflicts {
                        tr {
                            td { (c.store_id) } td { (c.terminal_id) } td.num { (c.seq) }
                            td { span.muted { (c.message) } }
                            td { (when(c.at)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/reconciliation`.
pub async fn page(State(state): State<AppState>, v: Viewer) -> Response {
    if let Err(r) = v.may(Permission::Reconciliation) {
        return r;
    }
    match reconciliation_as(&state, &v.who).await {
        Ok(r) => {
            layout::page(&v, T::Reconciliation, Nav::Reconciliation, body(&v, &r)).into_response()
        }
        Err(e) => v.error(e),
    }
}
