//! HTTPS served by the app itself (`ledgerline serve --tls-cert FILE --tls-key FILE`), for
//! a team on other machines without a TLS proxy in front: passwords, session cookies and
//! the records of the dead cross the network encrypted. The system's OpenSSL does the
//! work (Mozilla's "intermediate" settings: TLS 1.2 and 1.3).
//!
//! Each connection's handshake runs in a task of its own, with a time limit, and only
//! finished ones are handed to the HTTP server: a client that opens a connection and
//! says nothing holds up no one else. A browser that comes by plain HTTP (a clerk typing
//! the address without `https://`) is redirected to the same page over HTTPS.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use openssl::ssl::{Ssl, SslAcceptor, SslFiletype, SslMethod};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_openssl::SslStream;

/// How long a client may take over its handshake.
const HANDSHAKE_TIME: Duration = Duration::from_secs(10);

/// The server's side of TLS, from its certificate (PEM, with the chain after it) and key:
/// checked before the server listens, so a wrong file is said at once.
pub fn acceptor(cert: &Path, key: &Path) -> Result<SslAcceptor> {
    let mut builder =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).context("cannot set up TLS (OpenSSL)")?;
    builder
        .set_certificate_chain_file(cert)
        .with_context(|| format!("--tls-cert {}: not a certificate file (PEM)", cert.display()))?;
    builder
        .set_private_key_file(key, SslFiletype::PEM)
        .with_context(|| format!("--tls-key {}: not a private key file (PEM)", key.display()))?;
    builder.check_private_key().with_context(|| {
        format!(
            "--tls-key {} is not the key of --tls-cert {}",
            key.display(),
            cert.display()
        )
    })?;
    Ok(builder.build())
}

/// Connections whose TLS handshake has finished, for `axum::serve`.
pub struct TlsListener {
    ready: mpsc::Receiver<(SslStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp` (in a task of its own, in the current runtime), shaking hands
    /// with `acceptor`.
    pub fn new(tcp: TcpListener, acceptor: SslAcceptor) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (hand_over, ready) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, Arc::new(acceptor), hand_over));
        Ok(TlsListener { ready, local })
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: Arc<SslAcceptor>,
    hand_over: mpsc::Sender<(SslStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, say: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (acceptor, hand_over) = (acceptor.clone(), hand_over.clone());
        tokio::spawn(async move {
            // A browser sent to http:// is sent on to https://.
            if !opens_tls(&stream).await {
                let _ = tokio::time::timeout(HANDSHAKE_TIME, redirect_to_https(stream)).await;
                return;
            }
            let Ok(mut tls) = Ssl::new(acceptor.context()).and_then(|ssl| SslStream::new(ssl, stream)) else {
                return;
            };
            // A failed or unfinished handshake (a client that refused the certificate,
            // one that went quiet) leaves nothing to serve; the operator is told, since
            // reviewers whose browsers refuse the certificate see no page to say so.
            match tokio::time::timeout(HANDSHAKE_TIME, Pin::new(&mut tls).accept()).await {
                Ok(Ok(())) => drop(hand_over.send((tls, peer)).await),
                Ok(Err(e)) => eprintln!("serve: TLS handshake with {peer} failed: {}", handshake_failure(&e)),
                Err(_) => eprintln!(
                    "serve: TLS handshake with {peer} not finished within {} s",
                    HANDSHAKE_TIME.as_secs()
                ),
            }
        });
    }
}

/// What went wrong in a handshake, in one line: OpenSSL's reason (a client refusing the
/// certificate sends an alert, "tlsv1 alert unknown ca"), or the connection's end.
fn handshake_failure(e: &openssl::ssl::Error) -> String {
    if let Some(stack) = e.ssl_error() {
        if let Some(reason) = stack.errors().iter().find_map(|e| e.reason()) {
            return reason.to_string();
        }
    }
    match e.io_error() {
        Some(io) => io.to_string(),
        None => "the client closed the connection".to_string(),
    }
}

/// Whether the client's first byte opens a TLS handshake (a record of type 22), as
/// against a plain HTTP request's method.
async fn opens_tls(stream: &TcpStream) -> bool {
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIME, stream.peek(&mut first)).await {
        Ok(Ok(1)) => first[0] == 0x16,
        _ => true,
    }
}

/// Answers a plain HTTP request with a redirect to the same place over HTTPS (its
/// `Host` header names the server as the browser reached it).
async fn redirect_to_https(mut stream: TcpStream) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .filter(|p| p.starts_with('/') && p.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("/");
    let host = head
        .lines()
        .find_map(|line| {
            line.split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case("host"))
        })
        .map(|(_, value)| value.trim())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()));
    let response = match host {
        Some(host) => format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: https://{host}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        None => {
            let body = "This server speaks HTTPS only.\n";
            format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
    };
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

impl axum::serve::Listener for TlsListener {
    type Io = SslStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task ended (it does not, but the trait wants an answer).
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
