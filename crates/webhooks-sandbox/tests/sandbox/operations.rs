//! The four operations through the generated client: every success response decodes into the
//! spec's types and says what was stored; concurrent creates are safe.

use crate::loopback;

use std::sync::Arc;

use loopback::{Api, create_body, generated_client, start};
use reqwest::StatusCode;
use serde_json::json;
use webhooks_client::types::{CreateWebhookRequest, UpdateWebhookRequest};

#[tokio::test]
async fn create_list_update_delete_decode_with_the_generated_client() {
    let sandbox = start().await;
    let client = generated_client(&sandbox.base_url(), None);

    // A minimal create: headers `{}`, retries 0, the optional fields absent.
    let minimal: CreateWebhookRequest =
        serde_json::from_value(create_body("https://example.com/minimal")).unwrap();
    let created = client.create_webhook().body(minimal).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let minimal = created.into_inner();
    assert_eq!(minimal.url, "https://example.com/minimal");
    assert_eq!(minimal.headers.as_ref().map(|h| h.len()), Some(0));
    assert_eq!(minimal.retries, Some(0));
    assert!(minimal.template.is_none() && minimal.read_timeout.is_none());
    assert!(minimal.retry_delay.is_none());

    // A full create echoes every field.
    let full: CreateWebhookRequest = serde_json::from_value(json!({
        "url": "https://example.com/full?x=1",
        "method": "PUT",
        "encoding": "XML",
        "events": ["DELIVERED_DR", "FAILED_DR"],
        "headers": {"X-Api-Key": "abc"},
        "template": "<x>$mtId</x>",
        "read_timeout": 5000,
        "retries": 3,
        "retry_delay": 30
    }))
    .unwrap();
    let full = client
        .create_webhook()
        .body(full)
        .send()
        .await
        .unwrap()
        .into_inner();
    let as_json = serde_json::to_value(&full).unwrap();
    assert_eq!(as_json["method"], "PUT");
    assert_eq!(as_json["encoding"], "XML");
    assert_eq!(as_json["events"], json!(["DELIVERED_DR", "FAILED_DR"]));
    assert_eq!(as_json["headers"], json!({"X-Api-Key": "abc"}));
    assert_eq!(
        (
            full.template.as_deref(),
            full.read_timeout,
            full.retries,
            full.retry_delay
        ),
        (Some("<x>$mtId</x>"), Some(5000), Some(3), Some(30))
    );

    let page = client
        .retrieve_webhooks()
        .send()
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = page.page_data.iter().map(|w| w.id).collect();
    assert_eq!(ids, [minimal.id, full.id]);

    // An update replaces the given fields and keeps the rest, create-only ones included.
    let patch: UpdateWebhookRequest = serde_json::from_value(json!({
        "url": "https://example.com/full-v2",
        "events": ["DELIVERED_DR"],
        "headers": {},
    }))
    .unwrap();
    let updated = client
        .update_webhook()
        .webhook_id(full.id.to_string())
        .body(patch)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    let updated = updated.into_inner();
    assert_eq!(updated.id, full.id);
    assert_eq!(updated.url, "https://example.com/full-v2");
    assert_eq!(
        serde_json::to_value(&updated.events).unwrap(),
        json!(["DELIVERED_DR"])
    );
    assert_eq!(updated.headers.as_ref().map(|h| h.len()), Some(0));
    assert_eq!(serde_json::to_value(updated.method).unwrap(), "PUT");
    assert_eq!(
        (
            updated.template.as_deref(),
            updated.read_timeout,
            updated.retries,
            updated.retry_delay
        ),
        (Some("<x>$mtId</x>"), Some(5000), Some(3), Some(30))
    );

    let deleted = client
        .delete_webhook()
        .webhook_id(full.id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let page = client
        .retrieve_webhooks()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.page_data.len(), 1);

    // Errors arrive as the spec's ErrorBody.
    match client
        .delete_webhook()
        .webhook_id(full.id.to_string())
        .send()
        .await
    {
        Err(webhooks_client::Error::ErrorResponse(answer)) => {
            assert_eq!(answer.status(), StatusCode::NOT_FOUND);
            assert_eq!(answer.message, "Webhook not found");
        }
        other => panic!("expected a 404 ErrorBody, got {other:?}"),
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_account_header_of_the_generated_client_is_honoured() {
    let sandbox = start().await;
    let sub = generated_client(&sandbox.base_url(), Some("sub-account"));
    let body: CreateWebhookRequest =
        serde_json::from_value(create_body("https://example.com/sub")).unwrap();
    sub.create_webhook().body(body).send().await.unwrap();
    let parent = generated_client(&sandbox.base_url(), None);
    let mine = parent
        .retrieve_webhooks()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(mine.page_data.is_empty());
    let theirs = parent
        .retrieve_webhooks()
        .account("sub-account")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(theirs.page_data.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn concurrent_creates_are_safe() {
    let sandbox = start().await;
    let api = Arc::new(Api::new(&sandbox));
    let mut tasks = Vec::new();
    // 24 distinct webhooks and 8 racing for the same url and method.
    for n in 0..32 {
        let api = Arc::clone(&api);
        let url = if n < 24 {
            format!("https://example.com/{n}")
        } else {
            "https://example.com/contested".to_owned()
        };
        tasks.push(tokio::spawn(async move {
            api.post_json("/v1/webhooks/messages", &create_body(&url))
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (25, 7), "{statuses:?}");
    let page = api.list().await;
    assert_eq!(page.page_data.len(), 25);
    let mut urls: Vec<_> = page.page_data.iter().map(|w| w.url.clone()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 25, "no webhook stored twice");
    sandbox.shutdown().await;
}
