//! One call of an operation, from the builder to the answer: the request built from the
//! generated wire types (body bytes serialized once), signed by the signer the generated
//! client's `pre` hook holds, sent through its `exec` hook (which normalizes error bodies), and
//! answered by the body of the operation's documented success status or an [`Error`].

use std::borrow::Cow;

use http::{HeaderName, HeaderValue};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use webhooks_client::hooks::{ERROR_BODY_LIMIT, ERROR_EXCERPT_LIMIT, excerpt, read_capped};

use super::{Client, Shared};
use crate::error::{Error, Result};

/// The `account` setter of every request builder: one text, one default (the client's).
macro_rules! account_setter {
    () => {
        /// Act for this sub-account (the `Account` header; overrides the client's).
        pub fn account(mut self, account: impl Into<String>) -> Self {
            self.account = Some(account.into());
            self
        }
    };
}
pub(crate) use account_setter;

/// The `Account` header: the sub-account a request acts for.
static ACCOUNT: HeaderName = HeaderName::from_static("account");

/// What the executor needs to know of an operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) name: &'static str,
    pub(crate) method: http::Method,
    pub(crate) path: &'static str,
    /// The documented success status: the only one whose body is the answer.
    pub(crate) success: u16,
}

impl Operation {
    /// A call of this operation at its own path (no path parameter), without query or body.
    pub(crate) fn call(&'static self) -> Call {
        Call {
            operation: self,
            path: Cow::Borrowed(self.path),
            query: None,
            body: None,
        }
    }
}

/// One call of an operation, as the one send path takes it from every builder of every
/// resource: the path with its parameters filled in, the query, and the JSON body of the
/// generated wire type, serialized once and shared by every attempt.
#[derive(Debug)]
pub(crate) struct Call {
    operation: &'static Operation,
    path: Cow<'static, str>,
    query: Option<String>,
    body: Option<bytes::Bytes>,
}

impl Call {
    /// The path with its parameters filled in (ids, which need no escaping).
    pub(crate) fn path(mut self, path: String) -> Call {
        self.path = Cow::Owned(path);
        self
    }

    /// The query, already encoded.
    pub(crate) fn query(mut self, query: String) -> Call {
        self.query = Some(query);
        self
    }

    /// The JSON body.
    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Call> {
        let body = serde_json::to_vec(body)
            .map_err(|err| Error::validation("body", format!("could not be serialized: {err}")))?;
        self.body = Some(bytes::Bytes::from(body));
        Ok(self)
    }

    /// Sends the call for the request's account (else the client's) through the client's one
    /// executor (timeouts, retries, error mapping); the body of the success answer.
    pub(crate) async fn send(self, client: &Client, account: Option<&str>) -> Result<bytes::Bytes> {
        let account =
            match client.account(account) {
                Some(account) => Some(HeaderValue::from_str(account).map_err(|_| {
                    Error::validation("account", "is not a valid HTTP header value")
                })?),
                None => None,
            };
        let url = client.inner.url(&self.path, self.query.as_deref());
        client
            .execute(self.operation, || {
                client.attempt(&self, &url, account.as_ref())
            })
            .await
    }

    /// [`send`](Self::send), then the answer decoded as `T` (a generated wire type, or a domain
    /// type decoded through one).
    pub(crate) async fn fetch<T: serde::de::DeserializeOwned>(
        self,
        client: &Client,
        account: Option<&str>,
    ) -> Result<T> {
        let operation = self.operation;
        let body = self.send(client, account).await?;
        serde_json::from_slice(&body).map_err(|err| Error::Decode {
            status: operation.success,
            excerpt: excerpt(&body, ERROR_EXCERPT_LIMIT),
            source: Some(Box::new(err)),
        })
    }
}

impl Client {
    /// One attempt: the request built from `call`, signed and sent by the generated client's
    /// hooks (`webhooks_client::hooks`: the one place requests are signed and error bodies
    /// normalized), and its answer: the body of the documented success status, or the error.
    async fn attempt(
        &self,
        call: &Call,
        url: &reqwest::Url,
        account: Option<&HeaderValue>,
    ) -> Result<bytes::Bytes> {
        let operation = call.operation;
        let mut request = reqwest::Request::new(operation.method.clone(), url.clone());
        let headers = request.headers_mut();
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if let Some(account) = account {
            headers.insert(ACCOUNT.clone(), account.clone());
        }
        if let Some(body) = &call.body {
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            *request.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        let raw = &self.inner.raw;
        // The signer the generated client's `pre` hook calls (that hook's other task, taking
        // out the `api-version` header progenitor adds, has nothing to do here).
        if let Some(signer) = raw.inner().signer() {
            signer
                .sign(&mut request)
                .map_err(|source| Error::Sign { source })?;
        }
        let info = OperationInfo {
            operation_id: operation.name,
        };
        let response = raw
            .exec(request, &info)
            .await
            .map_err(Error::from_reqwest)?;
        let status = response.status();
        if status.as_u16() == operation.success {
            return response.bytes().await.map_err(Error::from_reqwest);
        }
        // Boxed: the error paths' state would otherwise enlarge every call's future.
        if status.is_client_error() || status.is_server_error() {
            Err(Box::pin(Error::from_error_answer(response)).await)
        } else {
            Err(Box::pin(undocumented_success(response)).await)
        }
    }
}

/// A 1xx, 2xx or 3xx other than the operation's success status (a redirect not followed, a
/// 202 from a proxy): its status and an excerpt of its body.
async fn undocumented_success(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let (body, _) = read_capped(response, ERROR_BODY_LIMIT).await;
    Error::UnexpectedStatus {
        status,
        message: excerpt(&body, ERROR_EXCERPT_LIMIT),
        details: Vec::new(),
    }
}

impl Shared {
    /// The URL of a call: the base URL, parsed when the client was built, with the path and
    /// query set. Only they are parsed per call; a full parse (scheme, host, port) was among
    /// the largest costs of a loopback call. A test holds it equal to parsing the whole text.
    fn url(&self, path: &str, query: Option<&str>) -> reqwest::Url {
        let mut url = self.base.clone();
        // The base URL's own path (most have none) goes before the operation's.
        match self.base.path().trim_end_matches('/') {
            "" => url.set_path(path),
            prefix => url.set_path(&format!("{prefix}{path}")),
        }
        url.set_query(query);
        url
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use webhooks_client::hooks::{RequestSigner, SignError};

    use crate::client::Client;
    use crate::error::Error;

    /// Refuses every request, counting them.
    #[derive(Debug, Default)]
    struct Refusing(AtomicUsize);

    impl RequestSigner for Refusing {
        fn sign(&self, _: &mut reqwest::Request) -> Result<(), SignError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(SignError("the signing service is gone".to_owned()))
        }
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_signed_is_a_sign_error_sent_never_and_tried_once() {
        let signer = Arc::new(Refusing::default());
        // Nothing listens there: the request must fail before any connection is tried.
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .build_with_signer("key".to_owned(), signer.clone())
            .unwrap();
        let err = client.webhooks().list().send().await.unwrap_err();
        let Error::Sign { source } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(source.0, "the signing service is gone");
        assert!(
            std::error::Error::source(&err).is_some(),
            "the SignError is the source"
        );
        assert!(!err.is_retryable());
        assert_eq!(err.status(), None);
        assert_eq!(signer.0.load(Ordering::SeqCst), 1, "a list is not retried");
        assert_eq!(
            err.to_string(),
            "could not sign the request: the signing service is gone; nothing was sent"
        );
    }

    #[test]
    fn call_urls_are_those_of_parsing_the_whole_text() {
        let calls = [
            ("/v1/webhooks/messages", Some("page=0&page_size=100")),
            (
                "/v1/webhooks/messages/76fa7010-8c1f-4a24-917a-4d62a54e744d",
                None,
            ),
            ("/v1/iam/signature_keys", Some("page=1&page_size=20")),
            ("/v1/iam/signature_keys/enabled", None),
        ];
        for base in [
            "https://api.messagemedia.com",
            "http://127.0.0.1:9/",
            "http://[::1]:8080",
            "https://EU.App.Api.Sinch.com:443",
            "http://gateway.example/messagemedia/",
            "http://gateway.example/a%20b/api",
        ] {
            let client = Client::builder()
                .credentials("k", "s")
                .base_url(base)
                .build()
                .unwrap();
            for (path, query) in calls {
                let text = match query {
                    Some(query) => format!("{}{path}?{query}", client.base_url()),
                    None => format!("{}{path}", client.base_url()),
                };
                assert_eq!(
                    client.inner.url(path, query),
                    reqwest::Url::parse(&text).unwrap(),
                    "{text}"
                );
            }
        }
        for bad in ["http://h/?q=1", "http://h/#f"] {
            let err = Client::builder()
                .credentials("k", "s")
                .base_url(bad)
                .build()
                .unwrap_err();
            assert!(
                matches!(err, Error::Configuration { ref setting, .. } if setting == "base_url"),
                "{bad}: {err}"
            );
        }
    }
}
