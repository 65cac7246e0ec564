//! `ledgerline serve`: the review web app for data-entry teams, beside the batch CLI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_review::{serve, ServeOptions};

use super::WorkspaceArg;

#[derive(clap::Args)]
#[command(
    after_help = "The server keeps its review journal (users, sessions, the queue, edits, the audit log) in \
WS/review.sqlite and syncs with the workspace every --sync-every seconds: records needing review, duplicate \
candidates and pages to key come in; reviewers' decisions go out. Batch commands (run, dedupe, export, index) \
keep working on the same workspace while it runs.\n\nCreate accounts first: ledgerline users add NAME --role ROLE"
)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Address to listen on (loopback by default; for other machines, serve HTTPS with
    /// --tls-cert and --tls-key, or put a TLS proxy in front)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate (PEM; intermediate certificates after it); needs
    /// --tls-key. Session cookies are then marked Secure
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between syncs with the workspace (0: only at start and on request)
    #[arg(long, default_value_t = 5)]
    pub sync_every: u64,
    /// Mark session cookies Secure (set this when users reach the server over HTTPS
    /// through a proxy)
    #[arg(long)]
    pub secure_cookies: bool,
    /// Minutes without a request after which a session ends and its user logs in again
    /// (a browser left open on a record does not stay logged in); sessions end after 12
    /// hours whatever this says
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub idle_minutes: u32,
    /// Days after which a password is changed by its holder before they may do anything
    /// else (as information security assessments, 等级保护, ask); 0: passwords do not age
    #[arg(long, default_value_t = ledgerline_review::auth::PASSWORD_MAX_DAYS, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub password_max_days: u32,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_existing()?;
    let tls = a.tls_cert.zip(a.tls_key);
    if !a.listen.ip().is_loopback() && !a.secure_cookies && tls.is_none() {
        // The app itself speaks plain HTTP: beyond this machine, passwords, session
        // cookies and the records of the dead would cross the network readable.
        eprintln!(
            "serve: warning: {} is reachable from other machines over plain HTTP, so passwords, sessions and records cross the network unencrypted; serve HTTPS with --tls-cert and --tls-key, or put a TLS proxy in front and pass --secure-cookies",
            a.listen
        );
    }
    let opts = ServeOptions {
        listen: a.listen,
        sync_every: a.sync_every,
        secure_cookies: a.secure_cookies,
        tls,
        idle_minutes: a.idle_minutes,
        password_max_days: a.password_max_days,
    };
    let scheme = if opts.tls.is_some() { "https" } else { "http" };
    serve(ws, opts, |addr| {
        eprintln!("serve: listening on {scheme}://{addr}/ (Ctrl-C stops)")
    })?;
    Ok(ExitCode::SUCCESS)
}
