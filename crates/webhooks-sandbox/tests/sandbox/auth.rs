//! Authentication as the gateway does it, and account isolation: HMAC in both header
//! spellings and every algorithm, with or without the query in the request line; rejected when
//! stale, tampered, with a wrong MD5 or secret, or malformed; Basic accepted and rejected; the
//! `Account` header scopes every operation.

use crate::loopback;

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use loopback::{Answer, Api, KEY, SECRET, basic, create_body, start};
use reqwest::{Method, StatusCode};
use serde_json::json;
use webhooks_ergonomic::auth::{Credentials, HmacAlgorithm, HmacSigner, content_md5};

fn hmac_base64(algorithm: &str, secret: &str, text: &str) -> String {
    fn mac<M: Mac + hmac::digest::KeyInit>(secret: &str, text: &str) -> Vec<u8> {
        let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    BASE64.encode(match algorithm {
        "hmac-sha1" => mac::<Hmac<sha1::Sha1>>(secret, text),
        "hmac-sha256" => mac::<Hmac<sha2::Sha256>>(secret, text),
        "hmac-sha384" => mac::<Hmac<sha2::Sha384>>(secret, text),
        "hmac-sha512" => mac::<Hmac<sha2::Sha512>>(secret, text),
        other => panic!("no such algorithm {other}"),
    })
}

/// A request signed by hand, the way the current vendor docs spell it: `Date`, `Content-MD5`.
struct HandSigned<'a> {
    method: Method,
    /// What is sent.
    target: &'a str,
    /// What the request line says (the target, or its path alone).
    signed_target: &'a str,
    body: Option<Vec<u8>>,
    algorithm: &'a str,
    secret: &'a str,
    date: SystemTime,
}

impl HandSigned<'_> {
    fn new(method: Method, target: &str, body: Option<Vec<u8>>) -> HandSigned<'_> {
        HandSigned {
            method,
            target,
            signed_target: target,
            body,
            algorithm: "hmac-sha256",
            secret: SECRET,
            date: SystemTime::now(),
        }
    }

    async fn send(self, api: &Api) -> Answer {
        let date = httpdate::fmt_http_date(self.date);
        let line = format!("{} {} HTTP/1.1", self.method, self.signed_target);
        let md5 = self.body.as_deref().map(content_md5);
        let (names, text) = match &md5 {
            Some(md5) => (
                "Date Content-MD5 request-line",
                format!("Date: {date}\nContent-MD5: {md5}\n{line}"),
            ),
            None => ("Date request-line", format!("Date: {date}\n{line}")),
        };
        let signature = hmac_base64(self.algorithm, self.secret, &text);
        let authorization = format!(
            r#"hmac username="{KEY}", algorithm="{}", headers="{names}", signature="{signature}""#,
            self.algorithm
        );
        let mut headers = vec![("Date", date), ("Authorization", authorization)];
        if let Some(md5) = md5 {
            headers.push(("Content-MD5", md5));
        }
        let unsigned = Api {
            authorization: None,
            ..api.clone()
        };
        unsigned
            .send_with(self.method, self.target, self.body, &headers)
            .await
    }
}

/// A request signed as the official SDKs do (`date`, `x-Content-MD5`, hmac-sha1), through the
/// ergonomic crate's signer; `tamper` may change what is sent after signing.
async fn sdk_signed(
    api: &Api,
    method: Method,
    target: &str,
    body: Option<Vec<u8>>,
    date: SystemTime,
    tamper: impl FnOnce(&mut Vec<(&'static str, String)>, &mut Option<Vec<u8>>, &mut String),
) -> Answer {
    let signer = HmacSigner::new(Credentials::new(KEY, SECRET), HmacAlgorithm::Sha1).unwrap();
    let signed = signer.headers(method.as_str(), target, body.as_deref(), date);
    let mut headers = vec![
        ("date", signed.date.clone()),
        ("Authorization", signed.authorization.clone()),
    ];
    if let Some(md5) = &signed.content_md5 {
        headers.push(("x-Content-MD5", md5.clone()));
    }
    let mut body = body;
    let mut target = target.to_owned();
    tamper(&mut headers, &mut body, &mut target);
    let unsigned = Api {
        authorization: None,
        ..api.clone()
    };
    unsigned.send_with(method, &target, body, &headers).await
}

fn webhook_bytes(url: &str) -> Vec<u8> {
    create_body(url).to_string().into_bytes()
}

#[tokio::test]
async fn hmac_as_the_sdks_send_it_is_accepted() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let now = SystemTime::now();
    let created = sdk_signed(
        &api,
        Method::POST,
        "/v1/webhooks/messages",
        Some(webhook_bytes("https://example.com/sdk")),
        now,
        |_, _, _| {},
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let listed = sdk_signed(
        &api,
        Method::GET,
        "/v1/webhooks/messages?page=0&page_size=10",
        None,
        now,
        |_, _, _| {},
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(
        listed.json()["pageData"][0]["url"],
        "https://example.com/sdk"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn hmac_in_the_current_docs_spelling_and_every_algorithm_is_accepted() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for (index, algorithm) in ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"]
        .into_iter()
        .enumerate()
    {
        let mut request = HandSigned::new(
            Method::POST,
            "/v1/webhooks/messages",
            Some(webhook_bytes(&format!("https://example.com/{index}"))),
        );
        request.algorithm = algorithm;
        let answer = request.send(&api).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{algorithm}");
    }
    let id = api.list().await.page_data[0].id;
    let path = format!("/v1/webhooks/messages/{id}");
    let body = json!({"template": "$moContent"}).to_string().into_bytes();
    let answer = HandSigned::new(Method::PATCH, &path, Some(body))
        .send(&api)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = HandSigned::new(Method::DELETE, &path, None)
        .send(&api)
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_request_line_may_carry_the_query_or_leave_it_out() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let target = "/v1/webhooks/messages?page=0&pageSize=5";
    let with_query = HandSigned::new(Method::GET, target, None).send(&api).await;
    assert_eq!(with_query.status, StatusCode::OK);
    let mut without = HandSigned::new(Method::GET, target, None);
    without.signed_target = "/v1/webhooks/messages";
    assert_eq!(without.send(&api).await.status, StatusCode::OK);
    // But the path itself is signed.
    let mut other_path = HandSigned::new(Method::GET, target, None);
    other_path.signed_target = "/v1/webhooks/other";
    other_path.send(&api).await.error(StatusCode::UNAUTHORIZED);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn hmac_is_rejected_when_stale_tampered_or_wrong() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let now = SystemTime::now();
    let path = "/v1/webhooks/messages";
    let body = || Some(webhook_bytes("https://example.com/h"));

    let stale = sdk_signed(
        &api,
        Method::POST,
        path,
        body(),
        now - Duration::from_secs(301),
        |_, _, _| {},
    )
    .await;
    assert!(
        stale
            .error(StatusCode::UNAUTHORIZED)
            .message
            .contains("300 seconds")
    );
    let future = sdk_signed(
        &api,
        Method::POST,
        path,
        body(),
        now + Duration::from_secs(301),
        |_, _, _| {},
    )
    .await;
    future.error(StatusCode::UNAUTHORIZED);

    // The body changed after signing, the MD5 left as it was.
    let answer = sdk_signed(&api, Method::POST, path, body(), now, |_, body, _| {
        *body = Some(webhook_bytes("https://evil.example.com/h"));
    })
    .await;
    assert!(
        answer
            .error(StatusCode::UNAUTHORIZED)
            .message
            .contains("Content-MD5")
    );
    // The body and its MD5 changed after signing: the signature no longer matches.
    let answer = sdk_signed(&api, Method::POST, path, body(), now, |headers, body, _| {
        let evil = webhook_bytes("https://evil.example.com/h");
        headers.retain(|(name, _)| *name != "x-Content-MD5");
        headers.push(("x-Content-MD5", content_md5(&evil)));
        *body = Some(evil);
    })
    .await;
    assert!(
        answer
            .error(StatusCode::UNAUTHORIZED)
            .message
            .contains("does not match")
    );
    // A wrong MD5 value (uppercase hex, as one official SDK sends it).
    let answer = sdk_signed(&api, Method::POST, path, body(), now, |headers, _, _| {
        for (name, value) in headers.iter_mut() {
            if *name == "x-Content-MD5" {
                *value = value.to_uppercase();
            }
        }
    })
    .await;
    answer.error(StatusCode::UNAUTHORIZED);
    // The path changed after signing.
    let answer = sdk_signed(&api, Method::GET, path, None, now, |_, _, target| {
        *target = "/v1/webhooks/messages/".to_owned();
    })
    .await;
    answer.error(StatusCode::UNAUTHORIZED);
    // The method changed after signing (the SDKs' bug of signing every body as POST).
    let webhook = api.create(&create_body("https://example.com/m")).await;
    let item = format!("/v1/webhooks/messages/{}", webhook.id);
    let patch = Some(json!({"template": "x"}).to_string().into_bytes());
    let signer = HmacSigner::new(Credentials::new(KEY, SECRET), HmacAlgorithm::Sha1).unwrap();
    let as_post = signer.headers("POST", &item, patch.as_deref(), now);
    let unsigned = Api {
        authorization: None,
        ..api.clone()
    };
    let answer = unsigned
        .send_with(
            Method::PATCH,
            &item,
            patch,
            &[
                ("date", as_post.date),
                ("x-Content-MD5", as_post.content_md5.unwrap()),
                ("Authorization", as_post.authorization),
            ],
        )
        .await;
    answer.error(StatusCode::UNAUTHORIZED);
    // A wrong secret.
    let mut wrong = HandSigned::new(Method::GET, path, None);
    wrong.secret = "not-the-secret";
    assert!(
        wrong
            .send(&api)
            .await
            .error(StatusCode::UNAUTHORIZED)
            .message
            .contains("does not match")
    );
    // A body whose MD5 header is sent but not signed.
    let answer = sdk_signed(&api, Method::POST, path, body(), now, |headers, _, _| {
        for (name, value) in headers.iter_mut() {
            if *name == "Authorization" {
                *value = value.replace("date x-Content-MD5 request-line", "date request-line");
            }
        }
    })
    .await;
    answer.error(StatusCode::UNAUTHORIZED);
    // A body without any MD5 header.
    let answer = sdk_signed(&api, Method::POST, path, body(), now, |headers, _, _| {
        headers.retain(|(name, _)| *name != "x-Content-MD5");
    })
    .await;
    answer.error(StatusCode::UNAUTHORIZED);
    assert!(
        api.list().await.page_data.len() == 1,
        "only the Basic create was stored"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn malformed_or_missing_authorization_is_401() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let date = httpdate::fmt_http_date(SystemTime::now());
    let cases = [
        "hmac garbage".to_owned(),
        r#"hmac username="test-key", algorithm="hmac-sha1", headers="date request-line""#.to_owned(),
        r#"hmac username="test-key", algorithm="hmac-sha1", headers="date request-line", signature="@@@""#.to_owned(),
        r#"hmac username="test-key", algorithm="hmac-md5", headers="date request-line", signature="c2ln""#.to_owned(),
        r#"hmac username="nobody", algorithm="hmac-sha1", headers="date request-line", signature="c2ln""#.to_owned(),
        r#"hmac username="test-key", algorithm="hmac-sha1", headers="request-line", signature="c2ln""#.to_owned(),
        r#"hmac username="test-key", algorithm="hmac-sha1", headers="date x-missing request-line", signature="c2ln""#.to_owned(),
        r#"hmac username="test-key", algorithm="hmac-sha1", headers="date request-line", signature="c2ln"#.to_owned(),
        "Bearer abc".to_owned(),
        "Basic !!!not-base64".to_owned(),
        format!("Basic {}", BASE64.encode("no-colon")),
        basic(KEY, "wrong-secret"),
        basic("unknown-key", SECRET),
        String::new(),
    ];
    let unsigned = Api {
        authorization: None,
        ..api.clone()
    };
    for authorization in cases {
        let answer = unsigned
            .send_with(
                Method::GET,
                "/v1/webhooks/messages",
                None,
                &[
                    ("Authorization", authorization.clone()),
                    ("Date", date.clone()),
                ],
            )
            .await;
        let error = answer.error(StatusCode::UNAUTHORIZED);
        assert!(!error.message.contains(SECRET), "{authorization}");
    }
    // No Authorization at all.
    unsigned
        .get("/v1/webhooks/messages")
        .await
        .error(StatusCode::UNAUTHORIZED);
    // A signed request without a Date header.
    let signer = HmacSigner::new(Credentials::new(KEY, SECRET), HmacAlgorithm::Sha1).unwrap();
    let signed = signer.headers("GET", "/v1/webhooks/messages", None, SystemTime::now());
    let answer = unsigned
        .send_with(
            Method::GET,
            "/v1/webhooks/messages",
            None,
            &[("Authorization", signed.authorization)],
        )
        .await;
    answer.error(StatusCode::UNAUTHORIZED);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn basic_is_accepted_for_every_configured_pair() {
    let sandbox = webhooks_sandbox::Sandbox::builder()
        .credentials("first", "one")
        .credentials("second", "two")
        .start()
        .await
        .unwrap();
    let mut api = Api::new(&sandbox);
    for (key, secret) in [("first", "one"), ("second", "two")] {
        api.authorization = Some(basic(key, secret));
        assert_eq!(
            api.get("/v1/webhooks/messages").await.status,
            StatusCode::OK
        );
    }
    api.authorization = Some(basic("first", "two"));
    api.get("/v1/webhooks/messages")
        .await
        .error(StatusCode::UNAUTHORIZED);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_account_header_scopes_every_operation() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let (alpha, beta) = (api.for_account("sub-alpha"), api.for_account("sub-beta"));
    let in_alpha = alpha
        .create(&create_body("https://example.com/shared"))
        .await;
    // The same url and method in another account is no conflict.
    let in_beta = beta
        .create(&create_body("https://example.com/shared"))
        .await;
    let own = api.create(&create_body("https://example.com/own")).await;

    let ids = |page: webhooks_client::types::WebhookPage| {
        page.page_data.into_iter().map(|w| w.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(alpha.list().await), [in_alpha.id]);
    assert_eq!(ids(beta.list().await), [in_beta.id]);
    assert_eq!(ids(api.list().await), [own.id]);
    assert!(
        api.for_account("sub-gamma")
            .list()
            .await
            .page_data
            .is_empty()
    );
    // The trailing-slash list is scoped too.
    let answer = beta.get("/v1/webhooks/messages/").await;
    assert_eq!(answer.json()["pageData"].as_array().unwrap().len(), 1);

    // Another account's webhook cannot be updated or deleted: it does not exist there.
    let alpha_item = format!("/v1/webhooks/messages/{}", in_alpha.id);
    beta.patch_json(&alpha_item, &json!({"template": "x"}))
        .await
        .error(StatusCode::NOT_FOUND);
    beta.send(Method::DELETE, &alpha_item, None)
        .await
        .error(StatusCode::NOT_FOUND);
    api.send(Method::DELETE, &alpha_item, None)
        .await
        .error(StatusCode::NOT_FOUND);
    assert_eq!(
        alpha.send(Method::DELETE, &alpha_item, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(alpha.list().await.page_data.is_empty());
    assert_eq!(ids(beta.list().await), [in_beta.id]);

    // An Account header that is not visible ASCII is refused rather than ignored.
    let answer = api
        .send_with(
            Method::GET,
            "/v1/webhooks/messages",
            None,
            &[("Account", "caf\u{e9}".to_owned())],
        )
        .await;
    assert_eq!(answer.details(), ["/Account: must be visible ASCII text"]);
    sandbox.shutdown().await;
}
