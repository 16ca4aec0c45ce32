//! The exact JSON the vendor's own Python SDK sends (every unset optional field as `null`, the
//! list at `/v1/webhooks/messages/` with `pageSize`) is accepted: null is absent for optional
//! fields, required fields still cannot be null, and an update of nothing but nulls is 400.

use crate::loopback;

use loopback::{Api, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The create body of the vendor's Python SDK for a webhook with no headers and no template.
fn vendor_create(url: &str) -> Value {
    json!({"encoding": "JSON", "events": ["RECEIVED_SMS"], "headers": null, "method": "POST", "template": null, "url": url})
}

#[tokio::test]
async fn the_vendor_sdks_create_list_update_and_delete_round_trip() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);

    let created = api
        .create(&vendor_create("https://example.com/vendor"))
        .await;
    assert!(created.headers.unwrap_or_default().is_empty());
    assert_eq!(created.template, None);

    let listed = api.get("/v1/webhooks/messages/?page=0&pageSize=10").await;
    assert_eq!(listed.status, StatusCode::OK);
    let page = listed.json();
    assert_eq!(page["pageSize"], 10);
    assert_eq!(page["pageData"][0]["id"], created.id.to_string());

    let path = format!("/v1/webhooks/messages/{}", created.id);
    let update = json!({"encoding": null, "events": ["DELIVERED_DR"], "headers": null, "method": null, "template": "{\"id\":\"$mtId\"}", "url": null});
    let updated = api.patch_json(&path, &update).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    let updated = updated.json();
    assert_eq!(updated["events"], json!(["DELIVERED_DR"]));
    assert_eq!(
        updated["url"], "https://example.com/vendor",
        "a null url is unchanged"
    );
    assert_eq!(updated["method"], "POST", "a null method is unchanged");
    assert_eq!(updated["template"], "{\"id\":\"$mtId\"}");

    let deleted = api.send(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(api.list().await.page_data.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn required_create_fields_sent_as_null_are_400_naming_each() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let body = json!({"encoding": null, "events": null, "headers": null, "method": "POST", "template": null, "url": "https://example.com/h"});
    let details = api
        .post_json("/v1/webhooks/messages", &body)
        .await
        .details();
    assert_eq!(
        details,
        ["/encoding: must not be null", "/events: must not be null"]
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_update_of_nothing_but_nulls_is_400_and_changes_nothing() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let created = api.create(&vendor_create("https://example.com/h")).await;
    let path = format!("/v1/webhooks/messages/{}", created.id);
    let nulls = json!({"encoding": null, "events": null, "headers": null, "method": null, "template": null, "url": null});
    let details = api.patch_json(&path, &nulls).await.details();
    assert!(details[0].starts_with("/: at least one of"), "{details:?}");
    assert_eq!(api.list().await.page_data[0].url, "https://example.com/h");
    sandbox.shutdown().await;
}
