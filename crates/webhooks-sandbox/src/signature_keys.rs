//! The seven signature-key operations, per account, as the vendor documents them: create makes
//! a real RSA key pair (the private half stays in the sandbox), enable and disable choose the
//! key the account's callbacks are signed with, and callbacks are unsigned when none is.
//!
//! Answers follow the vendor's: a bare array from the list (pages from 1), `public_key` only
//! from create and (the contract's choice, so a verifier can fetch it) from a get by id, 404
//! `Currently no key is enabled` from the enabled key when there is none, 200 without a body
//! from a delete and 204 from a disable. An unknown or malformed key id is 404 `Entity not
//! found`. The vendor's 403 (`This feature has not been enabled in your account.`) is not
//! emulated: every sandbox account has the feature; a [`crate::Fault`] on
//! [`crate::Operation::SignatureKeys`] with status 403 makes an account see it.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::api::{ApiError, App, Handled, error, invalid_with, json_body, query_pairs, respond};
use crate::authenticated::Authenticated;
use crate::signing::{CallbackSigner, Digest, SignatureKey};
use crate::store::StoreError;

const NOT_FOUND: &str = "Entity not found";
const NONE_ENABLED: &str = "Currently no key is enabled";
/// The digests the API accepts, by the names it accepts (no `SHA-256` spelling here).
const DIGESTS: [Digest; 3] = [Digest::Sha224, Digest::Sha256, Digest::Sha512];

pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/iam/signature_keys", get(list).post(create))
        .route(
            "/v1/iam/signature_keys/enabled",
            get(enabled).patch(enable).delete(disable),
        )
        .route(
            "/v1/iam/signature_keys/{key_id}",
            get(detail).delete(delete),
        )
}

/// A key as the API answers it; `public_key` only where the API sends it.
fn answer(key: &SignatureKey, with_public_key: bool) -> Value {
    let mut body = json!({
        "key_id": key.key_id,
        "cipher": key.cipher,
        "digest": key.digest.as_str(),
        "created": key.created,
        "enabled": key.enabled,
    });
    if with_public_key {
        body["public_key"] = Value::String(key.public_key.clone());
    }
    body
}

fn not_found(refused: StoreError) -> ApiError {
    match refused {
        StoreError::NotFound => error(StatusCode::NOT_FOUND, NOT_FOUND),
        other => ApiError::from(other),
    }
}

/// The key id of the path; anything that is not a UUID names no key (404).
fn key_id(raw: Result<Path<String>, PathRejection>) -> Result<Uuid, ApiError> {
    raw.ok()
        .and_then(|Path(id)| Uuid::parse_str(&id).ok())
        .ok_or_else(|| error(StatusCode::NOT_FOUND, NOT_FOUND))
}

async fn list(State(app): State<Arc<App>>, uri: Uri, request: Authenticated) -> Handled {
    const MESSAGE: &str = "Bad Request";
    let query = query_pairs(uri.query().unwrap_or_default(), MESSAGE)?;
    let max = u32::try_from(i32::MAX).unwrap_or(u32::MAX);
    let mut details = Vec::new();
    let mut number = |name: &str| match query.get(name).map(|v| v.trim().parse::<u32>()) {
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => {
            details.push(format!("/{name}: must be an integer between 1 and {max}"));
            1
        }
        None => {
            details.push(format!("/{name}: is required"));
            1
        }
    };
    let (page, page_size) = (number("page"), number("page_size"));
    if !details.is_empty() {
        return Err(invalid_with(MESSAGE, details));
    }
    let skip = ((page - 1) as usize).saturating_mul(page_size as usize);
    let keys = app
        .store
        .signature_keys(&request.account, skip, page_size as usize);
    let body: Vec<Value> = keys.iter().map(|key| answer(key, false)).collect();
    Ok(respond(StatusCode::OK, body))
}

/// The digest of a create body, after checking that its cipher is RSA.
fn create_request(body: &Value) -> Result<Digest, Vec<String>> {
    let fields = body.as_object().cloned().unwrap_or_else(Map::new);
    let mut details = Vec::new();
    let digest = match fields.get("digest") {
        None | Some(Value::Null) => {
            details.push("/digest: Digest cannot be null".to_owned());
            None
        }
        Some(value) => {
            let found = DIGESTS
                .into_iter()
                .find(|d| value.as_str() == Some(d.as_str()));
            if found.is_none() {
                details.push(format!("/digest: [{}] is invalid", shown(value)));
            }
            found
        }
    };
    match fields.get("cipher") {
        None | Some(Value::Null) => details.push("/cipher: Cipher cannot be null".to_owned()),
        Some(Value::String(cipher)) if cipher == crate::signing::CIPHER => {}
        Some(value) => details.push(format!("/cipher: [{}] is invalid", shown(value))),
    }
    match digest {
        Some(digest) if details.is_empty() => Ok(digest),
        _ => Err(details),
    }
}

/// A value as an error detail names it: a string without quotes, anything else as JSON, cut
/// short so an answer never echoes a large body.
fn shown(value: &Value) -> String {
    const SHOWN: usize = 40;
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    text.chars().take(SHOWN).collect()
}

async fn create(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let digest = create_request(&json_body(&request.body)?)
        .map_err(|details| invalid_with("Bad Request", details))?;
    let signer = tokio::task::spawn_blocking(move || CallbackSigner::generate(digest))
        .await
        .map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not create the key",
            )
        })?
        .map_err(|err| {
            tracing::error!(error = %err, "could not generate a signature key");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not create the key",
            )
        })?;
    let key = signer.key().clone();
    app.store
        .create_signature_key(&request.account, Arc::new(signer))
        .await?;
    Ok(respond(StatusCode::CREATED, answer(&key, true)))
}

async fn detail(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    request: Authenticated,
) -> Handled {
    let id = key_id(id)?;
    let key = app
        .store
        .signature_key(&request.account, id)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, NOT_FOUND))?;
    Ok(respond(StatusCode::OK, answer(&key, true)))
}

async fn delete(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    request: Authenticated,
) -> Handled {
    let id = key_id(id)?;
    app.store
        .delete_signature_key(&request.account, id)
        .await
        .map_err(not_found)?;
    Ok(StatusCode::OK.into_response())
}

async fn enabled(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let signer = app
        .store
        .enabled_signer(&request.account)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, NONE_ENABLED))?;
    let mut key = signer.key().clone();
    key.enabled = true;
    Ok(respond(StatusCode::OK, answer(&key, false)))
}

async fn enable(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let body = json_body(&request.body)?;
    let id = match body.get("key_id") {
        None | Some(Value::Null) => {
            return Err(invalid_with(
                "Bad Request",
                vec!["/key_id: Key id cannot be null".to_owned()],
            ));
        }
        Some(value) => value
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| error(StatusCode::NOT_FOUND, NOT_FOUND))?,
    };
    let key = app
        .store
        .enable_signature_key(&request.account, id)
        .await
        .map_err(not_found)?;
    Ok(respond(StatusCode::OK, answer(&key, false)))
}

async fn disable(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    app.store.disable_signature_key(&request.account).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_body_needs_a_known_digest_and_rsa() {
        assert_eq!(
            create_request(&json!({"digest": "SHA512", "cipher": "RSA"})),
            Ok(Digest::Sha512)
        );
        let details = create_request(&json!({"digest": "MD5", "cipher": "RA"})).unwrap_err();
        assert_eq!(
            details,
            ["/digest: [MD5] is invalid", "/cipher: [RA] is invalid"]
        );
        let details = create_request(&json!({"digest": null})).unwrap_err();
        assert_eq!(details.len(), 2, "{details:?}");
        assert!(create_request(&json!([])).is_err());
    }

    #[test]
    fn a_detail_never_echoes_more_than_a_little_of_the_value() {
        let long = Value::String("x".repeat(10_000));
        assert_eq!(shown(&long).len(), 40);
    }
}
