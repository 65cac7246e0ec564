//! Just enough of the Chrome DevTools Protocol to drive Debian's headless Chromium from
//! a test: open a page, evaluate JavaScript, type, press keys, take screenshots.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

/// The Chromium binary, if installed.
pub fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new("which").arg(b).output().is_ok_and(|o| o.status.success()))
        .map(str::to_string)
}

impl Browser {
    pub fn launch(binary: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
                "--lang=zh-CN",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut url = None;
        for line in stderr.lines() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("DevTools listening on ") {
                url = Some(u.trim().to_string());
                break;
            }
        }
        let url = url.expect("chromium printed no DevTools address");
        let (ws, _) = tungstenite::connect(url.as_str()).expect("connect to DevTools");
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}), false);
        let attached = b.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
            false,
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Page.enable", json!({}), true);
        b
    }

    fn call(&mut self, method: &str, params: Value, in_page: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if in_page {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let reply = self.ws.read().expect("DevTools connection");
            let Ok(text) = reply.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap();
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method}: {e}");
                }
                return v["result"].clone();
            }
        }
    }

    /// Runs `js` in every page before the page's own scripts (a hook such as an error
    /// log must be in place before anything can fail).
    pub fn before_every_page(&mut self, js: &str) {
        self.call("Page.addScriptToEvaluateOnNewDocument", json!({"source": js}), true);
    }

    pub fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}), true);
    }

    /// Evaluates `js` (awaiting a promise) and returns its value.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "awaitPromise": true, "returnByValue": true}),
            true,
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{js}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `js` is truthy.
    pub fn wait(&mut self, js: &str) {
        let start = Instant::now();
        loop {
            let v = self.eval(&format!(
                "(() => {{ try {{ return !!({js}); }} catch (e) {{ return false; }} }})()"
            ));
            if v == json!(true) {
                return;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let body = self.eval("document.body.innerText");
                panic!("timed out waiting for {js}; page says: {body}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}), true);
    }

    /// Presses a key: `code` as in KeyboardEvent.code (`KeyA`, `Tab`, `Enter`), with
    /// modifiers (1 Alt, 2 Ctrl, 8 Shift).
    pub fn press(&mut self, code: &str, modifiers: u32) {
        let (key, vk, text) = match code {
            "Enter" => ("Enter".to_string(), 13, Some("\r")),
            "Tab" => ("Tab".to_string(), 9, None),
            "Escape" => ("Escape".to_string(), 27, None),
            "Equal" => ("=".to_string(), 187, None),
            c if c.starts_with("Key") => {
                let ch = c[3..].to_lowercase();
                let vk = ch.chars().next().unwrap().to_ascii_uppercase() as u32;
                (ch, vk, None)
            }
            other => panic!("no key {other}"),
        };
        let mut down =
            json!({"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers});
        if let (Some(t), 0) = (text, modifiers) {
            down["text"] = json!(t);
        }
        if code == "KeyA" && modifiers == 2 {
            down["commands"] = json!(["selectAll"]);
        }
        self.call("Input.dispatchKeyEvent", down, true);
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers}),
            true,
        );
    }

    pub fn screenshot(&mut self, path: &std::path::Path) {
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}), true);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
