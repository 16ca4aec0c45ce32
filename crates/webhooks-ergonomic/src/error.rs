//! The one error type of every operation.

use std::time::{Duration, SystemTime};

use webhooks_client::hooks::{ERROR_EXCERPT_LIMIT, SignError, excerpt};
use webhooks_client::types::ErrorBody;

use crate::retry::parse_retry_after;

/// A boxed error source (a transport or decoding failure underneath).
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything an operation can fail with.
///
/// Match on the variants you handle and fall back on [`Error::status`] and
/// [`Error::is_retryable`] for the rest. No secret ever appears in an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was not sent: a value breaks one of the API's rules.
    #[error("invalid `{field}`: {reason}")]
    Validation {
        /// The field, as the API names it (`url`, `headers.X-Key`, `events`, ...).
        field: String,
        /// The rule it breaks.
        reason: String,
    },
    /// The client is misconfigured (a missing environment variable, no credentials, a base URL
    /// that does not parse); nothing was sent.
    #[error("configuration: `{setting}` {reason}")]
    Configuration {
        /// The setting or environment variable (`MESSAGEMEDIA_API_KEY`, `base_url`, ...).
        setting: String,
        /// What is wrong with it.
        reason: String,
    },
    /// 400: the server rejected the request.
    #[error("bad request: {message}{}", details_suffix(details))]
    BadRequest {
        /// The server's message.
        message: String,
        /// One entry per failing field, e.g. `/url: Not a valid http url`.
        details: Vec<String>,
    },
    /// 401: missing or wrong credentials.
    #[error(
        "unauthorized: check the API key and secret{}{}",
        message_suffix(message),
        details_suffix(details)
    )]
    Unauthorized {
        /// The server's message, if any.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// 403: the feature is not enabled for this account (for signature keys, the API's `This
    /// feature has not been enabled in your account.`: secure callbacks are off). Nothing
    /// changes on retry, so it is not retryable: ask the vendor to enable the feature.
    #[error(
        "forbidden: the feature is not enabled for this account{}{}",
        message_suffix(message),
        details_suffix(details)
    )]
    FeatureDisabled {
        /// The server's message, if any.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// 404: no such webhook (or a malformed id).
    #[error("not found{}{}", message_suffix(message), details_suffix(details))]
    NotFound {
        /// The server's message, if any.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// 409: a webhook with the same url and method already exists.
    #[error(
        "conflict: {}{}",
        if message.is_empty() { "a webhook with the same url and method already exists" } else { message },
        details_suffix(details)
    )]
    Conflict {
        /// The server's message, if any.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// 429: too many requests.
    #[error(
        "rate limited{}{}{}",
        retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default(),
        message_suffix(message),
        details_suffix(details)
    )]
    RateLimited {
        /// How long the server asked to wait, when it said.
        retry_after: Option<Duration>,
        /// The server's message, if any.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// 5xx: the platform failed.
    #[error(
        "server error {status}{}{}",
        message_suffix(message),
        details_suffix(details)
    )]
    Server {
        /// The status code.
        status: u16,
        /// The server's message, or an excerpt of its body.
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// A status the operation does not document: another 4xx or 5xx, or a 2xx or 3xx other
    /// than the operation's success status (its body is then kept as `message`, an excerpt).
    #[error(
        "unexpected status {status}{}{}",
        message_suffix(message),
        details_suffix(details)
    )]
    UnexpectedStatus {
        /// The status code.
        status: u16,
        /// The server's message, or an excerpt of its body (at most
        /// `webhooks_client::hooks::ERROR_EXCERPT_LIMIT` bytes).
        message: String,
        /// The server's `details`, when it sent any.
        details: Vec<String>,
    },
    /// No answer in time: an attempt outlasted the per-attempt timeout and no retry was left,
    /// or the operation outlasted the total timeout.
    #[error("timed out after {attempts} attempt(s) and {elapsed:?} in total")]
    Timeout {
        /// How many attempts were started.
        attempts: u32,
        /// How long the operation ran, retries and waits included.
        elapsed: Duration,
    },
    /// The request could not be signed (the signer refused it): nothing was sent, and trying
    /// again would fail the same way, so it is not retried.
    #[error("{source}; nothing was sent")]
    Sign {
        /// Why the signer refused.
        #[source]
        source: SignError,
    },
    /// The request was sent but no answer was received, or could not be sent at all: the
    /// connection was refused or reset, TLS or DNS failed, or the answer broke off. Whether
    /// the server acted on it is unknown; retryable.
    #[error("transport error: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Source>,
    },
    /// While listing every webhook (or signature key), the server answered page `page` with
    /// exactly the items of the page before: it ignores `page`, and walking on would never end.
    #[error("the server answered page {page} with the items of page {}: it ignores `page`", page.saturating_sub(1))]
    RepeatedPage {
        /// The page that repeated its predecessor.
        page: u32,
    },
    /// A success answer whose body is not what the API documents.
    #[error("could not decode the {status} response: {excerpt}")]
    Decode {
        /// The status code.
        status: u16,
        /// The start of the body (at most 512 bytes).
        excerpt: String,
        /// The decoding error.
        #[source]
        source: Option<Source>,
    },
}

fn message_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn details_suffix(details: &[String]) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join("; "))
    }
}

impl Error {
    /// The HTTP status behind this error, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::BadRequest { .. } => Some(400),
            Error::Unauthorized { .. } => Some(401),
            Error::FeatureDisabled { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::Conflict { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::Validation { .. }
            | Error::Configuration { .. }
            | Error::RepeatedPage { .. }
            | Error::Timeout { .. }
            | Error::Sign { .. }
            | Error::Transport { .. } => None,
        }
    }

    /// Whether trying again may succeed: 429, 502, 503, 504, timeouts and transport failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Server { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    pub(crate) fn validation(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn configuration(setting: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Configuration {
            setting: setting.into(),
            reason: reason.into(),
        }
    }

    /// A timeout whose attempt count and elapsed time the executor fills in.
    pub(crate) fn timeout() -> Error {
        Error::Timeout {
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    /// Maps an error answer (status, its `Retry-After`, and its body) to an `Error`.
    pub(crate) fn from_response(
        status: u16,
        retry_after: Option<Duration>,
        body: ErrorBody,
    ) -> Error {
        let ErrorBody { message, details } = body;
        match status {
            400 => Error::BadRequest { message, details },
            401 => Error::Unauthorized { message, details },
            403 => Error::FeatureDisabled { message, details },
            404 => Error::NotFound { message, details },
            409 => Error::Conflict { message, details },
            429 => Error::RateLimited {
                retry_after,
                message,
                details,
            },
            500..=599 => Error::Server {
                status,
                message,
                details,
            },
            _ => Error::UnexpectedStatus {
                status,
                message,
                details,
            },
        }
    }

    /// Maps a 4xx or 5xx answer: its status, its `Retry-After`, and its body, which the
    /// generated client's exec hook has made an `ErrorBody` (should one still not decode, its
    /// text is the message).
    pub(crate) async fn from_error_answer(response: reqwest::Response) -> Error {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return Error::from_reqwest(err),
        };
        let body = serde_json::from_slice::<ErrorBody>(&body).unwrap_or_else(|_| ErrorBody {
            message: excerpt(&body, ERROR_EXCERPT_LIMIT),
            details: Vec::new(),
        });
        Error::from_response(status, retry_after, body)
    }

    /// Maps a transport failure.
    pub(crate) fn from_reqwest(err: reqwest::Error) -> Error {
        if err.is_timeout() {
            return Error::timeout();
        }
        // reqwest's Display may include the URL; it never includes headers, so no secret.
        Error::Transport {
            message: describe(&err),
            source: Some(Box::new(err)),
        }
    }
}

/// The error and its causes on one line.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The result of every operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn body(message: &str, details: &[&str]) -> ErrorBody {
        ErrorBody {
            message: message.to_owned(),
            details: details.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn statuses_map_to_variants_and_back() {
        for status in [400, 401, 403, 404, 409, 429, 500, 503, 418] {
            let err = Error::from_response(status, None, body("m", &[]));
            assert_eq!(err.status(), Some(status), "{err:?}");
        }
        assert!(matches!(
            Error::from_response(418, None, body("", &[])),
            Error::UnexpectedStatus { .. }
        ));
    }

    #[test]
    fn retryable_errors() {
        assert!(Error::from_response(429, None, body("", &[])).is_retryable());
        assert!(Error::from_response(503, None, body("", &[])).is_retryable());
        assert!(!Error::from_response(500, None, body("", &[])).is_retryable());
        assert!(!Error::from_response(409, None, body("", &[])).is_retryable());
        assert!(Error::timeout().is_retryable());
        assert!(!Error::validation("url", "bad").is_retryable());
    }

    #[test]
    fn messages_are_readable() {
        let err = Error::from_response(400, None, body("Invalid", &["/url: Not a valid http url"]));
        assert_eq!(
            err.to_string(),
            "bad request: Invalid (/url: Not a valid http url)"
        );
        assert_eq!(
            Error::validation("retries", "must be between 0 and 5").to_string(),
            "invalid `retries`: must be between 0 and 5"
        );
        let err = Error::from_response(429, Some(Duration::from_secs(7)), body("", &[]));
        assert_eq!(err.to_string(), "rate limited (retry after 7s)");
        let timeout = Error::Timeout {
            attempts: 3,
            elapsed: Duration::from_millis(1500),
        };
        assert_eq!(
            timeout.to_string(),
            "timed out after 3 attempt(s) and 1.5s in total"
        );
    }

    #[test]
    fn every_error_status_keeps_the_servers_message_and_details() {
        for status in [400, 401, 403, 404, 409, 418, 429, 500, 503] {
            let err = Error::from_response(status, None, body("m", &["/id: unknown"]));
            assert!(
                err.to_string().ends_with(": m (/id: unknown)"),
                "{status}: {err}"
            );
        }
    }

    #[test]
    fn a_conflict_without_a_message_still_says_what_conflicts() {
        let err = Error::from_response(409, None, body("", &[]));
        assert_eq!(
            err.to_string(),
            "conflict: a webhook with the same url and method already exists"
        );
    }
}
