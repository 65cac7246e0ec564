//! The review API end to end over loopback HTTP: every route's role rules from the one
//! table, login and lock-out, CSRF, leases, optimistic concurrency, validation, second
//! review, duplicates, keying, images, the audit chain, and the sync with the workspace.

mod common;

use common::*;
use hyper::Method;
use ledgerline_review::api::ROUTES;
use ledgerline_review::client::{seg, Client};
use ledgerline_review::{audit, sync};
use ledgerline_search::Role;
use serde_json::{json, Value};

async fn as_role(base: &str, user: &str) -> Client {
    let mut c = Client::new(base);
    let r = c.login(user, PASSWORD).await.unwrap();
    assert_eq!(r.status, 200, "login {user}: {}", r.json);
    c
}

/// One field of a record view (`GET /api/records/{id}`).
fn field_of(view: &Value, name: &str) -> Value {
    view["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no field {name} in {view}"))
}

/// The audit entries about `subject`, oldest first: `who action: before -> after`.
fn audit_of(f: &Fixture, subject: &str) -> Vec<String> {
    let filter = audit::LogFilter {
        subject: Some(subject.to_string()),
        ..Default::default()
    };
    let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let entries = audit::log(&f.db, &filter).unwrap();
    entries
        .iter()
        .rev()
        .map(|e| {
            format!(
                "{} {}: {} -> {}",
                e.username,
                e.action,
                value(&e.before),
                value(&e.after)
            )
        })
        .collect()
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{record_id}", &rid(1))
        .replace("{item_id}", &seg(&format!("record:{}", rid(1))))
        .replace("{a}", &rid(3))
        .replace("{b}", &rid(4))
        .replace("{page_id}", PAGE)
        .replace("{cell}", "1-0")
        .replace("{username}", "reviewer")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_checks_session_role_and_csrf_from_one_table() {
    let f = fixture();
    let base = serve(&f).await;
    let anonymous = Client::new(&base);
    let mut clients = Vec::new();
    // What each role is told it may call, by login and by /api/me alike.
    let mut told = Vec::new();
    for role in Role::ALL {
        let mut c = Client::new(&base);
        let login = c.login(role.name(), PASSWORD).await.unwrap().json;
        let me = c.get("/api/me").await.unwrap().json;
        assert_eq!(login["may"], me["may"], "{role:?}");
        let may: Vec<String> = serde_json::from_value(me["may"].clone()).unwrap();
        told.push(may);
        clients.push((role, c));
    }
    for route in ROUTES {
        let path = concrete(route.path);
        let body = json!({});
        let r = anonymous.send(route.method.clone(), &path, &body).await.unwrap();
        let Some(allowed) = route.roles else {
            assert_ne!(r.status, 401, "{} {path} is public", route.method);
            continue;
        };
        assert_eq!(r.status, 401, "{} {path} without a session", route.method);
        assert_eq!(r.json["error"], "unauthenticated", "JSON error body");
        for ((role, c), may) in clients.iter().zip(&told) {
            let call = format!("{} {}", route.method, route.path);
            assert_eq!(
                may.contains(&call),
                allowed.contains(role),
                "{call} as {role:?}: told {may:?}"
            );
            if route.path == "/api/logout" && allowed.contains(role) {
                continue; // would end the session the other probes use; tested on its own
            }
            // A probe that does not change anything when allowed: only the guard's answer
            // matters here, so state-changing routes get an invalid body.
            let r = c
                .send(route.method.clone(), &path, &json!({"probe": true}))
                .await
                .unwrap();
            if allowed.contains(role) {
                // Past the guard (a handler may still refuse, e.g. a protected page).
                let guard_refused = r.status == 401 || r.json["error"] == "forbidden";
                assert!(
                    !guard_refused,
                    "{} {path} as {role:?}: {} {}",
                    route.method, r.status, r.json
                );
            } else {
                assert_eq!(r.status, 403, "{} {path} as {role:?}", route.method);
                assert_eq!(r.json["error"], "forbidden");
            }
            if route.method != Method::GET && allowed.contains(role) {
                let mut no_csrf = c.clone();
                no_csrf.csrf = None;
                let r = no_csrf.send(route.method.clone(), &path, &json!({})).await.unwrap();
                assert_eq!(
                    (r.status, r.json["error"].as_str()),
                    (403, Some("csrf")),
                    "{} {path} without CSRF",
                    route.method
                );
            }
        }
    }
    let r = anonymous.get("/api/nothing/here").await.unwrap();
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_sets_a_strict_http_only_cookie_and_locks_out_after_failures() {
    let f = fixture();
    let base = serve(&f).await;
    let mut c = Client::new(&base);
    let ok = c.login("reviewer", PASSWORD).await.unwrap();
    let cookie = ok.set_cookie.unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(c.get("/api/me").await.unwrap().json["role"], "reviewer");
    assert_eq!(
        c.send(Method::POST, "/api/logout", &json!({})).await.unwrap().status,
        200
    );
    assert_eq!(
        c.get("/api/me").await.unwrap().status,
        401,
        "the session ends at logout"
    );

    let mut bad = Client::new(&base);
    assert_eq!(bad.login("nobody", "whatever1").await.unwrap().status, 401);
    for _ in 0..5 {
        assert_eq!(bad.login("archivist", "wrong password").await.unwrap().status, 401);
    }
    let locked = bad.login("archivist", PASSWORD).await.unwrap();
    assert_eq!(
        locked.status, 429,
        "locked even with the right password: {}",
        locked.json
    );
    assert_eq!(locked.json["error"], "locked");

    // Logins and wrong passwords are audited under login:NAME, without the passwords
    // (none for an account that does not exist); they are no one's work on the dashboard.
    assert_eq!(
        audit_of(&f, "login:archivist"),
        [
            ["archivist login_failed: - -> -"; 4].as_slice(),
            &["archivist login_failed: - -> -", "archivist login_locked: - -> -"]
        ]
        .concat()
    );
    assert_eq!(
        audit_of(&f, "login:reviewer"),
        ["reviewer login: - -> -", "reviewer logout: - -> -"]
    );
    assert!(audit_of(&f, "login:nobody").is_empty());
    let everything = serde_json::to_string(&audit::log(&f.db, &Default::default()).unwrap()).unwrap();
    assert!(!everything.contains("wrong password"));
    let admin = as_role(&base, "admin").await;
    let dashboard = admin.get("/api/batches").await.unwrap().json;
    let logged_in_only: Vec<&Value> = dashboard["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| ["reviewer", "archivist", "admin"].contains(&d["username"].as_str().unwrap()))
        .collect();
    assert!(logged_in_only.is_empty(), "{logged_in_only:?}");
    assert_eq!(audit::verify(&f.db, None).unwrap().broken_at, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_account_is_out_at_once_and_cannot_log_in() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;
    assert_eq!(c.get("/api/me").await.unwrap().status, 200);

    ledgerline_review::auth::set_disabled(&f.db, "admin", "reviewer", true).unwrap();
    assert_eq!(c.get("/api/me").await.unwrap().status, 401, "the open session ends");
    let mut again = Client::new(&base);
    let refused = again.login("reviewer", PASSWORD).await.unwrap();
    assert_eq!(refused.status, 401, "{}", refused.json);
    let unknown = Client::new(&base).login("nobody", PASSWORD).await.unwrap();
    assert_eq!(refused.json, unknown.json, "answered as an unknown account");
    let users = ledgerline_review::auth::list_users(&f.db).unwrap();
    assert!(users.iter().any(|u| u.username == "reviewer" && u.disabled));
    assert!(ledgerline_review::auth::set_disabled(&f.db, "admin", "nobody", true).is_err());

    ledgerline_review::auth::set_disabled(&f.db, "admin", "reviewer", false).unwrap();
    assert_eq!(again.login("reviewer", PASSWORD).await.unwrap().status, 200);
    assert_eq!(again.get("/api/me").await.unwrap().json["role"], "reviewer");

    // Admins do the same from the app, but not to the account they are using.
    let admin = as_role(&base, "admin").await;
    let set = |name: &str, disabled: bool| {
        let (admin, path) = (&admin, format!("/api/users/{name}/disabled"));
        async move {
            let r = admin
                .send(Method::POST, &path, &json!({ "disabled": disabled }))
                .await
                .unwrap();
            (r.status, r.json)
        }
    };
    assert_eq!(set("reviewer", true).await.0, 200);
    assert_eq!(again.get("/api/me").await.unwrap().status, 401);
    assert_eq!(set("admin", true).await.0, 422, "one's own account");
    assert_eq!(set("nobody", true).await.0, 404);
    assert_eq!(set("reviewer", false).await.0, 200);
    assert_eq!(again.login("reviewer", PASSWORD).await.unwrap().status, 200);
}

/// Changes to accounts are in the audit log with who made them: an account made, given
/// another role, disabled, enabled (not again when it already was); no password is, and
/// they are no reviewer's work on the dashboard.
#[tokio::test(flavor = "multi_thread")]
async fn account_changes_are_audited_by_whom() {
    let f = fixture();
    let base = serve(&f).await;
    let admin = as_role(&base, "admin").await;
    let password = "a new long passphrase";
    for role in ["data_entry", "reviewer"] {
        let r = admin
            .send(
                Method::POST,
                "/api/users",
                &json!({"username": "clerk", "role": role, "password": password}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.json);
    }
    for disabled in [true, true, false] {
        let r = admin
            .send(
                Method::POST,
                "/api/users/clerk/disabled",
                &json!({ "disabled": disabled }),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let subject = ledgerline_review::auth::account_subject("clerk");
    assert_eq!(
        audit_of(&f, &subject),
        [
            "admin user_add: - -> data_entry",
            "admin user_update: data_entry -> reviewer",
            "admin user_disable: - -> -",
            "admin user_enable: - -> -",
        ]
    );
    let everything = serde_json::to_string(&audit::log(&f.db, &Default::default()).unwrap()).unwrap();
    assert!(!everything.contains(password));
    // The users screen's history: accounts' entries only (a record's edit is not one).
    let accept = json!({"version": 0, "action": "accept"});
    let reviewer = as_role(&base, "reviewer").await;
    let put = reviewer
        .send(Method::PUT, &format!("/api/records/{}", rid(4)), &accept)
        .await
        .unwrap();
    assert_eq!(put.status, 200, "{}", put.json);
    let shown = admin.get("/api/audit/accounts").await.unwrap().json;
    let shown = shown.as_array().unwrap();
    assert_eq!(
        (&shown[0]["action"], &shown[0]["record_id"]),
        (&json!("user_enable"), &json!("user:clerk"))
    );
    assert!(
        shown.len() >= 4
            && shown
                .iter()
                .all(|e| e["record_id"].as_str().unwrap().starts_with("user:")),
        "{shown:?}"
    );
    assert!(audit::history(&f.db, &rid(4))
        .unwrap()
        .iter()
        .any(|e| e.action == "accept"));
    assert_eq!(audit::verify(&f.db, None).unwrap().broken_at, None);
    let dashboard = admin.get("/api/batches").await.unwrap().json;
    let by_admin: Vec<&Value> = dashboard["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["username"] == "admin")
        .collect();
    assert!(by_admin.is_empty(), "{by_admin:?}");
}

/// A password an admin set as temporary is changed by its holder before anything else:
/// until then the session may only say who it is, change it or log out, and the app is
/// told so (`may`); a wrong current password counts toward the lock-out; the change ends
/// the holder's other sessions and is audited as theirs, without either password.
#[tokio::test(flavor = "multi_thread")]
async fn a_temporary_password_is_changed_before_anything_else() {
    let f = fixture();
    let base = serve(&f).await;
    let admin = as_role(&base, "admin").await;
    let (temporary, chosen) = ("given by the admin", "picked on day one");
    let added = admin
        .send(
            Method::POST,
            "/api/users",
            &json!({"username": "clerk", "role": "data_entry", "password": temporary, "temporary": true}),
        )
        .await
        .unwrap();
    assert_eq!(added.status, 200, "{}", added.json);
    let mut clerk = Client::new(&base);
    let login = clerk.login("clerk", temporary).await.unwrap();
    assert_eq!(login.json["password_change_due"], true, "{}", login.json);
    assert_eq!(
        login.json["may"],
        json!(["POST /api/logout", "GET /api/me", "POST /api/me/password"]),
        "the app offers only the change"
    );
    let refused = clerk.get("/api/queue/next").await.unwrap();
    assert_eq!(
        (refused.status, &refused.json["error"]),
        (403, &json!("password_change_due"))
    );
    let mut elsewhere = Client::new(&base);
    assert_eq!(elsewhere.login("clerk", temporary).await.unwrap().status, 200);

    let change = |current: &'static str, new: &'static str| {
        let clerk = &clerk;
        async move {
            let body = json!({"current_password": current, "new_password": new});
            let r = clerk.send(Method::POST, "/api/me/password", &body).await.unwrap();
            (r.status, r.json)
        }
    };
    let (status, body) = change("a wrong guess", chosen).await;
    assert_eq!((status, &body["error"]), (403, &json!("wrong_password")), "{body}");
    for (new, rule) in [
        ("short", "too_short"),
        ("only lower", "too_few_kinds"),
        ("Clerk-2026!", "holds_user_name"),
        ("Admin@123", "guessed_first"),
        (temporary, "same_as_current"),
    ] {
        let (status, body) = change(temporary, new).await;
        assert_eq!((status, &body["rule"]), (422, &json!(rule)), "{new}: {body}");
    }
    let (status, me) = change(temporary, chosen).await;
    assert_eq!((status, &me["password_change_due"]), (200, &json!(false)), "{me}");
    // The admin's temporary password, replaced, is not the holder's to go back to.
    let (status, body) = change(chosen, temporary).await;
    assert_eq!((status, &body["rule"]), (422, &json!("used_before")), "{body}");
    assert!(
        me["may"].as_array().unwrap().contains(&json!("GET /api/queue/next")),
        "{me}"
    );
    assert_eq!(clerk.get("/api/queue/next").await.unwrap().status, 200);
    assert_eq!(
        elsewhere.get("/api/me").await.unwrap().status,
        401,
        "other sessions end"
    );
    assert_eq!(Client::new(&base).login("clerk", temporary).await.unwrap().status, 401);
    assert_eq!(Client::new(&base).login("clerk", chosen).await.unwrap().status, 200);
    let listed = admin.get("/api/users").await.unwrap().json;
    let clerk_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "clerk")
        .unwrap();
    assert_eq!(clerk_row["password_change_due"], false);
    assert_eq!(
        audit_of(&f, &ledgerline_review::auth::account_subject("clerk")),
        ["admin user_add: - -> data_entry", "clerk password_change: - -> -"]
    );
    let everything = serde_json::to_string(&audit::log(&f.db, &Default::default()).unwrap()).unwrap();
    assert!(!everything.contains(temporary) && !everything.contains(chosen));

    // Guessing the current password from a session left open locks the account, as at
    // login.
    for _ in 0..ledgerline_review::auth::MAX_FAILURES {
        assert_eq!(change("a wrong guess", "another new one").await.0, 403);
    }
    assert_eq!(change(chosen, "another new one").await.0, 429);
    assert_eq!(Client::new(&base).login("clerk", chosen).await.unwrap().status, 429);
}

/// A password older than the server allows is changed before anything else, as a
/// temporary one is; the app is told why. A server whose passwords do not age lets it be.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_too_old_is_changed_before_anything_else() {
    let f = fixture();
    let day = 86_400;
    let base = serve_with(&f, |state| state.passwords_last(30 * day)).await;
    let ageless = serve_with(&f, |state| state.passwords_last(0)).await;
    let set_days_ago = |days: i64| {
        f.db.conn()
            .execute(
                "UPDATE users SET password_set_at = ?1 WHERE username = 'reviewer'",
                [ledgerline_review::db::now() - days * day],
            )
            .unwrap();
    };
    set_days_ago(29);
    let mut young = Client::new(&base);
    let login = young.login("reviewer", PASSWORD).await.unwrap();
    assert_eq!(login.json["password_change_due"], false, "{}", login.json);
    set_days_ago(30);
    let held = young.get("/api/queue/next").await.unwrap().json;
    assert_eq!(
        held["error"], "password_change_due",
        "a session open as the password ages out is held too"
    );
    assert!(
        held["message"]
            .as_str()
            .unwrap()
            .contains("older than this server allows"),
        "{held}"
    );
    let admin = as_role(&base, "admin").await;
    let users = admin.get("/api/users").await.unwrap().json;
    let expired: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["password_expired"] == true)
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(expired, ["reviewer"], "the admins see whose password is too old");
    let mut old = Client::new(&base);
    let login = old.login("reviewer", PASSWORD).await.unwrap();
    assert_eq!(
        (&login.json["password_change_due"], &login.json["password_expired"]),
        (&json!(true), &json!(true)),
        "{}",
        login.json
    );
    let mut elsewhere = Client::new(&ageless);
    elsewhere.login("reviewer", PASSWORD).await.unwrap();
    assert_eq!(elsewhere.get("/api/queue/next").await.unwrap().status, 200);

    let body = json!({"current_password": PASSWORD, "new_password": "Renewed 2026"});
    let changed = old.send(Method::POST, "/api/me/password", &body).await.unwrap();
    assert_eq!(
        (changed.status, &changed.json["password_change_due"]),
        (200, &json!(false)),
        "{}",
        changed.json
    );
    assert_eq!(old.get("/api/queue/next").await.unwrap().status, 200);
    let mut again = Client::new(&base);
    let login = again.login("reviewer", "Renewed 2026").await.unwrap();
    assert_eq!(
        login.json["password_change_due"], false,
        "the new password's age starts"
    );
}

/// A session ends after the server's idle time without a request; each request keeps
/// it going (written down once half that time has passed, not on every request).
#[tokio::test(flavor = "multi_thread")]
async fn a_session_left_idle_ends() {
    let f = fixture();
    let base = serve_with(&f, |state| state.idle_after(2)).await;
    let reviewer = as_role(&base, "reviewer").await;
    // Left open and never used again: ended, and audited, at the next login.
    as_role(&base, "archivist").await;
    let pause = |ms| tokio::time::sleep(std::time::Duration::from_millis(ms));
    for _ in 0..3 {
        // 1.2 s apart, 3.6 s in all: longer than the idle time, never idle that long.
        pause(1200).await;
        assert_eq!(reviewer.get("/api/me").await.unwrap().status, 200);
    }
    pause(3000).await;
    let ended = reviewer.get("/api/me").await.unwrap();
    assert_eq!((ended.status, &ended.json["error"]), (401, &json!("unauthenticated")));
    assert_eq!(
        audit_of(&f, "login:reviewer"),
        ["reviewer login: - -> -", "reviewer session_timeout: - -> -"],
        "the server's end of the session is audited, once"
    );
    assert_eq!(reviewer.get("/api/me").await.unwrap().status, 401);
    assert_eq!(audit_of(&f, "login:reviewer").len(), 2);
    assert_eq!(
        as_role(&base, "reviewer").await.get("/api/me").await.unwrap().status,
        200
    );
    assert_eq!(
        audit_of(&f, "login:archivist"),
        ["archivist login: - -> -", "archivist session_timeout: - -> -"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn queue_leases_items_one_person_at_a_time() {
    let f = fixture();
    let base = serve(&f).await;
    let a = as_role(&base, "data_entry").await;
    let b = as_role(&base, "data_entry2").await;
    let first = a.get("/api/queue/next").await.unwrap().json;
    assert_eq!(first["item"]["kind"], "record");
    assert_eq!(first["record"]["record_id"], rid(1), "source order");
    assert_eq!(
        first["record"]["fields"][5]["value"].as_str().map(|v| v.contains('*')),
        Some(false),
        "the holder of the item sees the ID number"
    );
    let again = a.get("/api/queue/next").await.unwrap().json;
    assert_eq!(
        again["item"]["item_id"], first["item"]["item_id"],
        "a reload keeps the item"
    );
    let other = b.get("/api/queue/next").await.unwrap().json;
    assert_ne!(
        other["item"]["item_id"], first["item"]["item_id"],
        "nobody else gets it"
    );

    // b may not save a's item; b sees its ID masked.
    let view = b.get(&format!("/api/records/{}", rid(1))).await.unwrap().json;
    let id = field_of(&view, "id_number");
    assert!(
        id["value"].as_str().unwrap().contains('*'),
        "masked for data entry not holding it: {id}"
    );
    let put = b
        .send(
            Method::PUT,
            &format!("/api/records/{}", rid(1)),
            &json!({"version": 0, "action": "accept"}),
        )
        .await
        .unwrap();
    assert_eq!((put.status, put.json["error"].as_str()), (409, Some("leased")));

    // An abandoned lease expires: the item goes to the next person who asks.
    f.db.conn()
        .execute("UPDATE items SET lease_until = 0 WHERE leased_by = 'data_entry2'", [])
        .unwrap();
    let c = as_role(&base, "data_entry").await;
    let taken = c.get("/api/queue/next").await.unwrap().json;
    assert_eq!(
        taken["item"]["item_id"], first["item"]["item_id"],
        "data_entry still holds its own"
    );
    let expired_item = other["item"]["item_id"].clone();
    let third = as_role(&base, "reviewer").await;
    assert_eq!(
        third.get("/api/queue/next").await.unwrap().json["item"]["item_id"],
        expired_item
    );

    // Skipping gives it back; a takes something else next.
    let skip = a
        .send(
            Method::POST,
            &format!("/api/queue/{}/skip", seg(first["item"]["item_id"].as_str().unwrap())),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(skip.status, 200);
    let next = a.get("/api/queue/next").await.unwrap().json;
    assert_ne!(next["item"]["item_id"], first["item"]["item_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_are_versioned_validated_and_audited() {
    let f = fixture();
    let base = serve(&f).await;
    let a = as_role(&base, "reviewer").await;
    let b = as_role(&base, "reviewer2").await;
    let path = format!("/api/records/{}", rid(2));

    // Accepting an ID number that fails its checksum is refused, with the finding.
    let bad = a
        .send(Method::PUT, &path, &json!({"version": 0, "action": "accept"}))
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.json);
    assert!(bad.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "id_checksum"));

    // Live validation says the same while typing.
    let good_id = id_of((1950, 7, 1), 45);
    let typo = format!("{}{}", &good_id[..17], if good_id.ends_with('3') { '4' } else { '3' });
    let v = a
        .send(
            Method::POST,
            "/api/validate",
            &json!({"fields": {"id_number": typo, "birth_date": "1950-07-01"}}),
        )
        .await
        .unwrap();
    assert!(
        v.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "id_checksum"),
        "{}",
        v.json
    );

    let saved = a
        .send(
            Method::PUT,
            &path,
            &json!({"version": 0, "action": "accept", "fields": {"id_number": good_id}}),
        )
        .await
        .unwrap();
    assert_eq!(saved.status, 200, "{}", saved.json);
    assert_eq!(saved.json["status"], "verified");
    assert_eq!(saved.json["version"], 1);
    assert_eq!(saved.json["changed"], json!(["id_number"]));

    // b saved from version 0 too: a clear conflict with the current record.
    let stale = b
        .send(
            Method::PUT,
            &path,
            &json!({"version": 0, "action": "accept", "fields": {"deceased_name": "李建图"}}),
        )
        .await
        .unwrap();
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json["error"], "stale");
    assert_eq!(stale.json["saved_by"], "reviewer");
    assert_eq!(stale.json["current"]["version"], 1);

    let log = a.get(&format!("{path}/audit")).await.unwrap().json;
    let entries = log["entries"].as_array().unwrap();
    let change = entries.iter().find(|e| e["action"] == "correct").unwrap();
    assert_eq!(change["field"], "id_number");
    assert_eq!(change["after"], good_id.as_str());
    assert_eq!(change["username"], "reviewer");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "accept" && e["after"] == "verified"));
    let chain = audit::verify(&f.db, None).unwrap();
    assert!(chain.broken_at.is_none() && chain.entries >= 2, "{chain:?}");
    let head = chain.head.clone().expect("a log with entries has a head");
    assert_eq!(head.seq as u64, chain.entries);
    assert_eq!(head.to_string().parse::<audit::Anchor>().unwrap(), head);

    // Entries cut off the end leave a chain that still follows: only the anchor shows it.
    f.db.conn()
        .execute_batch("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit);")
        .unwrap();
    let cut = audit::verify(&f.db, None).unwrap();
    assert!(cut.broken_at.is_none(), "{cut:?}");
    let anchored = audit::verify(&f.db, Some(&head)).unwrap();
    assert_eq!(anchored.broken_at, Some(head.seq), "{anchored:?}");
    assert!(anchored.reason.unwrap().contains("gone"));
    let earlier = cut.head.clone().unwrap();
    assert!(audit::verify(&f.db, Some(&earlier)).unwrap().broken_at.is_none());

    // The audit log refuses edits; a row changed behind its back breaks the chain.
    let conn = f.db.conn();
    assert!(conn.execute("UPDATE audit SET after = 'x'", []).is_err(), "append-only");
    conn.execute_batch(
        "DROP TRIGGER audit_no_update; UPDATE audit SET after = '370112195007010000' WHERE field = 'id_number';",
    )
    .unwrap();
    drop(conn);
    let broken = audit::verify(&f.db, None).unwrap();
    assert_eq!(broken.broken_at, Some(change["seq"].as_i64().unwrap()), "{broken:?}");
}

/// What the machine found reading a record is shown with it: a finding on a field while
/// the field holds what the machine read, one about the whole row beside the fields. A
/// finding never quotes an ID or phone number to a viewer who may not see it.
#[tokio::test(flavor = "multi_thread")]
async fn the_machines_findings_show_with_the_record_and_numbers_in_them_masked() {
    let f = fixture();
    let base = serve(&f).await;
    let reviewer = as_role(&base, "reviewer").await;
    let codes = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_string())
            .collect()
    };
    let path = format!("/api/records/{}", rid(1));
    let view = reviewer.get(&path).await.unwrap().json;
    assert_eq!(
        codes(&field_of(&view, "household_address")["machine_findings"]),
        ["division_repaired"]
    );
    assert_eq!(codes(&view["record_findings"]), ["columns_missed"]);
    // Once a person changes the field, the machine's word on its reading goes.
    let saved = reviewer
        .send(
            Method::PUT,
            &path,
            &json!({"version": 0, "action": "save", "fields": {"household_address": "济南市历城区山大路13号"}}),
        )
        .await
        .unwrap();
    assert_eq!(saved.status, 200, "{}", saved.json);
    let view = reviewer.get(&path).await.unwrap().json;
    assert!(codes(&field_of(&view, "household_address")["machine_findings"]).is_empty());
    assert_eq!(codes(&view["record_findings"]), ["columns_missed"]);

    // Row 2's ID number fails its checksum, and its finding quotes it: in full for the
    // reviewer, masked for data entry, as the value is.
    let row2 = format!("/api/records/{}", rid(2));
    let seen = reviewer.get(&row2).await.unwrap().json;
    let id = field_of(&seen, "id_number")["value"].as_str().unwrap().to_string();
    assert!(field_of(&seen, "id_number")["findings"].to_string().contains(&id));
    let clerk = as_role(&base, "data_entry").await;
    let masked = clerk.get(&row2).await.unwrap().json;
    assert!(!masked.to_string().contains(&id[6..14]), "{masked}");
    let finding = field_of(&masked, "id_number")["findings"].to_string();
    assert!(finding.contains(&ledgerline_search::access::mask_id(&id)), "{finding}");

    // A repair keeps what was read before it (`read`), for the app to show in Chinese;
    // a misread ID number is masked as the ID number is, letters and all.
    let row1 = format!("/api/records/{}", rid(1));
    let id1 = field_of(&reviewer.get(&row1).await.unwrap().json, "id_number")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let repair_read = |view: &Value| field_of(view, "id_number")["machine_findings"][0]["read"].clone();
    let misread = id_misread(&id1);
    assert_eq!(repair_read(&reviewer.get(&row1).await.unwrap().json), misread.as_str());
    let clerks = clerk.get(&row1).await.unwrap().json;
    assert_eq!(
        repair_read(&clerks),
        ledgerline_search::access::mask_id(&misread).as_str()
    );
    assert!(!clerks.to_string().contains(&misread[6..14]), "{clerks}");
}

#[tokio::test(flavor = "multi_thread")]
async fn heavy_changes_go_to_a_second_reviewer() {
    let f = fixture();
    let base = serve(&f).await;
    let entry = as_role(&base, "data_entry").await;
    let item = entry.get("/api/queue/next").await.unwrap().json;
    assert_eq!(item["record"]["record_id"], rid(1));
    let fields =
        json!({"deceased_name": "王秀英", "death_date": "2013-04-10", "household_address": "济南市历城区山大路21号"});
    let r = entry
        .send(
            Method::PUT,
            &format!("/api/records/{}", rid(1)),
            &json!({"version": 0, "action": "accept", "fields": fields}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["status"].as_str(), r.json["second_review"].as_bool()),
        (Some("needs_review"), Some(true))
    );
    // Not back to the same person, and not to data entry.
    let next = entry.get("/api/queue/next").await.unwrap().json;
    assert_ne!(next["item"]["item_id"], item["item"]["item_id"]);
    let reviewer = as_role(&base, "reviewer").await;
    let second = reviewer.get("/api/queue/next").await.unwrap().json;
    assert_eq!(
        second["item"]["item_id"], item["item"]["item_id"],
        "second reviews come first"
    );
    assert_eq!(second["item"]["second_review"], true);
    let done = reviewer
        .send(
            Method::PUT,
            &format!("/api/records/{}", rid(1)),
            &json!({"version": 1, "action": "accept"}),
        )
        .await
        .unwrap();
    assert_eq!(done.json["status"], "verified", "{}", done.json);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_merge_into_both_records_and_reach_the_workspace() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;
    let pair = c.get(&format!("/api/pairs/{}/{}", rid(3), rid(4))).await.unwrap().json;
    let differing: Vec<&str> = pair["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(differing, ["deceased_name", "death_date", "household_address"]);
    assert_eq!(pair["explanation"]["fields"][1]["field"], "id_number");
    assert_eq!(pair["explanation"]["prior_weight"], -15.0);
    let r = c
        .send(
            Method::POST,
            &format!("/api/pairs/{}/{}", rid(3), rid(4)),
            &json!({"decision": "same", "values": {"deceased_name": "张德明", "death_date": "2013-04-15"}, "versions": {"a": 0, "b": 0}}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["merged_fields"], json!(["death_date", "deceased_name"]));
    let b = c.get(&format!("/api/records/{}", rid(4))).await.unwrap().json;
    let name = field_of(&b, "deceased_name");
    assert_eq!(name["value"], "张德明");
    assert_eq!(name["machine_value"], "张德名", "the machine's reading stays visible");

    // Accept one record too, then sync: the workspace holds the decisions.
    let put = c
        .send(
            Method::PUT,
            &format!("/api/records/{}", rid(2)),
            &json!({"version": 0, "action": "reject"}),
        )
        .await
        .unwrap();
    assert_eq!(put.json["status"], "rejected");
    let (ws, db) = (f.ws.clone(), f.db.clone());
    let report = tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        report.applied, 4,
        "two merged records, the pair, the rejected record: {report:?}"
    );
    let (pair_status, name4, status2): (String, String, String) =
        f.ws.with_store(|c| {
            Ok((
                c.query_row("SELECT status FROM match_pairs", [], |r| r.get(0))?,
                c.query_row("SELECT deceased_name FROM records WHERE record_id = ?", [rid(4)], |r| {
                    r.get(0)
                })?,
                c.query_row("SELECT status FROM records WHERE record_id = ?", [rid(2)], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(
        (pair_status.as_str(), name4.as_str(), status2.as_str()),
        ("same", "张德明", "rejected")
    );
    let count: i64 =
        f.ws.with_store(|c| Ok(c.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?))
            .unwrap();
    assert_eq!(count, 4, "replaced, not added");
    // Applying again changes nothing; done items stay done after intake.
    assert_eq!(sync::apply_pending(&f.ws).unwrap(), 0);
    let (ws, db) = (f.ws.clone(), f.db.clone());
    tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
        .await
        .unwrap()
        .unwrap();
    let open: i64 =
        f.db.conn()
            .query_row(
                "SELECT count(*) FROM items WHERE state = 'open' AND kind = 'pair'",
                [],
                |r| r.get(0),
            )
            .unwrap();
    assert_eq!(open, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_people_type_is_stored_in_the_standard_form() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;

    // While typing: what each value will be stored as, and what a code means.
    let v = c
        .send(
            Method::POST,
            "/api/validate",
            &json!({"fields": {"gender": "女", "ethnicity": "汉", "death_date": "2013年4月11日", "age": "13.4"}}),
        )
        .await
        .unwrap()
        .json;
    assert_eq!(v["standard"]["gender"], json!({"value": "2", "meaning": "女"}), "{v}");
    assert_eq!(
        v["standard"]["ethnicity"],
        json!({"value": "01", "meaning": "汉族"}),
        "{v}"
    );
    assert_eq!(v["standard"]["death_date"]["value"], "2013-04-11", "{v}");
    assert!(
        v["problems"].as_array().unwrap().iter().any(|p| p["field"] == "age"),
        "{v}"
    );

    // Record 1 holds 2 and 2013-04-11: written as the page has them, they are no change.
    let path = format!("/api/records/{}", rid(1));
    let same = c
        .send(
            Method::PUT,
            &path,
            &json!({"version": 0, "action": "save", "fields": {"gender": "女", "death_date": "2013年4月11日"}}),
        )
        .await
        .unwrap();
    assert_eq!((same.status, &same.json["changed"]), (200, &json!([])), "{}", same.json);
    let moved = c
        .send(
            Method::PUT,
            &path,
            &json!({"version": 1, "action": "save", "fields": {"death_date": "二〇一三年四月十二日"}}),
        )
        .await
        .unwrap();
    assert_eq!(moved.json["changed"], json!(["death_date"]), "{}", moved.json);
    let view = c.get(&path).await.unwrap().json;
    assert_eq!(field_of(&view, "death_date")["value"], "2013-04-12");
    assert_eq!(field_of(&view, "gender")["meaning"], "女");
    let log = c.get(&format!("{path}/audit")).await.unwrap().json;
    let change = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "correct")
        .cloned();
    assert_eq!(change.map(|e| e["after"].clone()), Some(json!("2013-04-12")));

    // Keyed by hand the same way.
    let d = as_role(&base, "data_entry").await;
    let keyed = d
        .send(
            Method::POST,
            &format!("/api/pages/{KEY_PAGE}/rows"),
            &json!({"row": 2, "fields": {"deceased_name": "赵桂兰", "gender": "女", "age": "72岁", "death_date": "2013.2.28"}}),
        )
        .await
        .unwrap();
    assert_eq!(keyed.status, 200, "{}", keyed.json);
    let record = d.get(&format!("/api/records/{KEY_PAGE}-r02")).await.unwrap().json;
    let value = |name: &str| field_of(&record, name)["value"].clone();
    assert_eq!(
        [value("gender"), value("age"), value("death_date")],
        [json!("2"), json!("72"), json!("2013-02-28")],
        "{record}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_keyed_by_hand_with_the_same_validation() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "data_entry").await;
    let page = c.get(&format!("/api/pages/{KEY_PAGE}")).await.unwrap().json;
    assert_eq!(page["page"]["status"], "needs_keying");
    assert!(page["key_fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "cremation_date"));
    let path = format!("/api/pages/{KEY_PAGE}/rows");
    let bad = c
        .send(
            Method::POST,
            &path,
            &json!({"row": 1, "fields": {"deceased_name": "赵桂兰", "death_date": "2013-02-30"}}),
        )
        .await
        .unwrap();
    assert_eq!(bad.status, 422, "{}", bad.json);
    let good = c
        .send(
            Method::POST,
            &path,
            &json!({"row": 1, "fields": {"deceased_name": "赵桂兰", "gender": "2", "death_date": "2013-02-28"}}),
        )
        .await
        .unwrap();
    assert_eq!(
        (good.status, good.json["status"].as_str()),
        (200, Some("verified")),
        "{}",
        good.json
    );
    let twice = c
        .send(
            Method::POST,
            &path,
            &json!({"row": 1, "fields": {"deceased_name": "赵桂兰"}}),
        )
        .await
        .unwrap();
    assert_eq!((twice.status, twice.json["error"].as_str()), (409, Some("exists")));
    assert_eq!(
        c.send(Method::POST, &format!("/api/pages/{KEY_PAGE}/done"), &json!({}))
            .await
            .unwrap()
            .status,
        200
    );
    let audit = c.get(&format!("/api/records/{KEY_PAGE}-r01/audit")).await.unwrap().json;
    assert!(audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "key" && e["field"] == "deceased_name"));
    // Finished: keyed, audited, and no longer to key in the workspace after a sync, nor
    // a work item again at that sync's intake.
    assert_eq!(
        audit_of(&f, &format!("page:{KEY_PAGE}")),
        ["data_entry key_done: needs_keying -> keyed"]
    );
    let page = c.get(&format!("/api/pages/{KEY_PAGE}")).await.unwrap().json;
    assert_eq!(page["page"]["status"], "keyed");
    let (ws, db) = (f.ws.clone(), f.db.clone());
    tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
        .await
        .unwrap()
        .unwrap();
    let stored: String =
        f.ws.with_store(|c| Ok(c.query_row("SELECT status FROM pages WHERE page_id = ?", [KEY_PAGE], |r| r.get(0))?))
            .unwrap();
    assert_eq!(stored, "keyed");
    let next = c.get("/api/queue/next").await.unwrap().json;
    assert_ne!(next["item"]["kind"], "page", "{next}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keyed_page_is_reopened_by_its_keyer_or_a_reviewer_with_its_rows_kept() {
    let f = fixture();
    let base = serve(&f).await;
    let keyer = as_role(&base, "data_entry").await;
    let reopen = format!("/api/pages/{KEY_PAGE}/reopen");
    let still_to_key = keyer.send(Method::POST, &reopen, &json!({})).await.unwrap();
    assert_eq!(
        (still_to_key.status, still_to_key.json["error"].as_str()),
        (409, Some("not_keyed"))
    );
    let row = json!({"row": 1, "fields": {"deceased_name": "赵桂兰", "gender": "2", "death_date": "2013-02-28"}});
    let keyed = keyer
        .send(Method::POST, &format!("/api/pages/{KEY_PAGE}/rows"), &row)
        .await
        .unwrap();
    assert_eq!(keyed.status, 200, "{}", keyed.json);
    let done = keyer
        .send(Method::POST, &format!("/api/pages/{KEY_PAGE}/done"), &json!({}))
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    // The queue gives the keyer something else meanwhile: the reopened page comes first.
    let other = keyer.get("/api/queue/next").await.unwrap().json;
    assert_ne!(other["item"]["key"], KEY_PAGE, "{other}");

    // Another clerk may not reopen it; the one who finished it may.
    let clerk = as_role(&base, "data_entry2").await;
    let refused = clerk.send(Method::POST, &reopen, &json!({})).await.unwrap();
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (403, Some("forbidden"))
    );
    let why = refused.json["message"].as_str().unwrap_or_default();
    assert!(why.starts_with("data_entry finished"), "{why}");
    let reopened = keyer.send(Method::POST, &reopen, &json!({})).await.unwrap();
    assert_eq!(reopened.status, 200, "{}", reopened.json);
    let back = keyer.get("/api/queue/next").await.unwrap().json;
    assert_eq!(
        (back["item"]["kind"].as_str(), back["item"]["key"].as_str()),
        (Some("page"), Some(KEY_PAGE)),
        "{back}"
    );
    let page = &back["page"];
    assert_eq!(page["page"]["status"], "needs_keying");
    assert_eq!(
        page["rows"].as_array().map(Vec::len),
        Some(1),
        "the row keyed stays: {page}"
    );
    // What the queue had given the keyer instead waits for whoever comes next.
    let given_back = clerk.get("/api/queue/next").await.unwrap().json;
    assert_eq!(given_back["item"]["item_id"], other["item"]["item_id"], "{given_back}");

    // Finished again, synced, then reopened by a reviewer: to key in the workspace after
    // the next sync, waiting in the queue for anyone, and every step audited.
    let done = keyer
        .send(Method::POST, &format!("/api/pages/{KEY_PAGE}/done"), &json!({}))
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    let stored_status = |f: &Fixture| -> String {
        f.ws.with_store(|c| Ok(c.query_row("SELECT status FROM pages WHERE page_id = ?", [KEY_PAGE], |r| r.get(0))?))
            .unwrap()
    };
    let synced = |f: &Fixture| {
        let (ws, db) = (f.ws.clone(), f.db.clone());
        tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
    };
    synced(&f).await.unwrap().unwrap();
    assert_eq!(stored_status(&f), "keyed");
    // The dashboard lists it among its batch's keyed pages, for a reviewer to find.
    let keyed_listed = |f: &Fixture| -> Vec<(i64, String, Option<String>, i64)> {
        let dashboard = ledgerline_review::dashboard::dashboard(&f.db).unwrap();
        dashboard
            .batches
            .iter()
            .flat_map(|b| {
                b.keyed_pages
                    .iter()
                    .map(|p| (b.pages_keyed, p.page_id.clone(), p.keyed_by.clone(), p.rows))
            })
            .collect()
    };
    assert_eq!(
        keyed_listed(&f),
        [(1, KEY_PAGE.to_string(), Some("data_entry".to_string()), 1)]
    );
    let reviewer = as_role(&base, "reviewer").await;
    let reopened = reviewer.send(Method::POST, &reopen, &json!({})).await.unwrap();
    assert_eq!(reopened.status, 200, "{}", reopened.json);
    assert_eq!(keyed_listed(&f), [], "to key again, no longer listed");
    synced(&f).await.unwrap().unwrap();
    assert_eq!(stored_status(&f), "needs_keying");
    assert_eq!(
        audit_of(&f, &format!("page:{KEY_PAGE}")),
        [
            "data_entry key_done: needs_keying -> keyed",
            "data_entry key_reopen: keyed -> needs_keying",
            "data_entry key_done: needs_keying -> keyed",
            "reviewer key_reopen: keyed -> needs_keying",
        ]
    );
    let mut next = clerk.get("/api/queue/next").await.unwrap().json;
    for _ in 0..20 {
        if next["item"]["key"] == KEY_PAGE || next["item"].is_null() {
            break;
        }
        let skip = format!("/api/queue/{}/skip", seg(next["item"]["item_id"].as_str().unwrap()));
        clerk.send(Method::POST, &skip, &json!({})).await.unwrap();
        next = clerk.get("/api/queue/next").await.unwrap().json;
    }
    assert_eq!(
        next["item"]["key"], KEY_PAGE,
        "the reopened page waits in the queue: {next}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_to_key_keeps_the_clerks_turn_and_a_read_page_its_own() {
    let f = fixture();
    let base = serve(&f).await;
    let (a, b) = (as_role(&base, "data_entry").await, as_role(&base, "data_entry2").await);
    let turn = |c: &Client, page: &str, quarter_turns: u8| {
        let (c, path) = (c.clone(), format!("/api/pages/{page}/turn"));
        async move {
            let r = c
                .send(Method::POST, &path, &json!({ "quarter_turns": quarter_turns }))
                .await
                .unwrap();
            (r.status, r.json["error"].as_str().map(str::to_string))
        }
    };
    let turns_of = |page: &str| {
        let (a, path) = (a.clone(), format!("/api/pages/{page}"));
        async move { a.get(&path).await.unwrap().json["page"]["quarter_turns"].clone() }
    };
    assert_eq!(turn(&a, KEY_PAGE, 1).await, (200, None));
    assert_eq!(turns_of(KEY_PAGE).await, 1, "whoever opens it next sees it turned");
    assert_eq!(turn(&a, KEY_PAGE, 4).await, (422, Some("invalid".into())));
    // A page OCR read keeps the turn its cells were found at.
    assert_eq!(turn(&a, PAGE, 2).await, (409, Some("page_read".into())));
    assert_eq!(turns_of(PAGE).await, 0);
    // The page to key, held by another clerk, is theirs to turn.
    loop {
        let next = b.get("/api/queue/next").await.unwrap().json;
        if next["item"]["kind"] == "page" {
            break;
        }
        let item = seg(next["item"]["item_id"].as_str().expect("the page is in the queue"));
        b.send(Method::POST, &format!("/api/queue/{item}/skip"), &json!({}))
            .await
            .unwrap();
    }
    assert_eq!(turn(&a, KEY_PAGE, 2).await, (409, Some("leased".into())));
    assert_eq!(turn(&b, KEY_PAGE, 3).await, (200, None));

    assert_eq!(
        audit_of(&f, &format!("page:{KEY_PAGE}")),
        ["data_entry turn: 0 -> 1", "data_entry2 turn: 1 -> 3"]
    );
    // The workspace holds it after a sync, and the sync's intake, which takes every page
    // to key in again, keeps it.
    let (ws, db) = (f.ws.clone(), f.db.clone());
    tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
        .await
        .unwrap()
        .unwrap();
    let stored: u8 =
        f.ws.with_store(|c| {
            Ok(
                c.query_row("SELECT quarter_turns FROM pages WHERE page_id = ?", [KEY_PAGE], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap();
    assert_eq!(stored, 3);
    assert_eq!(turns_of(KEY_PAGE).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_read_short_of_rows_is_keyed_on_from_the_rows_read() {
    let f = fixture();
    f.key_page_read_short(2);
    let base = serve(&f).await;
    let c = as_role(&base, "data_entry").await;
    let page = c.get(&format!("/api/pages/{KEY_PAGE}")).await.unwrap().json;
    assert_eq!(page["page"]["status"], "needs_keying", "{page}");
    assert!(
        page["page"]["reason"].as_str().unwrap().contains("after row 2"),
        "{page}"
    );
    // The rows read are there, each a record with its cell, and the keyer goes on after them.
    let rows: Vec<u64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 2], "{page}");
    assert_eq!(page["cells"].as_array().unwrap().len(), 2, "{page}");
    let path = format!("/api/pages/{KEY_PAGE}/rows");
    let key = |row: u32| {
        let (c, path) = (c.clone(), path.clone());
        async move {
            let r = c
                .send(
                    Method::POST,
                    &path,
                    &json!({"row": row, "fields": {"deceased_name": "赵桂兰", "death_date": "2013-02-28"}}),
                )
                .await
                .unwrap();
            (r.status, r.json["error"].as_str().map(str::to_string))
        }
    };
    assert_eq!(
        key(2).await,
        (409, Some("exists".into())),
        "a row read is corrected, not keyed again"
    );
    assert_eq!(key(3).await, (200, None));
    // Its cells were found on the page as it lies: it keeps that turn.
    let turned = c
        .send(
            Method::POST,
            &format!("/api/pages/{KEY_PAGE}/turn"),
            &json!({ "quarter_turns": 1 }),
        )
        .await
        .unwrap();
    assert_eq!((turned.status, turned.json["error"].as_str()), (409, Some("page_read")));
    // The page is a keying item in the queue.
    let mut kinds = Vec::new();
    loop {
        let next = c.get("/api/queue/next").await.unwrap().json;
        let Some(item) = next["item"]["item_id"].as_str() else {
            break;
        };
        kinds.push(next["item"]["kind"].as_str().unwrap().to_string());
        if next["item"]["kind"] == "page" {
            break;
        }
        c.send(Method::POST, &format!("/api/queue/{}/skip", seg(item)), &json!({}))
            .await
            .unwrap();
    }
    assert_eq!(kinds.last().map(String::as_str), Some("page"), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn page_images_and_cell_crops() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "archivist").await;
    let page = c.get(&format!("/api/pages/{PAGE}/image")).await.unwrap();
    assert_eq!((page.status, page.content_type.as_deref()), (200, Some("image/png")));
    let full = image::load_from_memory(&page.bytes).unwrap();
    assert_eq!((full.width(), full.height()), (1100, 401));
    let crop = c.get(&format!("/api/pages/{PAGE}/cells/2-2/crop")).await.unwrap();
    assert_eq!(crop.status, 200);
    let crop = image::load_from_memory(&crop.bytes).unwrap();
    // The ID column is 300 px wide; the crop adds a margin of a quarter row each side.
    assert_eq!((crop.width(), crop.height()), (340, 120));
    // A page read turned (scanned sideways or upside down) has its crops turned upright,
    // its whole image left as scanned (the cell boxes are on it).
    for (quarter_turns, upright) in [(1, crop.rotate90()), (2, crop.rotate180()), (3, crop.rotate270())] {
        f.page_read_turned(quarter_turns);
        let turned = c.get(&format!("/api/pages/{PAGE}/cells/2-2/crop")).await.unwrap();
        let turned = image::load_from_memory(&turned.bytes).unwrap();
        assert!(turned.to_luma8() == upright.to_luma8(), "{quarter_turns} quarter turns");
        let page = c.get(&format!("/api/pages/{PAGE}/image")).await.unwrap();
        assert_eq!(image::load_from_memory(&page.bytes).unwrap().width(), 1100);
    }
    // A photo of the page stored turned, its Exif saying to show it a quarter turn
    // clockwise: the boxes are on the page as shown, so it is sent so, as a PNG, not as
    // the JPEG a browser might show unturned.
    f.page_read_turned(0);
    let stored = full.rotate270().to_rgb8();
    let mut photo = Vec::new();
    let mut jpeg = image::codecs::jpeg::JpegEncoder::new(&mut photo);
    // Exif, little-endian: one directory holding one entry, orientation (0x0112) 6.
    let exif = [
        b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0".as_slice(),
        &[0; 6],
    ]
    .concat();
    image::ImageEncoder::set_exif_metadata(&mut jpeg, exif).unwrap();
    jpeg.encode_image(&stored).unwrap();
    let file: String =
        f.ws.with_store(|c| Ok(c.query_row("SELECT path FROM pages WHERE page_id = ?", [PAGE], |r| r.get(0))?))
            .unwrap();
    std::fs::write(&file, &photo).unwrap();
    let shown = c.get(&format!("/api/pages/{PAGE}/image")).await.unwrap();
    assert_eq!(shown.content_type.as_deref(), Some("image/png"));
    let shown = image::load_from_memory(&shown.bytes).unwrap();
    assert_eq!((shown.width(), shown.height()), (1100, 401));
    let crop = c.get(&format!("/api/pages/{PAGE}/cells/2-2/crop")).await.unwrap();
    assert_eq!(image::load_from_memory(&crop.bytes).unwrap().width(), 340);
    assert_eq!(
        c.get(&format!("/api/pages/{PAGE}/cells/9-9/crop"))
            .await
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        c.get(&format!("/api/pages/{PAGE}/cells/x/crop")).await.unwrap().status,
        400
    );
    // Page ids are looked up, never joined to a path.
    let r = c.get("/api/pages/..%2F..%2Fetc%2Fpasswd/image").await.unwrap();
    assert_eq!(r.status, 404);
    // The page shows ID numbers: a role that may not see them gets it only while
    // working on an item of that page, and never an ID cell of someone else's row.
    let idle = as_role(&base, "data_entry").await;
    assert_eq!(
        idle.get(&format!("/api/pages/{PAGE}/image")).await.unwrap().json["error"],
        "protected"
    );
    assert_eq!(
        idle.get(&format!("/api/pages/{PAGE}/cells/2-2/crop"))
            .await
            .unwrap()
            .status,
        403
    );
    assert_eq!(
        idle.get(&format!("/api/pages/{PAGE}/cells/2-0/crop"))
            .await
            .unwrap()
            .status,
        200,
        "names are not protected"
    );
    idle.get("/api/queue/next").await.unwrap();
    assert_eq!(
        idle.get(&format!("/api/pages/{PAGE}/image")).await.unwrap().status,
        200,
        "working on the page"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_counts_batches_and_work() {
    let f = fixture();
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;
    c.send(
        Method::PUT,
        &format!("/api/records/{}", rid(4)),
        &json!({"version": 0, "action": "accept"}),
    )
    .await
    .unwrap();
    let d = c.get("/api/batches").await.unwrap().json;
    let b = &d["batches"][0];
    assert_eq!(
        (b["batch_id"].as_str(), b["pages"].as_i64(), b["records"].as_i64()),
        (Some(BATCH), Some(2), Some(4))
    );
    assert_eq!(
        b["waiting"],
        json!({"records": 2, "pairs": 1, "pages": 1, "qa": 0, "second_review": 0})
    );
    assert_eq!(b["progress"][0]["count"], 1);
    let me: Vec<&Value> = d["throughput"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["username"] == "reviewer")
        .collect();
    assert_eq!(me[0]["items"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn records_not_under_review_open_from_the_workspace() {
    let f = fixture();
    // The journal holds only what review needs; a search hit may be any record.
    f.db.conn()
        .execute("DELETE FROM records WHERE record_id = ?1", [rid(3)])
        .unwrap();
    let base = serve(&f).await;
    let c = as_role(&base, "archivist").await;
    let r = c.get(&format!("/api/records/{}", rid(3))).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        (r.json["status"].as_str(), r.json["version"].as_i64()),
        (Some("machine"), Some(0))
    );
    let name = field_of(&r.json, "deceased_name");
    assert_eq!(
        (name["value"].as_str(), name["cell"].as_str()),
        (Some("张德明"), Some("3-0"))
    );
    assert_eq!(c.get("/api/records/nothing-like-this").await.unwrap().status, 404);
    // It is not a queue item.
    let items: i64 =
        f.db.conn()
            .query_row(
                "SELECT count(*) FROM items WHERE item_id = ?1",
                [format!("record:{}", rid(3))],
                |r| r.get(0),
            )
            .unwrap();
    assert_eq!(items, 0);
}

/// Adds `n` machine-accepted records to the fixture's batch (pages without images):
/// generated ones that pass validation, as the machine accepts only those.
fn more_machine_records(f: &Fixture, n: usize) {
    use ledgerline_schemas::validate::{is_acceptable, validate};
    let machine = ledgerline_schemas::ReviewStatus::Machine;
    let records: Vec<_> = ledgerline_synth::records::generate_records(4 * n, 9)
        .iter()
        .filter(|r| is_acceptable(&validate(&r.to_record(BATCH, 0, 20, machine))))
        .take(n)
        .enumerate()
        .map(|(i, r)| r.to_record(BATCH, i, 20, machine))
        .collect();
    assert_eq!(records.len(), n);
    f.ws.transaction(|c| {
        for page in records.chunks(20) {
            ledgerline_store::records::replace_page_records(c, &page[0].source.page, page)?;
        }
        Ok(())
    })
    .unwrap();
}

/// Records needing review come first in the queue; skips the fixture's three of them.
async fn skip_the_fixtures_records(c: &Client) {
    for _ in 0..3 {
        let next = c.get("/api/queue/next").await.unwrap().json;
        assert_eq!(next["item"]["kind"], "record");
        let item = seg(next["item"]["item_id"].as_str().unwrap());
        c.send(Method::POST, &format!("/api/queue/{item}/skip"), &json!({}))
            .await
            .unwrap();
    }
}

/// Takes QA items until there are none, answering each with `answer(index)`.
async fn inspect(c: &Client, mut answer: impl FnMut(usize) -> Value) -> usize {
    let mut n = 0;
    loop {
        let next = c.get("/api/queue/next").await.unwrap().json;
        if next["item"]["kind"] != "qa" {
            return n;
        }
        let id = next["record"]["record_id"].as_str().unwrap().to_string();
        let mut body = answer(n);
        body["version"] = next["record"]["version"].clone();
        let r = c
            .send(Method::PUT, &format!("/api/records/{}", seg(&id)), &body)
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.json);
        n += 1;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_qa_sample_that_conforms_passes_the_batch() {
    let f = fixture();
    more_machine_records(&f, 30);
    // 31 machine-accepted records: code letter D, AQL 0.65 points down to F: 20, Ac 0.
    let s = ledgerline_review::qa::start(&f.ws, &f.db, BATCH, 0.65, "archivist").unwrap();
    assert_eq!(
        (s.plan.lot_size, s.plan.code_letter, s.plan.plan_letter),
        (31, 'D', 'F')
    );
    assert_eq!((s.plan.sample_size, s.plan.accept, s.plan.reject), (20, 0, 1));
    let again = ledgerline_review::qa::start(&f.ws, &f.db, BATCH, 0.65, "archivist").unwrap();
    assert_eq!(again.attempt, 1, "starting twice draws nothing new");
    let mistyped = ledgerline_review::qa::start(&f.ws, &f.db, "B9", 0.65, "archivist").unwrap_err();
    assert!(mistyped.to_string().contains("its batches: B1"), "{mistyped}");
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;
    skip_the_fixtures_records(&c).await;
    let n = inspect(&c, |_| json!({"action": "accept"})).await;
    assert_eq!(n, 20);
    let s = ledgerline_review::qa::status(&f.db, BATCH).unwrap().unwrap();
    assert_eq!(
        (s.inspected, s.defects, s.verdict),
        (20, 0, ledgerline_load::sampling::Verdict::Pass)
    );
    let d = c.get("/api/batches").await.unwrap().json;
    assert_eq!(d["batches"][0]["qa"]["verdict"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_qa_sample_sends_the_batch_back_to_review() {
    let f = fixture();
    more_machine_records(&f, 30);
    ledgerline_review::qa::start(&f.ws, &f.db, BATCH, 0.65, "archivist").unwrap();
    let base = serve(&f).await;
    let c = as_role(&base, "reviewer").await;
    skip_the_fixtures_records(&c).await;
    // The second sampled record has a wrong value: Re 1 is reached, the batch fails at
    // once and the rest of the sample is withdrawn.
    let n = inspect(&c, |i| {
        if i == 1 {
            json!({"action": "accept", "fields": {"death_cause": "更正"}})
        } else {
            json!({"action": "accept"})
        }
    })
    .await;
    assert_eq!(n, 2);
    let s = ledgerline_review::qa::status(&f.db, BATCH).unwrap().unwrap();
    assert_eq!(
        (s.inspected, s.defects, s.verdict),
        (2, 1, ledgerline_load::sampling::Verdict::Fail)
    );
    // Synced: every record the machine had accepted alone is back with people.
    let (ws, db) = (f.ws.clone(), f.db.clone());
    let report = tokio::task::spawn_blocking(move || sync::sync(&ws, &db))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.records_in, 29, "31 machine-accepted, 2 inspected: {report:?}");
    let machine: i64 =
        f.ws.with_store(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM records WHERE batch_id = ? AND status = 'machine'",
                [BATCH],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(machine, 0);
    // A new attempt finds nothing the machine accepted alone: it passes with nothing to sample.
    let s = ledgerline_review::qa::start(&f.ws, &f.db, BATCH, 0.65, "archivist").unwrap();
    assert_eq!(
        (s.attempt, s.plan.lot_size, s.verdict),
        (2, 0, ledgerline_load::sampling::Verdict::Pass)
    );
}

/// Query text and names that would be code if they were ever pasted into SQL or a path.
const HOSTILE: [&str; 7] = [
    "' OR '1'='1",
    "1; DROP TABLE records; --",
    "\"); DELETE FROM users; --",
    "王秀英' UNION SELECT password_hash FROM users --",
    "../../../../etc/passwd",
    "..\\..\\review.sqlite",
    "%00'--",
];

/// Every path parameter of every GET route, the search text and each of its filters,
/// the queue's batch filter and the login name get hostile values. Each answer is a
/// refusal or a normal answer, never a server error or anything leaked; afterwards the
/// users, a record and the audit chain are as they were.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_input_in_every_parameter_is_data_not_code() {
    let f = fixture();
    index_fixture(&f);
    let base = serve(&f).await;
    let admin = as_role(&base, "admin").await;
    let users_before = admin.get("/api/users").await.unwrap().json;
    let record_before = admin.get(&format!("/api/records/{}", rid(1))).await.unwrap().json;
    let leaks = |r: &ledgerline_review::client::Reply| {
        let text = String::from_utf8_lossy(&r.bytes);
        text.contains("$argon2") || text.contains("root:x:") || text.contains("SQLite format")
    };
    let mut asked = 0;
    for hostile in HOSTILE {
        let value = seg(hostile);
        let mut paths: Vec<String> = ROUTES
            .iter()
            .filter(|r| r.method == Method::GET && r.path.contains('{'))
            .flat_map(|r| {
                ["{record_id}", "{a}", "{b}", "{page_id}", "{cell}"]
                    .into_iter()
                    .filter(|p| r.path.contains(p))
                    .map(|p| concrete(&r.path.replace(p, &value)))
                    .collect::<Vec<_>>()
            })
            .collect();
        paths.push(format!("/api/search?q={value}"));
        for filter in ["type", "from", "to", "agency", "status"] {
            paths.push(format!("/api/search?q=%E7%8E%8B&{filter}={value}"));
        }
        paths.push(format!("/api/queue/next?batch={value}"));
        for path in paths {
            let r = admin.get(&path).await.unwrap();
            asked += 1;
            assert!(r.status < 500, "GET {path}: {} {}", r.status, r.json);
            assert!(!leaks(&r), "GET {path} leaked: {}", String::from_utf8_lossy(&r.bytes));
        }
        let r = Client::new(&base).login(hostile, PASSWORD).await.unwrap();
        assert_eq!(r.status, 401, "login as {hostile:?}: {}", r.json);
    }
    assert!(asked > 60, "{asked} requests");
    assert_eq!(admin.get("/api/users").await.unwrap().json, users_before);
    let record_after = admin.get(&format!("/api/records/{}", rid(1))).await.unwrap().json;
    assert_eq!(record_after, record_before);
    let chain = admin.get("/api/audit/verify").await.unwrap();
    assert_eq!(chain.status, 200, "{}", chain.json);
    assert!(chain.json["broken_at"].is_null(), "{}", chain.json);
    let search = admin.get("/api/search?q=%E7%8E%8B").await.unwrap();
    assert_eq!(search.status, 200, "search still answers: {}", search.json);
}
