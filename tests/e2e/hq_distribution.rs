//! HQ's layout on a distributed engine (`storepos::hq::distribution`), held on plain
//! PostgreSQL, so CI keeps it without Citus: the catalog of a migrated database against the
//! declared layout (every table declared; every primary key and unique constraint of a
//! distributed table includes its distribution column; foreign keys join colocated tables
//! on that column, or point at reference tables; colocated columns share a type), and the
//! hot statements planned on a stand-in whose distributed tables are hash-partitioned by
//! their distribution column, as Citus shards them: each one-shard statement touches at
//! most one partition of every distributed table, and its `ON CONFLICT` targets match a
//! key the partitioned table can hold.

use std::collections::{BTreeSet, HashMap};

use sqlx::{Connection, Row};
use storepos::hq::distribution::{HOT, LAYOUT, Placement, Route, placement};

use crate::common::hq::Database;

/// Partitions of each distributed table in the stand-in (shards, as Citus would make).
const PARTITIONS: usize = 4;

/// A database migrated by HQ itself, and a connection to it.
fn migrated(rt: &tokio::runtime::Runtime, db: &Database) -> sqlx::PgConnection {
    rt.block_on(async {
        storepos::hq::HqStore::open(&db.url())
            .await
            .unwrap()
            .pool()
            .close()
            .await;
        sqlx::PgConnection::connect(&db.url()).await.unwrap()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The distribution column and the anchor of a distributed table.
fn distributed(table: &str) -> Option<(&'static str, &'static str)> {
    match placement(table) {
        Some(Placement::Distributed { column, with }) => Some((column, with)),
        _ => None,
    }
}

#[test]
fn every_table_is_declared_and_every_key_of_a_distributed_table_holds_its_column() {
    let db = Database::postgres();
    let rt = runtime();
    let mut conn = migrated(&rt, &db);
    rt.block_on(async {
        let tables: BTreeSet<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables
             WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let declared: BTreeSet<String> = LAYOUT.iter().map(|t| t.name.to_string()).collect();
        assert_eq!(
            tables.difference(&declared).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables the layout does not declare"
        );
        assert_eq!(
            declared.difference(&tables).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "tables declared that the schema lacks"
        );

        // Every unique index (primary keys and unique constraints included).
        let keys = sqlx::query(
            "SELECT t.relname::text, i.relname::text,
                    ARRAY(SELECT a.attname::text FROM unnest(x.indkey) AS k(n)
                          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n)
             FROM pg_index x
             JOIN pg_class t ON t.oid = x.indrelid
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = 'public' AND x.indisunique",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut checked = 0;
        let mut wrong = Vec::new();
        for k in &keys {
            let (table, index, columns): (String, String, Vec<String>) =
                (k.get(0), k.get(1), k.get(2));
            if let Some((column, _)) = distributed(&table) {
                checked += 1;
                if !columns.iter().any(|c| c == column) {
                    wrong.push(format!(
                        "{table}: {index} ({}) lacks {column}",
                        columns.join(", ")
                    ));
                }
            }
        }
        assert_eq!(
            wrong,
            Vec::<String>::new(),
            "unique keys without their distribution column"
        );
        assert!(
            checked >= 40,
            "only {checked} keys of distributed tables found"
        );

        // Foreign keys: between distributed tables, within one colocation group and on
        // the distribution column of both; from a reference table, to reference tables only.
        let fks = sqlx::query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
                    ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(n, o)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                          ORDER BY k.o),
                    ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(n, o)
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                          ORDER BY k.o)
             FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
             WHERE n.nspname = 'public' AND c.contype = 'f'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut wrong = Vec::new();
        for f in &fks {
            let (child, parent, from, to): (String, String, Vec<String>, Vec<String>) =
                (f.get(0), f.get(1), f.get(2), f.get(3));
            match (distributed(&child), distributed(&parent)) {
                (Some((c, cw)), Some((p, pw))) => {
                    let paired = from.iter().zip(&to).any(|(a, b)| a == c && b == p);
                    if cw != pw || !paired {
                        wrong.push(format!(
                            "{child} ({}) -> {parent} ({}): not colocated on {c}/{p}",
                            from.join(", "),
                            to.join(", ")
                        ));
                    }
                }
                (None, Some(_)) => {
                    wrong.push(format!("reference {child} refers to distributed {parent}"))
                }
                _ => {}
            }
        }
        assert_eq!(
            wrong,
            Vec::<String>::new(),
            "foreign keys a distributed engine cannot keep"
        );

        // Colocated columns hash alike only if they are of one type.
        let types: HashMap<String, String> = sqlx::query(
            "SELECT c.relname::text || '.' || a.attname::text, format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        for t in LAYOUT {
            if let Placement::Distributed { column, with } = t.placement {
                let (anchor_column, _) = distributed(with).unwrap();
                let of = |table: &str, column: &str| {
                    types
                        .get(&format!("{table}.{column}"))
                        .cloned()
                        .unwrap_or_else(|| panic!("{table} has no column {column}"))
                };
                assert_eq!(
                    of(t.name, column),
                    of(with, anchor_column),
                    "{}.{column} colocated with {with}.{anchor_column}",
                    t.name
                );
            }
        }
    });
}

/// A literal of a statement parameter's type, for planning it.
fn sample(ty: &str) -> String {
    let value = if ty.ends_with("[]") {
        "{}"
    } else {
        match ty {
            "text" | "character varying" => "S001",
            "bigint" | "integer" | "smallint" => "1",
            "uuid" => "01890a5d-ac96-774b-bcce-b302099a8057",
            "jsonb" | "json" => "[\"1\"]",
            "timestamp with time zone" => "2026-01-01T00:00:00Z",
            "date" => "2026-01-01",
            "boolean" => "true",
            other => panic!("no sample for a parameter of type {other}"),
        }
    };
    format!("'{value}'::{ty}")
}

/// The partitions of `table` a plan names (`table_pN` as a whole word).
fn partitions_named(plan: &str, table: &str) -> BTreeSet<usize> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    (0..PARTITIONS)
        .filter(|i| {
            let name = format!("{table}_p{i}");
            plan.match_indices(&name).any(|(at, _)| {
                let before = plan[..at].chars().next_back();
                let after = plan[at + name.len()..].chars().next();
                !before.is_some_and(word) && !after.is_some_and(word)
            })
        })
        .collect()
}

#[test]
fn hot_statements_reach_one_partition_of_a_stand_in_sharded_by_the_declared_keys() {
    let db = Database::postgres();
    let rt = runtime();
    let mut conn = migrated(&rt, &db);
    rt.block_on(async {
        sqlx::raw_sql("CREATE SCHEMA standin")
            .execute(&mut conn)
            .await
            .unwrap();
        for t in LAYOUT {
            let name = t.name;
            let ddl = match t.placement {
                Placement::Reference => {
                    format!("CREATE TABLE standin.{name} (LIKE public.{name} INCLUDING ALL)")
                }
                Placement::Distributed { column, .. } => {
                    let mut ddl = format!(
                        "CREATE TABLE standin.{name} (LIKE public.{name} INCLUDING ALL)
                         PARTITION BY HASH ({column});"
                    );
                    for i in 0..PARTITIONS {
                        ddl.push_str(&format!(
                            "CREATE TABLE standin.{name}_p{i} PARTITION OF standin.{name}
                             FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {i});"
                        ));
                    }
                    ddl
                }
            };
            // PostgreSQL refuses a unique key of a partitioned table that leaves out the
            // partition column, as Citus refuses it of a distributed table.
            if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
                .execute(&mut conn)
                .await
            {
                panic!("{name} cannot be sharded by its declared key: {e}");
            }
        }
        sqlx::raw_sql("SET search_path = standin; SET plan_cache_mode = force_custom_plan")
            .execute(&mut conn)
            .await
            .unwrap();
        let distributed_tables: Vec<&str> = LAYOUT
            .iter()
            .filter(|t| matches!(t.placement, Placement::Distributed { .. }))
            .map(|t| t.name)
            .collect();
        let mut wrong = Vec::new();
        for hot in HOT {
            let prepared =
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PREPARE hot AS {}", hot.sql)))
                    .execute(&mut conn)
                    .await;
            if let Err(e) = prepared {
                wrong.push(format!(
                    "{}: does not prepare on the stand-in: {e}",
                    hot.name
                ));
                continue;
            }
            let types: Vec<String> = sqlx::query_scalar(
                "SELECT ARRAY(SELECT format_type(t, NULL) FROM unnest(parameter_types) AS p(t))
                 FROM pg_prepared_statements WHERE name = 'hot'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            let args: Vec<String> = types.iter().map(|t| sample(t)).collect();
            let plan: Result<Vec<String>, _> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "EXPLAIN (COSTS OFF) EXECUTE hot({})",
                args.join(", ")
            )))
            .fetch_all(&mut conn)
            .await;
            sqlx::raw_sql("DEALLOCATE hot")
                .execute(&mut conn)
                .await
                .unwrap();
            let plan = match plan {
                Ok(lines) => lines.join("\n"),
                Err(e) => {
                    wrong.push(format!("{}: does not plan on the stand-in: {e}", hot.name));
                    continue;
                }
            };
            let locks = hot.sql.contains("FOR UPDATE") || hot.sql.contains("FOR SHARE");
            match hot.route {
                Route::OneShard => {
                    for table in &distributed_tables {
                        let reached = partitions_named(&plan, table);
                        if reached.len() > 1 {
                            wrong.push(format!(
                                "{}: reaches {} partitions of {table}:\n{plan}",
                                hot.name,
                                reached.len()
                            ));
                        }
                    }
                }
                Route::EveryShard if locks => {
                    wrong.push(format!("{}: locks rows on every shard", hot.name))
                }
                Route::EveryShard => {}
            }
        }
        assert_eq!(wrong, Vec::<String>::new());
    });
}

#[test]
fn the_stand_in_sees_a_statement_that_leaves_out_its_key() {
    // The negative space: the check above does catch a lookup by a non-key column.
    let db = Database::postgres();
    let rt = runtime();
    let mut conn = migrated(&rt, &db);
    rt.block_on(async {
        sqlx::raw_sql(
            "CREATE SCHEMA standin;
             CREATE TABLE standin.terminals (LIKE public.terminals INCLUDING ALL)
                 PARTITION BY HASH (store_id);
             CREATE TABLE standin.terminals_p0 PARTITION OF standin.terminals
                 FOR VALUES WITH (MODULUS 4, REMAINDER 0);
             CREATE TABLE standin.terminals_p1 PARTITION OF standin.terminals
                 FOR VALUES WITH (MODULUS 4, REMAINDER 1);
             CREATE TABLE standin.terminals_p2 PARTITION OF standin.terminals
                 FOR VALUES WITH (MODULUS 4, REMAINDER 2);
             CREATE TABLE standin.terminals_p3 PARTITION OF standin.terminals
                 FOR VALUES WITH (MODULUS 4, REMAINDER 3);
             SET search_path = standin",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let by_token = explain(
            &mut conn,
            "SELECT store_id FROM terminals WHERE token_hash = 'h' FOR UPDATE",
        )
        .await;
        assert_eq!(partitions_named(&by_token, "terminals").len(), 4, "{by_token}");
        let by_store = explain(
            &mut conn,
            "SELECT store_id FROM terminals WHERE store_id = 'S001' AND token_hash = 'h' FOR UPDATE",
        )
        .await;
        assert_eq!(partitions_named(&by_store, "terminals").len(), 1, "{by_store}");
        // A unique key without the partition column is refused, as Citus refuses it.
        let refused = sqlx::raw_sql("ALTER TABLE terminals ADD UNIQUE (token_hash)")
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("partition"),
            "{refused}"
        );
    });
}

/// The plan of `sql`, as EXPLAIN prints it without costs.
async fn explain(conn: &mut sqlx::PgConnection, sql: &str) -> String {
    let lines: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN (COSTS OFF) {sql}")))
            .fetch_all(conn)
            .await
            .unwrap();
    lines.join("\n")
}

#[test]
fn distribute_refuses_a_database_without_citus_and_serve_needs_none() {
    for db in [Database::postgres(), Database::sqlite()] {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(
            work.path().join("storepos.toml"),
            format!("[hq]\ndatabase = \"{}\"\n", db.url()),
        )
        .unwrap();
        let out = crate::common::hq::storepos(work.path())
            .args(["hq", "distribute"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains("no citus extension"), "{stderr}");
    }
}

crate::on_each_backend!(rows_held_before_the_keys_changed_keep_their_keys_and_tokens);

/// Rows of every table migration 0021 re-keys, held before it: after it, each is there once
/// under its new key (list offers and coupon conflicts with their member), and a token
/// issued before still opens its terminal.
fn rows_held_before_the_keys_changed_keep_their_keys_and_tokens(db: Database) {
    let url = db.url();
    let rt = runtime();
    rt.block_on(async {
        let before = |mut m: sqlx::migrate::Migrator| {
            m.migrations = m
                .migrations
                .iter()
                .filter(|x| x.version < 21)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            m.set_locking(false);
            m
        };
        match &db {
            Database::Postgres { .. } => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                before(sqlx::migrate!("src/hq/migrations/postgres"))
                    .run(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            Database::Sqlite { dir } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(dir.path().join("hq.db"))
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                before(sqlx::migrate!("src/hq/migrations/sqlite"))
                    .run(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
    });
    // The token `S001.T01.0123abcd`, as `hq register` stored it (its SHA-256).
    db.execute(
        "INSERT INTO terminals (store_id, terminal_id, token_hash) VALUES
             ('S001', 'T01', '1b2f39b81d68b406438c39dfb99633da10b00140658c36fe2c4233620731b7c7');
         INSERT INTO members (id, name) VALUES ('M1', 'Ana'), ('M2', 'Bo');
         INSERT INTO member_cards (card, member_id) VALUES ('C1', 'M1');
         INSERT INTO events (id, store_id, terminal_id, seq, kind, payload, at) VALUES
             ('01890a5d-ac96-774b-bcce-b302099a8057', 'S001', 'T01', 1, 'sale.completed', '{}',
              '2026-01-01T00:00:00+00:00');
         INSERT INTO sales (store_id, terminal_id, receipt_no, kind, member_id, total, tax, at,
                            event_id, local_day, local_hour, net, discount, items) VALUES
             ('S001', 'T01', 1, 'sale', 'M1', 100, 10, '2026-01-01T00:00:00+00:00',
              '01890a5d-ac96-774b-bcce-b302099a8057', '2026-01-01', 8, 90, 0, 1);
         INSERT INTO point_transfers (id, member_id, kind, points, at, source) VALUES
             ('t1', 'M1', 'redeem', -50, '2026-01-01T00:00:00+00:00', 'S001/T01/1');
         INSERT INTO point_overdrafts (transfer_id, member_id, shortfall, at) VALUES
             ('t1', 'M1', 20, '2026-01-01T00:00:00+00:00');
         INSERT INTO coupons (id, member_id, code, issued_at) VALUES
             ('X1', 'M1', 'code', '2026-01-01T00:00:00+00:00');
         INSERT INTO coupon_redemptions (coupon_id, member_id, store_id, terminal_id, receipt_no,
                                         amount, at) VALUES
             ('X1', 'M1', 'S001', 'T01', 1, 500, '2026-01-01T00:00:00+00:00'),
             ('L-off', 'M2', 'S001', 'T01', 2, 150, '2026-01-01T00:00:00+00:00');
         INSERT INTO coupon_conflicts (coupon_id, store_id, terminal_id, receipt_no, amount, at)
             VALUES ('X1', 'S002', 'T09', 7, 500, '2026-01-02T00:00:00+00:00');
         INSERT INTO shopping_lists (id, member_id, period_start, period_end, code, issued_at)
             VALUES ('L1', 'M2', '2026-01-05T00:00:00+00:00', '2026-01-19T00:00:00+00:00',
                     'code', '2026-01-05T00:00:00+00:00');
         INSERT INTO list_offers (coupon_id, list_id, deal_id, funded_by, segment, max_value,
                                  period_start) VALUES
             ('L-off', 'L1', 'D1', 'M7', 'national/high', 150, '2026-01-05T00:00:00+00:00');",
    );
    let store = rt.block_on(storepos::hq::HqStore::open(&url)).unwrap();
    let terminal = rt
        .block_on(store.authenticate("S001.T01.0123abcd"))
        .unwrap()
        .expect("a token issued before opens its terminal");
    assert_eq!(
        (terminal.store_id.as_str(), terminal.terminal_id.as_str()),
        ("S001", "T01")
    );
    assert_eq!(
        rt.block_on(store.authenticate("S002.T01.0123abcd"))
            .unwrap(),
        None
    );
    rt.block_on(store.pool().close());
    for (sql, expected) in [
        ("SELECT COUNT(*) FROM events WHERE store_id = 'S001'", 1),
        ("SELECT COUNT(*) FROM sales WHERE store_id = 'S001'", 1),
        (
            "SELECT COUNT(*) FROM member_cards WHERE card = 'C1' AND member_id = 'M1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM point_transfers WHERE member_id = 'M1' AND id = 't1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM point_overdrafts WHERE member_id = 'M1' AND transfer_id = 't1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM coupons WHERE member_id = 'M1' AND id = 'X1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM coupon_redemptions WHERE member_id = 'M1' AND coupon_id = 'X1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM coupon_conflicts WHERE member_id = 'M1' AND coupon_id = 'X1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM shopping_lists WHERE member_id = 'M2' AND id = 'L1'",
            1,
        ),
        (
            "SELECT COUNT(*) FROM list_offers WHERE member_id = 'M2' AND coupon_id = 'L-off'",
            1,
        ),
    ] {
        assert_eq!(db.scalar(sql, &[]), expected, "{sql}");
    }
}
