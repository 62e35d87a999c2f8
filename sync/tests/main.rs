//! The sync crate's integration tests: one test binary, one module per area, against the
//! stand-in for HQ in `support`.

mod support;

mod background;
mod objections;
mod uploader;
