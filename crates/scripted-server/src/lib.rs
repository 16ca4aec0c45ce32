//! A scripted loopback server for the client crates' tests: it answers requests in order from a
//! script, records every request it was sent, and binds only `127.0.0.1`.
//!
//! Unpublished test support (`publish = false`), the one scripted server both client suites
//! use, as STYLE.md asks; the sandbox's own tests drive the real emulator instead.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use scripted_server::{Answer, Server};
//!
//! let server = Server::start(vec![Answer::json(200, r#"{"ok":true}"#)]).await;
//! assert!(server.url.starts_with("http://127.0.0.1:"));
//! assert!(server.requests().is_empty());
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One scripted answer: a status, headers, a body, and how long to wait before answering.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Headers of the answer (name, value).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
    /// A wait before the answer is sent (for timeout tests).
    pub delay: Duration,
}

impl Answer {
    /// A JSON answer (`content-type: application/json`).
    pub fn json(status: u16, body: impl Into<String>) -> Answer {
        Answer::with_type(status, "application/json", body)
    }

    /// An answer with this content type and body (HTML from a proxy, plain text, ...).
    pub fn with_type(status: u16, content_type: &str, body: impl Into<String>) -> Answer {
        Answer {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// An answer without a body or content type (a 204, a bodiless 200).
    pub fn empty(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: String::new(),
            delay: Duration::ZERO,
        }
    }

    fn into_response(self) -> Response {
        let Ok(status) = StatusCode::from_u16(self.status) else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "scripted an invalid status",
            )
                .into_response();
        };
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = status;
        for (name, value) in self.headers {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                (Ok(name), Ok(value)) => {
                    response.headers_mut().insert(name, value);
                }
                _ => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "scripted an invalid header",
                    )
                        .into_response();
                }
            }
        }
        response
    }
}

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Its method.
    pub method: Method,
    /// Its target (path and query).
    pub uri: Uri,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body bytes.
    pub body: Bytes,
}

/// A running scripted server; it stops with the test's runtime.
#[derive(Debug)]
pub struct Server {
    /// The base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers the requests in order with `script`, and `500 script exhausted` once it has run
    /// out.
    ///
    /// # Panics
    /// When no loopback port can be bound: a test cannot run without one.
    pub async fn start(script: Vec<Answer>) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(script)));
        let record = Arc::clone(&seen);
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let record = Arc::clone(&record);
                let queue = Arc::clone(&queue);
                async move {
                    lock(&record).push(Seen {
                        method,
                        uri,
                        headers,
                        body,
                    });
                    let next = lock(&queue).pop_front();
                    let Some(next) = next else {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "script exhausted")
                            .into_response();
                    };
                    tokio::time::sleep(next.delay).await;
                    next.into_response()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .expect("a bound socket has an address")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { url, seen }
    }

    /// Every request seen so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }

    /// The one request seen; fails the calling test when there were more or none.
    #[track_caller]
    pub fn only_request(&self) -> Seen {
        let seen = self.requests();
        assert_eq!(seen.len(), 1, "expected exactly one request, got {seen:?}");
        seen.into_iter().next().expect("one request")
    }
}

/// A lock that a panicking test thread cannot poison for the others.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
