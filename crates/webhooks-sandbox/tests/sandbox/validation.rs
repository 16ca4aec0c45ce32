//! Every validation rule of the API, on create and on update, with the field path its detail
//! names; 400 for a body that is not JSON, 413 over the body limit, 405 for a wrong method,
//! 404 for unknown and malformed ids, 409 for a duplicate url and method.

use crate::loopback;

use loopback::{Api, create_body, start};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `(field, value, expected start of the detail)` for every rule a field value can break.
fn field_rules() -> Vec<(&'static str, Value, &'static str)> {
    let long_url = format!("https://example.com/{}", "a".repeat(1000));
    vec![
        (
            "url",
            json!("ftp://example.com/h"),
            "/url: Not a valid http url",
        ),
        ("url", json!("example.com/h"), "/url: Not a valid http url"),
        ("url", json!(long_url), "/url: Not a valid http url"),
        (
            "url",
            json!("https://-bad.example.com/h"),
            "/url: Not a valid http url",
        ),
        (
            "url",
            json!("https://bad_.example.com/h"),
            "/url: Not a valid http url",
        ),
        (
            "url",
            json!("https://a..example.com/h"),
            "/url: Not a valid http url",
        ),
        (
            "url",
            json!("https://exa mple.com/h"),
            "/url: Not a valid http url",
        ),
        (
            "url",
            json!("https://example.com/\u{7}"),
            "/url: Not a valid http url",
        ),
        ("url", json!(42), "/url: must be a string"),
        ("method", json!("HEAD"), "/method: [HEAD] is invalid"),
        ("method", json!("post"), "/method: [post] is invalid"),
        ("encoding", json!("YAML"), "/encoding: [YAML] is invalid"),
        (
            "events",
            json!([]),
            "/events: at least one event is required",
        ),
        ("events", json!("RECEIVED_SMS"), "/events: must be an array"),
        (
            "events",
            json!(["RECEIVED_SMS", "RECEIVED_123"]),
            "/events/1: [RECEIVED_123] is invalid",
        ),
        ("events", json!([7]), "/events/0: [7] is invalid"),
        (
            "headers",
            json!(["x"]),
            "/headers: must be an object of strings",
        ),
        (
            "headers",
            json!({"Content-Type": "text/plain"}),
            "/headers/Content-Type: must not be set",
        ),
        (
            "headers",
            json!({"cOnTeNt-TyPe": "text/plain"}),
            "/headers/cOnTeNt-TyPe: must not be set",
        ),
        (
            "headers",
            json!({"X-Long".repeat(34): "v"}),
            "/headers/X-LongX-Long",
        ),
        (
            "headers",
            json!({"X-Key": "v".repeat(1001)}),
            "/headers/X-Key: value must be at most 1000",
        ),
        (
            "headers",
            json!({"X-Key": 5}),
            "/headers/X-Key: must be a string",
        ),
        (
            "headers",
            json!({"a/b": "v"}),
            "/headers/a~1b: is not a valid HTTP header name",
        ),
        ("template", json!(["x"]), "/template: must be a string"),
    ]
}

fn create_only_rules() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "read_timeout",
            json!(0),
            "/read_timeout: must be an integer between 1 and 60000",
        ),
        (
            "read_timeout",
            json!(60_001),
            "/read_timeout: must be an integer between 1 and 60000",
        ),
        (
            "read_timeout",
            json!(2.5),
            "/read_timeout: must be an integer between 1 and 60000",
        ),
        (
            "retries",
            json!(-1),
            "/retries: must be an integer between 0 and 5",
        ),
        (
            "retries",
            json!(6),
            "/retries: must be an integer between 0 and 5",
        ),
        (
            "retry_delay",
            json!(4),
            "/retry_delay: must be an integer between 5 and 60",
        ),
        (
            "retry_delay",
            json!(61),
            "/retry_delay: must be an integer between 5 and 60",
        ),
        (
            "retry_delay",
            json!("10"),
            "/retry_delay: must be an integer between 5 and 60",
        ),
    ]
}

fn assert_detail(details: &[String], expected: &str, case: &str) {
    assert!(
        details.iter().any(|d| d.starts_with(expected)),
        "{case}: expected a detail starting `{expected}`, got {details:?}"
    );
}

#[tokio::test]
async fn each_create_rule_is_a_400_naming_its_field() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for (field, value, expected) in field_rules().into_iter().chain(create_only_rules()) {
        let mut body = create_body("https://example.com/h");
        body[field] = value.clone();
        let answer = api.post_json("/v1/webhooks/messages", &body).await;
        assert_detail(
            &answer.details(),
            expected,
            &format!("create {field}={value}"),
        );
    }
    assert!(api.list().await.page_data.is_empty(), "nothing was stored");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn create_names_every_missing_required_field_and_rejects_non_objects() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let details = api
        .post_json("/v1/webhooks/messages", &json!({}))
        .await
        .details();
    assert_eq!(
        details,
        [
            "/url: is required",
            "/method: is required",
            "/encoding: is required",
            "/events: is required"
        ]
    );
    for field in ["url", "method", "encoding", "events"] {
        let mut body = create_body("https://example.com/h");
        body.as_object_mut().unwrap().remove(field);
        let details = api
            .post_json("/v1/webhooks/messages", &body)
            .await
            .details();
        assert_eq!(details, [format!("/{field}: is required")]);
    }
    for body in [json!([1]), json!("text"), json!(null)] {
        let details = api
            .post_json("/v1/webhooks/messages", &body)
            .await
            .details();
        assert_detail(&details, "/: the body must be a JSON object", "non-object");
    }
    // Several problems at once: every one is named.
    let body = json!({"url": "ftp://x", "method": "HEAD", "encoding": "JSON", "events": ["NOPE"]});
    let details = api
        .post_json("/v1/webhooks/messages", &body)
        .await
        .details();
    assert_eq!(details.len(), 3, "{details:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn each_update_rule_is_a_400_naming_its_field() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let webhook = api.create(&create_body("https://example.com/h")).await;
    let path = format!("/v1/webhooks/messages/{}", webhook.id);
    for (field, value, expected) in field_rules() {
        let answer = api.patch_json(&path, &json!({ field: value })).await;
        assert_detail(
            &answer.details(),
            expected,
            &format!("update {field}={value}"),
        );
    }
    for (field, value, _) in create_only_rules() {
        let body = json!({"url": "https://example.com/other", field: value});
        let answer = api.patch_json(&path, &body).await;
        assert_detail(
            &answer.details(),
            &format!("/{field}: can only be set when the webhook is created"),
            field,
        );
    }
    for body in [json!({}), json!({"unknown": 1})] {
        let details = api.patch_json(&path, &body).await.details();
        assert_detail(&details, "/: at least one of", &body.to_string());
    }
    let details = api.patch_json(&path, &json!([1])).await.details();
    assert_detail(&details, "/: the body must be a JSON object", "array");
    let stored = api.list().await.page_data;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].url, "https://example.com/h",
        "nothing was changed"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let webhook = api.create(&create_body("https://example.com/h")).await;
    let update = format!("/v1/webhooks/messages/{}", webhook.id);
    for (method, path) in [
        (Method::POST, "/v1/webhooks/messages"),
        (Method::PATCH, update.as_str()),
    ] {
        for body in [
            &b"{not json"[..],
            b"",
            b"\xff\xfe",
            b"{\"url\": 1} trailing",
        ] {
            let answer = api.send(method.clone(), path, Some(body.to_vec())).await;
            let error = answer.error(StatusCode::BAD_REQUEST);
            assert_eq!(error.message, "The request body is not valid JSON");
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let webhook = api.create(&create_body("https://example.com/h")).await;
    let mut body = create_body("https://example.com/big");
    body["template"] = json!("x".repeat(webhooks_sandbox::BODY_LIMIT));
    let bytes = body.to_string().into_bytes();
    let answer = api
        .send(Method::POST, "/v1/webhooks/messages", Some(bytes.clone()))
        .await;
    answer.error(StatusCode::PAYLOAD_TOO_LARGE);
    let answer = api
        .send(
            Method::PATCH,
            &format!("/v1/webhooks/messages/{}", webhook.id),
            Some(bytes),
        )
        .await;
    answer.error(StatusCode::PAYLOAD_TOO_LARGE);
    // Just under the limit is fine.
    let mut body = create_body("https://example.com/big");
    body["template"] = json!("x".repeat(webhooks_sandbox::BODY_LIMIT - 200));
    api.create(&body).await;
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let id = uuid::Uuid::new_v4();
    let item = format!("/v1/webhooks/messages/{id}");
    for (method, path, allowed) in [
        (Method::PUT, "/v1/webhooks/messages", "POST"),
        (Method::DELETE, "/v1/webhooks/messages", "GET"),
        (Method::POST, "/v1/webhooks/messages/", "GET"),
        (Method::GET, item.as_str(), "PATCH"),
        (Method::POST, item.as_str(), "DELETE"),
        (Method::PUT, item.as_str(), "PATCH"),
    ] {
        let answer = api.send(method.clone(), path, None).await;
        answer.error(StatusCode::METHOD_NOT_ALLOWED);
        let allow = answer.headers.get("allow").unwrap().to_str().unwrap();
        assert!(allow.contains(allowed), "{method} {path}: Allow: {allow}");
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    api.create(&create_body("https://example.com/h")).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [
        unknown.as_str(),
        "not-a-uuid",
        "123",
        "%FF",
        "%20",
        "76fa7010-8c1f-4a24-917a",
    ] {
        let path = format!("/v1/webhooks/messages/{id}");
        let answer = api
            .patch_json(&path, &json!({"url": "https://example.com/x"}))
            .await;
        assert_eq!(
            answer.error(StatusCode::NOT_FOUND).message,
            "Webhook not found"
        );
        let answer = api.send(Method::DELETE, &path, None).await;
        assert_eq!(
            answer.error(StatusCode::NOT_FOUND).message,
            "Webhook not found"
        );
    }
    let answer = api.get("/v1/nothing-here").await;
    answer.error(StatusCode::NOT_FOUND);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_url_and_method_is_409() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let first = api.create(&create_body("https://example.com/h")).await;
    let answer = api
        .post_json(
            "/v1/webhooks/messages",
            &create_body("https://example.com/h"),
        )
        .await;
    assert_eq!(
        answer.error(StatusCode::CONFLICT).message,
        "A webhook with the given url and method already exists."
    );
    // The same URL with another method is another webhook.
    let mut other = create_body("https://example.com/h");
    other["method"] = json!("PUT");
    let second = api.create(&other).await;
    // An update that would make two webhooks alike is refused too; an update to itself is not.
    let answer = api
        .patch_json(
            &format!("/v1/webhooks/messages/{}", second.id),
            &json!({"method": "POST"}),
        )
        .await;
    answer.error(StatusCode::CONFLICT);
    let answer = api
        .patch_json(
            &format!("/v1/webhooks/messages/{}", first.id),
            &json!({"url": "https://example.com/h", "method": "POST"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(api.list().await.page_data.len(), 2);
    sandbox.shutdown().await;
}

/// Every 400, whatever rejects the request, carries `details`: a list of at least one string.
#[track_caller]
fn assert_400_with_details(answer: &loopback::Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
    let body: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|err| panic!("{what}: not JSON ({err})"));
    let details = body["details"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no `details` in {body}"));
    assert!(!details.is_empty(), "{what}: empty `details` in {body}");
    assert!(details.iter().all(Value::is_string), "{what}: {body}");
    assert!(body["message"].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn every_400_carries_details_a_missing_or_broken_body_included() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let id = api
        .create(&create_body("https://example.com/details"))
        .await
        .id;
    let json_endpoints = [
        (Method::POST, "/v1/webhooks/messages".to_owned()),
        (Method::PATCH, format!("/v1/webhooks/messages/{id}")),
        (Method::POST, "/v1/iam/signature_keys".to_owned()),
        (Method::PATCH, "/v1/iam/signature_keys/enabled".to_owned()),
        (Method::POST, "/sandbox/v1/events".to_owned()),
        (Method::POST, "/sandbox/v1/faults".to_owned()),
    ];
    for (method, path) in &json_endpoints {
        for body in [
            None,
            Some(b"".to_vec()),
            Some(b"[1, ".to_vec()),
            Some(b"\xff".to_vec()),
        ] {
            let shown = body.as_deref().map(String::from_utf8_lossy);
            let answer = api.send(method.clone(), path, body.clone()).await;
            assert_400_with_details(&answer, &format!("{method} {path} with {shown:?}"));
        }
        let answer = api
            .send(
                method.clone(),
                path,
                Some(b"{\"unexpected\": true}".to_vec()),
            )
            .await;
        if answer.status == StatusCode::BAD_REQUEST {
            assert_400_with_details(&answer, &format!("{method} {path} with an odd object"));
        }
    }
    for query in [
        "/v1/webhooks/messages?page=x",
        "/v1/webhooks/messages?page_size=0",
        "/v1/iam/signature_keys?page=0",
        "/sandbox/v1/deliveries?since=yesterday",
        "/sandbox/v1/deliveries?outcome=maybe",
    ] {
        assert_400_with_details(&api.get(query).await, query);
    }
    let answer = api
        .send_with(
            Method::GET,
            "/v1/webhooks/messages",
            None,
            &[("Account", "caf\u{e9}".to_owned())],
        )
        .await;
    assert_400_with_details(&answer, "a non-ASCII Account header");

    let fault = api
        .post_json(
            "/sandbox/v1/faults",
            &json!({"operation": "list", "times": 1, "status": 400}),
        )
        .await;
    assert!(fault.status.is_success(), "{fault:?}");
    assert_400_with_details(&api.get("/v1/webhooks/messages").await, "an injected 400");
}
