//! The [`Authenticated`] extractor: every handler that acts for an account takes one.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};

use crate::api::{ApiError, App, error, invalid_with};
use crate::faults::{self, Operation};

/// A request that authenticated like the API (Basic, or HMAC over its body): the account it
/// acts for (the `Account` header's, or its API key's own) and its body.
///
/// Rejects with 413 when the body is over [`crate::BODY_LIMIT`], 400 when it cannot be read
/// or the `Account` header is not text, and 401 when the credentials are not accepted. A
/// request that meets an injected [`crate::Fault`] is delayed, answered the fault's status, or
/// loses its connection here. It reads the body, so it comes last among a handler's arguments.
#[derive(Debug)]
pub(crate) struct Authenticated {
    pub(crate) account: String,
    pub(crate) body: Bytes,
}

impl FromRequest<Arc<App>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (method, uri, headers) = (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
        );
        let body = Bytes::from_request(req, app).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
            } else {
                invalid_with(
                    "Could not read the request body",
                    vec![format!("body: {}", rejection.body_text())],
                )
            }
        })?;
        let key = app
            .keys
            .authenticate(&method, &uri, &headers, &body, SystemTime::now())
            .map_err(|reason| error(StatusCode::UNAUTHORIZED, reason))?;
        let account = account(&headers, key)?;
        let fault = Operation::of(&method, uri.path()).and_then(|op| app.faults.take(op, &account));
        if let Some(fault) = fault {
            let retry_after = fault.retry_after;
            if let Err(status) = faults::apply(fault).await {
                return Err(error(status, "Injected fault").retry_after(retry_after));
            }
        }
        Ok(Authenticated { account, body })
    }
}

/// The account a request acts for: its `Account` header's, or else its API key's.
fn account(headers: &HeaderMap, key: String) -> Result<String, ApiError> {
    match headers.get("account").map(|value| value.to_str()) {
        None => Ok(key),
        Some(Ok(account)) if account.trim().is_empty() => Ok(key),
        Some(Ok(account)) => Ok(account.trim().to_owned()),
        Some(Err(_)) => Err(invalid_with(
            "Invalid Account header",
            vec!["/Account: must be visible ASCII text".to_owned()],
        )),
    }
}
