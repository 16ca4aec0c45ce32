//! `client.signature_keys()` against a scripted loopback server: each operation's wire form
//! (method, path, query, body, account), its answer decoded, the API's quirks (404 = no key
//! enabled, 200 without body on delete, 403 = feature disabled), validation without I/O, and
//! the client as a verifier's key source.

mod scripted;

use std::time::Duration;

use axum::http::Method;
use futures::TryStreamExt;
use scripted::{SECRET, Server, answer};
use webhooks_ergonomic::signature_keys::{Cipher, Digest};
use webhooks_ergonomic::{Client, Error, Open, RetryPolicy};

const KEY: &str = "7ca628a8-08b0-4e42-aeb8-960b37049c31";
const PUBLIC: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCTIxtRyT5CuOD74r7UCT";

fn client(server: &Server) -> Client {
    Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .account("SubAccount1")
        .retry(RetryPolicy::default().backoff(Duration::ZERO, Duration::ZERO))
        .build()
        .unwrap()
}

fn key_json(id: &str, enabled: bool, public_key: bool) -> String {
    let public = if public_key {
        format!(r#""public_key":"{PUBLIC}","#)
    } else {
        String::new()
    };
    format!(
        r#"{{"key_id":"{id}",{public}"cipher":"RSA","digest":"SHA224","created":"2018-01-18T10:16:12.364Z","enabled":{enabled}}}"#
    )
}

fn json(seen: &scripted::Seen) -> serde_json::Value {
    serde_json::from_slice(&seen.body).unwrap()
}

#[tokio::test]
async fn create_posts_digest_and_rsa_and_decodes_the_public_key() {
    let server = Server::start(vec![answer(201, key_json(KEY, false, true))]).await;
    let key = client(&server)
        .signature_keys()
        .create()
        .digest(Digest::Sha512)
        .send()
        .await
        .unwrap();
    assert_eq!(key.id.to_string(), KEY);
    assert_eq!(key.public_key.as_deref(), Some(PUBLIC));
    assert_eq!(key.cipher, Open::Known(Cipher::Rsa));
    assert_eq!(key.digest, Open::Known(Digest::Sha224));
    assert_eq!(key.created.at().map(|at| at.year()), Some(2018));
    assert!(!key.enabled);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.uri.path(), "/v1/iam/signature_keys");
    assert_eq!(
        json(seen),
        serde_json::json!({"digest":"SHA512","cipher":"RSA"})
    );
    assert_eq!(seen.headers["account"], "SubAccount1");
    assert!(
        seen.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("hmac ")
    );
}

#[tokio::test]
async fn create_without_a_digest_is_a_validation_error_before_any_request() {
    let server = Server::start(vec![]).await;
    let err = client(&server)
        .signature_keys()
        .create()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field, .. } if field == "digest"),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn get_fetches_by_id_and_keeps_unknown_digests_and_odd_dates() {
    let odd = format!(
        r#"{{"key_id":"{KEY}","cipher":"RSA","digest":"SHA-512","created":"yesterday","enabled":true}}"#
    );
    let server = Server::start(vec![answer(200, odd)]).await;
    let key = client(&server)
        .signature_keys()
        .get(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(key.digest, Open::Unknown("SHA-512".to_owned()));
    assert_eq!(key.created.as_str(), "yesterday");
    assert_eq!(key.created.at(), None);
    assert_eq!(key.public_key, None);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::GET);
    assert_eq!(seen.uri.path(), format!("/v1/iam/signature_keys/{KEY}"));
}

#[tokio::test]
async fn a_malformed_key_id_is_a_validation_error_before_any_request() {
    let server = Server::start(vec![]).await;
    let keys = client(&server);
    let keys = keys.signature_keys();
    for err in [
        keys.get("../webhooks").send().await.unwrap_err(),
        keys.delete("nope").send().await.unwrap_err(),
        keys.enable("").send().await.map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "key_id"),
            "{err:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn list_sends_the_1_based_page_and_size_and_reads_the_bare_array() {
    let server = Server::start(vec![answer(
        200,
        format!(
            "[{},{}]",
            key_json(KEY, true, false),
            key_json(&uuid::Uuid::nil().to_string(), false, false)
        ),
    )])
    .await;
    let page = client(&server)
        .signature_keys()
        .list()
        .page(3)
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!((page.page, page.page_size), (3, 2));
    assert!(!page.is_last());
    let seen = &server.requests()[0];
    assert_eq!(seen.uri.path(), "/v1/iam/signature_keys");
    let query = seen.uri.query().unwrap();
    assert!(
        query.contains("page=3") && query.contains("page_size=2"),
        "{query}"
    );
}

#[tokio::test]
async fn list_defaults_to_page_1_and_rejects_page_0_and_size_0_without_io() {
    let server = Server::start(vec![answer(200, "[]")]).await;
    let keys = client(&server);
    let page = keys.signature_keys().list().send().await.unwrap();
    assert!(page.is_last());
    let query = server.requests()[0].uri.query().unwrap().to_owned();
    assert!(
        query.contains("page=1") && query.contains("page_size=100"),
        "{query}"
    );
    for err in [
        keys.signature_keys()
            .list()
            .page(0)
            .send()
            .await
            .unwrap_err(),
        keys.signature_keys()
            .list()
            .page_size(0)
            .send()
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn list_all_walks_pages_from_1_until_a_short_page() {
    let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
    let server = Server::start(vec![
        answer(
            200,
            format!(
                "[{},{}]",
                key_json(&id(1), false, false),
                key_json(&id(2), false, false)
            ),
        ),
        answer(200, format!("[{}]", key_json(&id(3), true, false))),
    ])
    .await;
    let keys: Vec<_> = client(&server)
        .signature_keys()
        .list_all()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys.len(), 3);
    let pages: Vec<String> = server
        .requests()
        .iter()
        .map(|seen| seen.uri.query().unwrap().to_owned())
        .collect();
    assert!(
        pages[0].contains("page=1") && pages[1].contains("page=2"),
        "{pages:?}"
    );
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn list_all_stops_with_repeated_page_when_the_server_ignores_page() {
    let id = |n: u128| uuid::Uuid::from_u128(n).to_string();
    let same = format!("[{}]", key_json(&id(1), false, false));
    let server = Server::start(vec![answer(200, same.clone()), answer(200, same)]).await;
    let err = client(&server)
        .signature_keys()
        .list_all()
        .page_size(1)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RepeatedPage { page: 2 }), "{err:?}");
}

#[tokio::test]
async fn delete_accepts_200_without_a_body() {
    let server = Server::start(vec![answer(200, "")]).await;
    client(&server)
        .signature_keys()
        .delete(KEY)
        .send()
        .await
        .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::DELETE);
    assert_eq!(seen.uri.path(), format!("/v1/iam/signature_keys/{KEY}"));
}

#[tokio::test]
async fn enable_patches_the_key_id_and_returns_the_enabled_key() {
    let server = Server::start(vec![answer(200, key_json(KEY, true, false))]).await;
    let key = client(&server)
        .signature_keys()
        .enable(KEY)
        .send()
        .await
        .unwrap();
    assert!(key.enabled);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::PATCH);
    assert_eq!(seen.uri.path(), "/v1/iam/signature_keys/enabled");
    assert_eq!(json(seen), serde_json::json!({"key_id": KEY}));
}

#[tokio::test]
async fn enabled_is_the_key_or_none_on_the_apis_404() {
    let server = Server::start(vec![
        answer(200, key_json(KEY, true, false)),
        answer(404, r#"{"message":"Currently no key is enabled"}"#),
    ])
    .await;
    let keys = client(&server);
    let key = keys.signature_keys().enabled().send().await.unwrap();
    assert_eq!(key.map(|k| k.id.to_string()), Some(KEY.to_owned()));
    assert_eq!(keys.signature_keys().enabled().send().await.unwrap(), None);
    let seen = server.requests();
    assert!(
        seen.iter()
            .all(|s| s.method == Method::GET && s.uri.path() == "/v1/iam/signature_keys/enabled")
    );
}

#[tokio::test]
async fn disable_deletes_the_enabled_key_and_accepts_204() {
    let server = Server::start(vec![answer(204, "")]).await;
    client(&server)
        .signature_keys()
        .disable()
        .send()
        .await
        .unwrap();
    let seen = &server.requests()[0];
    assert_eq!(seen.method, Method::DELETE);
    assert_eq!(seen.uri.path(), "/v1/iam/signature_keys/enabled");
}

#[tokio::test]
async fn a_403_from_any_operation_is_feature_disabled_and_not_retried() {
    let disabled = r#"{"message":"This feature has not been enabled in your account."}"#;
    let server = Server::start(vec![answer(403, disabled), answer(403, disabled)]).await;
    let keys = client(&server);
    let create = keys
        .signature_keys()
        .create()
        .digest(Digest::Sha256)
        .send()
        .await;
    let enabled = keys.signature_keys().enabled().send().await;
    for err in [
        create.map(|_| ()).unwrap_err(),
        enabled.map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::FeatureDisabled { message, .. } if message.contains("not been enabled")),
            "{err:?}"
        );
        assert_eq!(err.status(), Some(403));
        assert!(!err.is_retryable());
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_503_on_a_get_is_retried_and_a_404_on_get_is_not_found() {
    let server = Server::start(vec![
        answer(503, r#"{"message":"busy"}"#),
        answer(200, key_json(KEY, false, true)),
        answer(404, r#"{"message":"Entity not found"}"#),
    ])
    .await;
    let keys = client(&server);
    keys.signature_keys().get(KEY).send().await.unwrap();
    let err = keys.signature_keys().get(KEY).send().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 3);
}

#[cfg(feature = "verify")]
mod key_source {
    use super::*;
    use webhooks_ergonomic::callbacks::{KeySource, KeySourceErrorKind};

    #[tokio::test]
    async fn the_client_as_key_source_passes_key_and_enabled_flag_through() {
        let server = Server::start(vec![answer(200, key_json(KEY, false, true))]).await;
        let key = client(&server).fetch(KEY).await.unwrap().unwrap();
        assert_eq!(key.public_key, PUBLIC);
        assert!(!key.enabled);
        assert_eq!(
            server.requests()[0].uri.path(),
            format!("/v1/iam/signature_keys/{KEY}")
        );
    }

    #[tokio::test]
    async fn a_404_or_a_malformed_id_is_no_key_and_the_malformed_id_costs_no_request() {
        let server = Server::start(vec![answer(404, r#"{"message":"Entity not found"}"#)]).await;
        let source = client(&server);
        assert_eq!(source.fetch(KEY).await.unwrap(), None);
        assert_eq!(source.fetch("forged-key-id").await.unwrap(), None);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn a_failure_or_an_answer_without_public_key_is_a_key_source_error() {
        let server = Server::start(vec![
            answer(200, key_json(KEY, true, false)),
            answer(401, r#"{"message":"Unauthorized"}"#),
        ])
        .await;
        let source = client(&server);
        let missing = source.fetch(KEY).await.unwrap_err();
        assert!(missing.to_string().contains("no public key"), "{missing}");
        let unauthorized = source.fetch(KEY).await.unwrap_err();
        assert!(
            unauthorized.to_string().contains("unauthorized"),
            "{unauthorized}"
        );
        assert!(!unauthorized.to_string().contains(SECRET));
    }

    #[tokio::test]
    async fn the_client_as_key_source_tells_bad_credentials_from_an_api_that_is_down() {
        let server = Server::start(vec![
            answer(401, r#"{"message":"Unauthorized"}"#),
            answer(
                403,
                r#"{"message":"This feature has not been enabled in your account."}"#,
            ),
            answer(503, r#"{"message":"Service unavailable"}"#),
            answer(429, r#"{"message":"Too many requests"}"#),
            answer(500, r#"{"message":"Internal error"}"#),
            answer(200, key_json(KEY, true, false)),
        ])
        .await;
        let source = Client::builder()
            .base_url(&server.url)
            .credentials("key123", SECRET)
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        for (status, kind) in [
            (401, KeySourceErrorKind::Unauthorized),
            (403, KeySourceErrorKind::Unauthorized),
            (503, KeySourceErrorKind::Unavailable),
            (429, KeySourceErrorKind::Unavailable),
            (500, KeySourceErrorKind::Unavailable),
            (200, KeySourceErrorKind::InvalidAnswer),
        ] {
            let err = source.fetch(KEY).await.unwrap_err();
            assert_eq!(err.kind(), kind, "{status}: {err}");
            assert_eq!(
                err.is_temporary(),
                kind == KeySourceErrorKind::Unavailable,
                "{status}"
            );
        }
    }
}
