//! The inbox over real HTTP, directly and behind a small path-rewriting proxy: the platform
//! signs the path it called, which the proxy changes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

use super::signer::Signer;
use super::{Setup, eventually, reply};
use webhooks_callbacks::inbox::{Inbox, ListFilter};

/// Serves `router` on a free loopback port; its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// What the proxy does to a request before passing it on.
#[derive(Clone)]
struct Proxy {
    upstream: String,
    strip: &'static str,
    forwarded_prefix: bool,
}

/// A reverse proxy that strips `strip` from the path (and, when told, says so in
/// `X-Forwarded-Prefix`), forwarding method, headers and body unchanged.
async fn proxy(state: Proxy) -> String {
    let app = axum::Router::new()
        .fallback(
            |State(proxy): State<Proxy>,
             method: Method,
             uri: Uri,
             mut headers: HeaderMap,
             body: Bytes| async move {
                let target = uri.path_and_query().unwrap().as_str();
                let forwarded = target.strip_prefix(proxy.strip).unwrap_or(target);
                headers.remove("host");
                if proxy.forwarded_prefix {
                    headers.insert("x-forwarded-prefix", proxy.strip.parse().unwrap());
                }
                let answer = reqwest::Client::new()
                    .request(method, format!("{}{forwarded}", proxy.upstream))
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
                (status, answer.text().await.unwrap())
            },
        )
        .with_state(state);
    serve(app).await
}

async fn post(
    base: &str,
    target: &str,
    signer: &Signer,
    body: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let (_, headers) = signer.sign("POST", target, body.as_bytes());
    let mut request = reqwest::Client::new()
        .post(format!("{base}{target}"))
        .headers(headers)
        .body(body.to_owned());
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn behind_a_proxy_that_strips_a_prefix_the_public_path_is_what_is_verified() {
    let setup = Setup::new();
    let public = "/public/hooks/mm?tenant=acme";

    // Told nothing, the receiver verifies the path it received: the signature does not match.
    let naive = setup.inbox().await;
    let front = proxy(Proxy {
        upstream: serve(naive.router()).await,
        strip: "/public",
        forwarded_prefix: false,
    })
    .await;
    let (status, text) = post(&front, public, setup.signer, &reply("x-1"), &[]).await;
    assert_eq!(status, 401, "{text}");

    // Told the public prefix, it verifies what the platform signed, and stores that target.
    let told = Inbox::builder()
        .sqlite(setup.path.with_file_name("told.db"))
        .verifier(setup.signer.verifier().public_prefix("/public"))
        .open()
        .await
        .unwrap();
    let front = proxy(Proxy {
        upstream: serve(told.router()).await,
        strip: "/public",
        forwarded_prefix: false,
    })
    .await;
    let (status, text) = post(&front, public, setup.signer, &reply("x-2"), &[]).await;
    assert_eq!(status, 200, "{text}");
    let stored = told.list(ListFilter::new()).await.unwrap();
    assert_eq!(stored[0].target, public);

    // Trusting X-Forwarded-Prefix, it takes the prefix the proxy names.
    let trusting = Inbox::builder()
        .sqlite(setup.path.with_file_name("trusting.db"))
        .verifier(setup.signer.verifier().trust_forwarded_prefix(true))
        .open()
        .await
        .unwrap();
    let trusting_base = serve(trusting.router()).await;
    let front = proxy(Proxy {
        upstream: trusting_base.clone(),
        strip: "/public",
        forwarded_prefix: true,
    })
    .await;
    let (status, text) = post(&front, public, setup.signer, &reply("x-3"), &[]).await;
    assert_eq!(status, 200, "{text}");

    // Not trusting it, a receiver ignores the header, whoever sends it.
    let (_, headers) = setup
        .signer
        .sign("POST", "/elsewhere", reply("x-4").as_bytes());
    let sent = reqwest::Client::new()
        .post(format!("{}/hooks", serve(naive.router()).await))
        .headers(headers)
        .header("x-forwarded-prefix", "/elsewhere")
        .body(reply("x-4"))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 401);
    assert!(naive.list(ListFilter::new()).await.unwrap().is_empty());
    eventually("stored by the trusting one", || async {
        trusting.list(ListFilter::new()).await.unwrap().len() == 1
    })
    .await;
}

#[tokio::test]
async fn over_http_a_body_over_the_limit_is_413_and_a_stored_callback_is_200() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let base = serve(inbox.router()).await;
    let huge = format!(
        r#"{{"reply_id":"huge","content":"{}"}}"#,
        "x".repeat(webhooks_callbacks::inbox::BODY_LIMIT)
    );
    let (status, _) = post(&base, "/hooks", setup.signer, &huge, &[]).await;
    assert_eq!(status, 413);
    let (status, text) = post(&base, "/hooks", setup.signer, &reply("small"), &[]).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("stored"), "{text}");
    let (status, text) = post(&base, "/hooks", setup.signer, &reply("small"), &[]).await;
    assert_eq!(
        (status, text.starts_with("duplicate")),
        (200, true),
        "{text}"
    );
}

#[tokio::test]
async fn nested_in_an_app_the_router_receives_under_its_prefix_and_verifies_the_full_path() {
    let setup = Setup::new();
    let inbox = setup.inbox().await;
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest("/hooks/messagemedia", inbox.router());
    let base = serve(app).await;
    let target = "/hooks/messagemedia/sms?tenant=a";
    let (status, text) = post(&base, target, setup.signer, &reply("n-1"), &[]).await;
    assert_eq!(status, 200, "{text}");
    let stored = inbox.list(ListFilter::new()).await.unwrap();
    assert_eq!(stored[0].target, target);
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
}
