//! A scripted loopback server the client tests talk to: it answers requests in order from a
//! script and records what it was sent.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub const SECRET: &str = "very-secret-value-42";
pub const ID: &str = "76fa7010-8c1f-4a24-917a-4d62a54e744d";

pub fn webhook_json(n: usize) -> String {
    format!(
        r#"{{"id":"{}","url":"https://example.com/{n}","method":"POST","encoding":"JSON","headers":{{}},"events":["RECEIVED_SMS"],"retries":0}}"#,
        uuid::Uuid::from_u128(n as u128 + 1)
    )
}

/// One scripted answer.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

pub fn answer(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: body.into(),
        delay: Duration::ZERO,
    }
}

pub fn text(status: u16, body: impl Into<String>) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", "text/html".to_owned())],
        body: body.into(),
        delay: Duration::ZERO,
    }
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub struct Server {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers the requests in order with `script`; 500 once it runs out.
    pub async fn start(script: Vec<Answer>) -> Server {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(script)));
        let record = Arc::clone(&seen);
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let record = Arc::clone(&record);
                let queue = Arc::clone(&queue);
                async move {
                    record.lock().unwrap().push(Seen {
                        method,
                        uri,
                        headers,
                        body,
                    });
                    let next = queue.lock().unwrap().pop_front();
                    let Some(next) = next else {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "script exhausted")
                            .into_response();
                    };
                    tokio::time::sleep(next.delay).await;
                    let mut response = Response::new(axum::body::Body::from(next.body));
                    *response.status_mut() = StatusCode::from_u16(next.status).unwrap();
                    for (name, value) in next.headers {
                        response.headers_mut().insert(name, value.parse().unwrap());
                    }
                    response
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { url, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
