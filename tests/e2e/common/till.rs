//! A till opened in this process on the demo store, with the counter's devices (printer,
//! drawer, display) started from its configuration, answering headless command lines.

use storepos::config::Config;
use storepos::terminal::Terminal;
use storepos::terminal::effects::Counter;
use storepos::terminal::headless::answer_with;

/// Opens the demo store in `dir` with `config` and starts the counter's devices.
pub fn headless_till(dir: &std::path::Path, config: Config) -> (Terminal, Counter) {
    let mut store = storepos::store::Store::open_configured(&config, dir).unwrap();
    storepos::demo::seed(&mut store).unwrap();
    let counter = Counter::start(&config.devices);
    (Terminal::open(store, config).unwrap(), counter)
}

/// Answers one headless command line, with its effects on the counter's devices.
pub fn say(terminal: &mut Terminal, counter: &mut Counter, line: &str) -> serde_json::Value {
    serde_json::from_str(&answer_with(terminal, line, Some(counter))).unwrap()
}
