//! The review server (`ledgerline serve`): the data-entry teams' web app and its JSON
//! API, over the review journal (`db.rs`, SQLite), which [`sync`] keeps in step with the
//! DuckDB workspace.

pub mod api;
pub mod audit;
pub mod auth;
pub mod client;
pub mod dashboard;
pub mod db;
pub mod loadtest;
pub mod pages;
pub mod pairs;
pub mod qa;
pub mod queue;
pub mod records;
pub mod sync;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use ledgerline_store::Workspace;

pub use api::{router, AppState};
pub use db::ReviewDb;

pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Seconds between syncs with the workspace; 0 syncs only at start and on request.
    pub sync_every: u64,
    pub secure_cookies: bool,
    /// Serve HTTPS with this certificate (PEM, chain after it) and key; cookies are then
    /// marked `Secure` whatever `secure_cookies` says.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// A session ends after this many minutes without a request.
    pub idle_minutes: u32,
    /// A password older than this many days is changed before anything else; 0: never.
    pub password_max_days: u32,
}

/// Serves until Ctrl-C (or SIGTERM); `on_ready` gets the bound address.
pub fn serve(ws: Workspace, opts: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> Result<()> {
    // A wrong certificate or key is said before anything else is done.
    let acceptor = opts
        .tls
        .as_ref()
        .map(|(cert, key)| tls::acceptor(cert, key))
        .transpose()?;
    let db = ReviewDb::open(ws.root())?;
    let first = sync::sync(&ws, &db).context("the first sync with the workspace")?;
    eprintln!(
        "serve: took in {} records to review, {} duplicate candidates, {} pages to key ({:.1}s)",
        first.records_in, first.pairs_in, first.pages_to_key, first.seconds
    );
    // Served without an account that may log in, the app shows only its login page.
    if !auth::list_users(&db)?.iter().any(|u| !u.disabled) {
        eprintln!(
            "serve: warning: no account can log in yet; add one with `ledgerline users add NAME --role admin --workspace {}`",
            ws.root().display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("cannot listen on {}", opts.listen))?;
        on_ready(listener.local_addr()?);
        let state = AppState::new(db.clone(), Some(ws.clone()), opts.secure_cookies || acceptor.is_some())
            .idle_after(i64::from(opts.idle_minutes) * 60)
            .passwords_last(i64::from(opts.password_max_days) * 86_400);
        if opts.sync_every > 0 {
            tokio::spawn(sync_loop(ws, db.clone(), Duration::from_secs(opts.sync_every)));
        }
        db.manual_checkpoints()?;
        tokio::spawn(checkpoint_loop(db));
        match acceptor {
            Some(acceptor) => serve_on(tls::TlsListener::new(listener, acceptor)?, state).await,
            None => serve_on(listener, state).await,
        }
    })
}

async fn serve_on(listener: impl axum::serve::Listener<Addr = SocketAddr>, state: AppState) -> Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")
}

/// Keeps the journal and the workspace in step. A failed sync (the workspace busy with
/// a long CLI unit of work, say) is logged and retried at the next tick.
async fn sync_loop(ws: Workspace, db: ReviewDb, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let (ws, db) = (ws.clone(), db.clone());
        match tokio::task::spawn_blocking(move || sync::sync(&ws, &db)).await {
            Ok(Ok(r)) if r.applied + r.records_in + r.pairs_in > 0 => eprintln!(
                "serve: sync applied {} changes, took in {} records, {} pairs ({:.1}s)",
                r.applied, r.records_in, r.pairs_in, r.seconds
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("serve: sync failed, will retry: {e:#}"),
            Err(e) => eprintln!("serve: sync panicked, will retry: {e}"),
        }
    }
}

/// Checkpoints the journal's WAL every second, so no request pays for it.
pub async fn checkpoint_loop(db: ReviewDb) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let db = db.clone();
        if let Ok(Err(e)) = tokio::task::spawn_blocking(move || db.checkpoint()).await {
            eprintln!("serve: WAL checkpoint failed, will retry: {e:#}");
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
