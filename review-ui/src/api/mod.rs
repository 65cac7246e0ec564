//! The JSON API the web app is built on (scripts and tests use it too), and the app's
//! static files. Every route's roles are in one table, [`ROUTES`]: the guard middleware
//! looks the matched route up there, so a route missing from it is refused to everyone.

mod handlers;
pub mod refusal;

pub use refusal::Refusal;

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ledgerline_search::access::Role;
use ledgerline_search::SearchIndex;
use ledgerline_store::Workspace;
use serde_json::json;

use crate::auth::{self, Session};
use crate::db::ReviewDb;
use crate::pages::ImageCache;

pub const SESSION_COOKIE: &str = "ll_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub struct AppState {
    pub db: ReviewDb,
    pub ws: Option<Workspace>,
    pub images: ImageCache,
    pub search: Arc<Mutex<Option<Arc<SearchIndex>>>>,
    /// The dashboard, computed at most every few seconds (its figures scan the queue
    /// and the audit log, and every team lead's browser polls it).
    pub dashboard: Arc<Mutex<Option<DashboardSnapshot>>>,
    /// Someone is computing a fresh dashboard: the others get the last one meanwhile.
    pub dashboard_busy: Arc<std::sync::atomic::AtomicBool>,
    /// Mark cookies `Secure` (the server sits behind TLS).
    pub secure_cookies: bool,
    /// How long a session lasts without a request, and a password.
    pub lifetimes: auth::Lifetimes,
}

impl AppState {
    pub fn new(db: ReviewDb, ws: Option<Workspace>, secure_cookies: bool) -> AppState {
        AppState {
            db,
            ws,
            images: ImageCache::default(),
            search: Arc::default(),
            dashboard: Arc::default(),
            dashboard_busy: Arc::default(),
            secure_cookies,
            lifetimes: auth::Lifetimes::default(),
        }
    }

    /// Sessions end after `secs` without a request.
    pub fn idle_after(mut self, secs: i64) -> AppState {
        self.lifetimes.idle_secs = secs;
        self
    }

    /// A password older than `secs` is changed before anything else; 0: passwords do
    /// not age.
    pub fn passwords_last(mut self, secs: i64) -> AppState {
        self.lifetimes.password_max_secs = secs;
        self
    }
}

/// A computed dashboard and when it was computed.
pub type DashboardSnapshot = (std::time::Instant, Arc<crate::dashboard::Dashboard>);

/// Who may call what. `None`: no session needed.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub roles: Option<&'static [Role]>,
}

const ANY: &[Role] = &Role::ALL;
/// People who work the queue.
const WORKERS: &[Role] = &[Role::DataEntry, Role::Reviewer, Role::Admin];
/// People who may read records under review and their page images.
const READERS: &[Role] = &[Role::DataEntry, Role::Reviewer, Role::Archivist, Role::Admin];
const STEWARDS: &[Role] = &[Role::Archivist, Role::Admin];
const ADMINS: &[Role] = &[Role::Admin];

macro_rules! routes {
    ($( $method:ident $path:literal => $roles:expr ),* $(,)?) => {
        pub const ROUTES: &[Route] = &[ $( Route { method: Method::$method, path: $path, roles: $roles } ),* ];
    };
}

/// The calls a session whose account's password is due for a change (a temporary one,
/// or one older than the server allows) may make: who is logged in, the change, logging
/// out.
const OPEN_WHILE_PASSWORD_DUE: [(Method, &str); 3] = [
    (Method::GET, "/api/me"),
    (Method::POST, "/api/me/password"),
    (Method::POST, "/api/logout"),
];

impl Route {
    /// Whether `session` may make this call (its role may, and its password is not due
    /// for a change, unless the call is one made to change it).
    pub fn open_to(&self, session: &Session) -> bool {
        self.roles.is_some_and(|roles| roles.contains(&session.role))
            && (!session.password_change_due
                || OPEN_WHILE_PASSWORD_DUE
                    .iter()
                    .any(|(m, p)| *m == self.method && *p == self.path))
    }
}

routes! {
    POST "/api/login" => None,
    POST "/api/logout" => Some(ANY),
    GET "/api/me" => Some(ANY),
    POST "/api/me/password" => Some(ANY),
    GET "/api/queue/next" => Some(WORKERS),
    POST "/api/queue/{item_id}/skip" => Some(WORKERS),
    GET "/api/records/{record_id}" => Some(READERS),
    PUT "/api/records/{record_id}" => Some(WORKERS),
    GET "/api/records/{record_id}/audit" => Some(READERS),
    POST "/api/validate" => Some(READERS),
    GET "/api/pairs/{a}/{b}" => Some(WORKERS),
    POST "/api/pairs/{a}/{b}" => Some(WORKERS),
    GET "/api/pages/{page_id}" => Some(READERS),
    POST "/api/pages/{page_id}/rows" => Some(WORKERS),
    POST "/api/pages/{page_id}/done" => Some(WORKERS),
    POST "/api/pages/{page_id}/reopen" => Some(WORKERS),
    POST "/api/pages/{page_id}/turn" => Some(WORKERS),
    GET "/api/pages/{page_id}/image" => Some(READERS),
    GET "/api/pages/{page_id}/cells/{cell}/crop" => Some(READERS),
    GET "/api/batches" => Some(ANY),
    GET "/api/search" => Some(ANY),
    GET "/api/users" => Some(ADMINS),
    POST "/api/users" => Some(ADMINS),
    POST "/api/users/{username}/disabled" => Some(ADMINS),
    POST "/api/sync" => Some(STEWARDS),
    GET "/api/audit/verify" => Some(ADMINS),
    GET "/api/audit/accounts" => Some(ADMINS),
    GET "/api/audit/logins" => Some(ADMINS),
}

pub fn router(state: AppState) -> Router {
    use handlers::*;
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/me/password", post(password_change))
        .route("/api/queue/next", get(queue_next))
        .route("/api/queue/{item_id}/skip", post(queue_skip))
        .route("/api/records/{record_id}", get(record_get).put(record_put))
        .route("/api/records/{record_id}/audit", get(record_audit))
        .route("/api/validate", post(validate))
        .route("/api/pairs/{a}/{b}", get(pair_get).post(pair_post))
        .route("/api/pages/{page_id}", get(page_get))
        .route("/api/pages/{page_id}/rows", post(page_key_row))
        .route("/api/pages/{page_id}/done", post(page_done))
        .route("/api/pages/{page_id}/reopen", post(page_reopen))
        .route("/api/pages/{page_id}/turn", post(page_turn))
        .route("/api/pages/{page_id}/image", get(page_image))
        .route("/api/pages/{page_id}/cells/{cell}/crop", get(cell_crop))
        .route("/api/batches", get(batches))
        .route("/api/search", get(search))
        .route("/api/users", get(users_list).post(users_add))
        .route("/api/users/{username}/disabled", post(users_disable))
        .route("/api/sync", post(sync_now))
        .route("/api/audit/verify", get(audit_verify))
        .route("/api/audit/accounts", get(audit_accounts))
        .route("/api/audit/logins", get(audit_logins))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .route("/", get(assets::index))
        .route("/app.js", get(assets::script))
        .route("/app.css", get(assets::style))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.secure_cookies, security_headers))
        .with_state(state)
}

mod assets {
    use super::*;

    pub async fn index() -> Response {
        static_file(include_str!("../../assets/index.html"), "text/html; charset=utf-8")
    }
    pub async fn script() -> Response {
        static_file(include_str!("../../assets/app.js"), "text/javascript; charset=utf-8")
    }
    pub async fn style() -> Response {
        static_file(include_str!("../../assets/app.css"), "text/css; charset=utf-8")
    }
    fn static_file(body: &'static str, kind: &'static str) -> Response {
        (
            [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")],
            body,
        )
            .into_response()
    }
}

async fn not_found() -> Response {
    ApiError::new(Refusal::NotFound, "no such page or API route").into_response()
}

/// No framing (clickjacking), no sniffing, scripts only from this origin; served over
/// HTTPS (the app's own TLS, or a TLS proxy's: `secure`), the browser is told to come
/// back over HTTPS only, so a link or a typed address with `http://` does not send the
/// session cookie's requests in the clear first.
async fn security_headers(State(secure): State<bool>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if secure {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    res
}

/// An API error: a status and a JSON body `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl ApiError {
    pub fn new(refusal: Refusal, message: impl Into<String>) -> ApiError {
        ApiError {
            status: refusal.status(),
            body: json!({ "error": refusal.code(), "message": message.into() }),
        }
    }

    pub fn with(mut self, key: &str, value: serde_json::Value) -> ApiError {
        self.body[key] = value;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        eprintln!("serve: internal error: {e:#}");
        ApiError::new(Refusal::Internal, "the server failed; the error is in its log")
    }
}

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Checks the session, the role and, for anything that changes state, the CSRF token,
/// against the route's entry in [`ROUTES`]; hands the session to the handler.
async fn guard(State(state): State<AppState>, matched: Option<MatchedPath>, mut req: Request, next: Next) -> Response {
    let path = matched.as_ref().map_or("", |m| m.as_str());
    let Some(route) = ROUTES.iter().find(|r| r.method == req.method() && r.path == path) else {
        return ApiError::new(Refusal::Forbidden, "this route is not open to anyone").into_response();
    };
    let Some(roles) = route.roles else {
        return next.run(req).await;
    };
    let Some(token) = session_token(req.headers()) else {
        return ApiError::new(Refusal::Unauthenticated, "log in first").into_response();
    };
    let (db, lifetimes) = (state.db.clone(), state.lifetimes);
    let session = match tokio::task::spawn_blocking(move || auth::session(&db, &token, lifetimes)).await {
        Ok(Ok(Some(s))) => s,
        Ok(Ok(None)) => {
            return ApiError::new(Refusal::Unauthenticated, "the session has ended; log in again").into_response()
        }
        Ok(Err(e)) => return ApiError::from(e).into_response(),
        Err(e) => return ApiError::from(anyhow::anyhow!("session lookup: {e}")).into_response(),
    };
    if !roles.contains(&session.role) {
        return ApiError::new(
            Refusal::Forbidden,
            format!("the {} role may not do this", session.role.name()),
        )
        .into_response();
    }
    if session.password_change_due && !route.open_to(&session) {
        let which = if session.password_expired {
            "your password, older than this server allows,"
        } else {
            "the temporary password an administrator set"
        };
        return ApiError::new(
            Refusal::PasswordChangeDue,
            format!("change {which} first (POST /api/me/password)"),
        )
        .into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !auth::same_secret(sent, &session.csrf_token) {
            return ApiError::new(Refusal::Csrf, "missing or wrong X-CSRF-Token header").into_response();
        }
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// Runs SQLite and image work off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::from(anyhow::anyhow!("a request's work panicked: {e}")))?
}

pub fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie text is ASCII")
}

/// The session the guard put on the request.
pub type Who = axum::Extension<Session>;
