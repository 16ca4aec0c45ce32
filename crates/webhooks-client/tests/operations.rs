//! Each generated operation over real loopback HTTP: what it sends, and what it decodes.

use std::sync::{Arc, Mutex};

use axum::http::Method;
use scripted_server::{Answer, Server};
use webhooks_client::hooks::{RequestSigner, SignError, Signing};
use webhooks_client::open::Open;
use webhooks_client::types::{
    self, CreateWebhookRequest, Encoding, Event, HttpMethod, UpdateWebhookRequest,
};
use webhooks_client::{Client, Error};

/// The shared scripted server, answering one request with this status, content type and body
/// (no content type: no body at all).
async fn answering(status: u16, content_type: &str, body: &str) -> Server {
    let answer = if content_type.is_empty() {
        Answer::empty(status)
    } else {
        Answer::with_type(status, content_type, body)
    };
    Server::start(vec![answer]).await
}

const WEBHOOK: &str = r#"{"id":"76fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://example.com/hook","method":"POST","encoding":"JSON","headers":{"X-Key":"v"},"events":["RECEIVED_SMS","DELIVERED_DR"],"template":"{\"id\":\"$mtId\"}","read_timeout":5000,"retries":3,"retry_delay":30,"unknown_future_field":true}"#;
const ID: &str = "76fa7010-8c1f-4a24-917a-4d62a54e744d";

fn client(server: &Server) -> Client {
    Client::new(&server.url, Signing::unsigned())
}

#[tokio::test]
async fn create_posts_the_json_body_with_the_account_header_and_decodes_201() {
    let server = answering(201, "application/json", WEBHOOK).await;
    let body = CreateWebhookRequest::builder()
        .url("https://example.com/hook")
        .method(HttpMethod::Post)
        .encoding(Encoding::Json)
        .events(vec![Event::ReceivedSms.into(), Event::DeliveredDr.into()])
        .retries(Some(3));
    let created = client(&server)
        .create_webhook()
        .account("Sub1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.id.to_string(), ID);
    assert_eq!(
        created.events,
        Some(vec![Event::ReceivedSms.into(), Event::DeliveredDr.into()])
    );
    assert_eq!(created.read_timeout, Some(5000));

    let seen = server.only_request();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.uri, "/v1/webhooks/messages");
    assert_eq!(seen.headers["account"], "Sub1");
    assert_eq!(seen.headers["content-type"], "application/json");
    assert!(
        seen.headers.get("api-version").is_none(),
        "the generator's api-version header never reaches the wire"
    );
    let sent: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"url": "https://example.com/hook", "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS", "DELIVERED_DR"], "retries": 3})
    );
}

#[tokio::test]
async fn list_sends_page_and_page_size_and_decodes_the_camel_case_page() {
    let page = format!(r#"{{"page":2,"pageSize":1,"pageData":[{WEBHOOK}]}}"#);
    let server = answering(200, "application/json", &page).await;
    let got = client(&server)
        .retrieve_webhooks()
        .page(2)
        .page_size(1)
        .send()
        .await
        .unwrap();
    assert_eq!((got.page, got.page_size, got.page_data.len()), (2, 1, 1));
    let seen = server.only_request();
    assert_eq!(seen.method, Method::GET);
    assert_eq!(seen.uri, "/v1/webhooks/messages?page=2&page_size=1");
    assert!(
        seen.headers.get("account").is_none(),
        "no Account header unless asked"
    );
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn a_page_with_unknown_values_nulls_and_long_headers_decodes_whole() {
    let long = "v".repeat(5000);
    let odd = format!(
        r#"{{"id":"{ID}","url":"https://e.com","method":"HEAD","encoding":null,"events":["RECEIVED_RCS","DELIVERED_DR"],"headers":{{"X-Long":"{long}"}}}}"#
    );
    let missing = format!(r#"{{"id":"{ID}","url":"https://e.com","method":"POST","events":null}}"#);
    let page = format!(r#"{{"page":0,"pageSize":100,"pageData":[{odd},{missing}]}}"#);
    let server = answering(200, "application/json", &page).await;
    let got = client(&server).retrieve_webhooks().send().await.unwrap();
    let (first, second) = (&got.page_data[0], &got.page_data[1]);
    assert_eq!(first.method, Open::Unknown("HEAD".to_owned()));
    assert_eq!(first.encoding, None);
    assert_eq!(
        first.events,
        Some(vec![
            Open::Unknown("RECEIVED_RCS".to_owned()),
            Open::Known(Event::DeliveredDr)
        ])
    );
    assert_eq!(first.headers.as_ref().unwrap()["X-Long"].len(), 5000);
    assert_eq!(
        (second.encoding.as_ref(), second.events.as_ref()),
        (None, None)
    );
}

#[tokio::test]
async fn update_patches_only_the_fields_given() {
    let server = answering(200, "application/json", WEBHOOK).await;
    let body = UpdateWebhookRequest::builder().url(Some("https://example.com/v2".parse().unwrap()));
    let id: uuid::Uuid = ID.parse().unwrap();
    let updated = client(&server)
        .update_webhook()
        .webhook_id(id)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.url, "https://example.com/hook");
    let seen = server.only_request();
    assert_eq!(seen.method, Method::PATCH);
    assert_eq!(seen.uri.path(), format!("/v1/webhooks/messages/{ID}"));
    assert_eq!(&seen.body[..], br#"{"url":"https://example.com/v2"}"#);
}

#[tokio::test]
async fn delete_sends_delete_and_decodes_204_without_a_body() {
    let server = answering(204, "", "").await;
    let id: uuid::Uuid = ID.parse().unwrap();
    let deleted = client(&server)
        .delete_webhook()
        .webhook_id(id)
        .account("Sub2")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let seen = server.only_request();
    assert_eq!(seen.method, Method::DELETE);
    assert_eq!(seen.uri.path(), format!("/v1/webhooks/messages/{ID}"));
    assert_eq!(seen.headers["account"], "Sub2");
}

#[tokio::test]
async fn a_400_decodes_message_and_details() {
    let server = answering(
        400,
        "application/json",
        r#"{"message":"Invalid webhook","details":["/url: Not a valid http url","/events/0: [RECEIVED_123] is invalid"]}"#,
    )
    .await;
    let body = CreateWebhookRequest::builder()
        .url("nope")
        .method(HttpMethod::Get)
        .encoding(Encoding::Xml)
        .events(vec![Event::OptOutSms.into()]);
    match client(&server).create_webhook().body(body).send().await {
        Err(Error::ErrorResponse(err)) => {
            assert_eq!(err.status(), 400);
            assert_eq!(err.message, "Invalid webhook");
            assert_eq!(
                err.details,
                [
                    "/url: Not a valid http url",
                    "/events/0: [RECEIVED_123] is invalid"
                ]
            );
        }
        other => panic!("expected a 400 ErrorResponse, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_json_error_body_keeps_its_status_headers_and_an_excerpt() {
    let server = answering(503, "text/html", "<html>upstream unavailable</html>").await;
    match client(&server).retrieve_webhooks().send().await {
        Err(Error::ErrorResponse(err)) => {
            assert_eq!(err.status(), 503);
            assert_eq!(err.message, "<html>upstream unavailable</html>");
            assert!(err.details.is_empty());
        }
        other => panic!("expected a normalized ErrorResponse, got {other:?}"),
    }
    let server = answering(401, "", "").await;
    match client(&server).retrieve_webhooks().send().await {
        Err(Error::ErrorResponse(err)) => {
            assert_eq!((err.status().as_u16(), err.message.as_str()), (401, ""))
        }
        other => panic!("expected a normalized ErrorResponse, got {other:?}"),
    }
}

/// Records what the signer saw and stamps a header, to prove it runs on the final request.
#[derive(Debug, Default)]
struct RecordingSigner {
    saw: Mutex<Option<(String, String, Vec<u8>)>>,
}

impl RequestSigner for RecordingSigner {
    fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default()
            .to_vec();
        let target = match request.url().query() {
            Some(query) => format!("{}?{query}", request.url().path()),
            None => request.url().path().to_owned(),
        };
        *self.saw.lock().unwrap() = Some((request.method().to_string(), target, body));
        request
            .headers_mut()
            .insert("x-signed", "yes".parse().unwrap());
        Ok(())
    }
}

#[tokio::test]
async fn the_signer_sees_the_final_method_target_and_body_bytes() {
    let server = answering(200, "application/json", WEBHOOK).await;
    let signer = Arc::new(RecordingSigner::default());
    let client = Client::new(&server.url, Signing::with_signer(signer.clone()));
    let body = UpdateWebhookRequest::builder().events(Some(vec![Event::FailedDr.into()]));
    client
        .update_webhook()
        .webhook_id(ID.parse::<uuid::Uuid>().unwrap())
        .body(body)
        .send()
        .await
        .unwrap();
    let seen = server.only_request();
    let (method, target, body) = signer.saw.lock().unwrap().clone().unwrap();
    assert_eq!(method, "PATCH");
    assert_eq!(target, seen.uri.to_string());
    assert_eq!(
        body,
        seen.body.to_vec(),
        "the signer must see the exact bytes sent"
    );
    assert_eq!(seen.headers["x-signed"], "yes");
}

#[derive(Debug)]
struct FailingSigner;

impl RequestSigner for FailingSigner {
    fn sign(&self, _: &mut reqwest::Request) -> Result<(), SignError> {
        Err(SignError("clock unavailable".to_owned()))
    }
}

#[tokio::test]
async fn a_signer_failure_stops_the_request() {
    let server = answering(
        200,
        "application/json",
        r#"{"page":0,"pageSize":1,"pageData":[]}"#,
    )
    .await;
    let client = Client::new(&server.url, Signing::with_signer(Arc::new(FailingSigner)));
    match client.retrieve_webhooks().send().await {
        Err(Error::Custom(message)) => assert!(message.contains("clock unavailable"), "{message}"),
        other => panic!("expected the signer's error, got {other:?}"),
    }
    assert!(server.requests().is_empty(), "nothing may be sent unsigned");
}

#[test]
fn every_generated_type_has_a_json_schema() {
    let schema = schemars::schema_for!(types::Webhook);
    let text = serde_json::to_string(&schema).unwrap();
    assert!(
        text.contains("\"read_timeout\"") && text.contains("\"events\""),
        "{text}"
    );
    let _ = schemars::schema_for!(types::WebhookPage);
    let _ = schemars::schema_for!(types::ErrorBody);
}
