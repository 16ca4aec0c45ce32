//! The two halves together: callbacks the sandbox signs are accepted by the receiving side's
//! `Verifier` (and its axum extractor) given the key the sandbox publishes, and rejected once
//! anything signed is changed.

use crate::loopback;

use std::time::Duration;

use axum::http::{HeaderValue, Uri};
use loopback::receiver::{Received, Receiver};
use loopback::{Api, KEY, SECRET, signing_sandbox};
use serde_json::{Map, json};
use tokio::sync::mpsc;
use webhooks_callbacks::{
    Callback, DeliveryStatus, Digest, VerifiedCallback, Verifier, VerifyError,
};
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SandboxHandle, SignatureKey, SimulatedEvent};

/// The key as a receiver gets it: the enabled key's id, then that key (with its public half)
/// from `GET /v1/iam/signature_keys/{key_id}`.
async fn published_key(sandbox: &SandboxHandle) -> SignatureKey {
    let api = Api::new(sandbox);
    let enabled = api.get("/v1/iam/signature_keys/enabled").await.json();
    let key_id = enabled["key_id"].as_str().expect("an enabled key");
    let answer = api.get(&format!("/v1/iam/signature_keys/{key_id}")).await;
    serde_json::from_slice(&answer.body).expect("a signature key")
}

fn verifier_for(keys: &[&SignatureKey]) -> Verifier {
    keys.iter().fold(Verifier::new(), |verifier, key| {
        verifier
            .with_key(&key.key_id.to_string(), &key.public_key)
            .expect("the published key loads")
    })
}

/// Subscribes a webhook at `receiver` to `event`, simulates it, and returns what arrived.
async fn deliver(
    sandbox: &SandboxHandle,
    receiver: &mut Receiver,
    event: Event,
    path: &str,
) -> Received {
    Api::new(sandbox)
        .create(&json!({
            "url": format!("{}{path}", receiver.base), "method": "POST",
            "encoding": "JSON", "events": [event.as_str()]
        }))
        .await;
    let mut data = Map::new();
    data.insert("content".into(), json!("Yes please \u{2705}"));
    data.insert("metadata".into(), json!({"order": "1234"}));
    let called = sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event,
            data,
        })
        .await
        .unwrap();
    assert_eq!(called, 1);
    receiver.next().await
}

fn verify(verifier: &Verifier, received: &Received) -> Result<Callback, VerifyError> {
    let uri: Uri = received.target.parse().expect("a request target");
    verifier
        .verify(&received.method, &uri, &received.headers, &received.body)
        .map(|_| ())?;
    Ok(Callback::parse(
        received.header("content-type").unwrap_or_default(),
        &received.body,
    )
    .expect("a default payload parses"))
}

#[tokio::test]
async fn the_verifier_accepts_sandbox_signatures_for_each_digest_and_rejects_tampering() {
    for digest in Digest::ALL {
        let sandbox = signing_sandbox(digest).await;
        let key = published_key(&sandbox).await;
        let verifier = verifier_for(&[&key]).max_age(Duration::from_secs(300));
        let mut receiver = Receiver::start(&[]).await;
        let received = deliver(&sandbox, &mut receiver, Event::ReceivedSms, "/in?tenant=7").await;

        let signature = verifier
            .verify(
                &received.method,
                &received.target.parse().unwrap(),
                &received.headers,
                &received.body,
            )
            .unwrap_or_else(|err| panic!("{digest}: {err}"));
        assert_eq!(signature.key_id.as_str(), key.key_id.to_string());
        match verify(&verifier, &received).unwrap() {
            Callback::InboundSms(sms) => {
                assert_eq!(sms.content.as_deref(), Some("Yes please \u{2705}"));
                assert_eq!(sms.metadata.get("order").map(String::as_str), Some("1234"));
            }
            other => panic!("expected an inbound SMS, got {other:?}"),
        }

        let mut body = received.clone();
        body.body = [&received.body[..], b" "].concat().into();
        let mut target = received.clone();
        target.target = "/in?tenant=8".to_owned();
        let mut date = received.clone();
        // Whatever second the signature was made in, this Date differs from it.
        date.headers.insert(
            "date",
            HeaderValue::from_static("Fri, 11 Jul 2014 07:16:51 GMT"),
        );
        let mut signature = received.clone();
        let flipped: String = {
            let original = received.header("x-messagemedia-signature").unwrap();
            let mut chars: Vec<char> = original.chars().collect();
            chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
            chars.into_iter().collect()
        };
        signature
            .headers
            .insert("x-messagemedia-signature", flipped.parse().unwrap());
        let fresh_verifier = verifier_for(&[&key]).without_replay_protection();
        for (what, tampered) in [
            ("body", &body),
            ("target", &target),
            ("signature", &signature),
        ] {
            match verify(&fresh_verifier, tampered) {
                Err(VerifyError::BadSignature) => {}
                other => panic!("{digest}: tampered {what} must fail: {other:?}"),
            }
        }
        // A changed Date fails twice over: it is stale for the windowed verifier, and it no
        // longer matches the signature for one without a window.
        assert!(matches!(
            verify(&verifier, &date),
            Err(VerifyError::StaleDate { .. })
        ));
        assert!(matches!(
            verify(&fresh_verifier, &date),
            Err(VerifyError::BadSignature)
        ));
        sandbox.shutdown().await;
    }
}

#[tokio::test]
async fn rotated_keys_are_chosen_by_id_and_unknown_ids_rejected() {
    let (old, new) = (
        signing_sandbox(Digest::Sha256).await,
        signing_sandbox(Digest::Sha512).await,
    );
    let (old_key, new_key) = (published_key(&old).await, published_key(&new).await);
    assert_ne!(old_key.key_id, new_key.key_id);
    let mut receiver = Receiver::start(&[]).await;
    let from_old = deliver(&old, &mut receiver, Event::DeliveredDr, "/dr").await;
    let from_new = deliver(&new, &mut receiver, Event::DeliveredDr, "/dr").await;

    let both = verifier_for(&[&old_key, &new_key]);
    for received in [&from_old, &from_new] {
        match verify(&both, received).unwrap() {
            Callback::DeliveryReport(report) => {
                assert_eq!(report.status, Some(DeliveryStatus::Delivered));
            }
            other => panic!("expected a delivery report, got {other:?}"),
        }
    }

    let only_old = verifier_for(&[&old_key]);
    assert!(verify(&only_old, &from_old).is_ok());
    match verify(&only_old, &from_new) {
        Err(VerifyError::UnknownKeyId { .. }) => {}
        other => panic!("a key the verifier does not hold must be rejected: {other:?}"),
    }
    old.shutdown().await;
    new.shutdown().await;
}

#[tokio::test]
async fn the_axum_extractor_receives_signed_callbacks_and_refuses_unsigned_ones() {
    let signing = signing_sandbox(Digest::Sha256).await;
    let key = published_key(&signing).await;
    let (got, mut inbox) = mpsc::unbounded_channel::<Callback>();
    let app = axum::Router::new()
        .route(
            "/hooks/messagemedia",
            axum::routing::post(move |VerifiedCallback { callback, .. }: VerifiedCallback| {
                let got = got.clone();
                async move {
                    let _ = got.send(callback);
                    "ok"
                }
            }),
        )
        .with_state(verifier_for(&[&key]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/messagemedia",
        listener.local_addr().unwrap()
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let subscribe = |sandbox: &SandboxHandle| {
        let api = Api::new(sandbox);
        let url = url.clone();
        async move {
            api.create(&json!({
                "url": url, "method": "POST", "encoding": "FORM_ENCODED",
                "events": ["OPT_OUT_SMS"]
            }))
            .await
        }
    };
    subscribe(&signing).await;
    let opt_out = SimulatedEvent {
        account: None,
        event: Event::OptOutSms,
        data: Map::new(),
    };
    signing.trigger_event(opt_out.clone()).await.unwrap();
    let callback = tokio::time::timeout(Duration::from_secs(10), inbox.recv())
        .await
        .expect("the handler got the callback")
        .unwrap();
    match callback {
        Callback::OptOut(opt_out) => assert_eq!(opt_out.content.as_deref(), Some("STOP")),
        other => panic!("expected an opt-out, got {other:?}"),
    }
    let log = signing.deliveries();
    assert_eq!(log.last().and_then(|attempt| attempt.status), Some(200));

    // A sandbox that does not sign: the extractor answers 401 and the handler never runs.
    let unsigned = Sandbox::builder()
        .credentials(KEY, SECRET)
        .start()
        .await
        .unwrap();
    subscribe(&unsigned).await;
    unsigned.trigger_event(opt_out).await.unwrap();
    let log = unsigned.deliveries();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].status, Some(401));
    assert!(
        inbox.try_recv().is_err(),
        "an unsigned callback reached the handler"
    );

    server.abort();
    signing.shutdown().await;
    unsigned.shutdown().await;
}
