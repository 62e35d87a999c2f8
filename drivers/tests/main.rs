//! The drivers' integration tests: one test binary, one module per area, so the crate is
//! linked into a test executable once rather than once per area.

mod common;

mod display_pty;
mod doctor;
mod parsers_prop;
mod printer;
mod scale_pty;
mod serial_input_pty;
