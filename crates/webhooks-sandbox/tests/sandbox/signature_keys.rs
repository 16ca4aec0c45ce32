//! Receiving, end to end over loopback: signature keys created, enabled, rotated and disabled
//! through the API client; callbacks the sandbox signs with the enabled key; a `Verifier` whose
//! key source is that same client finds each key by itself, once; forged key ids cannot make
//! it hammer the API; and the default verifier refuses a replayed callback.

use crate::loopback;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Method, Uri};
use loopback::receiver::{Received, Receiver};
use loopback::{Api, KEY, SECRET};
use reqwest::StatusCode;
use serde_json::{Map, json};
use webhooks_callbacks::{
    FETCH_BURST, KEY_ID_HEADER, KeySource, KeySourceError, PublishedKey, Verifier, VerifyError,
};
use webhooks_ergonomic::signature_keys::Digest;
use webhooks_ergonomic::{Client, Error, Event};
use webhooks_sandbox::{Fault, Operation, SandboxHandle, SimulatedEvent};

fn client(sandbox: &SandboxHandle) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(KEY, SECRET)
        .build()
        .expect("a valid configuration")
}

/// The client as a key source, counting the API calls the verifier makes through it.
#[derive(Clone)]
struct Counting {
    client: Client,
    calls: Arc<AtomicUsize>,
}

impl Counting {
    fn new(client: Client) -> Counting {
        Counting {
            client,
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl KeySource for Counting {
    fn fetch(&self, key_id: &str) -> BoxFuture<'_, Result<Option<PublishedKey>, KeySourceError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.client.fetch(key_id)
    }
}

/// Subscribes a webhook of the default account at `receiver` to `RECEIVED_SMS`.
async fn subscribe(sandbox: &SandboxHandle, receiver: &Receiver) {
    client(sandbox)
        .webhooks()
        .create()
        .url(format!("{}/hook?tenant=1", receiver.base))
        .event(Event::ReceivedSms)
        .send()
        .await
        .expect("the webhook is created");
}

/// Simulates one `RECEIVED_SMS` and returns the callback that arrived.
async fn callback(sandbox: &SandboxHandle, receiver: &mut Receiver) -> Received {
    let called = sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event: Event::ReceivedSms,
            data: Map::new(),
        })
        .await
        .expect("the event is simulated");
    assert_eq!(called, 1);
    receiver.next().await
}

async fn verify(verifier: &Verifier, received: &Received) -> Result<String, VerifyError> {
    let uri: Uri = received.target.parse().unwrap();
    verifier
        .verify_async(&received.method, &uri, &received.headers, &received.body)
        .await
        .map(|verified| verified.key_id.to_string())
}

#[tokio::test]
async fn a_key_created_and_enabled_through_the_api_signs_callbacks_a_fetching_verifier_accepts() {
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let keys = api.signature_keys();
    assert_eq!(
        keys.enabled().send().await.unwrap(),
        None,
        "no key at first"
    );
    let key = keys.create().digest(Digest::Sha512).send().await.unwrap();
    assert!(!key.enabled && key.public_key.is_some());
    let enabled = keys.enable(key.id).send().await.unwrap();
    assert!(enabled.enabled);
    assert_eq!(
        keys.enabled().send().await.unwrap().map(|k| k.id),
        Some(key.id)
    );

    let mut receiver = Receiver::start(&[]).await;
    subscribe(&sandbox, &receiver).await;
    let source = Counting::new(api.clone());
    let verifier = Verifier::new().key_source(source.clone());
    for _ in 0..3 {
        let received = callback(&sandbox, &mut receiver).await;
        assert_eq!(
            received.header("x-messagemedia-digest-type"),
            Some("SHA512")
        );
        assert_eq!(
            verify(&verifier, &received).await.unwrap(),
            key.id.to_string()
        );
    }
    assert_eq!(source.calls(), 1, "the key is fetched once, then held");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn after_a_rotation_the_receiver_verifies_the_new_key_without_restart_fetching_it_once() {
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let keys = api.signature_keys();
    let old = keys.create().digest(Digest::Sha256).send().await.unwrap();
    keys.enable(old.id).send().await.unwrap();
    let mut receiver = Receiver::start(&[]).await;
    subscribe(&sandbox, &receiver).await;
    let source = Counting::new(api.clone());
    let verifier = Verifier::new().key_source(source.clone());
    let before = callback(&sandbox, &mut receiver).await;
    assert_eq!(
        verify(&verifier, &before).await.unwrap(),
        old.id.to_string()
    );

    let new = keys.create().digest(Digest::Sha224).send().await.unwrap();
    keys.enable(new.id).send().await.unwrap();
    assert!(
        !keys.get(old.id).send().await.unwrap().enabled,
        "enabling one disables the other"
    );
    for _ in 0..2 {
        let after = callback(&sandbox, &mut receiver).await;
        assert_eq!(
            after.header(KEY_ID_HEADER),
            Some(new.id.to_string().as_str())
        );
        assert_eq!(verify(&verifier, &after).await.unwrap(), new.id.to_string());
    }
    assert_eq!(source.calls(), 2, "one fetch per key id");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn after_disable_callbacks_are_unsigned_and_a_receiver_that_requires_signatures_rejects_them()
{
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let keys = api.signature_keys();
    let key = keys.create().digest(Digest::Sha256).send().await.unwrap();
    keys.enable(key.id).send().await.unwrap();
    keys.disable().send().await.unwrap();
    assert_eq!(keys.enabled().send().await.unwrap(), None);
    keys.disable()
        .send()
        .await
        .expect("disabling twice is fine");

    let mut receiver = Receiver::start(&[]).await;
    subscribe(&sandbox, &receiver).await;
    let received = callback(&sandbox, &mut receiver).await;
    assert!(
        received
            .headers
            .keys()
            .all(|name| !name.as_str().starts_with("x-messagemedia-"))
    );
    let verifier = Verifier::new().key_source(api.clone());
    let err = verify(&verifier, &received).await.unwrap_err();
    assert!(matches!(err, VerifyError::MissingHeader { .. }), "{err:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_thousand_callbacks_with_random_unknown_key_ids_cost_at_most_a_handful_of_api_calls() {
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let keys = api.signature_keys();
    let key = keys.create().digest(Digest::Sha256).send().await.unwrap();
    keys.enable(key.id).send().await.unwrap();
    let mut receiver = Receiver::start(&[]).await;
    subscribe(&sandbox, &receiver).await;
    let genuine = callback(&sandbox, &mut receiver).await;

    let source = Counting::new(api.clone());
    let verifier = Verifier::new().key_source(source.clone());
    assert_eq!(
        verify(&verifier, &genuine).await.unwrap(),
        key.id.to_string()
    );
    let uri: Uri = genuine.target.parse().unwrap();
    let mut rejected = 0;
    for _ in 0..1000 {
        let mut forged: HeaderMap = genuine.headers.clone();
        let id = uuid::Uuid::new_v4().to_string();
        forged.insert(KEY_ID_HEADER, HeaderValue::from_str(&id).unwrap());
        let result = verifier
            .verify_async(&genuine.method, &uri, &forged, &genuine.body)
            .await;
        rejected += usize::from(result.is_err());
    }
    assert_eq!(rejected, 1000);
    let calls = source.calls();
    assert!(calls <= FETCH_BURST as usize + 1, "{calls} API calls");
    assert!(
        calls >= 2,
        "the verifier did ask the API about forged ids too"
    );
    assert_eq!(
        verify(&verifier, &genuine).await.unwrap(),
        key.id.to_string(),
        "the genuine key, held, keeps verifying"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_callback_replayed_more_than_five_minutes_later_is_rejected_by_the_default_verifier() {
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let key = api
        .signature_keys()
        .create()
        .digest(Digest::Sha256)
        .send()
        .await
        .unwrap();
    api.signature_keys().enable(key.id).send().await.unwrap();
    let mut receiver = Receiver::start(&[]).await;
    subscribe(&sandbox, &receiver).await;
    let received = callback(&sandbox, &mut receiver).await;
    let public_key = key.public_key.unwrap();
    let fresh = Verifier::new()
        .with_key(&key.id.to_string(), &public_key)
        .unwrap();
    assert!(verify(&fresh, &received).await.is_ok());
    let later = SystemTime::now() + Duration::from_secs(6 * 60);
    let replayed = Verifier::new()
        .with_key(&key.id.to_string(), &public_key)
        .unwrap()
        .clock(move || later);
    let err = verify(&replayed, &received).await.unwrap_err();
    assert!(matches!(err, VerifyError::StaleDate { .. }), "{err:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn keys_belong_to_their_account_and_list_in_pages_from_one() {
    let sandbox = loopback::start().await;
    let api = client(&sandbox);
    let mut ids = Vec::new();
    for digest in [Digest::Sha224, Digest::Sha256, Digest::Sha512] {
        ids.push(
            api.signature_keys()
                .create()
                .digest(digest)
                .send()
                .await
                .unwrap()
                .id,
        );
    }
    let page = api
        .signature_keys()
        .list()
        .page(2)
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|k| k.id).collect::<Vec<_>>(),
        [ids[2]]
    );
    assert!(
        page.items.iter().all(|k| k.public_key.is_none()),
        "lists carry no public key"
    );
    let all: Vec<_> = api
        .signature_keys()
        .list_all()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.iter().map(|k| k.id).collect::<Vec<_>>(), ids);

    let other = api
        .signature_keys()
        .list()
        .account("SubAccount1")
        .send()
        .await
        .unwrap();
    assert!(other.items.is_empty());
    let err = api
        .signature_keys()
        .get(ids[0])
        .account("SubAccount1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    api.signature_keys().enable(ids[0]).send().await.unwrap();
    let sub = api
        .signature_keys()
        .enabled()
        .account("SubAccount1")
        .send()
        .await
        .unwrap();
    assert_eq!(sub, None, "enabling is per account");

    api.signature_keys().delete(ids[0]).send().await.unwrap();
    assert_eq!(
        api.signature_keys().enabled().send().await.unwrap(),
        None,
        "deleted = disabled"
    );
    let err = api
        .signature_keys()
        .delete(ids[0])
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_answers_the_vendors_statuses_and_messages_on_the_wire() {
    let sandbox = loopback::start().await;
    let raw = Api::new(&sandbox);
    let created = raw
        .post_json(
            "/v1/iam/signature_keys",
            &json!({"digest": "SHA256", "cipher": "RSA"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.json()["key_id"].as_str().unwrap().to_owned();
    let bad = raw
        .post_json(
            "/v1/iam/signature_keys",
            &json!({"digest": "MD5", "cipher": "RA"}),
        )
        .await;
    assert_eq!(
        bad.error(StatusCode::BAD_REQUEST).details,
        ["/digest: [MD5] is invalid", "/cipher: [RA] is invalid"]
    );
    let null = raw
        .patch_json("/v1/iam/signature_keys/enabled", &json!({}))
        .await;
    assert_eq!(
        null.error(StatusCode::BAD_REQUEST).details,
        ["/key_id: Key id cannot be null"]
    );
    let none = raw.get("/v1/iam/signature_keys/enabled").await;
    assert_eq!(
        none.error(StatusCode::NOT_FOUND).message,
        "Currently no key is enabled"
    );
    let unknown = raw.get("/v1/iam/signature_keys/not-a-uuid").await;
    assert_eq!(
        unknown.error(StatusCode::NOT_FOUND).message,
        "Entity not found"
    );
    let missing_page = raw.get("/v1/iam/signature_keys?page_size=5").await;
    assert_eq!(missing_page.status, StatusCode::BAD_REQUEST);
    let deleted = raw
        .send(
            Method::DELETE,
            &format!("/v1/iam/signature_keys/{id}"),
            None,
        )
        .await;
    assert_eq!((deleted.status, deleted.body.len()), (StatusCode::OK, 0));
    let disabled = raw
        .send(Method::DELETE, "/v1/iam/signature_keys/enabled", None)
        .await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_403_fault_on_signature_keys_is_the_clients_feature_disabled_error() {
    let sandbox = loopback::start().await;
    sandbox
        .inject_fault(Fault::new(Operation::SignatureKeys, 1).status(403, None))
        .unwrap();
    let err = client(&sandbox)
        .signature_keys()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FeatureDisabled { .. }), "{err:?}");
    assert!(!err.is_retryable());
    sandbox.shutdown().await;
}
