//! StorePOS end to end: the real binary, the real HQ (embedded SQLite and PostgreSQL), the
//! touch UI through Slint's testing backend. One test binary, one module per area, so the
//! workspace links StorePOS into a test executable once rather than once per area.

mod common;

mod age_check;
mod backup;
mod cli;
mod counter;
mod crash;
mod crash_headless;
mod demo_hq;
mod display;
mod doctor;
mod headless;
mod headless_hostile;
mod hq;
mod hq_backends;
mod hq_complaints;
mod hq_complaints_till;
mod hq_console;
mod hq_console_campaigns;
mod hq_console_catalogue;
mod hq_console_firefox;
mod hq_console_pages;
mod hq_console_tills_cards;
mod hq_database_errors;
mod hq_distribution;
mod hq_hostile;
mod hq_limits;
mod hq_list_print;
mod hq_lists;
mod hq_member_view;
mod hq_openapi;
mod hq_refresh;
mod hq_reports;
mod hq_serializable;
mod hq_startup;
mod hq_tls;
mod hq_trust;
mod hq_value;
mod journal_anchor;
mod lists;
mod loyalty;
mod pipeline;
mod promotions;
mod scale;
mod sync_faults;
mod till_window;
mod ui_screenshots;
mod ui_till;
