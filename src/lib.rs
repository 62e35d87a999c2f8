//! StorePOS: a point-of-sale and membership-card terminal for retail stores, and the
//! headquarters (HQ) service a chain runs it with.
//!
//! # Layers, from the ground up
//! Each layer imports only those below it.
//! 1. [`domain`]: the pure core — money, tax, GS1 codes, products, members, operators, the
//!    basket and its pricing, loyalty, coupons, the shopping-list model, and the completed
//!    sale ([`domain::sale`]). No I/O, no clock. Beside it, in their own crates: the device
//!    drivers (`storepos-drivers`) and the outbox and uploader (`storepos-sync`).
//! 2. [`protocol`]: what a till and HQ say to each other — the typed events and HQ's
//!    signed codes; [`config`] (the TOML configuration) and [`settings`] (what HQ sets
//!    for a store's tills); [`journal`] (the electronic journal's hash chain);
//!    [`progress`] (progress lines of long jobs on a terminal).
//! 3. [`store`]: the till's SQLite files, their migrations and repositories: the only
//!    place the till runs SQL.
//! 4. [`receipt`], [`import`], [`lists`]: receipts, CSV loaders and the shopping-list
//!    engine's glue to the store.
//! 5. [`terminal`]: the till's core — commands on the basket, the committer thread, the
//!    effects on the counter's devices and the headless JSON Lines interface; [`hq`]: the
//!    headquarters service (PostgreSQL or SQLite), which reads the same [`protocol`].
//! 6. [`till`]: a running till (store, devices, uploader, refresher); [`ui`]: the Slint
//!    touch UI on top of it; [`demo`], [`demo_hq`], [`bench`]; [`doctor`], the checks of
//!    a whole till.
//! 7. [`cli`]: the command line, a leaf that only `main.rs` imports.
//!
//! # One sale, from scan to HQ
//! A scanner's read (a driver's `DeviceEvent::Data`) reaches the UI's controller, which
//! runs the typed `terminal::headless::Command::Scan` on the [`terminal::Terminal`]; the
//! catalogue resolves the code ([`store::catalogue`]) and the [`domain::basket::Basket`]
//! prices the line. A tender completes the sale: the terminal builds a
//! [`domain::sale::SaleRecord`] (checked: lines add up, tenders pay the total), seals its
//! journal entry ([`journal`]) and hands it to the committer, which writes the sale, its
//! journal entry and its outbox event (a [`protocol::Kind::SaleCompleted`] payload written
//! from the journal's own bytes) in one SQLite transaction ([`store::sales`]). The
//! receipt is printed from the committed record. The uploader (`storepos-sync`) sends
//! the outbox to HQ's `/v1/events`; HQ reads each event back through
//! [`protocol::Event::read`], checks it against what it holds ([`hq`]'s rules) and applies
//! it exactly once, answering with the acknowledged sequence.

pub mod bench;
pub mod cli;
pub mod config;
pub mod database_url;
pub mod demo;
pub mod demo_hq;
pub mod doctor;
pub mod domain;
pub mod hq;
pub mod import;
pub mod journal;
pub mod lists;
pub mod progress;
pub mod protocol;
pub mod receipt;
pub mod settings;
pub mod store;
pub mod terminal;
pub mod till;
pub mod ui;
