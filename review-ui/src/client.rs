//! A small HTTP client of the API, for the load benchmark and the tests: it keeps the
//! session cookie and sends the CSRF token like the web app does.

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
pub use hyper::Method;
use hyper::{header, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

#[derive(Clone)]
pub struct Client {
    http: HyperClient<HttpConnector, Full<Bytes>>,
    base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

/// A response: status, headers worth checking, body as JSON (or `Null`) and raw bytes.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub bytes: Bytes,
    pub content_type: Option<String>,
    pub set_cookie: Option<String>,
}

impl Client {
    /// `base` like `http://127.0.0.1:8080`.
    pub fn new(base: &str) -> Client {
        Client {
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
            base: base.trim_end_matches('/').to_string(),
            cookie: None,
            csrf: None,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        if let (Some(t), false) = (&self.csrf, method == Method::GET) {
            req = req.header("x-csrf-token", t);
        }
        let bytes = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(b)?)
            }
            None => Bytes::new(),
        };
        let res = self
            .http
            .request(req.body(Full::new(bytes))?)
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status().as_u16();
        let text = |h: header::HeaderName| res.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (content_type, set_cookie) = (text(header::CONTENT_TYPE), text(header::SET_COOKIE));
        let bytes = res.into_body().collect().await?.to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            json,
            bytes,
            content_type,
            set_cookie,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Reply> {
        self.call(Method::GET, path, None).await
    }

    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Result<Reply> {
        self.call(method, path, Some(body)).await
    }

    /// Logs in and keeps the session cookie and CSRF token.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<Reply> {
        let reply = self
            .send(
                Method::POST,
                "/api/login",
                &serde_json::json!({ "username": username, "password": password }),
            )
            .await?;
        if reply.status == 200 {
            self.cookie = reply
                .set_cookie
                .as_deref()
                .and_then(|c| c.split(';').next())
                .map(str::to_string);
            self.csrf = reply.json["csrf_token"].as_str().map(str::to_string);
        }
        Ok(reply)
    }
}

/// Percent-encodes a path segment (record ids are ASCII, item ids carry `:` and `|`).
pub fn seg(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The client for code without an async runtime (the binary's end-to-end tests): each
/// call runs on a runtime of its own.
pub struct Blocking {
    runtime: tokio::runtime::Runtime,
    pub client: Client,
}

impl Blocking {
    pub fn new(base: &str) -> Result<Blocking> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        // hyper's pool must be created inside the runtime that drives it.
        let client = runtime.block_on(async { Client::new(base) });
        Ok(Blocking { runtime, client })
    }

    pub fn login(&mut self, username: &str, password: &str) -> Result<Reply> {
        self.runtime.block_on(self.client.login(username, password))
    }

    pub fn get(&self, path: &str) -> Result<Reply> {
        self.runtime.block_on(self.client.get(path))
    }

    pub fn send(&self, method: Method, path: &str, body: &Value) -> Result<Reply> {
        self.runtime.block_on(self.client.send(method, path, body))
    }
}
