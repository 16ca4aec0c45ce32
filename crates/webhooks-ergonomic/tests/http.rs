//! The client against a scripted loopback server: every error path, retries, timeouts,
//! validation without I/O, HMAC as received, and secrets kept out of output.

mod scripted;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::Method;
use base64::Engine;
use futures::TryStreamExt;
use hmac::{Hmac, Mac};
use scripted::{ID, SECRET, Server, answer, text, webhook_json};
use webhooks_ergonomic::{AuthMode, Client, Error, Event, HmacAlgorithm, RetryPolicy, WebhookId};

fn client(server: &Server) -> Client {
    client_with(
        server,
        RetryPolicy::default()
            .backoff(Duration::ZERO, Duration::ZERO)
            .max_retry_after(Duration::ZERO),
    )
}

fn client_with(server: &Server, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .retry(retry)
        .build()
        .unwrap()
}

fn id() -> WebhookId {
    ID.parse().unwrap()
}

#[tokio::test]
async fn a_400_maps_to_bad_request_with_and_without_details() {
    let server = Server::start(vec![
        answer(
            400,
            r#"{"message":"Invalid","details":["/url: Not a valid http url"]}"#,
        ),
        answer(400, r#"{"message":"Invalid page"}"#),
    ])
    .await;
    let err = client(&server)
        .webhooks()
        .delete(id())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest { message, details } if message == "Invalid" && details == &["/url: Not a valid http url"]),
        "{err:?}"
    );
    let err = client(&server).webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest { details, .. } if details.is_empty()),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn documented_statuses_map_to_their_variants_without_retry() {
    let server = Server::start(vec![
        text(401, "Unauthorized"),
        answer(403, r#"{"message":"Feature not enabled"}"#),
        answer(404, ""),
        answer(
            409,
            r#"{"message":"A webhook with the given url and method already exists."}"#,
        ),
        answer(500, r#"{"message":"boom"}"#),
    ])
    .await;
    let hooks = client(&server);
    let err = hooks.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { message, .. } if message == "Unauthorized"),
        "{err:?}"
    );
    let err = hooks.webhooks().list().send().await.unwrap_err();
    assert!(matches!(err, Error::FeatureDisabled { .. }), "{err:?}");
    let err = hooks.webhooks().delete(id()).send().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let err = hooks
        .webhooks()
        .create()
        .url("https://e.com")
        .event(Event::ReceivedSms)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { message, .. } if message.contains("already exists")),
        "{err:?}"
    );
    let err = hooks.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 500, message, .. } if message == "boom"),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 5, "none of these may be retried");
}

#[tokio::test]
async fn get_is_retried_through_503_503_200() {
    let page = r#"{"page":0,"pageSize":100,"pageData":[]}"#;
    let server = Server::start(vec![
        text(503, "busy"),
        text(503, "busy"),
        answer(200, page),
    ])
    .await;
    let page = client(&server).webhooks().list().send().await.unwrap();
    assert!(page.items.is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.method == Method::GET));
}

#[tokio::test]
async fn retries_stop_after_the_attempt_limit() {
    let server = Server::start(vec![
        text(502, "a"),
        text(502, "b"),
        text(502, "c"),
        text(502, "d"),
    ])
    .await;
    let err = client(&server)
        .webhooks()
        .delete(id())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 502, message, .. } if message == "c"),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn create_is_not_retried_by_default_but_can_opt_in() {
    let server = Server::start(vec![
        text(503, "busy"),
        text(503, "busy"),
        answer(201, webhook_json(0)),
    ])
    .await;
    let create = |client: &Client| {
        let client = client.clone();
        async move {
            client
                .webhooks()
                .create()
                .url("https://example.com/0")
                .event(Event::ReceivedSms)
                .send()
                .await
        }
    };
    let err = create(&client(&server)).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
    let opted_in = client_with(
        &server,
        RetryPolicy::default()
            .backoff(Duration::ZERO, Duration::ZERO)
            .retry_creates(true),
    );
    let created = create(&opted_in).await.unwrap();
    assert_eq!(created.url, "https://example.com/0");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_429_honours_retry_after_and_reports_it_when_out_of_attempts() {
    let mut limited = answer(
        429,
        r#"{"message":"slow down","details":["quota: 10 requests a second"]}"#,
    );
    limited.headers.push(("retry-after", "7".to_owned()));
    let server = Server::start(vec![
        limited.clone(),
        answer(200, r#"{"page":0,"pageSize":100,"pageData":[]}"#),
        limited,
    ])
    .await;
    client(&server).webhooks().list().send().await.unwrap();
    assert_eq!(server.requests().len(), 2);
    let err = client_with(&server, RetryPolicy::none())
        .webhooks()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::RateLimited { retry_after: Some(d), message, details }
            if *d == Duration::from_secs(7) && message == "slow down" && details == &["quota: 10 requests a second"]),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "rate limited (retry after 7s): slow down (quota: 10 requests a second)"
    );
}

#[tokio::test]
async fn a_5xx_keeps_the_servers_details() {
    let server = Server::start(vec![answer(
        500,
        r#"{"message":"boom","details":["/store: unavailable"]}"#,
    )])
    .await;
    let err = client_with(&server, RetryPolicy::none())
        .webhooks()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { status: 500, message, details } if message == "boom" && details == &["/store: unavailable"]),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_undocumented_2xx_or_3xx_keeps_an_excerpt_of_its_body() {
    let long = format!("queued by the gateway {}", "x".repeat(2_000));
    let server = Server::start(vec![
        text(202, "queued by the gateway"),
        text(203, long),
        text(304, ""),
    ])
    .await;
    let client = client_with(&server, RetryPolicy::none());
    let err = client.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status: 202, message, details } if message == "queued by the gateway" && details.is_empty()),
        "{err:?}"
    );
    let err = client.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status: 203, message, .. } if message.starts_with("queued by the gateway") && message.ends_with("...") && message.len() <= 515),
        "{err:?}"
    );
    let err = client.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedStatus { status: 304, message, .. } if message.is_empty()),
        "{err:?}"
    );
}

#[tokio::test]
async fn oversized_and_empty_error_bodies_map_cleanly() {
    let huge = "x".repeat(200_000);
    let server = Server::start(vec![text(500, huge), text(404, "")]).await;
    let hooks = client_with(&server, RetryPolicy::none());
    match hooks.webhooks().list().send().await.unwrap_err() {
        Error::Server {
            status: 500,
            message,
            ..
        } => assert!(
            message.len() <= 515 && message.ends_with("..."),
            "{}",
            message.len()
        ),
        other => panic!("{other:?}"),
    }
    let err = hooks.webhooks().delete(id()).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { message, .. } if message.is_empty()),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_is_a_decode_error_with_an_excerpt() {
    let server = Server::start(vec![text(200, "<html>captive portal</html>")]).await;
    let err = client(&server).webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, excerpt, .. } if excerpt.contains("captive portal")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_instead_of_hanging() {
    let mut slow = answer(200, r#"{"page":0,"pageSize":100,"pageData":[]}"#);
    slow.delay = Duration::from_secs(5);
    let server = Server::start(vec![slow]).await;
    let hooks = Client::builder()
        .base_url(&server.url)
        .credentials("k", SECRET)
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = hooks.webhooks().list().send().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { attempts: 1, elapsed } if elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5)),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_reset_connection_is_a_transport_error_and_retried() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        for _ in 0..10 {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            *count.lock().unwrap() += 1;
            drop(socket); // close without answering
        }
    });
    let hooks = Client::builder()
        .base_url(url)
        .credentials("k", SECRET)
        .retry(RetryPolicy::default().backoff(Duration::ZERO, Duration::ZERO))
        .build()
        .unwrap();
    let err = hooks.webhooks().list().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        *accepted.lock().unwrap(),
        3,
        "three attempts, three connections"
    );
    assert!(!format!("{err:?}{err}").contains(SECRET));
}

#[tokio::test]
async fn invalid_input_is_rejected_before_any_request() {
    let server = Server::start(vec![]).await;
    let hooks = client(&server);
    let webhooks = hooks.webhooks();
    let cases = [
        (
            webhooks.create().event(Event::ReceivedSms).send().await,
            "url",
        ),
        (
            webhooks
                .create()
                .url("ftp://x.com")
                .event(Event::ReceivedSms)
                .send()
                .await,
            "url",
        ),
        (
            webhooks
                .create()
                .url("https://-x.com")
                .event(Event::ReceivedSms)
                .send()
                .await,
            "url",
        ),
        (
            webhooks.create().url("https://x.com").send().await,
            "events",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .header("Content-Type", "a")
                .send()
                .await,
            "headers.Content-Type",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .header("k".repeat(201), "v")
                .send()
                .await,
            "",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .read_timeout(0)
                .send()
                .await,
            "read_timeout",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .read_timeout(60_001)
                .send()
                .await,
            "read_timeout",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .retries(6)
                .send()
                .await,
            "retries",
        ),
        (
            webhooks
                .create()
                .url("https://x.com")
                .event(Event::ReceivedSms)
                .retry_delay(4)
                .send()
                .await,
            "retry_delay",
        ),
        (webhooks.update(id()).send().await, "update"),
        (
            webhooks
                .update(id())
                .events(Vec::<Event>::new())
                .send()
                .await,
            "events",
        ),
        (webhooks.update(id()).url("not a url").send().await, "url"),
    ];
    for (result, field) in cases {
        match result {
            Err(Error::Validation { field: got, reason }) => {
                assert!(
                    got.starts_with(field),
                    "expected field {field}, got {got}: {reason}"
                );
                assert!(!reason.is_empty());
            }
            other => panic!("expected a validation error on {field}, got {other:?}"),
        }
    }
    for size in [0, 101] {
        let err = webhooks.list().page_size(size).send().await.unwrap_err();
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "page_size"),
            "{err:?}"
        );
    }
    assert!(
        server.requests().is_empty(),
        "nothing may be sent: {:?}",
        server.requests()
    );
}

#[tokio::test]
async fn hmac_headers_as_received_verify_independently() {
    let server = Server::start(vec![
        answer(200, webhook_json(0)),
        answer(200, r#"{"page":3,"pageSize":5,"pageData":[]}"#),
    ])
    .await;
    let hooks = Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .auth(AuthMode::Hmac(HmacAlgorithm::Sha1))
        .build()
        .unwrap();
    hooks
        .webhooks()
        .update(id())
        .template("{\"id\":\"$mtId\"}")
        .send()
        .await
        .unwrap();
    hooks
        .webhooks()
        .list()
        .page(3)
        .page_size(5)
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    for seen in &requests {
        let date = seen.headers["date"].to_str().unwrap();
        let target = seen.uri.path_and_query().unwrap().as_str();
        let mut lines = vec![format!("date: {date}")];
        let mut names = "date request-line";
        if !seen.body.is_empty() {
            let md5 = format!("{:x}", md5::Md5::digest(&seen.body));
            assert_eq!(seen.headers["x-content-md5"], md5.as_str());
            lines.push(format!("x-Content-MD5: {md5}"));
            names = "date x-Content-MD5 request-line";
        }
        lines.push(format!("{} {target} HTTP/1.1", seen.method));
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(lines.join("\n").as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            seen.headers["authorization"],
            format!(r#"hmac username="key123", algorithm="hmac-sha1", headers="{names}", signature="{signature}""#).as_str()
        );
    }
    assert_eq!(
        requests[0].method,
        Method::PATCH,
        "signed with the real method"
    );
    assert_eq!(
        requests[1].uri, "/v1/webhooks/messages?page=3&page_size=5",
        "signed with the query"
    );
}

use md5::Digest as _;

#[tokio::test]
async fn basic_auth_and_account_headers_are_sent() {
    let server = Server::start(vec![answer(204, ""), answer(204, "")]).await;
    let hooks = Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .auth(AuthMode::Basic)
        .account("Parent-Sub")
        .build()
        .unwrap();
    hooks.webhooks().delete(id()).send().await.unwrap();
    hooks
        .webhooks()
        .delete(id())
        .account("Other")
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    let token = base64::engine::general_purpose::STANDARD.encode(format!("key123:{SECRET}"));
    assert_eq!(
        requests[0].headers["authorization"],
        format!("Basic {token}").as_str()
    );
    assert_eq!(requests[0].headers["account"], "Parent-Sub");
    assert_eq!(requests[1].headers["account"], "Other");
    assert!(
        requests[0].headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("webhooks-ergonomic/")
    );
}

#[tokio::test]
async fn list_all_walks_pages_until_a_short_one() {
    let full: Vec<String> = (0..100).map(webhook_json).collect();
    let first = format!(
        r#"{{"page":0,"pageSize":100,"pageData":[{}]}}"#,
        full.join(",")
    );
    let second = format!(
        r#"{{"page":1,"pageSize":100,"pageData":[{}]}}"#,
        webhook_json(100)
    );
    let server = Server::start(vec![answer(200, first), answer(200, second)]).await;
    let all: Vec<_> = client(&server)
        .webhooks()
        .list_all()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 101);
    assert_eq!(all[100].url, "https://example.com/100");
    let uris: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.uri.to_string())
        .collect();
    assert_eq!(
        uris,
        [
            "/v1/webhooks/messages?page=0&page_size=100",
            "/v1/webhooks/messages?page=1&page_size=100"
        ]
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_display() {
    let server = Server::start(vec![text(401, "no"), answer(400, r#"{"message":"bad"}"#)]).await;
    let builder = Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .auth(AuthMode::Basic);
    let builder_debug = format!("{builder:?}");
    let hooks = builder.build().unwrap();
    let errors = [
        hooks.webhooks().list().send().await.unwrap_err(),
        hooks.webhooks().delete(id()).send().await.unwrap_err(),
        hooks.webhooks().create().send().await.unwrap_err(),
    ];
    let mut outputs = vec![
        builder_debug,
        format!("{hooks:?}"),
        format!("{:?}", hooks.raw()),
    ];
    for err in &errors {
        outputs.push(format!("{err:?}"));
        outputs.push(err.to_string());
    }
    let token = base64::engine::general_purpose::STANDARD.encode(format!("key123:{SECRET}"));
    for output in outputs {
        assert!(
            !output.contains(SECRET) && !output.contains(&token),
            "secret leaked: {output}"
        );
    }
}

#[tokio::test]
async fn clear_headers_sends_an_empty_map_without_type_annotations() {
    let server = Server::start(vec![answer(200, webhook_json(0))]).await;
    client(&server)
        .webhooks()
        .update(id())
        .clear_headers()
        .send()
        .await
        .unwrap();
    assert_eq!(&server.requests()[0].body[..], br#"{"headers":{}}"#);
}

#[tokio::test]
async fn a_timeout_after_retries_says_how_many_attempts_and_how_long() {
    let slow = |status| {
        let mut slow = answer(status, r#"{"page":0,"pageSize":100,"pageData":[]}"#);
        slow.delay = Duration::from_secs(5);
        slow
    };
    let server = Server::start(vec![slow(200), slow(200), slow(200)]).await;
    let hooks = Client::builder()
        .base_url(&server.url)
        .credentials("k", SECRET)
        .retry(RetryPolicy::default().backoff(Duration::ZERO, Duration::ZERO))
        .attempt_timeout(Duration::from_millis(100))
        .total_timeout(Duration::from_millis(250))
        .build()
        .unwrap();
    let err = hooks.webhooks().list().send().await.unwrap_err();
    match err {
        Error::Timeout { attempts, elapsed } => {
            assert_eq!(attempts, 3, "100 + 100 + the last 50 ms");
            assert!(elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(2));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
