//! The axum extractors: a handler takes a [`VerifiedCallback`] (or a [`VerifiedBody`]) and
//! runs only for callbacks whose signature verified.

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};

use super::payload::{Callback, ParseError};
use super::verify::{VerifiedCallback, VerifiedSignature, Verifier, VerifyError};

/// A callback body whose signature verified, unparsed: for templates whose shape
/// [`Callback`] does not read.
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
    /// The signature was not accepted: 401.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The signature verified but the body could not be read as a [`Callback`]: 400.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl CallbackRejection {
    /// The status the rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            CallbackRejection::Body(rejection) => rejection.status(),
            CallbackRejection::Verify(_) => StatusCode::UNAUTHORIZED,
            CallbackRejection::Parse(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        match self {
            CallbackRejection::Body(rejection) => rejection.into_response(),
            CallbackRejection::Verify(err) => {
                tracing::warn!(error = %err, "callback rejected: signature not accepted");
                (StatusCode::UNAUTHORIZED, format!("{err}\n")).into_response()
            }
            CallbackRejection::Parse(err) => {
                tracing::warn!(error = %err, "callback rejected: unreadable body");
                (StatusCode::BAD_REQUEST, format!("{err}\n")).into_response()
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
    let signature = verifier.verify(&method, &uri, &headers, &body)?;
    Ok((body, headers, signature))
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Extracts a verified, typed callback; the [`Verifier`] comes from the router's state
/// (`Verifier: FromRef<S>`). Rejects with 401 when the signature is not accepted and with 400
/// when the body is not a callback. As a body extractor it must be the handler's last
/// argument.
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

/// Extracts a verified body without parsing it; rejects with 401 when the signature is not
/// accepted.
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
