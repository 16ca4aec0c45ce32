//! The axum extractors: a handler takes a [`VerifiedCallback`] (or a [`VerifiedBody`]) and
//! runs only for callbacks whose signature verified.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};

use super::payload::{Callback, ParseError};
use super::verify::{VerifiedCallback, VerifiedSignature, Verifier, VerifyError, content_type};

/// A callback body whose signature verified, unparsed: for templates whose shape
/// [`Callback`] does not read.
///
/// An axum extractor like [`VerifiedCallback`] (the [`Verifier`] from the router's state, the
/// handler's last argument, the original URI and raw bytes verified), without the parsing: it
/// answers 401, 503 or 413 as [`VerifiedCallback`] does, never 400.
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use webhooks_callbacks::{VerifiedBody, Verifier};
///
/// async fn custom_template(verified: VerifiedBody) -> &'static str {
///     println!("{} bytes of {}", verified.body.len(), verified.content_type);
///     "ok"
/// }
///
/// # fn app(verifier: Verifier) -> Router {
/// Router::new().route("/hooks/custom", post(custom_template)).with_state(verifier)
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedBody {
    /// The body, exactly as received.
    pub body: Bytes,
    /// The request's `Content-Type` (empty when it had none).
    pub content_type: String,
    /// Which key signed it, with which digest.
    pub signature: VerifiedSignature,
}

/// Why an extractor refused a callback; answers with a short plain-text message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackRejection {
    /// The body could not be read (too large for the route's body limit, or the connection
    /// failed): the body extractor's own answer (413, 400, ...).
    #[error("the callback body could not be read: {0}")]
    Body(#[from] BytesRejection),
    /// The signature was not accepted: 401; or the key could not be fetched: 503 when
    /// [`VerifyError::is_temporary`], so the platform retries, else 500.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The signature verified but the body could not be read as a [`Callback`]: 400.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl CallbackRejection {
    /// The status the rejection answers with: the body extractor's own, or
    /// [`VerifyError::status`] (401, 503 or 500), or 400 for a body that is not a callback.
    pub fn status(&self) -> StatusCode {
        match self {
            CallbackRejection::Body(rejection) => rejection.status(),
            CallbackRejection::Verify(err) => err.status(),
            CallbackRejection::Parse(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            CallbackRejection::Body(rejection) => rejection.into_response(),
            CallbackRejection::Verify(err) if err.is_temporary() => {
                tracing::error!(error = %err, "callback not checked: signature key unavailable");
                (status, format!("{err}\n")).into_response()
            }
            CallbackRejection::Verify(err @ VerifyError::KeySourceUnavailable { .. }) => {
                tracing::error!(error = %err, "callback not checked: the key source needs fixing");
                (status, format!("{err}\n")).into_response()
            }
            CallbackRejection::Verify(err) => {
                tracing::warn!(error = %err, "callback rejected: signature not accepted");
                (status, format!("{err}\n")).into_response()
            }
            CallbackRejection::Parse(err) => {
                tracing::warn!(error = %err, "callback rejected: unreadable body");
                (status, format!("{err}\n")).into_response()
            }
        }
    }
}

/// Verifies a request from its original URI (what the platform called, before any
/// `Router::nest` stripped a prefix) and its raw body bytes.
async fn verified<S>(
    req: Request,
    state: &S,
) -> Result<(Bytes, HeaderMap, VerifiedSignature), CallbackRejection>
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    let verifier = Verifier::from_ref(state);
    let uri: Uri = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().clone(), |original| original.0.clone());
    let method: Method = req.method().clone();
    let headers = req.headers().clone();
    let body = Bytes::from_request(req, state).await?;
    let signature = verifier
        .verify_async(&method, &uri, &headers, &body)
        .await?;
    Ok((body, headers, signature))
}

/// Documented on [`VerifiedCallback`]: 401, 503, 400 or 413 before the handler runs.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S> FromRequest<S> for VerifiedCallback
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = CallbackRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (body, headers, signature) = verified(req, state).await?;
        let callback = Callback::parse(&content_type(&headers), &body)?;
        Ok(VerifiedCallback {
            callback,
            signature,
        })
    }
}

/// Documented on [`VerifiedBody`]: 401, 503 or 413 before the handler runs.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S> FromRequest<S> for VerifiedBody
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = CallbackRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (body, headers, signature) = verified(req, state).await?;
        Ok(VerifiedBody {
            body,
            content_type: content_type(&headers),
            signature,
        })
    }
}
