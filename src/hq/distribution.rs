//! How HQ's tables lie on a distributed PostgreSQL engine (Citus): each table is a
//! reference table (a copy on every node: the chain's catalogue, staff, chain-wide
//! rollups, the card registry) or is distributed by hash of one column and colocated with
//! an anchor table, so that rows that are read and written together sit on one shard:
//!
//! - a **store's** tables by `store_id`, with `terminals` (its events, sales, lines, day
//!   rollups, complaints, operators, settings, prices);
//! - a **member's** tables by `member_id`, with `members` (distributed by its `id`): the
//!   account, transfers, overdrafts, coupons and their redemptions, lists and their offers,
//!   scores, search terms.
//!
//! The layout is declared here once ([`LAYOUT`]); the schema keeps its rule (every primary
//! key and unique constraint of a distributed table includes its distribution column, a
//! foreign key between distributed tables joins colocated tables on that column) and the
//! hot statements ([`HOT`]) name the key they are routed by; a test reads the catalog of a
//! migrated database against both, on plain PostgreSQL (`tests/e2e/hq_distribution.rs`).
//!
//! On a database with the `citus` extension, [`distribute`] (`storepos hq distribute`)
//! creates the reference and distributed tables, leaving those already laid out as
//! declared; [`check`] (run by `hq serve`) refuses a Citus database whose layout differs.
//! A database without Citus is left as it is: one node needs no distribution.

use super::db::{Pool, query};
use super::error::HqError;

/// Where one table's rows live on a distributed engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A copy on every node (small, chain-wide, or read by every shard's rows).
    Reference,
    /// Hashed by `column`; colocated with the anchor `with` (itself when it is the anchor).
    Distributed {
        column: &'static str,
        with: &'static str,
    },
}

/// A table and its placement.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub placement: Placement,
}

const fn reference(name: &'static str) -> Table {
    Table {
        name,
        placement: Placement::Reference,
    }
}

const fn by_store(name: &'static str) -> Table {
    Table {
        name,
        placement: Placement::Distributed {
            column: "store_id",
            with: "terminals",
        },
    }
}

const fn by_member(name: &'static str) -> Table {
    Table {
        name,
        placement: Placement::Distributed {
            column: "member_id",
            with: "members",
        },
    }
}

/// Every table of HQ's schema, in the order they are laid out (a table another refers to,
/// or colocates with, comes first).
pub const LAYOUT: &[Table] = &[
    // The chain's own: catalogue, lists' feed and runs, chain-wide rollups, staff.
    reference("stores"),
    reference("products"),
    reference("promotions"),
    reference("deals"),
    reference("list_runs"),
    reference("sold_products"),
    reference("chain_weeks"),
    reference("sales_by_product_chain_week"),
    reference("sales_by_product_chain_month"),
    reference("sales_by_product_chain_quarter"),
    reference("sales_by_product_chain_year"),
    reference("sales_by_category_chain_week"),
    reference("sales_by_category_chain_quarter"),
    reference("sales_by_category_chain_year"),
    reference("member_score_runs"),
    reference("segments"),
    reference("campaigns"),
    reference("staff"),
    reference("staff_stores"),
    reference("staff_sessions"),
    reference("login_failures"),
    reference("audit_log"),
    // Cards are unique chain-wide and looked up by card and by member.
    reference("member_cards"),
    // A store's.
    by_store("terminals"),
    by_store("events"),
    by_store("sales"),
    by_store("sale_lines"),
    by_store("seq_conflicts"),
    by_store("complaints"),
    by_store("complaint_cases"),
    by_store("complaint_steps"),
    by_store("operators"),
    by_store("store_settings"),
    by_store("store_prices"),
    by_store("sales_by_category"),
    by_store("sales_by_hour"),
    by_store("sales_by_product"),
    by_store("sales_by_category_month"),
    by_store("sales_by_hour_month"),
    by_store("sales_by_product_month"),
    by_store("sales_by_product_store_year"),
    by_store("customers_by_month"),
    by_store("customers_by_year"),
    // A member's.
    Table {
        name: "members",
        placement: Placement::Distributed {
            column: "id",
            with: "members",
        },
    },
    by_member("point_accounts"),
    by_member("point_transfers"),
    by_member("point_overdrafts"),
    by_member("coupons"),
    by_member("coupon_redemptions"),
    by_member("coupon_conflicts"),
    by_member("shopping_lists"),
    by_member("list_offers"),
    by_member("list_holdouts"),
    by_member("member_months"),
    by_member("member_scores"),
    by_member("campaign_coupons"),
    by_member("member_search_names"),
    by_member("member_search_terms"),
];

/// The declared placement of `table`.
pub fn placement(table: &str) -> Option<Placement> {
    LAYOUT.iter().find(|t| t.name == table).map(|t| t.placement)
}

/// How a hot statement reaches a distributed table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Every distributed table it reads or changes is narrowed to one value of its
    /// distribution column: one shard (it may lock rows there).
    OneShard,
    /// It reads every shard of a table by design (a store's members are spread over the
    /// members' shards); it locks nothing.
    EveryShard,
}

/// A statement HQ runs for every batch, lookup or data set, with how it is routed.
#[derive(Debug, Clone, Copy)]
pub struct Hot {
    pub name: &'static str,
    pub sql: &'static str,
    pub route: Route,
}

/// The statements on HQ's hot paths (PostgreSQL's text of each).
pub const HOT: &[Hot] = &[
    Hot {
        name: "token lookup (authentication)",
        sql: super::store::AUTHENTICATE,
        route: Route::OneShard,
    },
    Hot {
        name: "token lookup, the terminal's row locked (ingest)",
        sql: super::store::LOCK_TERMINAL_BY_TOKEN,
        route: Route::OneShard,
    },
    Hot {
        name: "terminal's row locked by its names",
        sql: super::store::LOCK_TERMINAL,
        route: Route::OneShard,
    },
    Hot {
        name: "events held under the batch's sequences and ids",
        sql: super::rules::sequence::SCREEN,
        route: Route::OneShard,
    },
    Hot {
        name: "the sales a batch's returns name",
        sql: super::rules::known::ORIGINAL_SALES,
        route: Route::OneShard,
    },
    Hot {
        name: "set-based ingest of a run of sales",
        sql: super::ingest_pg::STORE_RUN,
        route: Route::OneShard,
    },
    Hot {
        name: "acknowledgement",
        sql: super::sequence::ADVANCE,
        route: Route::OneShard,
    },
    Hot {
        name: "member lookup by card",
        sql: super::store::MEMBER_BY_CARD,
        route: Route::OneShard,
    },
    Hot {
        name: "member with balance",
        sql: super::store::MEMBER,
        route: Route::OneShard,
    },
    Hot {
        name: "members data set",
        sql: super::store::STORE_MEMBER_IDS,
        route: Route::EveryShard,
    },
    Hot {
        name: "coupons data set",
        sql: super::catalogue::STORE_COUPONS,
        route: Route::EveryShard,
    },
];

/// Whether the database has the `citus` extension (always false on SQLite).
pub async fn has_citus(pool: &Pool) -> Result<bool, HqError> {
    if matches!(pool, Pool::Sqlite(_)) {
        return Ok(false);
    }
    Ok(
        query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
            .fetch_one(pool)
            .await?
            .get(0),
    )
}

/// A table as Citus holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    /// An ordinary (or Citus-local) table on the coordinator.
    Local,
    Reference,
    Distributed {
        column: String,
        colocation: i64,
    },
}

/// Every HQ table as Citus's metadata (`pg_dist_partition`) has it.
async fn held(pool: &Pool) -> Result<std::collections::HashMap<String, Held>, HqError> {
    let rows = query(
        "SELECT c.relname::text, p.partmethod::text, p.repmodel::text,
                CASE WHEN p.partmethod = 'h'
                     THEN column_to_column_name(p.logicalrelid, p.partkey) END,
                CAST(p.colocationid AS BIGINT)
         FROM pg_dist_partition p
         JOIN pg_class c ON c.oid = p.logicalrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    let mut held = std::collections::HashMap::new();
    for r in rows {
        let (method, model): (String, String) = (r.get(1), r.get(2));
        let state = match (method.as_str(), model.as_str()) {
            ("h", _) => Held::Distributed {
                column: r.get::<Option<String>>(3).unwrap_or_default(),
                colocation: r.get(4),
            },
            ("n", "t") => Held::Reference,
            _ => Held::Local,
        };
        held.insert(r.get::<String>(0), state);
    }
    Ok(held)
}

/// What differs between the declared layout and the one Citus holds: one line per table.
fn differences(held: &std::collections::HashMap<String, Held>) -> Vec<String> {
    let mut out = Vec::new();
    let colocation = |table: &str| match held.get(table) {
        Some(Held::Distributed { colocation, .. }) => Some(*colocation),
        _ => None,
    };
    for t in LAYOUT {
        let now = held.get(t.name).cloned().unwrap_or(Held::Local);
        match (t.placement, &now) {
            (Placement::Reference, Held::Reference) => {}
            (Placement::Reference, other) => out.push(format!(
                "{}: a reference table, not {}",
                t.name,
                said(other)
            )),
            (Placement::Distributed { column, with }, Held::Distributed { column: c, .. })
                if c == column =>
            {
                if with != t.name && colocation(t.name) != colocation(with) {
                    out.push(format!(
                        "{}: colocated with {with}, which it is not",
                        t.name
                    ));
                }
            }
            (Placement::Distributed { column, .. }, other) => out.push(format!(
                "{}: distributed by {column}, not {}",
                t.name,
                said(other)
            )),
        }
    }
    out
}

fn said(h: &Held) -> String {
    match h {
        Held::Local => "a local table".into(),
        Held::Reference => "a reference table".into(),
        Held::Distributed { column, .. } => format!("distributed by {column}"),
    }
}

/// On a Citus database, that every table is laid out as [`LAYOUT`] declares (`hq serve`
/// refuses to start otherwise: a statement HQ routes by a key the table is not
/// distributed by would fail, or lock every shard); elsewhere, nothing to check.
pub async fn check(pool: &Pool) -> Result<(), HqError> {
    if !has_citus(pool).await? {
        return Ok(());
    }
    let wrong = differences(&held(pool).await?);
    if wrong.is_empty() {
        return Ok(());
    }
    Err(HqError::Invalid(format!(
        "HQ's database has the citus extension but its tables are not laid out as HQ \
         expects (run `storepos hq distribute`): {}",
        wrong.join("; ")
    )))
}

/// What [`distribute`] did with one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Laid {
    pub table: &'static str,
    /// Whether it was laid out now (else it already was as declared).
    pub now: bool,
    pub placement: Placement,
}

/// Lays HQ's tables out on Citus as [`LAYOUT`] declares: reference tables, then each
/// anchor in a colocation group of its own and the tables colocated with it, with
/// `shard_count` shards (Citus's `citus.shard_count` when not given). Tables already laid
/// out as declared are left as they are, so running it again does nothing; a table laid
/// out otherwise is refused, naming it (Citus's `undistribute_table` makes it local
/// again). Refused, changing nothing, on a database without the citus extension.
pub async fn distribute(pool: &Pool, shard_count: Option<u32>) -> Result<Vec<Laid>, HqError> {
    if !has_citus(pool).await? {
        return Err(HqError::Invalid(
            "HQ's database has no citus extension: `CREATE EXTENSION citus` in it first (a \
             single PostgreSQL server needs no distribution)"
                .into(),
        ));
    }
    let Pool::Postgres(pg) = pool else {
        unreachable!("Citus runs on PostgreSQL")
    };
    let before = held(pool).await?;
    let wrong: Vec<String> = differences(&before)
        .into_iter()
        .filter(|d| {
            let table = d.split(':').next().unwrap_or_default();
            !matches!(before.get(table), None | Some(Held::Local))
        })
        .collect();
    if !wrong.is_empty() {
        return Err(HqError::Invalid(format!(
            "tables laid out otherwise than HQ declares, left as they are: {}",
            wrong.join("; ")
        )));
    }
    let mut conn = pg.acquire().await?;
    if let Some(n) = shard_count {
        sqlx::query(sqlx::AssertSqlSafe(format!("SET citus.shard_count = {n}")))
            .execute(&mut *conn)
            .await?;
    }
    let mut laid = Vec::with_capacity(LAYOUT.len());
    for t in LAYOUT {
        let now = matches!(before.get(t.name), None | Some(Held::Local));
        if now {
            match t.placement {
                Placement::Reference => {
                    sqlx::query("SELECT create_reference_table($1)")
                        .bind(t.name)
                        .execute(&mut *conn)
                        .await?;
                }
                Placement::Distributed { column, with } => {
                    let colocate = if with == t.name { "none" } else { with };
                    sqlx::query("SELECT create_distributed_table($1, $2, colocate_with => $3)")
                        .bind(t.name)
                        .bind(column)
                        .bind(colocate)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        laid.push(Laid {
            table: t.name,
            now,
            placement: t.placement,
        });
    }
    if shard_count.is_some() {
        sqlx::query("RESET citus.shard_count")
            .execute(&mut *conn)
            .await?;
    }
    drop(conn);
    check(pool).await?;
    Ok(laid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_declared_once_and_every_anchor_is_laid_out_before_its_group() {
        let mut seen = std::collections::HashSet::new();
        for (i, t) in LAYOUT.iter().enumerate() {
            assert!(seen.insert(t.name), "{} declared twice", t.name);
            if let Placement::Distributed { with, .. } = t.placement {
                let anchor = LAYOUT.iter().position(|a| a.name == with);
                assert!(
                    anchor.is_some_and(|a| a <= i),
                    "{} colocates with {with}, which must come first",
                    t.name
                );
                assert_eq!(
                    placement(with)
                        .map(|p| matches!(p, Placement::Distributed { with: w, .. } if w == with)),
                    Some(true),
                    "{with} anchors its own group"
                );
            }
        }
    }

    #[test]
    fn a_layout_differs_where_a_table_is_local_otherwise_distributed_or_not_colocated() {
        let mut held: std::collections::HashMap<String, Held> = LAYOUT
            .iter()
            .map(|t| {
                let h = match t.placement {
                    Placement::Reference => Held::Reference,
                    Placement::Distributed { column, with } => Held::Distributed {
                        column: column.into(),
                        colocation: if with == "members" { 2 } else { 1 },
                    },
                };
                (t.name.to_string(), h)
            })
            .collect();
        assert_eq!(differences(&held), Vec::<String>::new());
        held.insert("terminals".into(), Held::Reference);
        held.remove("events");
        held.insert(
            "coupons".into(),
            Held::Distributed {
                column: "id".into(),
                colocation: 2,
            },
        );
        held.insert(
            "point_accounts".into(),
            Held::Distributed {
                column: "member_id".into(),
                colocation: 3,
            },
        );
        held.insert("products".into(), Held::Local);
        assert_eq!(
            differences(&held),
            vec![
                "products: a reference table, not a local table",
                "terminals: distributed by store_id, not a reference table",
                "events: distributed by store_id, not a local table",
                // The store's other tables are no longer colocated with `terminals`.
                "sales: colocated with terminals, which it is not",
                "sale_lines: colocated with terminals, which it is not",
                "seq_conflicts: colocated with terminals, which it is not",
                "complaints: colocated with terminals, which it is not",
                "complaint_cases: colocated with terminals, which it is not",
                "complaint_steps: colocated with terminals, which it is not",
                "operators: colocated with terminals, which it is not",
                "store_settings: colocated with terminals, which it is not",
                "store_prices: colocated with terminals, which it is not",
                "sales_by_category: colocated with terminals, which it is not",
                "sales_by_hour: colocated with terminals, which it is not",
                "sales_by_product: colocated with terminals, which it is not",
                "sales_by_category_month: colocated with terminals, which it is not",
                "sales_by_hour_month: colocated with terminals, which it is not",
                "sales_by_product_month: colocated with terminals, which it is not",
                "sales_by_product_store_year: colocated with terminals, which it is not",
                "customers_by_month: colocated with terminals, which it is not",
                "customers_by_year: colocated with terminals, which it is not",
                "point_accounts: colocated with members, which it is not",
                "coupons: distributed by member_id, not distributed by id",
            ]
        );
    }
}
