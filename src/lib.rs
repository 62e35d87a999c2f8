//! StorePOS: a point-of-sale and membership-card terminal for retail stores.
//!
//! The library holds everything the `storepos` binary runs:
//! - [`domain`]: the pure core (money, tax, GS1 codes, products, members, operators);
//! - [`store`]: the terminal's SQLite files, migrations and repositories;
//! - [`import`]: CSV and Complete Journey loaders, all-or-nothing;
//! - [`config`]: the TOML configuration with documented defaults;
//! - [`lists`]: `storepos lists`, the shopping-list engine's glue to the store;
//! - [`protocol`]: the events a till sends HQ, typed, read and written by both sides;
//! - [`cli`]: the command line;
//! - [`hq`]: the headquarters service terminals sync with.
//!
//! Device drivers live in the `storepos-drivers` crate and the sync protocol in
//! `storepos-sync`.

pub mod bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_hq;
pub mod domain;
pub mod hq;
pub mod import;
pub mod journal;
pub mod lists;
pub mod protocol;
pub mod receipt;
pub mod settings;
pub mod store;
pub mod terminal;
pub mod till;
pub mod ui;
