//! A callback receiver on loopback: records every request it gets and answers with a scripted
//! sequence of statuses (then 200).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use tokio::sync::mpsc;

/// One callback as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    /// Path and query, as received.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A running receiver.
pub struct Receiver {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    inbox: mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Answers the first requests with `statuses`, in order, then 200.
    pub async fn start(statuses: &[u16]) -> Receiver {
        let script: Arc<Mutex<VecDeque<u16>>> =
            Arc::new(Mutex::new(statuses.iter().copied().collect()));
        let (sent, inbox) = mpsc::unbounded_channel();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let script = Arc::clone(&script);
                let sent = sent.clone();
                async move {
                    let target = uri
                        .path_and_query()
                        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
                    let _ = sent.send(Received {
                        method,
                        target,
                        headers,
                        body,
                    });
                    let status = script.lock().unwrap().pop_front().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, inbox, task }
    }

    /// The next callback, waiting at most 10 s for it (a bound, not a speed assertion).
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.inbox.recv())
            .await
            .expect("a callback arrives")
            .expect("the receiver is running")
    }

    /// Every callback received so far, without waiting.
    pub fn drain(&mut self) -> Vec<Received> {
        let mut all = Vec::new();
        while let Ok(received) = self.inbox.try_recv() {
            all.push(received);
        }
        all
    }
}

/// A server that accepts connections and never answers: holds each one open until dropped.
pub struct Silent {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Silent {
    pub async fn start() -> Silent {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            // Bounded: the test holds few connections, and the task is aborted on drop.
            while held.len() < 64 {
                match listener.accept().await {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => break,
                }
            }
            std::future::pending::<()>().await;
        });
        Silent { base, task }
    }
}
