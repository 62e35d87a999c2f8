//! The `storepos` binary: parses the command line, loads the configuration, sets up
//! logging and runs the command. Errors are printed as one clear message.

use clap::Parser;
use storepos::cli::{self, Cli};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let (config, source) = match cli::load_config(&cli) {
        Ok(loaded) => loaded,
        Err(e) => {
            // The doctor reports a configuration it cannot load as its failed check.
            if let (cli::Command::Doctor { json }, Some(error)) = (
                &cli.command,
                e.downcast_ref::<storepos::config::ConfigError>(),
            ) {
                let report = storepos::doctor::Report::unloadable(error);
                if *json {
                    println!("{}", report.to_json());
                } else {
                    println!("{report}");
                }
                return std::process::ExitCode::FAILURE;
            }
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.logging.level));
    // Plain lines on standard error (the journal when run by systemd), or JSON lines.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.logging.format {
        storepos::config::LogFormat::Plain => logs.init(),
        storepos::config::LogFormat::Json => logs.json().init(),
    }
    tracing::debug!(?source, data_dir = %config.data_dir.display(), "configuration loaded");
    match cli::run(cli, config, source) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A command that cannot run here at all (no display) is a usage error.
            if e.downcast_ref::<cli::NoDisplay>().is_some() {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}
