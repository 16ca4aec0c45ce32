//! What the integration tests share: a sandbox on loopback, raw HTTP calls with Basic auth,
//! the generated client, error-body checks, and a receiver that records callbacks.
#![allow(dead_code, reason = "each test file uses its own part of this module")]

pub mod receiver;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webhooks_client::types;
use webhooks_sandbox::{Sandbox, SandboxHandle};

pub const KEY: &str = "test-key";
pub const SECRET: &str = "test-secret";

/// A sandbox accepting [`KEY`]/[`SECRET`], with retry delays scaled down a thousandfold.
pub async fn start() -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .delivery_time_scale(0.001)
        .start()
        .await
        .expect("the sandbox starts")
}

/// A sandbox accepting [`KEY`]/[`SECRET`] that signs every callback with `digest`.
pub async fn signing_sandbox(digest: webhooks_sandbox::Digest) -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .sign_callbacks(true)
        .signature_digest(digest)
        .start()
        .await
        .expect("the sandbox starts")
}

/// `Authorization: Basic` for `key:secret`.
pub fn basic(key: &str, secret: &str) -> String {
    format!("Basic {}", BASE64.encode(format!("{key}:{secret}")))
}

/// A valid create body for `url`.
pub fn create_body(url: &str) -> Value {
    json!({"url": url, "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"]})
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    /// The body as JSON; a failure names the calling test's line.
    #[track_caller]
    pub fn json(&self) -> Value {
        // A `match`, not a closure: a panic in a closure would name this file, not the caller.
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(err) => panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body)),
        }
    }

    /// Asserts the answer is an error with `status` and an `{message, details?}` body (and
    /// nothing else), decodable by the generated client; returns it.
    #[track_caller]
    pub fn error(&self, status: StatusCode) -> types::ErrorBody {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let value = self.json();
        let object = value.as_object().expect("an error body is an object");
        assert!(
            object.keys().all(|k| k == "message" || k == "details"),
            "{value}"
        );
        assert!(object["message"].as_str().is_some_and(|m| !m.is_empty()));
        if let Some(details) = object.get("details") {
            assert!(
                details
                    .as_array()
                    .expect("details is an array")
                    .iter()
                    .all(Value::is_string)
            );
        }
        serde_json::from_value(value).expect("the generated ErrorBody decodes it")
    }

    /// The error's details, after checking it is a 400 error body.
    #[track_caller]
    pub fn details(&self) -> Vec<String> {
        self.error(StatusCode::BAD_REQUEST).details
    }
}

/// Raw HTTP against a sandbox, authenticated with Basic unless told otherwise.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub authorization: Option<String>,
    pub account: Option<String>,
}

impl Api {
    pub fn new(sandbox: &SandboxHandle) -> Api {
        Api::at(sandbox.base_url())
    }

    pub fn at(base: String) -> Api {
        Api {
            base,
            http: reqwest::Client::new(),
            authorization: Some(basic(KEY, SECRET)),
            account: None,
        }
    }

    /// The same, acting for `account` through the `Account` header.
    pub fn for_account(&self, account: &str) -> Api {
        Api {
            account: Some(account.to_owned()),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        self.send_with(method, path, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, String)],
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        if let Some(account) = &self.account {
            request = request.header("Account", account);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.expect("the sandbox answers");
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("the body arrives"),
        }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::PATCH, path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// Creates a webhook (must succeed) and returns it, decoded with the generated types.
    pub async fn create(&self, body: &Value) -> types::Webhook {
        let answer = self.post_json("/v1/webhooks/messages", body).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        serde_json::from_slice(&answer.body).expect("a Webhook")
    }

    /// Every webhook of the account (one page of 100; tests stay below that).
    pub async fn list(&self) -> types::WebhookPage {
        let answer = self.get("/v1/webhooks/messages").await;
        assert_eq!(answer.status, StatusCode::OK);
        serde_json::from_slice(&answer.body).expect("a WebhookPage")
    }
}

/// The generated client, authenticating with Basic through default headers.
pub fn generated_client(base: &str, account: Option<&str>) -> webhooks_client::Client {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, basic(KEY, SECRET).parse().unwrap());
    if let Some(account) = account {
        headers.insert("Account", account.parse().unwrap());
    }
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    webhooks_client::Client::new_with_client(
        base,
        http,
        webhooks_client::hooks::Signing::unsigned(),
    )
}
