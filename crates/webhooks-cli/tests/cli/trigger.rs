//! `mm-webhooks trigger`: an event simulated in the sandbox, each webhook called and each
//! attempt reported.

use crate::support;

use support::{KEY, SECRET, against, bare, client, run};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle};

/// Retries 100 times faster than real time, so a webhook with retries finishes quickly.
async fn fast_sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .delivery_time_scale(0.01)
        .start()
        .await
        .unwrap()
}

/// A receiver answering 200 to everything; its base URL.
async fn receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async { http::StatusCode::OK });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A URL where nothing listens.
async fn closed_url() -> String {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    format!("http://{}/gone", closed.local_addr().unwrap())
}

async fn subscribe(sandbox: &SandboxHandle, url: &str, retries: u32) -> String {
    let client = client(sandbox);
    let mut create = client
        .webhooks()
        .create()
        .url(url)
        .event(Event::ReceivedSms);
    if retries > 0 {
        create = create.retries(retries).retry_delay(5);
    }
    create.send().await.unwrap().id.to_string()
}

#[tokio::test]
async fn trigger_prints_each_webhook_called_with_every_attempt() {
    let sandbox = fast_sandbox().await;
    let good = format!("{}/hooks", receiver().await);
    let good_id = subscribe(&sandbox, &good, 0).await;
    let bad = closed_url().await;
    let bad_id = subscribe(&sandbox, &bad, 1).await;

    let run = run(
        against(&sandbox),
        &["trigger", "received-sms", "--field", "content=Hi there"],
    )
    .await;
    run.assert_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("RECEIVED_SMS for account {KEY}: 2 webhooks called")
    );
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(header, ["WEBHOOK", "URL", "ATTEMPT", "OUTCOME"]);
    let rows: Vec<&str> = lines[2..].to_vec();
    assert_eq!(rows.len(), 3, "one delivery, two failed attempts: {run:?}");
    let good_row = rows.iter().find(|row| row.starts_with(&good_id)).unwrap();
    assert!(
        good_row.contains(" 1 ") && good_row.ends_with("delivered (200)"),
        "{good_row}"
    );
    let bad_rows: Vec<&&str> = rows.iter().filter(|row| row.starts_with(&bad_id)).collect();
    assert_eq!(bad_rows.len(), 2, "{rows:?}");
    assert!(
        bad_rows.iter().all(|row| row.contains("failed")),
        "{rows:?}"
    );
    assert!(
        run.stderr
            .contains("1 of 2 webhooks did not get the callback"),
        "{run:?}"
    );
    assert_eq!(sandbox.deliveries().len(), 3);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn trigger_json_is_one_document_and_exits_0_when_every_webhook_got_its_callback() {
    let sandbox = fast_sandbox().await;
    let url = format!("{}/j", receiver().await);
    let id = subscribe(&sandbox, &url, 0).await;
    let run = run(
        against(&sandbox),
        &[
            "trigger",
            "RECEIVED_SMS",
            "--field",
            "metadata:={\"order\":\"42\"}",
            "--json",
        ],
    )
    .await;
    run.assert_code(0);
    let document = run.json();
    assert_eq!(document["event"], "RECEIVED_SMS");
    assert_eq!(document["account"], KEY);
    let webhooks = document["webhooks"].as_array().unwrap();
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0]["id"], id);
    assert_eq!(webhooks[0]["url"], url);
    assert_eq!(webhooks[0]["outcome"], "delivered");
    let attempt = &webhooks[0]["attempts"][0];
    assert_eq!(attempt["attempt"], 1);
    assert_eq!(attempt["status"], 200);
    assert!(attempt["error"].is_null(), "{attempt}");
    assert!(attempt["started_at"].is_string() && attempt["finished_at"].is_string());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_event_nobody_subscribes_to_calls_nothing_and_exits_0() {
    let sandbox = fast_sandbox().await;
    let run = run(against(&sandbox), &["trigger", "OPT_OUT_SMS"]).await;
    run.assert_code(0);
    assert!(run.stdout.contains("nothing was called"), "{run:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_field_is_refused_before_anything_is_sent() {
    let sandbox = fast_sandbox().await;
    let url = format!("{}/f", receiver().await);
    subscribe(&sandbox, &url, 0).await;
    let run = run(
        against(&sandbox),
        &["trigger", "RECEIVED_SMS", "--field", "bogus=1"],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("bogus"), "{run:?}");
    assert!(sandbox.deliveries().is_empty(), "nothing was triggered");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn trigger_needs_a_sandbox_url_and_reports_bad_credentials_with_exit_1() {
    let mut command = bare();
    command
        .env("MESSAGEMEDIA_API_KEY", KEY)
        .env("MESSAGEMEDIA_API_SECRET", SECRET);
    let run_without = run(command, &["trigger", "RECEIVED_SMS"]).await;
    run_without.assert_code(2);
    assert!(run_without.stderr.contains("--base-url"), "{run_without:?}");

    let sandbox = fast_sandbox().await;
    let mut command = against(&sandbox);
    command.env("MESSAGEMEDIA_API_SECRET", "wrong-secret");
    let refused = run(command, &["trigger", "RECEIVED_SMS"]).await;
    refused.assert_code(1);
    assert!(refused.stderr.contains("unauthorized"), "{refused:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn account_triggers_the_webhooks_of_that_sub_account_only() {
    let sandbox = fast_sandbox().await;
    let url = format!("{}/sub", receiver().await);
    client(&sandbox)
        .webhooks()
        .create()
        .url(&url)
        .event(Event::ReceivedSms)
        .account("Sub1")
        .send()
        .await
        .unwrap();
    let own = run(against(&sandbox), &["trigger", "RECEIVED_SMS"]).await;
    own.assert_code(0);
    assert!(own.stdout.contains("nothing was called"), "{own:?}");
    let sub = run(
        against(&sandbox),
        &["--account", "Sub1", "trigger", "RECEIVED_SMS", "--json"],
    )
    .await;
    sub.assert_code(0);
    let document = sub.json();
    assert_eq!(document["account"], "Sub1");
    assert_eq!(document["webhooks"][0]["outcome"], "delivered");
    sandbox.shutdown().await;
}

/// A server posing as a sandbox whose delivery log never ends: every page is full.
async fn endless_log() -> String {
    let attempt = serde_json::json!({
        "webhook_id": "76fa7010-8c1f-4a24-917a-4d62a54e744d",
        "event": "RECEIVED_SMS",
        "url": "http://127.0.0.1:9/h",
        "attempt": 1,
        "status": 500,
        "error": "answered 500",
        "started_at": "2026-11-30T10:00:00Z",
        "finished_at": "2026-11-30T10:00:00Z",
    });
    let page = bytes::Bytes::from(serde_json::to_vec(&vec![attempt; 1000]).unwrap());
    let json = |body: bytes::Bytes| ([(http::header::CONTENT_TYPE, "application/json")], body);
    let app = axum::Router::new()
        .route(
            "/v1/webhooks/messages",
            axum::routing::get(move || async move {
                json(bytes::Bytes::from_static(
                    br#"{"page":0,"pageSize":100,"pageData":[]}"#,
                ))
            }),
        )
        .route(
            "/sandbox/v1/events",
            axum::routing::post(move || async move {
                (
                    http::StatusCode::ACCEPTED,
                    json(bytes::Bytes::from_static(
                        br#"{"account":"a","webhooks":1}"#,
                    )),
                )
            }),
        )
        .route(
            "/sandbox/v1/deliveries",
            axum::routing::get(move || {
                let page = page.clone();
                async move { json(page) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_delivery_log_that_never_ends_stops_trigger_with_exit_1() {
    let url = endless_log().await;
    let mut command = bare();
    command
        .env("MESSAGEMEDIA_API_KEY", KEY)
        .env("MESSAGEMEDIA_API_SECRET", SECRET)
        .env("MESSAGEMEDIA_BASE_URL", &url);
    let run = run(command, &["trigger", "RECEIVED_SMS", "--wait", "0"]).await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("did not end after 100 pages"),
        "{run:?}"
    );
}
