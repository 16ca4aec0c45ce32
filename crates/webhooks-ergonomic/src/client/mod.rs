//! [`Client`], its configuration, and the one place requests are executed, retried and mapped.
//!
//! Every operation of every resource is a [`Call`] sent through [`Call::send`]: the request is
//! built here from the generated wire types (body bytes serialized once), signed by the signer
//! the generated client's `pre` hook holds, sent through its `exec` hook (which normalizes error
//! bodies), and answered by the body of the operation's documented success status or an
//! [`Error`]. CONTRIBUTING.md says why this path skips progenitor's builders.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use webhooks_client::hooks::{ERROR_EXCERPT_LIMIT, Inner, RequestSigner, excerpt};

use crate::auth::{AuthMode, BasicSigner, Credentials, HmacSigner};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::signature_keys::SignatureKeys;
use crate::webhooks::Webhooks;

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Region {
    /// `https://api.messagemedia.com`, used by every official SDK (the default).
    #[default]
    Legacy,
    /// `https://eu.app.api.sinch.com`.
    Eu,
    /// `https://au.app.api.sinch.com`.
    Apac,
    /// Any other base URL, e.g. a local sandbox.
    Custom(String),
}

impl Region {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Region::Legacy => "https://api.messagemedia.com",
            Region::Eu => "https://eu.app.api.sinch.com",
            Region::Apac => "https://au.app.api.sinch.com",
            Region::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// The user agent sent by default: `webhooks-ergonomic/<version>`.
pub const USER_AGENT: &str = concat!("webhooks-ergonomic/", env!("CARGO_PKG_VERSION"));

/// A client of the Webhooks Management API. Cheap to clone (one `Arc`), `Send` and `Sync`.
///
/// ```no_run
/// # async fn run() -> webhooks_ergonomic::Result<()> {
/// use webhooks_ergonomic::{Client, Event};
///
/// let client = Client::builder().credentials("API_KEY", "API_SECRET").build()?;
/// let webhook = client
///     .webhooks()
///     .create()
///     .url("https://example.com/hooks/messagemedia")
///     .events([Event::ReceivedSms, Event::DeliveredDr])
///     .send()
///     .await?;
/// println!("created {}", webhook.id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Shared>,
}

struct Shared {
    raw: webhooks_client::Client,
    base_url: String,
    /// The base URL parsed once: each call copies it and sets only its path and query.
    base: reqwest::Url,
    api_key: String,
    auth: AuthMode,
    account: Option<String>,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    total_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &self.inner.api_key)
            .field("auth", &self.inner.auth)
            .field("account", &self.inner.account)
            .field("retry", &self.inner.retry)
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .field("total_timeout", &self.inner.total_timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the common case: these credentials, HMAC-SHA1 signing, the default region,
    /// default retries and timeouts. Fails with [`Error::Configuration`] for an empty key.
    ///
    /// ```
    /// let client = webhooks_ergonomic::Client::new("my-api-key", "my-api-secret")?;
    /// # Ok::<(), webhooks_ergonomic::Error>(())
    /// ```
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Result<Client> {
        Client::builder().credentials(api_key, api_secret).build()
    }

    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `MESSAGEMEDIA_API_KEY` and
    /// `MESSAGEMEDIA_API_SECRET` (required), `MESSAGEMEDIA_BASE_URL`, `MESSAGEMEDIA_ACCOUNT`,
    /// and `MESSAGEMEDIA_AUTH` (`basic` or `hmac`, default `hmac`).
    pub fn from_env() -> Result<Client> {
        Client::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Client::from_env`] over any source of variables; an empty value counts as unset.
    fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Client> {
        let var = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let key = var("MESSAGEMEDIA_API_KEY")
            .ok_or_else(|| Error::configuration("MESSAGEMEDIA_API_KEY", "is not set"))?;
        let secret = var("MESSAGEMEDIA_API_SECRET")
            .ok_or_else(|| Error::configuration("MESSAGEMEDIA_API_SECRET", "is not set"))?;
        let mut builder = Client::builder().credentials(key, secret);
        if let Some(url) = var("MESSAGEMEDIA_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(account) = var("MESSAGEMEDIA_ACCOUNT") {
            builder = builder.account(account);
        }
        match var("MESSAGEMEDIA_AUTH")
            .map(|mode| mode.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("hmac") => {}
            Some("basic") => builder = builder.auth(AuthMode::Basic),
            Some(_) => {
                return Err(Error::configuration(
                    "MESSAGEMEDIA_AUTH",
                    "must be `basic` or `hmac`",
                ));
            }
        }
        builder.build()
    }

    /// The webhook operations.
    pub fn webhooks(&self) -> Webhooks<'_> {
        Webhooks::new(self)
    }

    /// The signature-key operations (the keys callbacks are signed with).
    pub fn signature_keys(&self) -> SignatureKeys<'_> {
        SignatureKeys::new(self)
    }

    /// The generated low-level client underneath, with the same base URL and signing: the
    /// escape hatch to the spec-exact types of `webhooks_client::types`. Calls made through it
    /// are signed but neither validated nor retried.
    pub fn raw(&self) -> &webhooks_client::Client {
        &self.inner.raw
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The `Account` a request acts for: its own override, else the client's.
    pub(crate) fn account<'a>(&'a self, per_request: Option<&'a str>) -> Option<&'a str> {
        per_request.or(self.inner.account.as_deref())
    }

    /// Runs one operation: each attempt re-runs `attempt` (so the request is rebuilt and signed
    /// afresh, with a new `Date`), under the per-attempt timeout, retried per the policy, all
    /// within the total timeout.
    async fn execute<T, F, Fut>(&self, operation: &Operation, attempt: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let span = tracing::info_span!(
            "webhooks.operation",
            operation = operation.name,
            method = %operation.method,
            path = operation.path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Without a subscriber the span is disabled: skip recording into it (each record is a
        // dispatch through `tracing`, a measurable part of a loopback call).
        let traced = !span.is_disabled();
        let shared = &self.inner;
        let started = tokio::time::Instant::now();
        // One timer per attempt, at the earlier of its own and the operation's deadline: a
        // second, outer timeout around the whole loop cost 1.5-3 % of a loopback call.
        let total_deadline = started + shared.total_timeout;
        let mut attempt_started = started;
        let mut attempt_number = 1;
        let mut result = loop {
            if traced {
                span.record("attempt", attempt_number);
            }
            let deadline = (attempt_started + shared.attempt_timeout).min(total_deadline);
            let err = match tokio::time::timeout_at(deadline, attempt()).await {
                Ok(Ok(value)) => break Ok(value),
                Ok(Err(err)) => err,
                Err(_) => Error::timeout(),
            };
            if let (true, Some(status)) = (traced, err.status()) {
                span.record("status", status);
            }
            let Some(delay) = shared.retry.delay(&operation.method, attempt_number, &err) else {
                break Err(err);
            };
            tracing::debug!(parent: &span, error = %err, ?delay, "retrying");
            let wake = tokio::time::Instant::now() + delay;
            if wake >= total_deadline {
                tokio::time::sleep_until(total_deadline).await;
                break Err(Error::timeout());
            }
            tokio::time::sleep_until(wake).await;
            attempt_started = tokio::time::Instant::now();
            attempt_number += 1;
        };
        if let Err(Error::Timeout { attempts, elapsed }) = &mut result {
            *attempts = attempt_number;
            *elapsed = started.elapsed();
        }
        if traced {
            if result.is_ok() {
                span.record("status", operation.success);
            }
            span.record(
                "latency_ms",
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            match &result {
                Ok(_) => tracing::debug!(parent: &span, "done"),
                Err(err) => tracing::debug!(parent: &span, error = %err, "failed"),
            }
        }
        result
    }

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
            signer.sign(&mut request).map_err(|err| Error::Transport {
                message: err.to_string(),
                source: None,
            })?;
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
        if !(status.is_client_error() || status.is_server_error()) {
            return Err(Error::UnexpectedStatus {
                status: status.as_u16(),
                message: String::new(),
                details: Vec::new(),
            });
        }
        // Boxed: the error path's state would otherwise enlarge every call's future.
        Err(Box::pin(Error::from_error_answer(response)).await)
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
            path: std::borrow::Cow::Borrowed(self.path),
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
    path: std::borrow::Cow<'static, str>,
    query: Option<String>,
    body: Option<bytes::Bytes>,
}

impl Call {
    /// The path with its parameters filled in (ids, which need no escaping).
    pub(crate) fn path(mut self, path: String) -> Call {
        self.path = std::borrow::Cow::Owned(path);
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

/// Configures a [`Client`]. Every setting has a sensible default except the credentials.
#[derive(Default)]
pub struct ClientBuilder {
    region: Region,
    credentials: Option<Credentials>,
    auth: AuthMode,
    account: Option<String>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("credentials", &self.credentials)
            .field("auth", &self.auth)
            .field("account", &self.account)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Use one of the vendor's regions (default: the legacy global endpoint).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Use any base URL, e.g. a `webhooks-sandbox` at `http://127.0.0.1:8080`.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.region(Region::Custom(url.into()))
    }

    /// The API key and secret.
    pub fn credentials(
        mut self,
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(api_key, api_secret));
        self
    }

    /// How requests authenticate (default: HMAC-SHA1).
    pub fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = auth;
        self
    }

    /// Act for this sub-account on every request (`Account` header); a request can override it.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one attempt may take, answer included (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// How long an operation may take in all, retries and waits included (default 120 s).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` (default [`USER_AGENT`]). Ignored with [`ClientBuilder::http_client`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Send through this `reqwest::Client` (its own timeouts, proxy and TLS settings apply;
    /// the connect timeout and user agent set here do not).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Check the configuration and build the client.
    pub fn build(self) -> Result<Client> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::configuration(
                "credentials",
                "set the API key and secret (ClientBuilder::credentials)",
            )
        })?;
        if credentials.api_key().is_empty() {
            return Err(Error::configuration("credentials", "the API key is empty"));
        }
        let base_url = self.region.base_url().to_owned();
        let base = match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url,
            _ => {
                return Err(Error::configuration(
                    "base_url",
                    "must be an http or https URL",
                ));
            }
        };
        if base.query().is_some() || base.fragment().is_some() {
            return Err(Error::configuration(
                "base_url",
                "must not have a query or a fragment",
            ));
        }
        let http = match self.http {
            Some(client) => client,
            None => reqwest::Client::builder()
                .user_agent(self.user_agent.unwrap_or_else(|| USER_AGENT.to_owned()))
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
                .map_err(|err| Error::Transport {
                    message: format!("could not build the HTTP client: {err}"),
                    source: None,
                })?,
        };
        let signer: Arc<dyn RequestSigner> = match self.auth {
            AuthMode::Basic => Arc::new(
                BasicSigner::new(&credentials)
                    .map_err(|err| Error::configuration("credentials", err.0))?,
            ),
            AuthMode::Hmac(algorithm) => Arc::new(HmacSigner::new(credentials.clone(), algorithm)),
        };
        let raw =
            webhooks_client::Client::new_with_client(&base_url, http, Inner::with_signer(signer));
        Ok(Client {
            inner: Arc::new(Shared {
                raw,
                base_url,
                base,
                api_key: credentials.api_key().to_owned(),
                auth: self.auth,
                account: self.account,
                retry: self.retry,
                attempt_timeout: self.attempt_timeout.unwrap_or(Duration::from_secs(30)),
                total_timeout: self.total_timeout.unwrap_or(Duration::from_secs(120)),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_base_urls() {
        assert_eq!(Region::default().base_url(), "https://api.messagemedia.com");
        assert_eq!(Region::Eu.base_url(), "https://eu.app.api.sinch.com");
        assert_eq!(Region::Apac.base_url(), "https://au.app.api.sinch.com");
        assert_eq!(
            Region::Custom("http://127.0.0.1:9/".into()).base_url(),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn the_environment_configures_credentials_url_account_and_auth() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let client = Client::from_vars(vars(&[
            ("MESSAGEMEDIA_API_KEY", "env-key"),
            ("MESSAGEMEDIA_API_SECRET", "env-secret"),
            ("MESSAGEMEDIA_BASE_URL", "http://127.0.0.1:9/"),
            ("MESSAGEMEDIA_ACCOUNT", "Sub7"),
            ("MESSAGEMEDIA_AUTH", "Basic"),
        ]))
        .unwrap();
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
        assert_eq!(client.account(None), Some("Sub7"));
        assert_eq!(client.inner.auth, AuthMode::Basic);
        assert_eq!(client.inner.api_key, "env-key");

        let defaults = Client::from_vars(vars(&[
            ("MESSAGEMEDIA_API_KEY", "env-key"),
            ("MESSAGEMEDIA_API_SECRET", "env-secret"),
            ("MESSAGEMEDIA_ACCOUNT", ""),
        ]))
        .unwrap();
        assert_eq!(defaults.base_url(), Region::default().base_url());
        assert_eq!(defaults.account(None), None, "empty is unset");
        assert_eq!(defaults.inner.auth, AuthMode::default());

        let missing = Client::from_vars(vars(&[("MESSAGEMEDIA_API_KEY", "env-key")]));
        assert!(
            matches!(missing, Err(Error::Configuration { ref setting, .. }) if setting == "MESSAGEMEDIA_API_SECRET"),
            "{missing:?}"
        );
        let wrong = Client::from_vars(vars(&[
            ("MESSAGEMEDIA_API_KEY", "env-key"),
            ("MESSAGEMEDIA_API_SECRET", "env-secret"),
            ("MESSAGEMEDIA_AUTH", "digest"),
        ]));
        assert!(
            matches!(wrong, Err(Error::Configuration { ref setting, .. }) if setting == "MESSAGEMEDIA_AUTH"),
            "{wrong:?}"
        );
    }

    #[test]
    fn new_uses_hmac_and_the_default_region() {
        let client = Client::new("key", "secret").unwrap();
        assert_eq!(client.base_url(), Region::default().base_url());
        assert_eq!(client.inner.auth, AuthMode::default());
        assert!(matches!(
            Client::new("", "secret"),
            Err(Error::Configuration { setting, .. }) if setting == "credentials"
        ));
    }

    #[test]
    fn build_rejects_missing_credentials_and_bad_urls() {
        assert!(
            matches!(Client::builder().build(), Err(Error::Configuration { setting, .. }) if setting == "credentials")
        );
        let err = Client::builder()
            .credentials("k", "s")
            .base_url("not a url")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Configuration { ref setting, .. } if setting == "base_url"),
            "{err}"
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

    #[test]
    fn client_is_cheap_to_clone_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
