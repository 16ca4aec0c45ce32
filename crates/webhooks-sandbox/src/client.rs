//! A typed client for the sandbox's own endpoints (events, deliveries, faults, the enabled signature
//! key), for tests that run the sandbox in another process (`webhooks-sandbox --listen ...`).
//! In the same process, [`crate::SandboxHandle`] offers the same without HTTP.
//!
//! ```no_run
//! # async fn run() -> Result<(), webhooks_sandbox::client::CallError> {
//! use webhooks_sandbox::client::SandboxClient;
//! use webhooks_sandbox::{Fault, Operation};
//!
//! let sandbox = SandboxClient::new("http://127.0.0.1:8080", "sandbox-key", "sandbox-secret");
//! // The next two creates of this account answer 503 with Retry-After: 1.
//! sandbox.inject_fault(&Fault::new(Operation::Create, 2).status(503, Some(1))).await?;
//! # Ok(())
//! # }
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::store::DeliveryFilter;
use crate::{DeliveryAttempt, Fault, SignatureKey, SimulatedEvent};

/// A failed call to the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No answer: the connection failed or was closed.
    #[error("the sandbox did not answer: {0}")]
    Transport(#[from] reqwest::Error),
    /// The sandbox answered an error status with its `{message, details}` body.
    #[error("the sandbox answered {status}: {message}")]
    Status {
        /// The status.
        status: u16,
        /// The error body's message.
        message: String,
        /// The error body's details (field problems), when any.
        details: Vec<String>,
    },
}

/// What `POST /sandbox/v1/events` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Triggered {
    /// The account whose webhooks are called.
    pub account: String,
    /// How many webhooks are being called.
    pub webhooks: usize,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<String>,
}

/// Calls a sandbox's own endpoints with Basic credentials, acting for their own account or
/// the one [`SandboxClient::for_account`] names. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct SandboxClient {
    base: String,
    http: reqwest::Client,
    api_key: String,
    authorization: String,
    account: Option<String>,
}

impl std::fmt::Debug for SandboxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxClient")
            .field("base", &self.base)
            .field("api_key", &self.api_key)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl SandboxClient {
    /// A client of the sandbox at `base_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        api_secret: impl AsRef<str>,
    ) -> SandboxClient {
        let api_key = api_key.into();
        let credentials = format!("{api_key}:{}", api_secret.as_ref());
        SandboxClient {
            base: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            authorization: format!("Basic {}", BASE64.encode(credentials)),
            api_key,
            account: None,
        }
    }

    /// The same client acting for `account` (the `Account` header).
    pub fn for_account(mut self, account: impl Into<String>) -> SandboxClient {
        self.account = Some(account.into());
        self
    }

    /// Simulates `event`; the sandbox answers once the deliveries have started.
    pub async fn trigger(&self, event: &SimulatedEvent) -> Result<Triggered, CallError> {
        let request = self
            .request(reqwest::Method::POST, "/sandbox/v1/events")
            .json(event);
        decode(request).await
    }

    /// The delivery attempts of this account that `filter` matches, oldest first: page `page`
    /// (from 0) of `page_size` (1 to 1000).
    pub async fn deliveries(
        &self,
        filter: &DeliveryFilter,
        page: u32,
        page_size: u32,
    ) -> Result<Vec<DeliveryAttempt>, CallError> {
        let mut pairs = filter.query_pairs();
        pairs.push(("page", page.to_string()));
        pairs.push(("page_size", page_size.to_string()));
        let request = self
            .request(reqwest::Method::GET, "/sandbox/v1/deliveries")
            .query(&pairs);
        decode(request).await
    }

    /// Arms `fault` for this account (its own `account` is ignored); the fault as armed.
    pub async fn inject_fault(&self, fault: &Fault) -> Result<Fault, CallError> {
        let request = self
            .request(reqwest::Method::POST, "/sandbox/v1/faults")
            .json(fault);
        decode(request).await
    }

    /// Removes every fault of this account.
    pub async fn clear_faults(&self) -> Result<(), CallError> {
        let response = self
            .request(reqwest::Method::DELETE, "/sandbox/v1/faults")
            .send()
            .await?;
        checked(response).await.map(drop)
    }

    /// The account's enabled signature key, with its public key; `None` while none is
    /// enabled. Two calls of the Signature Key API: the enabled key, then that key by id (the
    /// only answer that carries the public key).
    pub async fn signature_key(&self) -> Result<Option<SignatureKey>, CallError> {
        #[derive(serde::Deserialize)]
        struct Enabled {
            key_id: uuid::Uuid,
        }
        let enabled: Enabled = match decode(
            self.request(reqwest::Method::GET, "/v1/iam/signature_keys/enabled"),
        )
        .await
        {
            Err(CallError::Status { status: 404, .. }) => return Ok(None),
            other => other?,
        };
        let path = format!("/v1/iam/signature_keys/{}", enabled.key_id);
        decode(self.request(reqwest::Method::GET, &path))
            .await
            .map(Some)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.authorization);
        match &self.account {
            Some(account) => request.header("Account", account),
            None => request,
        }
    }
}

async fn checked(response: reqwest::Response) -> Result<reqwest::Response, CallError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body: ErrorBody = response.json().await.unwrap_or_default();
    Err(CallError::Status {
        status: status.as_u16(),
        message: body.message,
        details: body.details,
    })
}

async fn decode<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, CallError> {
    let response = checked(request.send().await?).await?;
    Ok(response.json().await?)
}
