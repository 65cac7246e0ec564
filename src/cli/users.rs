//! `ledgerline users`: accounts of the review app.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ledgerline_review::{auth, ReviewDb};
use ledgerline_search::Role;

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(clap::Subcommand)]
pub enum UsersCommand {
    /// Create an account, or set a new role and password for an existing one. A password
    /// has at least 8 characters of three kinds of lower case, upper case, digits and
    /// others (a space, a sign), or is a passphrase of at least 16 characters; it does
    /// not hold the user name, nor is it one of the passwords guessed first
    Add {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// Login name
        name: String,
        /// data_entry, reviewer, archivist, dba or admin
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input instead of prompting
        #[arg(long)]
        password_stdin: bool,
        /// The password is temporary: its holder must change it at their first login
        /// before the app lets them do anything else (for a password you set for someone)
        #[arg(long)]
        temporary: bool,
    },
    /// Disable an account: it can no longer log in and its open sessions end at once
    /// (accounts are never deleted: the audit log keeps naming them)
    Disable {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// Login name
        name: String,
    },
    /// Enable a disabled account again
    Enable {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// Login name
        name: String,
    },
    /// List accounts and their roles
    List {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// Print the accounts as JSON: username, role, locked, disabled,
        /// password_change_due, password_set_at (seconds since the epoch)
        #[arg(long)]
        json: bool,
    },
}

fn read_password(from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("password: ")
        .context("reading the password (use --password-stdin without a terminal)")?;
    let again = rpassword::prompt_password("again: ")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

fn set_disabled(ws: &WorkspaceArg, name: &str, disabled: bool) -> Result<()> {
    let ws = ws.open_existing()?;
    let db = ReviewDb::open(ws.root())?;
    auth::set_disabled(&db, &super::cli_actor(), name, disabled)?;
    eprintln!("{} {name}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        UsersCommand::Add {
            ws,
            name,
            role,
            password_stdin,
            temporary,
        } => {
            let role = Role::parse(&role)?;
            // Accounts may be set up before the first batch comes in.
            let ws = ws.open_or_create()?;
            let password = read_password(password_stdin)?;
            let db = ReviewDb::open(ws.root())?;
            let created = auth::add_user(&db, &super::cli_actor(), &name, role, &password, temporary)?;
            eprintln!(
                "{} {name} ({})",
                if created { "created" } else { "updated" },
                role.name()
            );
        }
        UsersCommand::Disable { ws, name } => set_disabled(&ws, &name, true)?,
        UsersCommand::Enable { ws, name } => set_disabled(&ws, &name, false)?,
        UsersCommand::List { ws, json } => {
            let ws = ws.open_existing()?;
            let db = ReviewDb::open(ws.root())?;
            let users = auth::list_users(&db)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    println!(
                        "{:<24} {:<12} password set {}{}{}{}",
                        u.username,
                        u.role,
                        u.password_set_at
                            .and_then(|at| chrono::DateTime::from_timestamp(at, 0))
                            .map_or("(not known)".to_string(), |at| at
                                .with_timezone(&chrono::Local)
                                .format("%Y-%m-%d")
                                .to_string()),
                        if u.locked { " locked" } else { "" },
                        if u.disabled { " disabled" } else { "" },
                        if u.password_change_due {
                            " temporary password"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
