//! `ledgerline audit`: read the review audit log, and recompute its hash chain.

use std::process::ExitCode;

use anyhow::Result;
use ledgerline_review::{audit, ReviewDb};

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check that no audit entry was altered or removed (exit status 1 if one was)
    ///
    /// Prints the head of the log as SEQ:HASH. Keep it somewhere else (the DBA's
    /// records, a signed report): entries cut off the end leave a chain that still
    /// follows, and only `--anchor` with a head noted earlier reveals them gone.
    Verify {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// A head printed by an earlier verify (SEQ:HASH): the log must still hold that
        /// entry with that hash
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Option<audit::Anchor>,
        /// Print the check as JSON: entries, the head, the first altered entry if any
        #[arg(long)]
        json: bool,
    },
    /// List audit entries, newest first: who changed what, when, from what to what
    ///
    /// Values of records, the role changes of accounts (`user_add`, `user_update`,
    /// `user_disable`, `user_enable`, about `user:NAME`; passwords are never logged) and
    /// the turns by hand of pages to key and their keying finished or reopened (`turn`,
    /// `key_done`, `key_reopen`, about `page:ID`), and the logins to the review app and
    /// the wrong passwords given for an account, the logouts and the sessions the server
    /// ended (`login`, `login_failed`, `login_locked`, `logout`, `session_timeout`, about
    /// `login:NAME`).
    Log {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// Only entries about this record id, this account (`user:NAME`), its logins
        /// (`login:NAME`) or this page (`page:ID`); ending in `*`, those whose subject
        /// begins so (`user:*`: every account; `login:*`: every login)
        #[arg(long)]
        subject: Option<String>,
        /// Only changes made by this user
        #[arg(long)]
        user: Option<String>,
        /// At most this many entries
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the entries as JSON, the newest first
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        AuditCommand::Verify { ws, anchor, json } => verify(ws, anchor, json),
        AuditCommand::Log {
            ws,
            subject,
            user,
            limit,
            json,
        } => {
            // `user:*`: every subject beginning `user:`.
            let (subject, subject_prefix) = match subject {
                Some(s) if s.ends_with('*') => (None, Some(s.trim_end_matches('*').to_string())),
                other => (other, None),
            };
            let filter = audit::LogFilter {
                subject,
                subject_prefix,
                username: user,
                limit: Some(limit),
            };
            print_log(ws, &filter, json)
        }
    }
}

fn print_log(ws: WorkspaceArg, filter: &audit::LogFilter, json: bool) -> Result<ExitCode> {
    let ws = ws.open_existing()?;
    let entries = match ReviewDb::open_existing(ws.root())? {
        Some(db) => audit::log(&db, filter)?,
        None => Vec::new(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    for e in &entries {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let change = match (&e.field, &e.before, &e.after) {
            (None, _, _) => String::new(),
            (Some(f), before, after) => format!(
                " {f}: {} → {}",
                before.as_deref().unwrap_or("—"),
                after.as_deref().unwrap_or("—")
            ),
        };
        println!(
            "{:>6}  {at}  {:<16} {:<12} {}{change}",
            e.seq, e.username, e.action, e.record_id
        );
    }
    if entries.is_empty() {
        println!(
            "no audit entries{}",
            if filter.subject.is_some() || filter.username.is_some() {
                " match"
            } else {
                " yet"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(ws: WorkspaceArg, anchor: Option<audit::Anchor>, json: bool) -> Result<ExitCode> {
    let ws = ws.open_existing()?;
    let Some(db) = ReviewDb::open_existing(ws.root())? else {
        eprintln!("{}: no review journal yet: nothing to verify", ws.root().display());
        return Ok(ExitCode::SUCCESS);
    };
    let report = audit::verify(&db, anchor.as_ref())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if let Some(seq) = report.broken_at {
        println!(
            "audit log BROKEN at entry {seq}: {} ({} entries checked)",
            report.reason.as_deref().unwrap_or(""),
            report.entries
        );
    } else {
        let checked = match &anchor {
            Some(a) => format!(", anchored entry {} present", a.seq),
            None => String::new(),
        };
        println!(
            "audit log intact: {} entries, every hash follows{checked}",
            report.entries
        );
        if let Some(head) = &report.head {
            println!("head: {head}  (note it to check with --anchor later)");
        }
    }
    Ok(if report.broken_at.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
