//! `storepos hq staff …`: the console's staff accounts. Passwords are read from standard
//! input (one line), or asked for twice without echo on a terminal; never taken on the
//! command line, where other users and the shell's history would see them.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::hq::HqStore;
use crate::hq::staff::Role;

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff account (the password is read from standard input or asked for).
    Add {
        login: String,
        /// admin, marketing, customer_service, finance or store_manager.
        #[arg(long)]
        role: String,
        /// A store a store manager manages (repeat for several).
        #[arg(long = "store", value_name = "STORE")]
        stores: Vec<String>,
        /// The name the console shows (default: the login).
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a staff member's password (ends their sessions).
    Passwd { login: String },
    /// Disable a staff account (ends its sessions; its audit trail stays).
    Disable { login: String },
    /// List the staff accounts.
    List,
}

/// A password from standard input: asked for twice without echo on a terminal, else the
/// first line.
fn read_password(login: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("no password on standard input (one line)");
        }
        return Ok(password);
    }
    let first = prompt_hidden(&format!("Password for {login}: "))?;
    let second = prompt_hidden("Again: ")?;
    if first != second {
        bail!("the two passwords differ; nothing changed");
    }
    Ok(first)
}

/// One line from the terminal with its echo off.
fn prompt_hidden(prompt: &str) -> Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let mut stderr = std::io::stderr();
    write!(stderr, "{prompt}")?;
    stderr.flush()?;
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).context("cannot read the terminal's settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet).context("cannot turn the echo off")?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, OptionalActions::Now, &saved);
    writeln!(stderr)?;
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub(super) async fn run(store: &HqStore, what: StaffCommand) -> Result<()> {
    match what {
        StaffCommand::Add {
            login,
            role,
            stores,
            name,
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            crate::hq::staff::check_login(&login).map_err(anyhow::Error::msg)?;
            let password = read_password(&login)?;
            let account = store
                .staff_add(&login, name.as_deref(), role, &stores, &password)
                .await?;
            println!(
                "staff {} ({}) added{}",
                account.login,
                account.role.as_str(),
                if account.stores.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", account.stores.join(", "))
                }
            );
        }
        StaffCommand::Passwd { login } => {
            if store.staff_account(&login).await?.is_none() {
                bail!("no staff login '{login}'");
            }
            let password = read_password(&login)?;
            store.staff_passwd(&login, &password).await?;
            println!("password of {login} changed; their sessions are ended");
        }
        StaffCommand::Disable { login } => {
            store.staff_disable(&login).await?;
            println!("{login} disabled; their sessions are ended");
        }
        StaffCommand::List => {
            let mut table = comfy_table::Table::new();
            table
                .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_header(["login", "name", "role", "stores", "disabled", "created"]);
            for a in store.staff_list().await? {
                table.add_row(vec![
                    a.login,
                    a.name,
                    a.role.as_str().to_string(),
                    a.stores.join(","),
                    if a.disabled { "yes" } else { "" }.to_string(),
                    a.created_at.format("%Y-%m-%d %H:%M").to_string(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(())
}
