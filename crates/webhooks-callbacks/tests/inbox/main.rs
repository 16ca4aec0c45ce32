//! The SQLite inbox: stored before acknowledged, deduplicated, handled with leases, retries,
//! dead letters and replay; refusing what is unsigned, forged, oversized, over the backlog or
//! over the disk; an inbox file that is not one left untouched; and behind a proxy.
#![cfg(all(feature = "inbox", feature = "axum"))]

mod common;
mod proxy;
mod signer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Counting, LIMIT, OtherProcess, entry, eventually, receive, reply, report, stored};
use http::{Method, StatusCode, Uri};
use signer::Signer;
use webhooks_callbacks::inbox::{
    Delivery, Inbox, InboxBuilder, InboxError, ListFilter, Outcome, Receipt, Replay, State,
};
use webhooks_callbacks::{FETCH_BURST, KeySourceError, PublishedKey, Verifier, key_source_fn};

struct Setup {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    signer: &'static Signer,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        Setup {
            _dir: dir,
            path,
            signer: Signer::shared(),
        }
    }

    fn builder(&self) -> InboxBuilder {
        Inbox::builder()
            .sqlite(&self.path)
            .verifier(self.signer.verifier())
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .lease(Duration::from_millis(600))
    }

    async fn inbox(&self) -> Inbox {
        self.builder().open().await.expect("the inbox opens")
    }
}

#[tokio::test]
async fn a_signed_callback_is_stored_before_it_is_acknowledged_then_handled_once() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let body = report("m-1", "delivered");
    let receipt = receive(&inbox, setup.signer, "/hooks/mm?tenant=acme", &body).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    let id = stored(&receipt);

    // Durable before the answer: a second inbox on the same file sees it at once.
    let other = setup.inbox().await;
    let seen = entry(&other, id).await;
    assert_eq!(seen.state, State::Pending);
    assert_eq!(seen.body, body.as_bytes());
    assert_eq!(seen.target, "/hooks/mm?tenant=acme");
    assert_eq!(seen.kind, "delivery_report");
    assert_eq!(seen.dedup_key, "dr:m-1:delivered");
    assert_eq!(seen.key_id.as_deref(), Some(signer::KEY_ID));

    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("handled", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("dr:m-1:delivered"), 1);
    let done = entry(&inbox, id).await;
    assert_eq!(done.attempts, 1);
    assert!(done.finished_at.is_some());
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.depth, stats.done, stats.dead), (0, 1, 0));
}

#[tokio::test]
async fn a_retried_callback_is_answered_200_counted_and_never_handled_again() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    let body = reply("r-7");
    let first = stored(&receive(&inbox, setup.signer, "/hooks", &body).await);
    eventually("handled", || async {
        entry(&inbox, first).await.state == State::Done
    })
    .await;
    // The platform retries: same body, a fresh Date and signature.
    for _ in 0..3 {
        match receive(&inbox, setup.signer, "/hooks", &body).await {
            Receipt::Duplicate(id) => assert_eq!(id, first),
            other => panic!("{other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("reply:r-7"), 1);
    assert_eq!(entry(&inbox, first).await.duplicates, 3);
    assert_eq!(inbox.stats().await.unwrap().duplicates, 3);
}

#[tokio::test]
async fn unsigned_forged_and_stale_callbacks_are_refused_and_nothing_is_stored() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let body = reply("r-1");
    let unsigned = inbox
        .receive(
            &Method::POST,
            &Uri::from_static("/hooks"),
            &http::HeaderMap::new(),
            Bytes::from(body.clone()),
        )
        .await;
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let (uri, headers) = setup.signer.sign("POST", "/hooks", body.as_bytes());
    let tampered = inbox
        .receive(&Method::POST, &uri, &headers, Bytes::from(reply("r-2")))
        .await;
    assert!(matches!(tampered, Receipt::Refused(_)), "{tampered:?}");
    let moved = inbox
        .receive(
            &Method::POST,
            &Uri::from_static("/other"),
            &headers,
            Bytes::from(body),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::UNAUTHORIZED);
    assert!(inbox.list(ListFilter::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn ten_thousand_distinct_forged_key_ids_store_nothing_and_cost_the_key_source_one_burst() {
    let setup = Setup::new();
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    // Knows no key but the genuine one, which the verifier already holds.
    let source = key_source_fn(move |_key_id: String| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok::<Option<PublishedKey>, KeySourceError>(None) }
    });
    let inbox = Inbox::builder()
        .sqlite(&setup.path)
        .verifier(setup.signer.verifier().key_source(source))
        .open()
        .await
        .unwrap();
    let body = report("m-forged", "DELIVERED");
    let (uri, mut headers) = setup.signer.sign("POST", "/hooks", body.as_bytes());
    let (mut unauthorized, mut unavailable) = (0, 0);
    for n in 0..10_000u32 {
        headers.insert(
            "x-messagemedia-key-id",
            http::HeaderValue::from_str(&format!("00000000-0000-4000-8000-{n:012}")).unwrap(),
        );
        let receipt = inbox
            .receive(&Method::POST, &uri, &headers, Bytes::from(body.clone()))
            .await;
        match receipt.status() {
            // An id the source does not have: refused.
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            // Past the fetch budget: "try later", so a genuine new key is not refused for good.
            StatusCode::SERVICE_UNAVAILABLE => unavailable += 1,
            other => panic!("a forged key id got {other}: {receipt:?}"),
        }
    }
    assert_eq!(unauthorized + unavailable, 10_000);
    assert_eq!(calls.load(Ordering::SeqCst), FETCH_BURST);
    assert_eq!(unauthorized, FETCH_BURST);
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.depth, stats.duplicates), (0, 0), "{stats:?}");
    assert!(inbox.list(ListFilter::new()).await.unwrap().is_empty());
    // The genuine signer is still served, the flood notwithstanding.
    stored(&receive(&inbox, setup.signer, "/hooks", &body).await);
}

#[tokio::test]
async fn a_handler_that_fails_twice_then_succeeds_is_done_on_its_third_attempt() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let workers = inbox.start(move |delivery: Delivery| {
        let counter = Arc::clone(&counter);
        async move {
            let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(delivery.attempt(), call, "attempts count from 1");
            if call < 3 {
                Outcome::retry(format!("downstream unavailable ({call})"))
            } else {
                Outcome::Done
            }
        }
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-3")).await);
    eventually("done", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let done = entry(&inbox, id).await;
    assert_eq!(done.attempts, 3);
    assert_eq!(done.last_error, None, "a success clears the error");
}

#[tokio::test]
async fn a_handler_that_always_fails_ends_dead_and_a_replay_hands_it_over_again() {
    let setup = Setup::new();
    let inbox = setup.builder().max_attempts(3).open().await.unwrap();
    let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&fixed);
    let workers = inbox.start(move |_: Delivery| {
        let flag = Arc::clone(&flag);
        async move {
            if flag.load(Ordering::SeqCst) {
                Outcome::Done
            } else {
                Outcome::retry("the CRM is down")
            }
        }
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-4")).await);
    eventually("dead", || async {
        entry(&inbox, id).await.state == State::Dead
    })
    .await;
    let dead = entry(&inbox, id).await;
    assert_eq!(dead.attempts, 3);
    assert!(
        dead.last_error
            .as_deref()
            .unwrap()
            .contains("the CRM is down"),
        "{dead:?}"
    );
    assert_eq!(inbox.stats().await.unwrap().dead, 1);
    let listed = inbox
        .list(ListFilter::new().state(State::Dead))
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|e| e.id).collect::<Vec<_>>(), [id]);

    fixed.store(true, Ordering::SeqCst);
    assert_eq!(inbox.replay(Replay::Dead).await.unwrap(), 1);
    eventually("done after replay", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(
        entry(&inbox, id).await.attempts,
        1,
        "a replay counts attempts afresh"
    );
}

#[tokio::test]
async fn fail_is_dead_at_once_and_replay_by_id_or_since_a_time_reruns_finished_ones() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let workers = inbox.start(|delivery: Delivery| async move {
        if delivery.entry().dedup_key == "reply:r-bad" {
            Outcome::fail("not one of ours")
        } else {
            Outcome::Done
        }
    });
    let bad = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-bad")).await);
    let good = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-good")).await);
    eventually("finished", || async {
        entry(&inbox, bad).await.state == State::Dead
            && entry(&inbox, good).await.state == State::Done
    })
    .await;
    assert_eq!(entry(&inbox, bad).await.attempts, 1, "Fail does not retry");
    assert_eq!(inbox.replay(Replay::Id(good)).await.unwrap(), 1);
    eventually("done again", || async {
        entry(&inbox, good).await.state == State::Done
    })
    .await;
    let since = time::OffsetDateTime::now_utc() - Duration::from_secs(60);
    assert_eq!(inbox.replay(Replay::Since(since)).await.unwrap(), 2);
    workers.shutdown(LIMIT).await;
}

#[tokio::test]
async fn a_handler_that_hangs_is_dropped_at_its_timeout_and_the_callback_retried() {
    let setup = Setup::new();
    let inbox = setup
        .builder()
        .handler_timeout(Duration::from_millis(300))
        .open()
        .await
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let workers = inbox.start(move |_: Delivery| {
        let counter = Arc::clone(&counter);
        async move {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                std::future::pending::<()>().await;
            }
            Outcome::Done
        }
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-5")).await);
    eventually("done", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_handle_leaves_its_callback_to_be_redone_elsewhere() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let started = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&started);
    let doomed = OtherProcess::start(setup.builder(), move |_: Delivery| {
        let signal = Arc::clone(&signal);
        async move {
            signal.notify_one();
            std::future::pending::<Outcome>().await
        }
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-6")).await);
    tokio::time::timeout(LIMIT, started.notified())
        .await
        .expect("the other process leased it");
    assert_eq!(entry(&inbox, id).await.state, State::Leased);
    doomed.kill();

    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("redone", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("reply:r-6"), 1);
    assert_eq!(entry(&inbox, id).await.attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_stuck_past_its_lease_is_taken_over_and_the_callback_is_not_lost() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    // Its handler blocks the thread its runtime runs on: no renewal can happen.
    let stuck = OtherProcess::start(setup.builder(), |_: Delivery| async move {
        std::thread::sleep(Duration::from_secs(3));
        Outcome::Done
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-8")).await);
    eventually("leased by the stuck one", || async {
        entry(&inbox, id).await.state == State::Leased
    })
    .await;
    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("taken over", || async { handled.count("reply:r-8") == 1 }).await;
    eventually("done", || async {
        entry(&inbox, id).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    // The stuck worker wakes and finds its lease gone: it records nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(entry(&inbox, id).await.attempts, 2);
    stuck.kill();
}

#[tokio::test]
async fn above_the_backlog_limit_the_inbox_answers_503_with_retry_after() {
    let setup = Setup::new();
    let inbox = setup.builder().max_backlog(2).open().await.unwrap();
    stored(&receive(&inbox, setup.signer, "/hooks", &reply("b-1")).await);
    stored(&receive(&inbox, setup.signer, "/hooks", &reply("b-2")).await);
    let full = receive(&inbox, setup.signer, "/hooks", &reply("b-3")).await;
    assert!(
        matches!(full, Receipt::Full { retry_after } if retry_after > 0),
        "{full:?}"
    );
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!full.is_acknowledged());
    // Handling makes room again.
    let workers = inbox.start(Counting::default().handler());
    eventually("room", || async {
        receive(&inbox, setup.signer, "/hooks", &reply("b-3"))
            .await
            .is_acknowledged()
    })
    .await;
    workers.shutdown(LIMIT).await;
}

#[tokio::test]
async fn a_full_disk_answers_503_acknowledges_nothing_and_keeps_what_it_acknowledged() {
    let setup = Setup::new();
    let inbox = setup
        .builder()
        .max_file_bytes(256 * 1024)
        .open()
        .await
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut refused = None;
    for index in 0..200 {
        let body = format!(
            r#"{{"reply_id":"big-{index}","content":"{}"}}"#,
            "x".repeat(8 * 1024)
        );
        match receive(&inbox, setup.signer, "/hooks", &body).await {
            Receipt::Stored(id) => acknowledged.push((id, body)),
            Receipt::Unavailable(err) => {
                refused = Some(err);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let err = refused.expect("the cap is reached");
    assert!(
        matches!(err, InboxError::Unavailable(ref reason) if reason.contains("full")),
        "{err}"
    );
    assert!(acknowledged.len() > 5, "{}", acknowledged.len());
    let other = setup.inbox().await;
    for (id, body) in &acknowledged {
        assert_eq!(entry(&other, *id).await.body, body.as_bytes());
    }
    let stored_now = other
        .list(ListFilter::new().limit(1000))
        .await
        .unwrap()
        .len();
    assert_eq!(
        stored_now,
        acknowledged.len(),
        "nothing unacknowledged was kept"
    );
}

#[tokio::test]
async fn an_inbox_file_that_is_not_one_is_refused_by_name_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        (
            "garbage.db",
            b"this is no database at all, just words".to_vec(),
        ),
        ("empty-json.db", b"{}".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = Inbox::builder()
            .sqlite(&path)
            .verifier(Verifier::new())
            .open()
            .await
            .unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        assert!(matches!(err, InboxError::NotAnInbox { .. }), "{err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "untouched");
    }
    // Another program's SQLite database.
    let foreign = dir.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine');")
            .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let err = Inbox::builder()
        .sqlite(&foreign)
        .verifier(Verifier::new())
        .open()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
}

#[tokio::test]
async fn with_an_order_key_a_messages_reports_are_handled_one_at_a_time_in_arrival_order() {
    let setup = Setup::new();
    let inbox = setup
        .builder()
        .order_by(|callback| callback.message_id().map(ToString::to_string))
        .concurrency(8)
        .open()
        .await
        .unwrap();
    let statuses = ["submitted", "enroute", "delivered"];
    for status in statuses {
        for message in 0..10 {
            stored(
                &receive(
                    &inbox,
                    setup.signer,
                    "/hooks",
                    &report(&format!("m{message}"), status),
                )
                .await,
            );
        }
    }
    let order: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let seen = Arc::clone(&order);
    let workers = inbox.start(move |delivery: Delivery| {
        let seen = Arc::clone(&seen);
        async move {
            let callback = delivery.callback().unwrap();
            let message = callback.message_id().unwrap().to_string();
            let webhooks_callbacks::Callback::DeliveryReport(report) = callback else {
                return Outcome::fail("not a report");
            };
            let status = report.status.unwrap().as_str().to_owned();
            // Without the order key, later reports of a message would overtake earlier ones:
            // the earlier, the slower.
            let pause = match status.as_str() {
                "submitted" => 40,
                "enroute" => 20,
                _ => 0,
            };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            seen.lock()
                .unwrap()
                .entry(message)
                .or_default()
                .push(status);
            Outcome::Done
        }
    });
    eventually("all handled", || async {
        inbox.stats().await.unwrap().done == 30
    })
    .await;
    workers.shutdown(LIMIT).await;
    for (message, seen) in order.lock().unwrap().iter() {
        assert_eq!(seen, &statuses, "{message}");
    }
}

#[tokio::test]
async fn purge_deletes_finished_callbacks_past_retention_and_with_them_their_keys() {
    let setup = Setup::new();
    let inbox = setup
        .builder()
        .retention(Duration::ZERO)
        .open()
        .await
        .unwrap();
    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    let done = stored(&receive(&inbox, setup.signer, "/hooks", &reply("p-1")).await);
    eventually("done", || async {
        entry(&inbox, done).await.state == State::Done
    })
    .await;
    workers.shutdown(LIMIT).await;
    let waiting = stored(&receive(&inbox, setup.signer, "/hooks", &reply("p-2")).await);

    assert_eq!(inbox.purge().await.unwrap(), 1, "the done one only");
    assert!(inbox.get(done).await.unwrap().is_none());
    assert_eq!(
        entry(&inbox, waiting).await.state,
        State::Pending,
        "open ones stay"
    );
    // Its key went with it: the same callback is new again.
    assert!(matches!(
        receive(&inbox, setup.signer, "/hooks", &reply("p-1")).await,
        Receipt::Stored(_)
    ));
    assert!(matches!(
        receive(&inbox, setup.signer, "/hooks", &reply("p-2")).await,
        Receipt::Duplicate(id) if id == waiting
    ));
}
