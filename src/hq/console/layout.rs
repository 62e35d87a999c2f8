//! The page shell: the head (style sheet, htmx), the navigation the viewer's role opens,
//! who is logged in, the language switch and the logout button.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Viewer;
use super::i18n::{Lang, T};
use crate::hq::staff::{Permission, Role};

/// Which entry of the navigation is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Dashboard,
    Members,
    Complaints,
    Reports,
    Tills,
    Campaigns,
    Segments,
    Deals,
    Reconciliation,
    Settings,
    Operators,
    Catalogue,
    Prices,
    Promotions,
    Audit,
}

/// The navigation's entries: page, label, path and the permission it needs.
const ENTRIES: [(Nav, T, &str, Permission); 15] = [
    (
        Nav::Dashboard,
        T::Dashboard,
        "/console/dashboard",
        Permission::Reports,
    ),
    (
        Nav::Members,
        T::Members,
        "/console/members",
        Permission::MembersRead,
    ),
    (
        Nav::Complaints,
        T::Complaints,
        "/console/complaints",
        Permission::Complaints,
    ),
    (
        Nav::Reports,
        T::Reports,
        "/console/reports",
        Permission::Reports,
    ),
    (Nav::Tills, T::Tills, "/console/tills", Permission::Tills),
    (
        Nav::Campaigns,
        T::Campaigns,
        "/console/campaigns",
        Permission::Campaigns,
    ),
    (
        Nav::Segments,
        T::Segments,
        "/console/segments",
        Permission::Campaigns,
    ),
    (
        Nav::Deals,
        T::DealsBudgets,
        "/console/deals",
        Permission::Campaigns,
    ),
    (
        Nav::Reconciliation,
        T::Reconciliation,
        "/console/reconciliation",
        Permission::Reconciliation,
    ),
    (
        Nav::Settings,
        T::StoreSettings,
        "/console/settings",
        Permission::Catalogue,
    ),
    (
        Nav::Operators,
        T::Operators,
        "/console/operators",
        Permission::Catalogue,
    ),
    (
        Nav::Catalogue,
        T::Catalogue,
        "/console/catalogue",
        Permission::Catalogue,
    ),
    (
        Nav::Prices,
        T::StorePrices,
        "/console/prices",
        Permission::Prices,
    ),
    (
        Nav::Promotions,
        T::Promotions,
        "/console/promotions",
        Permission::Catalogue,
    ),
    (Nav::Audit, T::Audit, "/console/audit", Permission::Audit),
];

/// The first page a role may open (where logging in leads).
pub fn home(role: Role) -> &'static str {
    ENTRIES
        .iter()
        .find(|e| role.may(e.3))
        .map_or("/console/dashboard", |e| e.2)
}

pub fn role_label(role: Role) -> T {
    match role {
        Role::Admin => T::RoleAdmin,
        Role::Marketing => T::RoleMarketing,
        Role::CustomerService => T::RoleCustomerService,
        Role::Finance => T::RoleFinance,
        Role::StoreManager => T::RoleStoreManager,
    }
}

/// The head every page shares.
fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · " (lang.t(T::Console)) }
            link rel="stylesheet" href=(super::ASSETS[1]);
            script src=(super::ASSETS[0]) defer {}
        }
    }
}

/// A page of the console for `v`, titled `title`, with `body`.
pub fn page(v: &Viewer, title: T, current: Nav, body: Markup) -> Markup {
    let other = match v.lang {
        Lang::En => Lang::Zh,
        Lang::Zh => Lang::En,
    };
    let switch = format!(
        "/console/lang?to={}&back={}",
        other.code(),
        url::form_urlencoded::byte_serialize(v.here.as_bytes()).collect::<String>()
    );
    // htmx sends the session's CSRF token with every request it makes.
    let hx_headers = format!(r#"{{"X-CSRF-Token": "{}"}}"#, v.csrf);
    html! {
        (DOCTYPE)
        html lang=(v.lang.html()) {
            (head(v.lang, v.t(title)))
            body hx-headers=(hx_headers) {
                header.top {
                    span.brand { (v.t(T::Console)) }
                    span.who {
                        (v.who.name) " · " (v.t(role_label(v.who.role)))
                        @if !v.who.stores.is_empty() { " · " (v.who.stores.join(", ")) }
                    }
                    a.lang href=(switch) { (v.t(T::Language)) }
                    form.logout method="post" action="/console/logout" {
                        input type="hidden" name="csrf" value=(v.csrf);
                        button type="submit" { (v.t(T::Logout)) }
                    }
                }
                div.shell {
                    nav.side {
                        @for (nav, label, path, needs) in ENTRIES {
                            @if v.who.role.may(needs) {
                                a href=(path) class=@if nav == current { "current" } { (v.t(label)) }
                            }
                        }
                    }
                    main {
                        h1 { (v.t(title)) }
                        (body)
                    }
                }
            }
        }
    }
}

/// A page without a session (the login page).
pub fn bare(lang: Lang, title: T, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.html()) {
            (head(lang, lang.t(title)))
            body.bare {
                main.login {
                    h1 { (lang.t(T::Console)) }
                    (body)
                }
            }
        }
    }
}

/// A hidden CSRF field for a form of `v`'s session.
pub fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// Raw SVG or HTML made by the console itself.
pub fn raw(s: String) -> PreEscaped<String> {
    PreEscaped(s)
}
