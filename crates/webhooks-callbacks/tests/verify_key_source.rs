//! A `Verifier` that finds keys by itself, against a counting fake of the Signature Key API:
//! rotation without restart, one fetch per new key id however many callbacks wait for it,
//! forged key ids that cost the source a handful of calls, transport errors that are
//! temporary rather than rejections, and a negative cache that expires on an injected clock.
#![cfg(feature = "verify")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use rsa09::pkcs8::EncodePublicKey;
use rsa09::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use webhooks_callbacks::{
    FETCH_BURST, FETCH_REFILL, KeySource, KeySourceError, KeySourceErrorKind, MISSING_TTL,
    PublishedKey, ReceiveError, Verifier, VerifyError, key_source_fn, signed_bytes,
};

const OLD: &str = "11111111-2222-4333-8444-555555555555";
const NEW: &str = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const PATH: &str = "/hooks/messagemedia?tenant=acme";
const BODY: &[u8] = br#"{"reply_id":"r-1","content":"Hello"}"#;

fn keys() -> &'static [RsaPrivateKey; 2] {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        [
            RsaPrivateKey::new(&mut rng, 1024).expect("key 1"),
            RsaPrivateKey::new(&mut rng, 1024).expect("key 2"),
        ]
    })
}

fn public_key(key: &RsaPrivateKey) -> String {
    BASE64.encode(key.to_public_key().to_public_key_der().unwrap().as_bytes())
}

/// A fake Signature Key API: the keys it has, how often it was asked, whether it is down, and
/// an optional gate that holds every answer until the test opens it.
#[derive(Clone, Default)]
struct FakeApi {
    keys: Arc<Mutex<HashMap<String, PublishedKey>>>,
    calls: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    gate: Option<Arc<Semaphore>>,
}

impl FakeApi {
    fn with(self, key_id: &str, key: &RsaPrivateKey) -> Self {
        self.keys
            .lock()
            .unwrap()
            .insert(key_id.to_owned(), PublishedKey::new(public_key(key)));
        self
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl KeySource for FakeApi {
    fn fetch(&self, key_id: &str) -> BoxFuture<'_, Result<Option<PublishedKey>, KeySourceError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = if self.down.load(Ordering::SeqCst) {
            Err(KeySourceError::new("connection refused"))
        } else {
            Ok(self.keys.lock().unwrap().get(key_id).cloned())
        };
        let gate = self.gate.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                let _open = gate.acquire().await.expect("the gate stays open");
            }
            answer
        })
    }
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct Clock(Arc<Mutex<SystemTime>>);

impl Clock {
    fn new() -> Self {
        Clock(Arc::new(Mutex::new(
            httpdate::parse_http_date("Mon, 30 Nov 2026 10:00:00 GMT").unwrap(),
        )))
    }

    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

fn verifier(api: &FakeApi, clock: &Clock) -> Verifier {
    let clock = clock.clone();
    Verifier::new()
        .key_source(api.clone())
        .clock(move || clock.now())
}

/// A callback signed now (by `clock`) with `key`, naming `key_id`.
fn signed(key: &RsaPrivateKey, key_id: &str, clock: &Clock) -> HeaderMap {
    let date = httpdate::fmt_http_date(clock.now());
    let bytes = signed_bytes(&Method::POST, &uri(), &date, BODY);
    let signature = key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&bytes))
        .unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("x-messagemedia-signature", BASE64.encode(signature)),
        ("x-messagemedia-digest-type", "SHA256".to_owned()),
        ("x-messagemedia-cipher-type", "RSA".to_owned()),
        ("x-messagemedia-key-id", key_id.to_owned()),
        ("date", date),
        ("content-type", "application/json".to_owned()),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    headers
}

fn uri() -> Uri {
    PATH.parse().unwrap()
}

async fn check(verifier: &Verifier, headers: &HeaderMap) -> Result<String, VerifyError> {
    verifier
        .verify_async(&Method::POST, &uri(), headers, BODY)
        .await
        .map(|verified| verified.key_id.to_string())
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_the_old_one_keeps_verifying_without_restart() {
    let (api, clock) = (FakeApi::default().with(OLD, &keys()[0]), Clock::new());
    let verifier = verifier(&api, &clock);
    let by_old = signed(&keys()[0], OLD, &clock);
    for _ in 0..3 {
        assert_eq!(check(&verifier, &by_old).await.unwrap(), OLD);
    }
    assert_eq!(
        api.calls(),
        1,
        "the first callback fetched the key, later ones used it"
    );

    // Rotation: the platform starts signing with a new key; the receiver is not restarted.
    api.keys
        .lock()
        .unwrap()
        .insert(NEW.into(), PublishedKey::new(public_key(&keys()[1])));
    let by_new = signed(&keys()[1], NEW, &clock);
    let upper = signed(&keys()[1], &NEW.to_ascii_uppercase(), &clock);
    assert_eq!(check(&verifier, &by_new).await.unwrap(), NEW);
    assert_eq!(check(&verifier.clone(), &upper).await.unwrap(), NEW);
    assert_eq!(check(&verifier, &by_old).await.unwrap(), OLD);
    assert_eq!(
        api.calls(),
        2,
        "one fetch per key, shared by clones, ids in any case"
    );

    // A fetched key is also what the synchronous path uses, without fetching.
    assert!(
        verifier
            .verify(&Method::POST, &uri(), &by_new, BODY)
            .is_ok()
    );
    assert_eq!(api.calls(), 2);
}

#[tokio::test]
async fn concurrent_callbacks_with_the_same_unknown_key_id_cause_one_fetch() {
    let gate = Arc::new(Semaphore::new(0));
    let api = FakeApi {
        gate: Some(gate.clone()),
        ..FakeApi::default()
    }
    .with(NEW, &keys()[1]);
    let clock = Clock::new();
    let verifier = verifier(&api, &clock);
    let headers = signed(&keys()[1], NEW, &clock);
    let callbacks = futures::future::join_all((0..20).map(|_| check(&verifier, &headers)));
    let open_after_all_wait = async {
        while api.calls() == 0 {
            tokio::task::yield_now().await;
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1);
    };
    let (results, ()) = tokio::join!(callbacks, open_after_all_wait);
    assert_eq!(results.len(), 20);
    for result in results {
        assert_eq!(result.unwrap(), NEW);
    }
    assert_eq!(api.calls(), 1);
}

#[tokio::test]
async fn a_thousand_callbacks_with_random_unknown_key_ids_cause_at_most_a_burst_of_fetches() {
    let (api, clock) = (FakeApi::default().with(OLD, &keys()[0]), Clock::new());
    let verifier = verifier(&api, &clock);
    let (mut unknown, mut throttled) = (0, 0);
    for _ in 0..1_000 {
        let forged = uuid::Uuid::new_v4().to_string();
        match check(&verifier, &signed(&keys()[1], &forged, &clock)).await {
            Err(VerifyError::UnknownKeyId { key_id }) => {
                assert_eq!(key_id, forged);
                unknown += 1;
            }
            Err(err @ VerifyError::KeyLookupThrottled { .. }) => {
                assert!(err.is_temporary());
                throttled += 1;
            }
            other => panic!("a forged key id must not verify: {other:?}"),
        }
    }
    assert_eq!(api.calls(), FETCH_BURST as usize);
    assert_eq!(
        (unknown, throttled),
        (FETCH_BURST as usize, 1_000 - FETCH_BURST as usize)
    );

    // The genuine key is still found once the budget refills, and the flood goes on costing
    // one fetch per interval at most.
    let by_old = signed(&keys()[0], OLD, &clock);
    assert!(matches!(
        check(&verifier, &by_old).await,
        Err(VerifyError::KeyLookupThrottled { .. })
    ));
    clock.advance(FETCH_REFILL);
    let by_old = signed(&keys()[0], OLD, &clock);
    assert_eq!(check(&verifier, &by_old).await.unwrap(), OLD);
    for _ in 0..100 {
        let forged = uuid::Uuid::new_v4().to_string();
        let _ = check(&verifier, &signed(&keys()[1], &forged, &clock)).await;
    }
    assert_eq!(api.calls(), FETCH_BURST as usize + 1);
}

#[tokio::test]
async fn a_failing_source_is_a_temporary_error_not_a_rejection_and_is_asked_again() {
    let (api, clock) = (FakeApi::default().with(NEW, &keys()[1]), Clock::new());
    api.down.store(true, Ordering::SeqCst);
    let verifier = verifier(&api, &clock);
    let headers = signed(&keys()[1], NEW, &clock);
    let err = check(&verifier, &headers).await.unwrap_err();
    assert!(
        matches!(&err, VerifyError::KeySourceUnavailable { key_id, reason, .. }
            if key_id == NEW && reason.contains("connection refused")),
        "{err}"
    );
    assert!(
        err.is_temporary(),
        "a receiver answers 5xx so the platform retries"
    );
    assert_eq!(err.status(), http::StatusCode::SERVICE_UNAVAILABLE);

    // Not remembered as missing: once the API is back, the next callback verifies.
    api.down.store(false, Ordering::SeqCst);
    assert_eq!(check(&verifier, &headers).await.unwrap(), NEW);
    assert_eq!(api.calls(), 2);
}

#[tokio::test]
async fn an_id_the_source_lacks_is_remembered_until_the_negative_cache_expires() {
    let (api, clock) = (FakeApi::default(), Clock::new());
    let verifier = verifier(&api, &clock);
    for _ in 0..5 {
        let headers = signed(&keys()[1], NEW, &clock);
        assert!(matches!(
            check(&verifier, &headers).await,
            Err(VerifyError::UnknownKeyId { .. })
        ));
        clock.advance(Duration::from_secs(30));
    }
    assert_eq!(api.calls(), 1, "answered from memory while it lasts");

    // The key is created meanwhile; it is found once the memory of its absence expires.
    api.keys
        .lock()
        .unwrap()
        .insert(NEW.into(), PublishedKey::new(public_key(&keys()[1])));
    clock.advance(MISSING_TTL - Duration::from_secs(5 * 30));
    let headers = signed(&keys()[1], NEW, &clock);
    assert_eq!(check(&verifier, &headers).await.unwrap(), NEW);
    assert_eq!(api.calls(), 2);
}

#[tokio::test]
async fn a_disabled_key_is_refused_and_a_forgotten_key_is_asked_for_again() {
    let (api, clock) = (FakeApi::default().with(OLD, &keys()[0]), Clock::new());
    let verifier = verifier(&api, &clock);
    let headers = signed(&keys()[0], OLD, &clock);
    assert_eq!(check(&verifier, &headers).await.unwrap(), OLD);

    // The key is disabled at the API; the receiver drops what it fetched.
    let disabled = PublishedKey::new(public_key(&keys()[0])).enabled(false);
    api.keys.lock().unwrap().insert(OLD.into(), disabled);
    assert!(verifier.clone().forget_key(&OLD.to_ascii_uppercase()));
    assert!(!verifier.forget_key(OLD), "already forgotten");
    assert_eq!(
        check(&verifier, &headers).await,
        Err(VerifyError::UnknownKeyId { key_id: OLD.into() })
    );
    assert_eq!(api.calls(), 2);
    assert!(
        verifier
            .verify(&Method::POST, &uri(), &headers, BODY)
            .is_err()
    );

    // Forgetting also clears the memory of its absence: re-enabled, it is fetched at once.
    api.keys
        .lock()
        .unwrap()
        .insert(OLD.into(), PublishedKey::new(public_key(&keys()[0])));
    verifier.forget_key(OLD);
    assert_eq!(check(&verifier, &headers).await.unwrap(), OLD);
    assert_eq!(api.calls(), 3);
}

#[tokio::test]
async fn stale_malformed_or_oversized_callbacks_never_reach_the_source() {
    let (api, clock) = (FakeApi::default().with(NEW, &keys()[1]), Clock::new());
    let verifier = verifier(&api, &clock);
    let fresh = signed(&keys()[1], NEW, &clock);

    let mut replayed = fresh.clone();
    replayed.insert(
        "date",
        HeaderValue::from_static("Tue, 03 Jun 2025 10:20:30 GMT"),
    );
    let mut garbled = fresh.clone();
    garbled.insert(
        "x-messagemedia-signature",
        HeaderValue::from_static("not base64!"),
    );
    let mut huge_id = fresh.clone();
    huge_id.insert(
        "x-messagemedia-key-id",
        HeaderValue::from_str(&"a".repeat(65)).unwrap(),
    );
    let mut other_cipher = fresh.clone();
    other_cipher.insert(
        "x-messagemedia-cipher-type",
        HeaderValue::from_static("DSA"),
    );

    assert!(matches!(
        check(&verifier, &replayed).await,
        Err(VerifyError::StaleDate { .. })
    ));
    assert!(matches!(
        check(&verifier, &garbled).await,
        Err(VerifyError::MalformedSignature { .. })
    ));
    assert!(matches!(
        check(&verifier, &huge_id).await,
        Err(VerifyError::UnknownKeyId { .. })
    ));
    assert!(matches!(
        check(&verifier, &other_cipher).await,
        Err(VerifyError::UnsupportedCipher { .. })
    ));
    assert_eq!(api.calls(), 0);
    assert!(check(&verifier, &fresh).await.is_ok());
}

#[tokio::test]
async fn a_closure_is_a_key_source_and_given_keys_are_never_fetched() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let new_key = public_key(&keys()[1]);
    let source = key_source_fn(move |key_id: String| {
        counted.fetch_add(1, Ordering::SeqCst);
        let found = (key_id == NEW).then(|| PublishedKey::new(new_key.clone()));
        async move { Ok::<_, KeySourceError>(found) }
    });
    let clock = Clock::new();
    let at = clock.clone();
    let verifier = Verifier::new()
        .with_key(OLD, &public_key(&keys()[0]))
        .unwrap()
        .key_source(source)
        .clock(move || at.now());
    assert_eq!(
        check(&verifier, &signed(&keys()[0], OLD, &clock))
            .await
            .unwrap(),
        OLD
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(
        check(&verifier, &signed(&keys()[1], NEW, &clock))
            .await
            .unwrap(),
        NEW
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let debug = format!("{verifier:?}");
    assert!(debug.contains(OLD) && debug.contains(NEW), "{debug}");
    assert!(!debug.contains(&public_key(&keys()[1])[..40]), "{debug}");
    assert!(debug.len() < 400, "Debug stays short: {debug}");
    let published = format!("{:?}", PublishedKey::new(public_key(&keys()[1])));
    assert_eq!(
        published,
        format!(
            "PublishedKey {{ public_key_len: {}, enabled: true }}",
            public_key(&keys()[1]).len()
        )
    );
}

#[tokio::test]
async fn a_source_answering_a_garbage_key_is_an_invalid_key_error_remembered_as_missing() {
    let api = FakeApi::default();
    api.keys
        .lock()
        .unwrap()
        .insert(NEW.into(), PublishedKey::new("not a key"));
    let clock = Clock::new();
    let verifier = verifier(&api, &clock);
    let headers = signed(&keys()[1], NEW, &clock);
    let err = check(&verifier, &headers).await.unwrap_err();
    assert!(
        matches!(&err, VerifyError::InvalidKey { key_id, .. } if key_id == NEW),
        "{err}"
    );
    assert!(!err.is_temporary());
    assert!(matches!(
        check(&verifier, &headers).await,
        Err(VerifyError::UnknownKeyId { .. })
    ));
    assert_eq!(api.calls(), 1);
}

#[tokio::test]
async fn a_source_refusing_the_receivers_credentials_is_not_temporary_and_answers_500() {
    let refusing = key_source_fn(|_key_id: String| async {
        Err::<Option<PublishedKey>, _>(KeySourceError::with_kind(
            KeySourceErrorKind::Unauthorized,
            "unauthorized: check the API key and secret",
        ))
    });
    let clock = Clock::new();
    let now = clock.clone();
    let verifier = Verifier::new()
        .key_source(refusing)
        .clock(move || now.now());
    let err = check(&verifier, &signed(&keys()[1], NEW, &clock))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::KeySourceUnavailable {
                kind: KeySourceErrorKind::Unauthorized,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_temporary(), "waiting fixes nothing: {err}");
    assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        ReceiveError::from(err).status(),
        http::StatusCode::INTERNAL_SERVER_ERROR
    );
}
