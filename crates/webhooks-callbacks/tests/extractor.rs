//! The axum extractors end to end over real loopback HTTP: signed callbacks reach the handler
//! typed; tampered, unsigned or unreadable ones are answered 401 or 400 before it runs.
#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{Method, StatusCode, Uri};
use rsa09::pkcs8::EncodePublicKey;
use rsa09::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha512};
use webhooks_callbacks::{
    Callback, KeySourceError, PublishedKey, VerifiedBody, VerifiedCallback, Verifier,
    key_source_fn, signed_bytes,
};

const KEY_ID: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
const DATE: &str = "Wed, 04 Jun 2025 09:00:00 GMT";
const TARGET: &str = "/hooks/messagemedia?tenant=acme&x=a%20b";
const SMS: &[u8] = br#"{"reply_id":"r-9","content":"Hi","source_number":"+61400000009"}"#;

fn public_key() -> String {
    BASE64.encode(
        key()
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes(),
    )
}

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key"))
}

/// The application's state: the extractor takes the verifier out of it with `FromRef`.
#[derive(Clone)]
struct AppState {
    verifier: Verifier,
    name: &'static str,
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Verifier {
        state.verifier.clone()
    }
}

async fn typed(
    State(state): State<AppState>,
    VerifiedCallback {
        callback,
        signature,
        ..
    }: VerifiedCallback,
) -> String {
    let what = match callback {
        Callback::InboundSms(sms) => format!(
            "sms {} from {} says {}",
            sms.reply_id,
            sms.source_number
                .map(|n| n.into_string())
                .unwrap_or_default(),
            sms.content.unwrap_or_default()
        ),
        other => format!("{other:?}"),
    };
    format!("{}: {what} (key {})", state.name, signature.key_id)
}

async fn raw(verified: VerifiedBody) -> Vec<u8> {
    verified.body.to_vec()
}

async fn serve() -> SocketAddr {
    let public_key = public_key();
    let state = AppState {
        verifier: Verifier::new()
            .with_key(KEY_ID, &public_key)
            .unwrap()
            .clock(signed_at),
        name: "receiver",
    };
    serve_with(state).await
}

/// The moment the test callbacks were signed: the verifiers' clocks stop there.
fn signed_at() -> SystemTime {
    httpdate::parse_http_date(DATE).unwrap()
}

async fn serve_with(state: AppState) -> SocketAddr {
    let hooks = Router::new()
        .route("/messagemedia", post(typed))
        .route("/raw", post(raw));
    let app = Router::new().nest("/hooks", hooks).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The signature headers for `body` sent to `target`, as the platform would sign them.
fn signature(target: &str, body: &[u8]) -> String {
    let bytes = signed_bytes(&Method::POST, &target.parse::<Uri>().unwrap(), DATE, body);
    let hashed = Sha512::digest(&bytes);
    BASE64.encode(key().sign(Pkcs1v15Sign::new::<Sha512>(), &hashed).unwrap())
}

async fn post_signed(
    addr: SocketAddr,
    target: &str,
    signed_target: &str,
    content_type: &str,
    body: &[u8],
    signed_body: &[u8],
) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}{target}"))
        .header("Content-Type", content_type)
        .header("Date", DATE)
        .header(
            "X-MessageMedia-Signature",
            signature(signed_target, signed_body),
        )
        .header("X-MessageMedia-Digest-Type", "SHA-512")
        .header("X-MessageMedia-Cipher-Type", "RSA")
        .header("X-MessageMedia-Key-Id", KEY_ID)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_signed_callback_reaches_the_handler_typed_under_a_nested_router() {
    let addr = serve().await;
    let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", SMS, SMS).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(
        text,
        format!("receiver: sms r-9 from +61400000009 says Hi (key {KEY_ID})")
    );

    let form = b"reply_id=r-9&content=Hi&source_number=%2B61400000009";
    let (status, text) = post_signed(
        addr,
        TARGET,
        TARGET,
        "application/x-www-form-urlencoded; charset=utf-8",
        form,
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("sms r-9 from +61400000009 says Hi"), "{text}");
}

#[tokio::test]
async fn a_tampered_callback_is_refused_with_401() {
    let addr = serve().await;
    let tampered = br#"{"reply_id":"r-9","content":"Pay me","source_number":"+61400000009"}"#;
    let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", tampered, SMS).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("signature does not match"), "{text}");

    // Signed for another query string.
    let (status, _) = post_signed(
        addr,
        "/hooks/messagemedia?tenant=evil&x=a%20b",
        TARGET,
        "application/json",
        SMS,
        SMS,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_original_uri_is_verified_not_the_path_the_nested_router_sees() {
    let addr = serve().await;
    // Inside the nest the handler's URI is `/messagemedia?...`; a signature over that is not
    // what the platform signs, and must fail.
    let (status, _) = post_signed(
        addr,
        TARGET,
        "/messagemedia?tenant=acme&x=a%20b",
        "application/json",
        SMS,
        SMS,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unsigned_callback_is_refused_with_401_naming_the_missing_header() {
    let addr = serve().await;
    let response = reqwest::Client::new()
        .post(format!("http://{addr}{TARGET}"))
        .header("Content-Type", "application/json")
        .body(SMS.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let text = response.text().await.unwrap();
    assert!(text.contains("x-messagemedia-key-id"), "{text}");
}

#[tokio::test]
async fn a_signed_but_unreadable_body_is_refused_with_400() {
    let addr = serve().await;
    let body = br#"{"hello":"world"}"#;
    let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", body, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("reply_id"), "{text}");
}

#[tokio::test]
async fn verified_body_hands_over_the_exact_bytes() {
    let addr = serve().await;
    let body = b"  <custom template=\"yes\">\xe2\x9c\x93</custom>\n";
    let (status, text) =
        post_signed(addr, "/hooks/raw", "/hooks/raw", "text/plain", body, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text.as_bytes(), body);

    let (status, _) = post_signed(
        addr,
        "/hooks/raw",
        "/hooks/raw",
        "text/plain",
        b"other",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_callback_is_refused_by_the_default_window() {
    let state = AppState {
        verifier: Verifier::new().with_key(KEY_ID, &public_key()).unwrap(),
        name: "receiver",
    };
    let addr = serve_with(state).await;
    let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", SMS, SMS).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("outside the accepted window"), "{text}");
}

#[tokio::test]
async fn the_extractor_fetches_an_unknown_key_once_and_answers_503_when_the_source_fails() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let source = key_source_fn(move |key_id: String| {
        let call = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            match call {
                0 => Err(KeySourceError::new("503 from the Signature Key API")),
                _ if key_id == KEY_ID => Ok(Some(PublishedKey::new(public_key()))),
                _ => Ok(None),
            }
        }
    });
    let state = AppState {
        verifier: Verifier::new().key_source(source).clock(signed_at),
        name: "fetching",
    };
    let addr = serve_with(state).await;
    let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", SMS, SMS).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(text.contains("could not be fetched"), "{text}");
    for _ in 0..3 {
        let (status, text) = post_signed(addr, TARGET, TARGET, "application/json", SMS, SMS).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.starts_with("fetching: sms r-9"), "{text}");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one failed fetch, one that stuck"
    );
}
