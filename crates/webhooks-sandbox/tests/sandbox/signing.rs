//! Signed callbacks: every callback carries the `X-MessageMedia-*` headers and `Date`, and its
//! signature verifies, for each digest, with the public key the Signature Key API publishes
//! for the enabled key (checked here with the `rsa` crate directly).

use crate::loopback;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use loopback::receiver::{Received, Receiver};
use loopback::{Api, SECRET, signing_sandbox};
use reqwest::StatusCode;
use rsa09::pkcs8::DecodePublicKey;
use rsa09::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{Map, json};
use sha2::Digest as _;
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Digest, SignatureKey, SimulatedEvent};

/// Whether `received` carries a valid signature by `key`.
fn verifies(received: &Received, key: &SignatureKey) -> bool {
    let public =
        RsaPublicKey::from_public_key_der(&BASE64.decode(&key.public_key).unwrap()).unwrap();
    let Some(signature) = received
        .header("x-messagemedia-signature")
        .and_then(|s| BASE64.decode(s).ok())
    else {
        return false;
    };
    let mut signed = format!("{} {} HTTP/1.1", received.method, received.target).into_bytes();
    signed.extend_from_slice(received.header("date").unwrap_or_default().as_bytes());
    signed.extend_from_slice(&received.body);
    let (hashed, padding) = match received.header("x-messagemedia-digest-type") {
        Some("SHA224") => (
            sha2::Sha224::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<sha2::Sha224>(),
        ),
        Some("SHA256") => (
            sha2::Sha256::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<sha2::Sha256>(),
        ),
        Some("SHA512") => (
            sha2::Sha512::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<sha2::Sha512>(),
        ),
        other => panic!("unexpected digest type {other:?}"),
    };
    public.verify(padding, &hashed, &signature).is_ok()
}

#[tokio::test]
async fn callbacks_verify_with_the_published_key_for_each_digest() {
    for digest in Digest::ALL {
        let sandbox = signing_sandbox(digest).await;
        let api = Api::new(&sandbox);
        let enabled = api.get("/v1/iam/signature_keys/enabled").await;
        assert_eq!(enabled.status, StatusCode::OK);
        let fields: Vec<String> = enabled
            .json()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(fields, ["cipher", "created", "digest", "enabled", "key_id"]);
        let id = enabled.json()["key_id"].as_str().unwrap().to_owned();
        let answer = api.get(&format!("/v1/iam/signature_keys/{id}")).await;
        assert_eq!(answer.status, StatusCode::OK);
        let key: SignatureKey = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(Some(key.clone()), sandbox.signature_key());
        assert_eq!(
            (key.cipher.as_str(), key.digest, key.enabled),
            ("RSA", digest, true)
        );
        let fields: Vec<String> = answer.json().as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            fields,
            [
                "cipher",
                "created",
                "digest",
                "enabled",
                "key_id",
                "public_key"
            ]
        );

        let mut receiver = Receiver::start(&[]).await;
        for (method, path) in [("POST", "/signed?tenant=7&x=a%20b"), ("GET", "/signed-get")] {
            api.create(&json!({
                "url": format!("{}{path}", receiver.base), "method": method,
                "encoding": "JSON", "events": ["RECEIVED_MMS"],
                "headers": {"Date": "a custom header that the signature's Date replaces"}
            }))
            .await;
        }
        let mut data = Map::new();
        data.insert("content".into(), json!("signed \u{1F510} content"));
        let called = sandbox
            .trigger_event(SimulatedEvent {
                account: None,
                event: Event::ReceivedMms,
                data,
            })
            .await
            .unwrap();
        assert_eq!(called, 2);
        let received = receiver.drain();
        assert_eq!(received.len(), 2);
        for callback in &received {
            assert_eq!(
                callback.header("x-messagemedia-digest-type"),
                Some(digest.as_str())
            );
            assert_eq!(callback.header("x-messagemedia-cipher-type"), Some("RSA"));
            assert_eq!(
                callback.header("x-messagemedia-key-id"),
                Some(key.key_id.to_string().as_str())
            );
            let date = callback.header("date").unwrap();
            httpdate::parse_http_date(date).expect("an IMF-fixdate");
            assert!(date.ends_with(" GMT"));
            assert_eq!(callback.headers.get_all("date").iter().count(), 1);
            assert!(
                verifies(callback, &key),
                "{digest} {} {}",
                callback.method,
                callback.target
            );

            // Any change to what is signed breaks the signature.
            let mut tampered = callback.clone();
            tampered.body = [&callback.body[..], b" "].concat().into();
            assert!(!verifies(&tampered, &key));
            let mut moved = callback.clone();
            moved.target.push_str("&extra=1");
            assert!(!verifies(&moved, &key));
        }
        let get = received.iter().find(|r| r.method == "GET").unwrap();
        assert!(get.body.is_empty());
        assert_eq!(get.target, "/signed-get");
        let post = received.iter().find(|r| r.method == "POST").unwrap();
        assert_eq!(post.target, "/signed?tenant=7&x=a%20b");
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn each_retry_is_signed_afresh() {
    let sandbox = signing_sandbox(Digest::Sha256).await;
    let api = Api::new(&sandbox);
    let mut receiver = Receiver::start(&[500]).await;
    api.create(&json!({
        "url": format!("{}/retry", receiver.base), "method": "POST", "encoding": "FORM_ENCODED",
        "events": ["DELIVERED_DR"], "retries": 1, "retry_delay": 5
    }))
    .await;
    sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event: Event::DeliveredDr,
            data: Map::new(),
        })
        .await
        .unwrap();
    let received = receiver.drain();
    assert_eq!(received.len(), 2);
    let key = sandbox.signature_key().unwrap();
    assert!(received.iter().all(|callback| verifies(callback, &key)));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn without_signing_there_is_no_key_and_no_signature() {
    let sandbox = loopback::start().await;
    let api = Api::new(&sandbox);
    assert!(sandbox.signature_key().is_none());
    let answer = api.get("/v1/iam/signature_keys/enabled").await;
    assert_eq!(
        answer.error(StatusCode::NOT_FOUND).message,
        "Currently no key is enabled"
    );
    let removed = api.get("/sandbox/v1/signature-key").await;
    assert_eq!(
        removed.status,
        StatusCode::NOT_FOUND,
        "the sandbox-only path is gone"
    );
    let mut receiver = Receiver::start(&[]).await;
    api.create(&json!({
        "url": format!("{}/plain", receiver.base), "method": "POST", "encoding": "JSON",
        "events": ["RECEIVED_SMS"]
    }))
    .await;
    sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event: Event::ReceivedSms,
            data: Map::new(),
        })
        .await
        .unwrap();
    let received = receiver.drain();
    assert_eq!(received.len(), 1);
    assert!(
        received[0]
            .headers
            .keys()
            .all(|name| !name.as_str().starts_with("x-messagemedia-"))
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_public_key_is_a_2048_bit_rsa_key_and_debug_never_shows_the_private_one() {
    let sandbox = signing_sandbox(Digest::Sha224).await;
    let key = sandbox.signature_key().unwrap();
    let public =
        RsaPublicKey::from_public_key_der(&BASE64.decode(&key.public_key).unwrap()).unwrap();
    assert_eq!(rsa09::traits::PublicKeyParts::size(&public), 256);
    let debug = format!("{sandbox:?}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(!debug.contains("RsaPrivateKey") && !debug.contains("primes"));
    assert!(!debug.contains(SECRET), "nor the API secret");
    let builder = format!(
        "{:?}",
        webhooks_sandbox::Sandbox::builder().credentials("builder-key", SECRET)
    );
    assert!(builder.contains("builder-key"), "{builder}");
    assert!(!builder.contains(SECRET), "{builder}");
    sandbox.shutdown().await;
}
