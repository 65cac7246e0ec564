//! The API's handlers: thin over the review modules, translating their outcomes into
//! status codes the UI and scripts act on (401, 403, 404, 409 stale/leased, 422 invalid).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use ledgerline_schemas::validate::validate_fields;
use ledgerline_schemas::{Field, RecordFields};
use ledgerline_search::access::Role;
use ledgerline_search::{SearchIndex, SearchRequest};
use serde::Deserialize;
use serde_json::json;

use super::{blocking, session_cookie, session_token, ApiError, AppState, Refusal, Who};
use crate::auth::{self, LoginError, PasswordRefused, SESSION_SECS};
use crate::pages::{self, KeyError, KeyedRow, ReopenError, TurnError};
use crate::pairs::{self, Resolve};
use crate::queue::{self, Kind};
use crate::records::{self, Edit, Editor, SaveError};
use crate::{audit, dashboard, sync};

type ApiResult = Result<Response, ApiError>;

fn ok(v: impl serde::Serialize) -> ApiResult {
    Ok(Json(v).into_response())
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(Refusal::NotFound, format!("no {what}"))
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(State(s): State<AppState>, Json(b): Json<LoginBody>) -> ApiResult {
    let (db, lifetimes) = (s.db.clone(), s.lifetimes);
    let outcome = blocking(move || Ok(auth::login(&db, &b.username, &b.password, lifetimes)?)).await?;
    match outcome {
        Ok((token, session)) => {
            let mut res = Json(session_view(&session)).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&token, SESSION_SECS, s.secure_cookies),
            );
            Ok(res)
        }
        Err(e @ LoginError::BadCredentials) => Err(ApiError::new(Refusal::BadCredentials, e.to_string())),
        Err(e @ LoginError::Locked(secs)) => {
            Err(ApiError::new(Refusal::Locked, e.to_string()).with("retry_after", json!(secs)))
        }
    }
}

pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> ApiResult {
    if let Some(token) = session_token(&headers) {
        let db = s.db.clone();
        blocking(move || Ok(auth::logout(&db, &token)?)).await?;
    }
    let mut res = Json(json!({"ok": true})).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, s.secure_cookies));
    Ok(res)
}

pub async fn me(Extension(who): Who) -> ApiResult {
    ok(session_view(&who))
}

/// Who is logged in, as login and `/api/me` tell the app: with `may`, the calls their
/// role may make (`"PUT /api/records/{record_id}"`, as `ROUTES` writes them), by which
/// the app offers only what the server would allow, from the one table.
fn session_view(session: &auth::Session) -> serde_json::Value {
    let may: Vec<String> = super::ROUTES
        .iter()
        .filter(|r| r.open_to(session))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    json!({
        "username": session.username,
        "role": session.role,
        "csrf_token": session.csrf_token,
        "sees_protected": session.role.sees_protected(),
        "password_change_due": session.password_change_due,
        "password_expired": session.password_expired,
        "may": may,
    })
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// The logged-in person changes their password: the session asking stays (who is logged
/// in is answered again, as at login, with what the role may now do), the account's
/// others end.
pub async fn password_change(
    State(s): State<AppState>,
    Extension(who): Who,
    headers: HeaderMap,
    Json(b): Json<PasswordChange>,
) -> ApiResult {
    let token = session_token(&headers).unwrap_or_default();
    blocking(
        move || match auth::change_password(&s.db, &who.username, &token, &b.current_password, &b.new_password)? {
            Ok(()) => ok(session_view(&auth::Session {
                password_change_due: false,
                password_expired: false,
                ..who
            })),
            Err(e @ PasswordRefused::WrongPassword) => Err(ApiError::new(Refusal::WrongPassword, e.to_string())),
            Err(e @ PasswordRefused::Locked(secs)) => {
                Err(ApiError::new(Refusal::Locked, e.to_string()).with("retry_after", json!(secs)))
            }
            Err(PasswordRefused::Unusable(e)) => Err(unusable(&e)),
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct BatchParam {
    batch: Option<String>,
}

pub async fn queue_next(State(s): State<AppState>, Extension(who): Who, Query(q): Query<BatchParam>) -> ApiResult {
    blocking(move || {
        let Some(item) = queue::next(&s.db, &who.username, who.role, q.batch.as_deref())? else {
            return ok(json!({ "item": null }));
        };
        // The item and what it shows, in one answer: "next" is one round trip.
        let detail = match item.kind {
            Kind::Record | Kind::Qa => json!({ "record": records::view(&s.db, &item.key, true)? }),
            Kind::Pair => {
                let (a, b) = item.key.split_once('|').unwrap_or((&item.key, ""));
                json!({ "pair": pairs::view(&s.db, a, b, true)? })
            }
            Kind::Page => json!({ "page": pages::view(&s.db, &item.key)? }),
        };
        let mut out = json!({ "item": item });
        out.as_object_mut()
            .expect("an object")
            .extend(detail.as_object().cloned().unwrap_or_default());
        ok(out)
    })
    .await
}

pub async fn queue_skip(State(s): State<AppState>, Extension(who): Who, Path(item_id): Path<String>) -> ApiResult {
    blocking(move || {
        if queue::skip(&s.db, &item_id, &who.username)? {
            ok(json!({ "ok": true }))
        } else {
            Err(ApiError::new(Refusal::NotLeased, "you do not hold this item"))
        }
    })
    .await
}

/// Whether this person may see a record's protected values: by role, or because the
/// record is the item they are working on right now.
fn unmasked(s: &AppState, who: &auth::Session, record_id: &str) -> anyhow::Result<bool> {
    Ok(who.role.sees_protected() || queue::holds(&s.db, &queue::record_item(record_id), &who.username)?)
}

pub async fn record_get(State(s): State<AppState>, Extension(who): Who, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        let show = unmasked(&s, &who, &id)?;
        if let Some(v) = records::view(&s.db, &id, show)? {
            return ok(v);
        }
        // Not under review (a verified record opened from search): bring it in from the
        // workspace, so it can be seen beside its page and corrected like any other.
        if let Some(ws) = &s.ws {
            if !sync::fetch_records(ws, &s.db, std::slice::from_ref(&id))?.is_empty() {
                if let Some(v) = records::view(&s.db, &id, show)? {
                    return ok(v);
                }
            }
        }
        Err(not_found("record with this id"))
    })
    .await
}

pub async fn record_put(
    State(s): State<AppState>,
    Extension(who): Who,
    Path(id): Path<String>,
    Json(edit): Json<Edit>,
) -> ApiResult {
    blocking(move || {
        let show = unmasked(&s, &who, &id)?;
        let editor = Editor {
            username: &who.username,
            role: who.role,
            unmasked: show,
        };
        match records::save(&s.db, &id, &edit, &editor)? {
            Ok(saved) => ok(saved),
            Err(e) => Err(save_error(&s, &id, show, e)),
        }
    })
    .await
}

fn save_error(s: &AppState, id: &str, show: bool, e: SaveError) -> ApiError {
    match e {
        SaveError::NotFound => not_found("record under review with this id"),
        SaveError::Stale { current, by } => {
            let now = records::view(&s.db, id, show).ok().flatten();
            ApiError::new(
                Refusal::Stale,
                format!(
                    "{} saved this record first (version {current}); your changes were not saved",
                    by.as_deref().unwrap_or("someone")
                ),
            )
            .with("current_version", json!(current))
            .with("saved_by", json!(by))
            .with("current", json!(now))
        }
        SaveError::Leased { by } => {
            ApiError::new(Refusal::Leased, format!("{by} is working on this item")).with("leased_by", json!(by))
        }
        SaveError::Invalid { problems, findings } => {
            ApiError::new(Refusal::Invalid, "fix the values marked before accepting")
                .with("problems", json!(problems))
                .with("findings", json!(findings))
        }
    }
}

pub async fn record_audit(State(s): State<AppState>, Extension(who): Who, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        let show = unmasked(&s, &who, &id)?;
        let mut entries = audit::history(&s.db, &id)?;
        if !show {
            for e in entries.iter_mut().filter(|e| {
                e.field
                    .as_deref()
                    .is_some_and(|f| f == Field::IdNumber.name() || f == Field::FamilyPhone.name())
            }) {
                let m = |v: &Option<String>| v.as_deref().map(ledgerline_search::access::mask_phone);
                e.before = m(&e.before);
                e.after = m(&e.after);
            }
        }
        ok(json!({ "record_id": id, "entries": entries }))
    })
    .await
}

#[derive(Deserialize)]
pub struct ValidateBody {
    fields: BTreeMap<String, Option<String>>,
}

/// Live validation while typing: the same rules as saving, and each typed value as it
/// would be stored (`standard`: 女 → `2`) with what a code means.
pub async fn validate(Json(b): Json<ValidateBody>) -> ApiResult {
    let mut fields = RecordFields::default();
    let mut problems = Vec::new();
    let mut standard = serde_json::Map::new();
    for (name, value) in &b.fields {
        let value = value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.contains('*'));
        match Field::from_name(name) {
            Some(f) => {
                if let Err(e) = fields.set_written(f, value) {
                    problems.push(json!({ "field": name, "message": e }));
                } else if let Some(v) = fields.get(f) {
                    let means = ledgerline_schemas::written::meaning(f, &v);
                    standard.insert(name.clone(), json!({ "value": v, "meaning": means }));
                }
            }
            None => problems.push(json!({ "field": name, "message": "no such field" })),
        }
    }
    ok(json!({ "findings": validate_fields(&fields), "problems": problems, "standard": standard }))
}

pub async fn pair_get(
    State(s): State<AppState>,
    Extension(who): Who,
    Path((a, b)): Path<(String, String)>,
) -> ApiResult {
    blocking(move || match pairs::view(&s.db, &a, &b, who.role.sees_protected())? {
        Some(v) => ok(v),
        None => Err(not_found("duplicate candidate with these records")),
    })
    .await
}

pub async fn pair_post(
    State(s): State<AppState>,
    Extension(who): Who,
    Path((a, b)): Path<(String, String)>,
    Json(r): Json<Resolve>,
) -> ApiResult {
    blocking(move || {
        let show = who.role.sees_protected() || queue::holds(&s.db, &queue::pair_item(&a, &b), &who.username)?;
        let editor = Editor {
            username: &who.username,
            role: who.role,
            unmasked: show,
        };
        match pairs::resolve(&s.db, &a, &b, &r, &editor)? {
            Ok(done) => ok(done),
            Err(e) => Err(save_error(&s, &a, show, e)),
        }
    })
    .await
}

pub async fn page_get(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    blocking(move || match pages::view(&s.db, &id)? {
        Some(v) => ok(v),
        None => Err(not_found("page with this id")),
    })
    .await
}

pub async fn page_key_row(
    State(s): State<AppState>,
    Extension(who): Who,
    Path(id): Path<String>,
    Json(row): Json<KeyedRow>,
) -> ApiResult {
    blocking(move || {
        let editor = Editor {
            username: &who.username,
            role: who.role,
            unmasked: true,
        };
        match pages::key_row(&s.db, &id, &row, &editor)? {
            Ok(record) => ok(json!({ "record_id": record.record_id, "status": record.review.status })),
            Err(KeyError::NotFound) => Err(not_found("page with this id")),
            Err(KeyError::Leased { by }) => Err(save_error(&s, &id, false, SaveError::Leased { by })),
            Err(KeyError::Invalid { problems, findings }) => {
                Err(save_error(&s, &id, false, SaveError::Invalid { problems, findings }))
            }
            Err(KeyError::Exists { record_id }) => Err(ApiError::new(
                Refusal::Exists,
                format!("row {} already has record {record_id}; correct it there", row.row),
            )
            .with("record_id", json!(record_id))),
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct PageTurn {
    quarter_turns: u8,
}

pub async fn page_turn(
    State(s): State<AppState>,
    Extension(who): Who,
    Path(id): Path<String>,
    Json(turn): Json<PageTurn>,
) -> ApiResult {
    if turn.quarter_turns > 3 {
        return Err(ApiError::new(
            Refusal::Invalid,
            "quarter_turns: 0 to 3 quarters clockwise",
        ));
    }
    blocking(
        move || match pages::turn(&s.db, &id, turn.quarter_turns, &who.username)? {
            Ok(()) => ok(json!({ "quarter_turns": turn.quarter_turns })),
            Err(TurnError::NotFound) => Err(not_found("page with this id")),
            Err(TurnError::Read) => Err(ApiError::new(
                Refusal::PageRead,
                "this page was read by OCR, turned as its table was found; only a page to key is turned by hand",
            )),
            Err(TurnError::Leased { by }) => Err(ApiError::new(Refusal::Leased, format!("{by} is keying this page"))),
        },
    )
    .await
}

pub async fn page_done(State(s): State<AppState>, Extension(who): Who, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        if pages::finish_keying(&s.db, &id, &who.username)? {
            ok(json!({ "ok": true }))
        } else {
            Err(ApiError::new(Refusal::Leased, "someone else is keying this page"))
        }
    })
    .await
}

pub async fn page_reopen(State(s): State<AppState>, Extension(who): Who, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        let reviews_others = queue::reviews_others(who.role);
        match pages::reopen_keying(&s.db, &id, &who.username, reviews_others)? {
            Ok(()) => ok(json!({ "ok": true })),
            Err(ReopenError::NotFound) => Err(not_found("page with this id")),
            Err(ReopenError::NotKeyed) => Err(ApiError::new(Refusal::NotKeyed, "this page's keying is not finished")),
            Err(ReopenError::NotTheirs { by }) => Err(ApiError::new(
                Refusal::Forbidden,
                match by {
                    Some(by) => format!("{by} finished keying this page: only they or a reviewer may reopen it"),
                    None => "this page's keying was finished elsewhere: only a reviewer may reopen it".to_string(),
                },
            )),
        }
    })
    .await
}

fn image_response(bytes: Vec<u8>, kind: &'static str) -> Response {
    let mut res = Response::new(Body::from(bytes));
    res.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(kind));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=3600"),
    );
    res
}

/// A page image shows ID numbers and phones: roles that may not see them get a page only
/// while they hold an item on it (the work in front of them), like the record view.
fn check_page_access(s: &AppState, who: &auth::Session, page_id: &str) -> Result<(), ApiError> {
    if who.role.sees_protected() || queue::holds_on_page(&s.db, page_id, &who.username)? {
        return Ok(());
    }
    Err(ApiError::new(
        Refusal::Protected,
        "this page shows ID numbers: open it from an item you are working on",
    ))
}

pub async fn page_image(State(s): State<AppState>, Extension(who): Who, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        check_page_access(&s, &who, &id)?;
        let page = pages::info(&s.db, &id)?.ok_or_else(|| not_found("page with this id"))?;
        let (bytes, kind) = pages::page_image(&s.images, &page)?;
        Ok(image_response(bytes, kind))
    })
    .await
}

pub async fn cell_crop(
    State(s): State<AppState>,
    Extension(who): Who,
    Path((id, cell)): Path<(String, String)>,
) -> ApiResult {
    let bad = || ApiError::new(Refusal::BadCell, "a cell is ROW-COL, e.g. 3-5");
    let (row, col) = cell.split_once('-').ok_or_else(bad)?;
    let (row, col): (u32, u32) = (row.parse().map_err(|_| bad())?, col.parse().map_err(|_| bad())?);
    blocking(move || {
        let page = pages::info(&s.db, &id)?.ok_or_else(|| not_found("page with this id"))?;
        if pages::cell_is_protected(&s.db, &id, row, col)? {
            check_page_access(&s, &who, &id)?;
        }
        match pages::cell_crop(&s.images, &s.db, &page, row, col)? {
            Some(png) => Ok(image_response(png, "image/png")),
            None => Err(not_found("cell with this row and column on the page")),
        }
    })
    .await
}

/// How stale the dashboard may be.
const DASHBOARD_TTL: std::time::Duration = std::time::Duration::from_secs(3);

pub async fn batches(State(s): State<AppState>) -> ApiResult {
    use std::sync::atomic::Ordering;
    blocking(move || {
        let last = s.dashboard.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((at, d)) = &last {
            // Fresh enough, or being recomputed by someone else: measured under 50
            // reviewers, waiting for the recomputation put the p99 at 730 ms.
            if at.elapsed() < DASHBOARD_TTL || s.dashboard_busy.swap(true, Ordering::AcqRel) {
                return ok(d.as_ref());
            }
        }
        let computed = dashboard::dashboard(&s.db);
        s.dashboard_busy.store(false, Ordering::Release);
        let d = Arc::new(computed?);
        *s.dashboard.lock().unwrap_or_else(|p| p.into_inner()) = Some((std::time::Instant::now(), d.clone()));
        ok(d.as_ref())
    })
    .await
}

#[derive(Deserialize)]
pub struct SearchParams {
    q: String,
    #[serde(rename = "type")]
    record_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
    agency: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
}

fn open_index(s: &AppState) -> Result<Arc<SearchIndex>, ApiError> {
    let ws =
        s.ws.as_ref()
            .ok_or_else(|| ApiError::new(Refusal::NoIndex, "no workspace"))?;
    let mut slot = s.search.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(ix) = slot.as_ref() {
        ix.reload()?;
        return Ok(ix.clone());
    }
    let dir = ledgerline_search::index_dir(ws.root());
    if !dir.join("meta.json").is_file() {
        return Err(ApiError::new(
            Refusal::NoIndex,
            "no search index yet: run `ledgerline index`",
        ));
    }
    // An index of an earlier ledgerline is as good as none until `ledgerline index`.
    let ix = SearchIndex::open(&dir).map_err(|e| ApiError::new(Refusal::NoIndex, format!("{e:#}")))?;
    let ix = Arc::new(ix);
    *slot = Some(ix.clone());
    Ok(ix)
}

pub async fn search(State(s): State<AppState>, Extension(who): Who, Query(p): Query<SearchParams>) -> ApiResult {
    blocking(move || {
        let index = open_index(&s)?;
        let empty = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
        let request = SearchRequest {
            record_type: empty(p.record_type),
            from: empty(p.from),
            to: empty(p.to),
            agency: empty(p.agency),
            status: empty(p.status),
            limit: p.limit.unwrap_or(20).min(200),
            role: who.role,
            ..SearchRequest::new(p.q)
        };
        match index.search(&request) {
            Ok(r) => ok(r),
            Err(e) => Err(ApiError::new(Refusal::BadQuery, format!("{e:#}"))),
        }
    })
    .await
}

/// The accounts, each with `password_expired` by the server's `--password-max-days`.
pub async fn users_list(State(s): State<AppState>) -> ApiResult {
    blocking(move || {
        let t = crate::db::now();
        let users: Vec<serde_json::Value> = auth::list_users(&s.db)?
            .into_iter()
            .map(|u| {
                let expired = s.lifetimes.expired(u.password_set_at, t);
                let mut row = json!(u);
                row["password_expired"] = json!(expired);
                row
            })
            .collect();
        ok(users)
    })
    .await
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    role: String,
    password: String,
    /// The password is for its holder to change at their first login (the app's form
    /// asks so unless told otherwise).
    #[serde(default)]
    temporary: bool,
}

pub async fn users_add(State(s): State<AppState>, Extension(who): Who, Json(u): Json<NewUser>) -> ApiResult {
    blocking(move || {
        let role = Role::parse(&u.role).map_err(|e| ApiError::new(Refusal::Invalid, e.to_string()))?;
        match auth::add_user(&s.db, &who.username, &u.username, role, &u.password, u.temporary) {
            Ok(created) => ok(json!({ "username": u.username.trim(), "role": role, "created": created })),
            Err(e) => Err(match e.downcast_ref::<auth::Unusable>() {
                Some(unusable_password) => unusable(unusable_password),
                None => ApiError::new(Refusal::Invalid, e.to_string()),
            }),
        }
    })
    .await
}

/// A password refused: 422 `invalid`, with the `rule` it breaks for the app to say.
fn unusable(e: &auth::Unusable) -> ApiError {
    ApiError::new(Refusal::Invalid, e.to_string()).with("rule", json!(e.rule))
}

#[derive(Deserialize)]
pub struct Disabled {
    disabled: bool,
}

/// Disables an account (its sessions end at once) or enables it again; an admin cannot
/// disable the account they are using, so the app never loses its last admin that way.
pub async fn users_disable(
    State(s): State<AppState>,
    Extension(who): Who,
    Path(username): Path<String>,
    Json(d): Json<Disabled>,
) -> ApiResult {
    blocking(move || {
        if d.disabled && username == who.username {
            return Err(ApiError::new(
                Refusal::Invalid,
                "you cannot disable the account you are using",
            ));
        }
        match auth::set_disabled(&s.db, &who.username, &username, d.disabled) {
            Ok(()) => ok(json!({ "username": username, "disabled": d.disabled })),
            Err(e) => Err(ApiError::new(Refusal::NotFound, e.to_string())),
        }
    })
    .await
}

pub async fn sync_now(State(s): State<AppState>) -> ApiResult {
    blocking(move || {
        let ws =
            s.ws.as_ref()
                .ok_or_else(|| ApiError::new(Refusal::NoWorkspace, "no workspace"))?;
        ok(sync::sync(ws, &s.db)?)
    })
    .await
}

pub async fn audit_verify(State(s): State<AppState>) -> ApiResult {
    blocking(move || ok(audit::verify(&s.db, None)?)).await
}

/// The latest changes to accounts, newest first: the users screen's history.
pub async fn audit_accounts(State(s): State<AppState>) -> ApiResult {
    latest_entries(s, auth::ACCOUNT_SUBJECT_PREFIX).await
}

/// The latest logins and wrong passwords, for the users screen.
pub async fn audit_logins(State(s): State<AppState>) -> ApiResult {
    latest_entries(s, auth::LOGIN_SUBJECT_PREFIX).await
}

/// The latest audit entries whose subject begins with `prefix`, newest first.
async fn latest_entries(s: AppState, prefix: &'static str) -> ApiResult {
    /// As many as an admin reads down a screen.
    const SHOWN: usize = 100;
    blocking(move || {
        let filter = audit::LogFilter {
            subject_prefix: Some(prefix.to_string()),
            limit: Some(SHOWN),
            ..Default::default()
        };
        ok(audit::log(&s.db, &filter)?)
    })
    .await
}
