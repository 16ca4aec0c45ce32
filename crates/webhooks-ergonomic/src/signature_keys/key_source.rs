//! The API client as the [`KeySource`] of a [`Verifier`](crate::callbacks::Verifier): a
//! callback's unknown key id is fetched with `GET /v1/iam/signature_keys/{key_id}`.

use futures::future::BoxFuture;

use crate::callbacks::{KeySource, KeySourceError, KeySourceErrorKind, PublishedKey};
use crate::client::Client;
use crate::error::Error;

/// A key the API does not have (404) or an id it would reject (not a UUID) is `Ok(None)`: the
/// verifier remembers it as missing. A key whose answer has no public key cannot verify
/// anything, and neither can a failed call: both are errors, so the callback is not judged a
/// forgery. The error's kind follows the client's error: a retryable one (timeout, transport,
/// 429, 502-504) is [`Unavailable`](KeySourceErrorKind::Unavailable), a 401 or 403 is
/// [`Unauthorized`](KeySourceErrorKind::Unauthorized) (fix the credentials), anything else
/// [`InvalidAnswer`](KeySourceErrorKind::InvalidAnswer).
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
impl KeySource for Client {
    fn fetch(&self, key_id: &str) -> BoxFuture<'_, Result<Option<PublishedKey>, KeySourceError>> {
        let key_id = key_id.to_owned();
        Box::pin(async move {
            match self.signature_keys().get(&key_id).send().await {
                Ok(key) => match key.public_key {
                    Some(public_key) => {
                        Ok(Some(PublishedKey::new(public_key).enabled(key.enabled)))
                    }
                    None => Err(KeySourceError::with_kind(
                        KeySourceErrorKind::InvalidAnswer,
                        format!(
                            "the API's answer for signature key {} has no public key; add it with Verifier::add_key",
                            key.id
                        ),
                    )),
                },
                Err(Error::NotFound { .. } | Error::Validation { .. }) => Ok(None),
                Err(err) => Err(KeySourceError::with_kind(kind_of(&err), err)),
            }
        })
    }
}

/// What a receiver must do about a failed key fetch, from the client's error.
fn kind_of(err: &Error) -> KeySourceErrorKind {
    match err {
        Error::Unauthorized { .. } | Error::FeatureDisabled { .. } => {
            KeySourceErrorKind::Unauthorized
        }
        err if err.is_retryable() => KeySourceErrorKind::Unavailable,
        // A 5xx that is not retryable (500, 501) may pass too; only the answer's shape is
        // the source's to fix.
        Error::Server { .. } => KeySourceErrorKind::Unavailable,
        _ => KeySourceErrorKind::InvalidAnswer,
    }
}
