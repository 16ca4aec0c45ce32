//! The handwritten seam between the generated client and the code layered on it.
//!
//! The generated [`Client`] carries a [`Signing`] and calls this module's
//! [`ClientHooks`] implementation around every request:
//!
//! - **`pre`** first removes the `api-version` header progenitor adds to every request from the
//!   contract's `info.version` (no vendor client sends it; it is our document's version, not an
//!   API parameter), then hands the final [`reqwest::Request`] (method, URL with query, headers and body
//!   bytes exactly as they will be sent) to the [`RequestSigner`] held by [`Signing`], if any. That
//!   is where HMAC signing happens: the signer sees what is sent, not a reconstruction.
//! - **`exec`** sends the request and, for a 4xx or 5xx answer whose body is not an
//!   [`ErrorBody`](crate::types::ErrorBody) (plain text, HTML from a proxy, an empty body), replaces
//!   the body with an `ErrorBody` whose `message` is an excerpt of what was received (at most
//!   [`ERROR_EXCERPT_LIMIT`] bytes, cut at a character boundary). Status and headers (say,
//!   `Retry-After` on a 429) are kept. Every error status therefore surfaces as
//!   [`Error::ErrorResponse`], never as a decoding failure that has
//!   lost the status. Error bodies are read up to [`ERROR_BODY_LIMIT`] bytes; the rest is dropped.

use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

use crate::Client;

/// How many bytes of an error body are read at most; the rest is discarded unread.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How many bytes of a non-`ErrorBody` error body are kept as the normalized `message`.
pub const ERROR_EXCERPT_LIMIT: usize = 512;

/// The header progenitor adds from `info.version`; removed before signing and sending. A
/// `HeaderName` built at compile time: removing by `&str` parsed and validated the name anew on
/// every request.
static GENERATOR_VERSION_HEADER: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("api-version");

/// Signs a request in place, just before it is sent.
///
/// Implementations add headers (`Authorization`, `Date`, ...) computed from the final request.
/// The request's body, when it has one, is a byte buffer (`request.body().and_then(|b| b.as_bytes())`).
pub trait RequestSigner: fmt::Debug + Send + Sync + 'static {
    /// Add the authentication headers to `request`.
    fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError>;
}

/// Why a request could not be signed. Its message must never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignError(pub String);

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not sign the request: {}", self.0)
    }
}

impl std::error::Error for SignError {}

/// How the generated client signs its requests: the [`RequestSigner`] it hands every request
/// to just before sending, or none. The state the generated client carries for its hooks.
///
/// ```
/// use std::sync::Arc;
/// use webhooks_client::hooks::{RequestSigner, SignError, Signing};
///
/// #[derive(Debug)]
/// struct Bearer(&'static str);
///
/// impl RequestSigner for Bearer {
///     fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
///         let value = format!("Bearer {}", self.0).parse().map_err(|_| SignError("bad token".into()))?;
///         request.headers_mut().insert(reqwest::header::AUTHORIZATION, value);
///         Ok(())
///     }
/// }
///
/// let signed = webhooks_client::Client::new("https://api.messagemedia.com", Signing::with_signer(Arc::new(Bearer("t"))));
/// // Requests go out exactly as built, with no credentials: for a gateway that adds them, or
/// // a reqwest::Client whose default headers carry them.
/// let unsigned = webhooks_client::Client::new("http://127.0.0.1:8080", Signing::unsigned());
/// # let _ = (signed, unsigned);
/// ```
#[derive(Debug, Clone)]
pub struct Signing {
    signer: Option<Arc<dyn RequestSigner>>,
}

/// The old name of [`Signing`].
#[deprecated(
    since = "0.2.0",
    note = "renamed `Signing`; `Inner::new()` is `Signing::unsigned()`"
)]
pub type Inner = Signing;

impl Signing {
    /// No signer: requests are sent exactly as built, **without credentials** (add them
    /// through the `reqwest::Client`'s default headers, or not at all).
    pub fn unsigned() -> Signing {
        Signing { signer: None }
    }

    /// Every request is passed to `signer` just before it is sent.
    pub fn with_signer(signer: Arc<dyn RequestSigner>) -> Signing {
        Signing {
            signer: Some(signer),
        }
    }

    /// The signer, if any.
    pub fn signer(&self) -> Option<&Arc<dyn RequestSigner>> {
        self.signer.as_ref()
    }
}

impl ClientHooks<Signing> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        request.headers_mut().remove(&GENERATOR_VERSION_HEADER);
        match &self.inner().signer {
            Some(signer) => signer
                .sign(request)
                .map_err(|err| Error::Custom(err.to_string())),
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        if response.status().is_client_error() || response.status().is_server_error() {
            // Boxed: its state would otherwise enlarge every call's future.
            Ok(Box::pin(normalize_error(response)).await)
        } else {
            Ok(response)
        }
    }
}

/// Re-emits an error response with a body that decodes as `ErrorBody`.
async fn normalize_error(response: reqwest::Response) -> reqwest::Response {
    let status = response.status();
    let mut headers = response.headers().clone();
    let (body, complete) = read_capped(response, ERROR_BODY_LIMIT).await;
    let body = if complete && serde_json::from_slice::<crate::types::ErrorBody>(&body).is_ok() {
        body
    } else {
        let message = excerpt(&body, ERROR_EXCERPT_LIMIT);
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        serde_json::json!({ "message": message })
            .to_string()
            .into_bytes()
    };
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}

/// Reads at most `limit` bytes of the body; `complete` is false when more was left unread or
/// the body broke off.
pub async fn read_capped(response: reqwest::Response, limit: usize) -> (Vec<u8>, bool) {
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return (body, false);
        };
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return (body, false);
        }
        body.extend_from_slice(&chunk);
    }
    (body, true)
}

/// The excerpt rule every crate of the workspace follows (`webhooks_vocabulary::excerpt`).
pub use webhooks_vocabulary::excerpt;
