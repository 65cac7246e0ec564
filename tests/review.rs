//! `ledgerline serve` as a process beside batch commands on the same workspace: the CLI
//! runs while the server is up, and sees what reviewers decided.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{stored::*, *};
use ledgerline_review::client::{seg, Blocking, Method};
use ledgerline_store::Workspace;
use ledgerline_synth::records::generate_records;
use serde_json::json;

/// A serving process; what it says on stderr after it listens is kept in `later`.
struct Server(std::process::Child, std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Server {
    /// What the server said on stderr after it started listening, once `said` is among it
    /// (waiting up to 10 s).
    fn later_says(&self, said: &str) -> Vec<String> {
        for _ in 0..100 {
            let later = self.1.lock().unwrap().clone();
            if later.iter().any(|l| l.contains(said)) {
                return later;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        self.1.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Starts `serve` on `ws` (on a port the system chooses, with `args` besides) and waits
/// until it listens: the server, its address (HOST:PORT), and what it said until then. The rest of
/// what it says is read on a thread of its own, so that it never waits on a full pipe.
fn serve(ws: &str, args: &[&str]) -> (Server, String, Vec<String>) {
    serve_at(ws, "127.0.0.1:0", args)
}

/// [`serve`] listening on `listen`.
fn serve_at(ws: &str, listen: &str, args: &[&str]) -> (Server, String, Vec<String>) {
    let mut child = Command::new(bin())
        .args(["serve", "--workspace", ws, "--listen", listen])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let later = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let server = Server(child, later.clone());
    let mut said = Vec::new();
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("serve stopped before it listened: {said:?}"));
        let line = line.unwrap();
        if let Some(at) = line.split("listening on ").nth(1) {
            // `http://HOST:PORT/ (Ctrl-C stops)` or `https://…`: HOST:PORT.
            let url = at.split_whitespace().next().unwrap();
            let address = url.split("://").nth(1).unwrap().trim_end_matches('/').to_string();
            said.push(line);
            std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| later.lock().unwrap().push(l)));
            return (server, address, said);
        }
        said.push(line);
    }
}

/// Served with no account that may log in, the app would show only its login page: the
/// server says how to add one, and says nothing of it once there is one.
#[test]
fn serving_without_accounts_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    store(&ws, "B1", &generate_records(5, 5));
    let warning = "no account can log in yet; add one with `ledgerline users add";
    let (server, _, said) = serve(s(&ws_path), &[]);
    assert!(said.iter().any(|l| l.contains(warning)), "{said:?}");
    drop(server);
    add_user(s(&ws_path), "lead", "admin", "a long passphrase");
    let (_server, _, said) = serve(s(&ws_path), &[]);
    assert!(!said.iter().any(|l| l.contains(warning)), "{said:?}");
}

/// The app speaks plain HTTP: served beyond loopback without --secure-cookies (the sign
/// of a TLS proxy in front), the server warns that passwords and records would cross the
/// network readable.
#[test]
fn serving_beyond_loopback_over_plain_http_warns() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    Workspace::open(&ws_path).unwrap();
    add_user(s(&ws_path), "lead", "admin", "a long passphrase");
    let warned = |listen: &str, args: &[&str]| {
        let (_server, _, said) = serve_at(s(&ws_path), listen, args);
        said.iter().any(|l| l.contains("over plain HTTP"))
    };
    assert!(warned("0.0.0.0:0", &[]));
    assert!(!warned("0.0.0.0:0", &["--secure-cookies"]));
    assert!(!warned("127.0.0.1:0", &[]));
}

/// Served with its own certificate, the app speaks HTTPS (nothing to warn of beyond
/// loopback), marks its session cookie Secure, and sends a browser that came by plain
/// HTTP on to the same page over HTTPS; a key that is not the certificate's is refused
/// before the server starts.
#[test]
fn the_app_serves_https_with_its_own_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    Workspace::open(&ws_path).unwrap();
    add_user(s(&ws_path), "lead", "admin", "a long passphrase");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            s(&key),
            "-out",
            s(&cert),
        ])
        .output()
        .expect("the openssl command (scripts/ensure-deps.sh installs it)");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let tls = ["--tls-cert", s(&cert), "--tls-key", s(&key)];
    let (server, address, said) = serve_at(s(&ws_path), "0.0.0.0:0", &tls);
    assert!(said.iter().any(|l| l.contains("listening on https://")), "{said:?}");
    assert!(!said.iter().any(|l| l.contains("over plain HTTP")), "{said:?}");
    let port = address.rsplit(':').next().unwrap();
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "-m", "10", "-i"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let login = curl(&[
        "--cacert",
        s(&cert),
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"username":"lead","password":"a long passphrase"}"#,
        &format!("https://localhost:{port}/api/login"),
    ]);
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    let cookie = login
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert!(
        login.contains("strict-transport-security: max-age=31536000"),
        "browsers told to come back over HTTPS only: {login}"
    );
    let plain = curl(&[&format!("http://127.0.0.1:{port}/queue?batch=B1")]);
    assert!(
        plain.starts_with("HTTP/1.1 301")
            && plain.contains(&format!("Location: https://127.0.0.1:{port}/queue?batch=B1")),
        "{plain}"
    );
    // The certificate is not trusted without its authority: nothing is served unchecked.
    let untrusted = Command::new("curl")
        .args(["-sS", "-m", "10", &format!("https://localhost:{port}/")])
        .output()
        .unwrap();
    assert_eq!(untrusted.status.code(), Some(60), "curl's 'certificate problem'");
    let later = server.later_says("TLS handshake with 127.0.0.1:");
    assert!(
        later
            .iter()
            .any(|l| l.contains("TLS handshake with 127.0.0.1:") && l.contains("failed: tlsv1 alert unknown ca")),
        "the operator is told of the refused certificate: {later:?}"
    );
    let out = run_expect(
        &[
            "serve",
            "--workspace",
            s(&ws_path),
            "--tls-cert",
            s(&cert),
            "--tls-key",
            s(&cert),
        ],
        2,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("--tls-key {}: not a private key file", cert.display())),
        "{err}"
    );
}

#[test]
fn batch_commands_run_while_serving_and_see_reviewers_work() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    store(&ws, "B1", &generate_records(40, 5));
    ws.with_store(|c| {
        c.execute("UPDATE records SET status = 'needs_review' WHERE row_no <= 2", [])?;
        Ok(())
    })
    .unwrap();
    let ws_arg = s(&ws_path);
    add_user(ws_arg, "lead", "reviewer", "a long passphrase");
    let (server, listen, _) = serve(ws_arg, &["--sync-every", "1"]);

    let mut c = Blocking::new(&format!("http://{listen}")).unwrap();
    assert_eq!(c.login("lead", "a long passphrase").unwrap().status, 200);
    let next = c.get("/api/queue/next").unwrap().json;
    let id = next["record"]["record_id"]
        .as_str()
        .expect("a record to review")
        .to_string();
    let put = c
        .send(
            Method::PUT,
            &format!("/api/records/{}", seg(&id)),
            &json!({"version": 0, "action": "reject", "fields": {"death_cause": "审核补录"}}),
        )
        .unwrap();
    assert_eq!(put.status, 200, "{}", put.json);

    // Batch commands on the same workspace while the server runs and syncs.
    let out = dir.path().join("records.jsonl");
    run_ok(&["export", "--workspace", ws_arg, "--format", "jsonl", "--out", s(&out)]);
    let exported = std::fs::read_to_string(&out).unwrap();
    let row: serde_json::Value = exported
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .find(|r: &serde_json::Value| r["record_id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (row["death_cause"].as_str(), row["review"]["status"].as_str()),
        (Some("审核补录"), Some("rejected"))
    );
    assert_eq!(exported.lines().count(), 40, "replaced, not added");
    run_ok(&["dedupe", "--workspace", ws_arg]);
    run_ok(&["status", "--workspace", ws_arg]);
    // The server kept answering throughout.
    assert_eq!(c.get("/api/me").unwrap().status, 200);
    drop(server);
}

/// Accounts changed from the command line are in the audit log as changed by `cli:` and
/// the system user, and `audit log` lists them, newest first.
#[test]
fn accounts_changed_from_the_command_line_are_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    Workspace::open(&ws_path).unwrap();
    let ws = s(&ws_path);
    add_user(ws, "lead", "reviewer", "a long passphrase");
    add_user(ws, "lead", "admin", "a long passphrase");
    run_ok(&["users", "disable", "lead", "--workspace", ws]);
    let log = run_json(&["audit", "log", "--workspace", ws, "--subject", "user:lead", "--json"]);
    // One key of each entry listed, newest first.
    let each = |log: &serde_json::Value, key: &str| -> Vec<String> {
        log.as_array()
            .unwrap()
            .iter()
            .map(|e| e[key].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        each(&log, "action"),
        ["user_disable", "user_update", "user_add"],
        "{log}"
    );
    assert_eq!(
        (&log[1]["before"], &log[1]["after"]),
        (&json!("reviewer"), &json!("admin"))
    );
    assert!(log[1]["username"].as_str().unwrap().starts_with("cli:"), "{log}");
    let plain = String::from_utf8(run_ok(&["audit", "log", "--workspace", ws, "--limit", "2"]).stdout).unwrap();
    assert_eq!(plain.lines().count(), 2, "{plain}");
    assert!(
        plain.contains("user_update") && plain.contains("role: reviewer → admin"),
        "{plain}"
    );
    add_user(ws, "other", "dba", "a long passphrase");
    let every_account = run_json(&["audit", "log", "--workspace", ws, "--subject", "user:*", "--json"]);
    assert_eq!(
        each(&every_account, "record_id"),
        ["user:other", "user:lead", "user:lead", "user:lead"]
    );
    let verified = run_json(&["audit", "verify", "--workspace", ws, "--json"]);
    assert_eq!(verified["entries"], 4, "{verified}");
    // A password set for someone else, to change at their first login.
    add_user_with(ws, "trainee", "data_entry", "a long passphrase", &["--temporary"]);
    let listed = run_json(&["users", "list", "--workspace", ws, "--json"]);
    let due: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap(),
                u["password_change_due"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(due, [("lead", false), ("other", false), ("trainee", true)]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for u in listed.as_array().unwrap() {
        let set_at = u["password_set_at"].as_i64().unwrap_or_default();
        assert!(
            (0..600).contains(&(now - set_at)),
            "set when the account was added: {u}"
        );
    }
    let plain = String::from_utf8(run_ok(&["users", "list", "--workspace", ws]).stdout).unwrap();
    assert!(
        plain
            .lines()
            .any(|l| l.starts_with("trainee") && l.ends_with("temporary password")),
        "{plain}"
    );
    let today = String::from_utf8(
        std::process::Command::new("date")
            .arg("+%Y-%m-%d")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        plain
            .lines()
            .all(|l| l.contains(&format!("password set {}", today.trim()))),
        "{plain}"
    );
}
