//! `webhooks-ergonomic` against the sandbox over real loopback HTTP: the whole
//! create / list / update / delete cycle with each authentication mode, and the way the
//! sandbox's answers surface as the client's typed errors.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use webhooks_ergonomic::{
    AuthMode, CallbackMethod, Client, Encoding, Error, Event, HmacAlgorithm, Open, WebhookId,
};
use webhooks_sandbox::{Sandbox, SandboxHandle};

const KEY: &str = "cycle-key";
const SECRET: &str = "cycle-secret";

async fn sandbox() -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .start()
        .await
        .expect("the sandbox starts on loopback")
}

fn client(sandbox: &SandboxHandle, auth: AuthMode) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .credentials(KEY, SECRET)
        .auth(auth)
        .build()
        .expect("a valid configuration")
}

/// Creates, lists, updates and deletes one webhook, checking what the sandbox kept at each step.
async fn full_cycle(auth: AuthMode) {
    let sandbox = sandbox().await;
    let client = client(&sandbox, auth);
    let webhooks = client.webhooks();

    let created = webhooks
        .create()
        .url("https://example.com/hooks/cycle?source=test")
        .method(CallbackMethod::Put)
        .encoding(Encoding::FormEncoded)
        .events([Event::ReceivedSms, Event::DeliveredDr])
        .header("X-Receiver-Key", "k1")
        .template("{\"id\":\"$messageId\"}")
        .read_timeout(5_000)
        .retries(2)
        .retry_delay(10)
        .send()
        .await
        .unwrap_or_else(|err| panic!("create with {auth:?}: {err}"));
    assert_eq!(created.url, "https://example.com/hooks/cycle?source=test");
    assert_eq!(created.method, Open::Known(CallbackMethod::Put));
    assert_eq!(created.encoding, Some(Open::Known(Encoding::FormEncoded)));
    assert_eq!(
        created.events,
        [Event::ReceivedSms, Event::DeliveredDr].map(Open::Known)
    );
    assert_eq!(
        created.headers,
        BTreeMap::from([("X-Receiver-Key".to_owned(), "k1".to_owned())])
    );
    assert_eq!(created.template.as_deref(), Some("{\"id\":\"$messageId\"}"));
    assert_eq!(
        (created.read_timeout, created.retries, created.retry_delay),
        (Some(5_000), 2, Some(10))
    );

    let page = webhooks.list().page(0).page_size(10).send().await.unwrap();
    assert_eq!((page.page, page.page_size), (0, 10));
    assert_eq!(page.items, std::slice::from_ref(&created));

    let updated = webhooks
        .update(created.id)
        .events(Event::DELIVERY_REPORTS)
        .encoding(Encoding::Json)
        .send()
        .await
        .unwrap_or_else(|err| panic!("update with {auth:?}: {err}"));
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.events, Event::DELIVERY_REPORTS.map(Open::Known));
    assert_eq!(updated.encoding, Some(Open::Known(Encoding::Json)));
    assert_eq!(updated.url, created.url, "fields not sent are kept");
    assert_eq!(updated.headers, created.headers, "fields not sent are kept");

    webhooks.delete(created.id).send().await.unwrap();
    let after: Vec<_> = webhooks.list_all().try_collect().await.unwrap();
    assert!(after.is_empty(), "{after:?}");
    match webhooks.delete(created.id).send().await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("a second delete should be NotFound, got {other:?}"),
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn full_cycle_with_basic_auth() {
    full_cycle(AuthMode::Basic).await;
}

#[tokio::test]
async fn full_cycle_with_hmac_sha1() {
    full_cycle(AuthMode::Hmac(HmacAlgorithm::Sha1)).await;
}

#[tokio::test]
async fn full_cycle_with_hmac_sha256() {
    full_cycle(AuthMode::Hmac(HmacAlgorithm::Sha256)).await;
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_in_both_modes() {
    let sandbox = sandbox().await;
    for auth in [AuthMode::Basic, AuthMode::Hmac(HmacAlgorithm::Sha1)] {
        let client = Client::builder()
            .base_url(sandbox.base_url())
            .credentials(KEY, "not-the-secret")
            .auth(auth)
            .build()
            .unwrap();
        match client.webhooks().list().send().await {
            Err(err @ Error::Unauthorized { .. }) => {
                assert_eq!(err.status(), Some(401));
                assert!(!err.to_string().contains("not-the-secret"), "{err}");
            }
            other => panic!("{auth:?}: expected Unauthorized, got {other:?}"),
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_url_and_method_is_a_conflict() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, AuthMode::default());
    let create = || {
        client
            .webhooks()
            .create()
            .url("https://example.com/dup")
            .event(Event::ReceivedSms)
    };
    create().send().await.unwrap();
    match create().send().await {
        Err(Error::Conflict { message, .. }) => assert!(!message.is_empty()),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Same URL, another method: a different subscription.
    create().method(CallbackMethod::Get).send().await.unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn updating_an_unknown_webhook_is_not_found() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, AuthMode::default());
    let id: WebhookId = "4f6a7d2e-0000-4000-8000-000000000000".parse().unwrap();
    match client
        .webhooks()
        .update(id)
        .url("https://example.com/x")
        .send()
        .await
    {
        Err(Error::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn list_all_walks_every_page_and_accounts_stay_apart() {
    let sandbox = sandbox().await;
    let parent = client(&sandbox, AuthMode::default());
    let sub = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(KEY, SECRET)
        .account("SubAccount1")
        .build()
        .unwrap();
    for n in 0..7 {
        sub.webhooks()
            .create()
            .url(format!("https://example.com/sub/{n}"))
            .event(Event::OptOutSms)
            .send()
            .await
            .unwrap();
    }
    parent
        .webhooks()
        .create()
        .url("https://example.com/parent")
        .event(Event::ReceivedMms)
        .send()
        .await
        .unwrap();

    // Pages of 3 for the sub-account: 3 + 3 + 1, the short page ends the walk.
    let mut urls = Vec::new();
    for page in 0..3 {
        let result = sub
            .webhooks()
            .list()
            .page(page)
            .page_size(3)
            .send()
            .await
            .unwrap();
        urls.extend(result.items.into_iter().map(|w| w.url));
    }
    urls.sort();
    let expected: Vec<String> = (0..7)
        .map(|n| format!("https://example.com/sub/{n}"))
        .collect();
    assert_eq!(urls, expected);

    let streamed: Vec<_> = sub.webhooks().list_all().try_collect().await.unwrap();
    assert_eq!(streamed.len(), 7);
    assert!(
        streamed
            .iter()
            .all(|w| w.events == [Open::Known(Event::OptOutSms)])
    );

    // The parent sees only its own, and can act for the sub-account per request.
    let own: Vec<_> = parent.webhooks().list_all().try_collect().await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].url, "https://example.com/parent");
    let theirs: Vec<_> = parent
        .webhooks()
        .list_all()
        .account("SubAccount1")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(theirs.len(), 7);
    match parent.webhooks().delete(streamed[0].id).send().await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("another account's webhook must be invisible, got {other:?}"),
    }
    sandbox.shutdown().await;
}
