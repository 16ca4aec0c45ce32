//! `mm-webhooks listen --nats` and `mm-webhooks inbox ... --nats`: the same loop as
//! `--inbox FILE`, on a JetStream shared by two receivers, against a real `nats-server`.
//!
//! Every test needs `nats-server` (with JetStream: 2.9 or newer) and is ignored by a plain
//! `cargo test`, so the workspace's suite stays hermetic; `.ci/run` runs them with `--ignored`
//! and fails when the server is missing: a test never skips itself.

#[path = "../../webhooks-callbacks/tests/nats/server.rs"]
#[allow(dead_code)] // restart() serves the library's tests, not these
mod server;
mod support;

use std::time::Duration;

use server::NatsServer;
use support::inbox::{App, Store, eventually, inbox_json, listen, signing_sandbox, trigger_sms};

#[tokio::test]
#[ignore = "needs nats-server; run with --ignored"]
async fn a_callback_stored_in_jetstream_is_answered_at_once_and_forwarded_until_accepted() {
    let nats = NatsServer::start();
    support::inbox::answered_at_once_forwarded_until_accepted_and_operated(Store::Nats(nats.url()))
        .await;
}

#[tokio::test]
#[ignore = "needs nats-server; run with --ignored"]
async fn two_receivers_on_one_jetstream_forward_a_callback_once_whichever_gets_it() {
    let nats = NatsServer::start();
    let store = Store::Nats(nats.url());
    let sandbox = signing_sandbox().await;
    let (app, app_url) = App::start(&[]).await;
    let (mut first, first_url) = listen(&sandbox, &store, &["--forward-to", &app_url]).await;
    let (mut second, second_url) = listen(&sandbox, &store, &["--forward-to", &app_url]).await;

    trigger_sms(&sandbox, &first_url, "see you at nine").await;
    eventually("the app got the callback", || app.count() == 1).await;

    // The platform's retry of the same request lands on the other receiver: absorbed there.
    app.resend_first_as_a_retry(&second_url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.count(),
        1,
        "forwarded once by the two receivers together"
    );

    let stats = inbox_json(&store, &["stats"]).await;
    assert_eq!(
        (stats["done"].as_u64(), stats["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    let listed = inbox_json(&store, &["list"]).await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(
        listed[0]["body"]
            .as_str()
            .unwrap()
            .contains("see you at nine"),
        "{listed:?}"
    );

    let _ = first.start_kill();
    let _ = second.start_kill();
    sandbox.shutdown().await;
}

#[tokio::test]
#[ignore = "needs nats-server; run with --ignored"]
async fn an_unreachable_nats_server_is_a_clear_error_that_never_shows_the_password() {
    // A port nothing listens on: the server is started and killed to find one.
    let mut nats = NatsServer::start();
    let url = nats.url().replace("nats://", "nats://ops:hunter2@");
    nats.kill();
    let run = support::run(support::bare(), &["inbox", "stats", "--nats", &url]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("nats://***@127.0.0.1:"),
        "names the server: {run:?}"
    );
    assert!(!format!("{run:?}").contains("hunter2"), "{run:?}");
}
