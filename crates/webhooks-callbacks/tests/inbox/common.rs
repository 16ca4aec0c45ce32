//! What the SQLite inbox tests (tests/inbox) and the JetStream ones (tests/nats) share: the
//! bodies they send, receiving a signed callback, waiting, a counting handler, and workers in
//! "another process" that can be killed where they stand.
#![allow(dead_code)] // each test target uses its own part

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use webhooks_callbacks::inbox::{
    Delivery, Entry, EntryId, Handler, Inbox, InboxBuilder, Outcome, Receipt,
};

use crate::signer::Signer;

/// No wait in these tests is a speed assertion: each is a bound so a broken inbox fails instead
/// of hanging.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A delivery report's JSON body (its dedup key is `message` and `status`).
pub fn report(message: &str, status: &str) -> String {
    format!(
        r#"{{"delivery_report_id":"dr-{message}-{status}","message_id":"{message}","status":"{status}","metadata":{{"order":"42"}}}}"#
    )
}

/// An inbound SMS's JSON body (its dedup key is `id`).
pub fn reply(id: &str) -> String {
    format!(r#"{{"reply_id":"{id}","content":"yes please","source_number":"+61491570156"}}"#)
}

/// `body` signed for `POST target`, handed to the inbox as a request.
pub async fn receive(inbox: &Inbox, signer: &Signer, target: &str, body: &str) -> Receipt {
    let (uri, headers) = signer.sign("POST", target, body.as_bytes());
    inbox
        .receive(&Method::POST, &uri, &headers, Bytes::from(body.to_owned()))
        .await
}

/// The id of a stored callback; anything else fails the test.
#[track_caller]
pub fn stored(receipt: &Receipt) -> EntryId {
    match receipt {
        Receipt::Stored(id) => *id,
        other => panic!("not stored: {other:?}"),
    }
}

/// Waits until `check` holds, polling; fails after [`LIMIT`].
pub async fn eventually<F: std::future::Future<Output = bool>>(what: &str, check: impl Fn() -> F) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < LIMIT, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The entry `id`, which must exist.
pub async fn entry(inbox: &Inbox, id: EntryId) -> Entry {
    inbox.get(id).await.unwrap().expect("the entry exists")
}

/// A handler counting how often it saw each dedup key.
#[derive(Clone, Default)]
pub struct Counting(Arc<Mutex<HashMap<String, u32>>>);

impl Counting {
    pub fn handler(&self) -> impl Handler {
        let seen = Arc::clone(&self.0);
        move |delivery: Delivery| {
            let seen = Arc::clone(&seen);
            async move {
                *seen
                    .lock()
                    .unwrap()
                    .entry(delivery.entry().dedup_key.clone())
                    .or_default() += 1;
                Outcome::Done
            }
        }
    }

    pub fn count(&self, key: &str) -> u32 {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u32 {
        self.0.lock().unwrap().values().sum()
    }

    pub fn snapshot(&self) -> HashMap<String, u32> {
        self.0.lock().unwrap().clone()
    }
}

/// Inbox workers on a runtime of their own thread, as another process would run them.
pub struct OtherProcess {
    kill: std::sync::mpsc::Sender<()>,
}

impl OtherProcess {
    /// Opens the inbox `builder` describes (as worker `other-process`) and starts `handler`.
    pub fn start(builder: InboxBuilder, handler: impl Handler) -> OtherProcess {
        let builder = builder.worker_name("other-process");
        let (kill, killed) = std::sync::mpsc::channel::<()>();
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let inbox = builder.open().await.unwrap();
                std::mem::forget(inbox.start(handler));
                ready.send(()).unwrap();
                let _ = tokio::task::spawn_blocking(move || killed.recv()).await;
            });
            // Dies at once: its tasks are dropped where they stand, nothing is released.
            runtime.shutdown_background();
        });
        started
            .recv_timeout(LIMIT)
            .expect("the other process starts");
        OtherProcess { kill }
    }

    /// Kills it: its runtime stops where it stands.
    pub fn kill(self) {
        let _ = self.kill.send(());
    }
}
