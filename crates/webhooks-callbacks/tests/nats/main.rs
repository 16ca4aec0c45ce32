//! The JetStream inbox against a real `nats-server`, one per test: stored before acknowledged
//! (and across a server restart), deduplicated within the server's window and beyond it,
//! exactly once per key with two receivers and workers in both, retries, dead letters in their
//! stream and replay, a worker killed or stuck mid-handle, listing and stats, purge, and 503
//! when the server is gone.
//!
//! Every test needs `nats-server` (with JetStream: 2.9 or newer) and is ignored by a plain
//! `cargo test`, so the workspace's suite stays hermetic; run them with `--ignored` (CI does,
//! and fails when the server is missing: a test never skips itself).
#![cfg(all(feature = "inbox", feature = "axum", feature = "nats"))]

#[path = "../inbox/common.rs"]
mod common;
mod server;
#[path = "../inbox/signer.rs"]
mod signer;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use bytes::Bytes;
use common::{Counting, LIMIT, OtherProcess, entry, eventually, receive, reply, report, stored};
use http::{Method, StatusCode, Uri};
use server::NatsServer;
use signer::Signer;
use webhooks_callbacks::inbox::{
    Delivery, EntryId, Handler, Inbox, InboxBuilder, ListFilter, Outcome, Receipt, Replay, State,
};

/// The streams' names with the default prefix.
const WORK: &str = "MESSAGEMEDIA_CALLBACKS";
const DEAD: &str = "MESSAGEMEDIA_CALLBACKS_DEAD";

struct Setup {
    server: NatsServer,
    /// The URL's query: options for every inbox of the test.
    query: &'static str,
    signer: &'static Signer,
}

impl Setup {
    fn new() -> Setup {
        Setup::with("")
    }

    fn with(query: &'static str) -> Setup {
        Setup {
            server: NatsServer::start(),
            query,
            signer: Signer::shared(),
        }
    }

    fn url(&self) -> String {
        format!("{}{}", self.server.url(), self.query)
    }

    fn builder(&self) -> InboxBuilder {
        Inbox::builder()
            .nats(self.url())
            .verifier(self.signer.verifier())
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .lease(Duration::from_millis(600))
    }

    async fn inbox(&self) -> Inbox {
        self.builder().open().await.expect("the inbox opens")
    }

    /// A JetStream client of the test's own, to look at the streams directly.
    async fn jetstream(&self) -> jetstream::Context {
        jetstream::new(async_nats::connect(self.server.url()).await.unwrap())
    }

    /// The state of stream `name`.
    async fn stream(&self, name: &str) -> jetstream::stream::State {
        self.jetstream()
            .await
            .get_stream(name)
            .await
            .unwrap()
            .get_info()
            .await
            .unwrap()
            .state
    }
}

async fn state(inbox: &Inbox, id: EntryId) -> Option<State> {
    inbox.get(id).await.unwrap().map(|entry| entry.state)
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn a_signed_callback_is_stored_before_it_is_acknowledged_then_handled_once() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let body = report("m-1", "delivered");
    let receipt = receive(&inbox, setup.signer, "/hooks/mm?tenant=acme", &body).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    let id = stored(&receipt);

    // Stored before the answer: a second inbox, on a connection of its own, sees it at once.
    let other = setup.inbox().await;
    let seen = entry(&other, id).await;
    assert_eq!(seen.state, State::Pending);
    assert_eq!(seen.body, body.as_bytes());
    assert_eq!(seen.target, "/hooks/mm?tenant=acme");
    assert_eq!(seen.kind, "delivery_report");
    assert_eq!(seen.dedup_key, "dr:m-1:delivered");
    assert_eq!(seen.key_id.as_deref(), Some(signer::KEY_ID));
    assert_eq!(seen.attempts, 0);
    assert_eq!(setup.stream(WORK).await.messages, 1);

    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("handled", || async {
        state(&inbox, id).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("dr:m-1:delivered"), 1);
    let done = entry(&other, id).await;
    assert_eq!(done.attempts, 1);
    assert_eq!(done.body, body.as_bytes(), "the done copy keeps the body");
    assert!(done.finished_at.is_some());
    assert_eq!(
        setup.stream(WORK).await.messages,
        0,
        "done leaves the work queue"
    );
    let stats = other.stats().await.unwrap();
    assert_eq!((stats.depth, stats.done, stats.dead), (0, 1, 0));
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn what_was_acknowledged_survives_a_server_restart_and_a_lost_server_answers_503() {
    let mut setup = Setup::new();
    let inbox = setup.inbox().await;
    let kept = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-kept")).await);

    setup.server.kill();
    let started = Instant::now();
    let lost = receive(&inbox, setup.signer, "/hooks", &reply("r-lost")).await;
    assert!(matches!(lost, Receipt::Unavailable(_)), "{lost:?}");
    assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(!lost.is_acknowledged());
    assert!(started.elapsed() < LIMIT);

    setup.server.restart();
    let after = setup.inbox().await;
    assert_eq!(entry(&after, kept).await.dedup_key, "reply:r-kept");
    let listed = after.list(ListFilter::new()).await.unwrap();
    assert!(
        listed.iter().all(|entry| entry.dedup_key != "reply:r-lost"),
        "nothing unacknowledged was kept: {listed:?}"
    );
    // The first inbox reconnects by itself.
    eventually("the first inbox stores again", || async {
        receive(&inbox, setup.signer, "/hooks", &reply("r-later"))
            .await
            .is_acknowledged()
    })
    .await;
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn unsigned_and_forged_callbacks_are_refused_and_nothing_is_published() {
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
    assert_eq!(setup.stream(WORK).await.last_sequence, 0);
    assert!(inbox.list(ListFilter::new()).await.unwrap().is_empty());
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn a_duplicate_within_the_window_and_beyond_it_is_answered_200_and_handled_once() {
    let setup = Setup::with("?duplicate_window=1s");
    let inbox = setup.inbox().await;
    let body = reply("r-7");
    let first = stored(&receive(&inbox, setup.signer, "/hooks", &body).await);

    // Within the window the server itself finds the first copy.
    match receive(&inbox, setup.signer, "/hooks", &body).await {
        Receipt::Duplicate(id) => assert_eq!(id, first),
        other => panic!("{other:?}"),
    }
    assert_eq!(setup.stream(WORK).await.last_sequence, 1, "no second copy");

    // Beyond it a second copy is stored, found out through the bucket, and deleted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    match receive(&inbox, setup.signer, "/hooks", &body).await {
        Receipt::Duplicate(id) => assert_eq!(id, first),
        other => panic!("{other:?}"),
    }
    let work = setup.stream(WORK).await;
    assert_eq!(work.last_sequence, 2, "the server took it as new");
    assert_eq!(work.messages, 1, "and the second copy was deleted");

    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("handled", || async {
        state(&inbox, first).await == Some(State::Done)
    })
    .await;
    // Once done, the key still answers.
    assert!(matches!(
        receive(&inbox, setup.signer, "/hooks", &body).await,
        Receipt::Duplicate(id) if id == first
    ));
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("reply:r-7"), 1);
    assert_eq!(entry(&inbox, first).await.duplicates, 3);
    assert_eq!(inbox.stats().await.unwrap().duplicates, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn callbacks_sent_three_times_at_once_to_two_receivers_are_each_handled_exactly_once() {
    const KEYS: usize = 30;
    let setup = Setup::with("?duplicate_window=1s");
    let (a, b) = (
        setup.builder().worker_name("a").open().await.unwrap(),
        setup.builder().worker_name("b").open().await.unwrap(),
    );
    let handled = Counting::default();
    let by_a = Arc::new(AtomicU32::new(0));
    let by_b = Arc::new(AtomicU32::new(0));
    let worker = |inbox: &Inbox, count: &Arc<AtomicU32>| {
        let handler = handled.handler();
        let count = Arc::clone(count);
        inbox.start(move |delivery: Delivery| {
            count.fetch_add(1, Ordering::SeqCst);
            handler.handle(delivery)
        })
    };
    let workers = [worker(&a, &by_a), worker(&b, &by_b)];

    let bodies: Vec<(String, String)> = (0..KEYS)
        .map(|i| {
            if i % 2 == 0 {
                (
                    format!("dr:m-{i}:delivered"),
                    report(&format!("m-{i}"), "delivered"),
                )
            } else {
                (format!("reply:r-{i}"), reply(&format!("r-{i}")))
            }
        })
        .collect();
    // Each callback three times, all at once: to a, to b, and to one of them again once the
    // server's duplicate window has passed (so the bucket must catch it), while the workers
    // of both handle what is there.
    let sends = bodies.iter().enumerate().flat_map(|(i, (_, body))| {
        let late = if i % 2 == 0 { &a } else { &b };
        [
            (&a, Duration::ZERO),
            (&b, Duration::ZERO),
            (late, Duration::from_millis(1100)),
        ]
        .map(|(inbox, delay)| {
            let inbox = inbox.clone();
            let body = body.clone();
            async move {
                tokio::time::sleep(delay).await;
                receive(&inbox, setup.signer, "/hooks", &body).await
            }
        })
    });
    let receipts = futures::future::join_all(sends).await;
    for receipt in &receipts {
        assert_eq!(receipt.status(), StatusCode::OK, "{receipt:?}");
    }
    let new = receipts
        .iter()
        .filter(|receipt| matches!(receipt, Receipt::Stored(_)))
        .count();
    assert_eq!(new, KEYS, "one arrival of each is the new one");

    eventually("all handled", || async {
        let stats = a.stats().await.unwrap();
        stats.done == KEYS as u64 && stats.depth == 0
    })
    .await;
    for workers in workers {
        workers.shutdown(LIMIT).await;
    }
    let seen = handled.snapshot();
    for (key, _) in &bodies {
        assert_eq!(seen.get(key), Some(&1), "{key}: {seen:?}");
    }
    assert_eq!(handled.total(), KEYS as u32);
    let stats = b.stats().await.unwrap();
    assert_eq!(stats.duplicates, 2 * KEYS as u64);
    assert_eq!(stats.dead, 0);
    eprintln!(
        "handled by a: {}, by b: {}",
        by_a.load(Ordering::SeqCst),
        by_b.load(Ordering::SeqCst)
    );
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
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
            if call > 1 {
                let error = delivery.entry().last_error.as_deref().unwrap_or_default();
                assert!(error.contains("unavailable"), "{error}");
            }
            if call < 3 {
                Outcome::retry(format!("downstream unavailable ({call})"))
            } else {
                Outcome::Done
            }
        }
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-3")).await);
    eventually("done", || async {
        state(&inbox, id).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let done = entry(&inbox, id).await;
    assert_eq!(done.attempts, 3);
    assert_eq!(done.last_error, None, "a success clears the error");
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn a_handler_that_always_fails_ends_in_the_dead_letter_stream_is_listed_and_replays() {
    let setup = Setup::new();
    let inbox = setup.builder().max_attempts(3).open().await.unwrap();
    let fixed = Arc::new(AtomicBool::new(false));
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
        state(&inbox, id).await == Some(State::Dead)
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
    assert_eq!(dead.body, reply("r-4").as_bytes());
    // A copy in the dead-letter stream, none left in the work queue.
    let letters = setup.stream(DEAD).await;
    assert_eq!(letters.messages, 1);
    let letter = setup
        .jetstream()
        .await
        .get_stream(DEAD)
        .await
        .unwrap()
        .get_raw_message(letters.last_sequence)
        .await
        .unwrap();
    assert_eq!(
        letter.subject.as_str(),
        format!("MESSAGEMEDIA_CALLBACKS.dead.{id}")
    );
    assert!(letter.payload.ends_with(reply("r-4").as_bytes()));
    assert_eq!(setup.stream(WORK).await.messages, 0);
    assert_eq!(inbox.stats().await.unwrap().dead, 1);
    let listed = inbox
        .list(ListFilter::new().state(State::Dead))
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|e| e.id).collect::<Vec<_>>(), [id]);

    fixed.store(true, Ordering::SeqCst);
    assert_eq!(inbox.replay(Replay::Dead).await.unwrap(), 1);
    eventually("done after replay", || async {
        state(&inbox, id).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    let done = entry(&inbox, id).await;
    assert_eq!(done.id, id, "a replay keeps the id");
    assert_eq!(done.attempts, 1, "a replay counts attempts afresh");
    assert_eq!(setup.stream(DEAD).await.messages, 0, "no longer dead");
    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.depth, stats.done, stats.dead), (0, 1, 0));
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn fail_is_dead_at_once_and_replay_by_id_or_since_a_time_reruns_finished_ones() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let handled = Counting::default();
    let counting = handled.handler();
    let workers = inbox.start(move |delivery: Delivery| {
        let fail = delivery.entry().dedup_key == "reply:r-bad";
        let counted = counting.handle(delivery);
        async move {
            counted.await;
            if fail {
                Outcome::fail("not one of ours")
            } else {
                Outcome::Done
            }
        }
    });
    let bad = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-bad")).await);
    let good = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-good")).await);
    eventually("finished", || async {
        state(&inbox, bad).await == Some(State::Dead)
            && state(&inbox, good).await == Some(State::Done)
    })
    .await;
    assert_eq!(entry(&inbox, bad).await.attempts, 1, "Fail does not retry");
    assert_eq!(inbox.replay(Replay::Id(good)).await.unwrap(), 1);
    eventually("done again", || async {
        handled.count("reply:r-good") == 2
    })
    .await;
    eventually("recorded done again", || async {
        state(&inbox, good).await == Some(State::Done)
    })
    .await;
    let since = time::OffsetDateTime::now_utc() - Duration::from_secs(60);
    assert_eq!(inbox.replay(Replay::Since(since)).await.unwrap(), 2);
    eventually("both again", || async {
        handled.count("reply:r-good") == 3 && handled.count("reply:r-bad") == 2
    })
    .await;
    eventually("both finished again", || async {
        state(&inbox, bad).await == Some(State::Dead)
            && state(&inbox, good).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(
        inbox
            .replay(Replay::Since(time::OffsetDateTime::now_utc()))
            .await
            .unwrap(),
        0,
        "nothing received since now"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
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
    assert_eq!(state(&inbox, id).await, Some(State::Leased));
    assert_eq!(inbox.stats().await.unwrap().leased, 1);
    doomed.kill();

    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("redone", || async {
        state(&inbox, id).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    assert_eq!(handled.count("reply:r-6"), 1);
    assert_eq!(entry(&inbox, id).await.attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn a_worker_stuck_past_its_lease_is_taken_over_and_records_nothing_when_it_wakes() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    // Its handler blocks the thread its runtime runs on: no renewal can happen.
    let stuck = OtherProcess::start(setup.builder(), |_: Delivery| async move {
        std::thread::sleep(Duration::from_secs(3));
        Outcome::fail("woke up too late")
    });
    let id = stored(&receive(&inbox, setup.signer, "/hooks", &reply("r-8")).await);
    eventually("leased by the stuck one", || async {
        state(&inbox, id).await == Some(State::Leased)
    })
    .await;
    let handled = Counting::default();
    let workers = inbox.start(handled.handler());
    eventually("taken over", || async { handled.count("reply:r-8") == 1 }).await;
    eventually("done", || async {
        state(&inbox, id).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    // The stuck worker wakes, finds its lease gone and records nothing (not its Fail).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let done = entry(&inbox, id).await;
    assert_eq!((done.state, done.attempts), (State::Done, 2));
    assert_eq!(setup.stream(DEAD).await.messages, 0);
    stuck.kill();
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn listing_and_stats_follow_callbacks_through_every_state() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let ids: Vec<EntryId> =
        futures::future::join_all(["s-done", "s-dead", "s-held", "s-wait"].map(|name| {
            let inbox = &inbox;
            async move { stored(&receive(inbox, setup.signer, "/hooks", &reply(name)).await) }
        }))
        .await;
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| std::cmp::Reverse(*id));
    assert!(matches!(
        receive(&inbox, setup.signer, "/hooks", &reply("s-done")).await,
        Receipt::Duplicate(_)
    ));

    let stats = inbox.stats().await.unwrap();
    assert_eq!(
        (stats.depth, stats.leased, stats.done, stats.dead),
        (4, 0, 0, 0)
    );
    assert_eq!(stats.duplicates, 1);
    assert!(
        stats.oldest_age_secs.is_some_and(|age| age < 60),
        "{stats:?}"
    );
    let listed = inbox.list(ListFilter::new()).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        sorted,
        "newest first"
    );
    assert!(listed.iter().all(|e| e.state == State::Pending));
    let page = inbox
        .list(ListFilter::new().before(sorted[1]).limit(2))
        .await
        .unwrap();
    assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), sorted[2..4]);

    let release = Arc::new(tokio::sync::Notify::new());
    let gate = Arc::clone(&release);
    let workers = inbox.start(move |delivery: Delivery| {
        let gate = Arc::clone(&gate);
        async move {
            match delivery.entry().dedup_key.as_str() {
                "reply:s-done" => Outcome::Done,
                "reply:s-dead" => Outcome::fail("no such order"),
                "reply:s-held" => {
                    gate.notified().await;
                    Outcome::Done
                }
                _ => Outcome::retry_after(Duration::from_secs(30), "the shop is closed"),
            }
        }
    });
    let [done, dead, held, waiting] = [0, 1, 2, 3].map(|i| ids[i]);
    eventually("each in its state", || async {
        state(&inbox, done).await == Some(State::Done)
            && state(&inbox, dead).await == Some(State::Dead)
            && state(&inbox, held).await == Some(State::Leased)
            && inbox
                .get(waiting)
                .await
                .unwrap()
                .is_some_and(|e| e.state == State::Pending && e.attempts == 1)
    })
    .await;
    let waiting_entry = entry(&inbox, waiting).await;
    assert_eq!(
        waiting_entry.last_error.as_deref(),
        Some("the shop is closed")
    );
    assert!(
        waiting_entry
            .next_attempt_at
            .is_some_and(|at| at > time::OffsetDateTime::now_utc() + Duration::from_secs(20)),
        "{waiting_entry:?}"
    );
    assert_eq!(entry(&inbox, done).await.duplicates, 1);
    for (wanted, id) in [
        (State::Done, done),
        (State::Dead, dead),
        (State::Leased, held),
        (State::Pending, waiting),
    ] {
        let listed = inbox.list(ListFilter::new().state(wanted)).await.unwrap();
        assert_eq!(
            listed.iter().map(|e| e.id).collect::<Vec<_>>(),
            [id],
            "{wanted}"
        );
    }
    let all = inbox.list(ListFilter::new()).await.unwrap();
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), sorted);
    assert_eq!(
        all.iter().find(|e| e.id == done).map(|e| e.duplicates),
        Some(1)
    );

    let stats = inbox.stats().await.unwrap();
    assert_eq!((stats.depth, stats.done, stats.dead), (2, 1, 1));
    // The held one and the one waiting out its retry: the server holds both alike.
    assert_eq!(stats.leased, 2);
    assert!(stats.attempts >= 4, "{stats:?}");
    release.notify_one();
    eventually("the held one done", || async {
        state(&inbox, held).await == Some(State::Done)
    })
    .await;
    workers.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
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
        state(&inbox, done).await == Some(State::Done)
    })
    .await;
    workers.shutdown(LIMIT).await;
    let waiting = stored(&receive(&inbox, setup.signer, "/hooks", &reply("p-2")).await);

    assert_eq!(inbox.purge().await.unwrap(), 1, "the done one only");
    assert!(inbox.get(done).await.unwrap().is_none());
    assert_eq!(
        state(&inbox, waiting).await,
        Some(State::Pending),
        "open ones stay"
    );
    // Its key went with it: the same callback is new again, even within the server's
    // duplicate window.
    let again = stored(&receive(&inbox, setup.signer, "/hooks", &reply("p-1")).await);
    assert_ne!(again, done);
    assert!(matches!(
        receive(&inbox, setup.signer, "/hooks", &reply("p-2")).await,
        Receipt::Duplicate(id) if id == waiting
    ));
    let workers = inbox.start(handled.handler());
    eventually("handled again", || async {
        handled.count("reply:p-1") == 2
    })
    .await;
    workers.shutdown(LIMIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: run with --ignored (.ci/run does)"]
async fn processes_opening_at_once_create_the_streams_once_and_share_them() {
    let setup = Setup::with("?prefix=ORDERS_CALLBACKS");
    let inboxes = futures::future::join_all((0..4).map(|_| setup.builder().open())).await;
    let inboxes: Vec<Inbox> = inboxes
        .into_iter()
        .map(|inbox| inbox.expect("every process opens"))
        .collect();
    let id = stored(&receive(&inboxes[0], setup.signer, "/hooks", &reply("o-1")).await);
    for inbox in &inboxes {
        assert_eq!(state(inbox, id).await, Some(State::Pending));
    }
    let js = setup.jetstream().await;
    for name in [
        "ORDERS_CALLBACKS",
        "ORDERS_CALLBACKS_DONE",
        "ORDERS_CALLBACKS_DEAD",
        "ORDERS_CALLBACKS_DUPLICATES",
        "KV_ORDERS_CALLBACKS",
    ] {
        js.get_stream(name)
            .await
            .unwrap_or_else(|err| panic!("{name}: {err}"));
    }
    assert!(
        js.get_stream(WORK).await.is_err(),
        "the default prefix is unused"
    );
    // A stream of the inbox's name that is not the inbox's is refused, not changed.
    js.create_stream(jetstream::stream::Config {
        name: "TAKEN".to_owned(),
        subjects: vec!["elsewhere.>".to_owned()],
        ..Default::default()
    })
    .await
    .unwrap();
    let refused = Inbox::builder()
        .nats(format!("{}?prefix=TAKEN", setup.server.url()))
        .verifier(setup.signer.verifier())
        .open()
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("not this inbox's"),
        "{refused}"
    );
    let bad = Inbox::builder()
        .nats(format!("{}?prefix=no.dots", setup.server.url()))
        .verifier(setup.signer.verifier())
        .open()
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("prefix"), "{bad}");
}
