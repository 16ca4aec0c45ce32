//! [`Client`], its configuration, and the one place requests are executed, retried and mapped.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{Error as WireError, ResponseValue};
use webhooks_client::hooks::{Inner, RequestSigner};
use webhooks_client::types::ErrorBody;

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

    /// Runs one operation: each attempt re-runs `call` (so the request is rebuilt and signed
    /// afresh, with a new `Date`), under the per-attempt timeout, retried per the policy, all
    /// within the total timeout; the answer is mapped to the domain or to [`Error`].
    pub(crate) async fn execute<T, F, Fut>(&self, operation: Operation, call: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, WireError<ErrorBody>>>,
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
        let shared = &self.inner;
        let started = Instant::now();
        // One timer per attempt, at the earlier of its own and the operation's deadline: a
        // second, outer timeout around the whole loop cost 1.5-3 % of a loopback call.
        let total_deadline = tokio::time::Instant::from_std(started) + shared.total_timeout;
        let mut attempt = 1;
        let mut result = loop {
            span.record("attempt", attempt);
            let deadline =
                (tokio::time::Instant::now() + shared.attempt_timeout).min(total_deadline);
            let result = match tokio::time::timeout_at(deadline, call()).await {
                Ok(result) => result.map_err(|err| Error::from_wire(err, operation.success)),
                Err(_) => Err(Error::timeout()),
            };
            let err = match result {
                Ok(value) => {
                    span.record("status", value.status().as_u16());
                    break Ok(value.into_inner());
                }
                Err(err) => err,
            };
            if let Some(status) = err.status() {
                span.record("status", status);
            }
            let Some(delay) = shared.retry.delay(&operation.method, attempt, &err) else {
                break Err(err);
            };
            tracing::debug!(parent: &span, error = %err, ?delay, "retrying");
            let wake = tokio::time::Instant::now() + delay;
            if wake >= total_deadline {
                tokio::time::sleep_until(total_deadline).await;
                break Err(Error::timeout());
            }
            tokio::time::sleep_until(wake).await;
            attempt += 1;
        };
        if let Err(Error::Timeout { attempts, elapsed }) = &mut result {
            *attempts = attempt;
            *elapsed = started.elapsed();
        }
        span.record(
            "latency_ms",
            u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        match &result {
            Ok(_) => tracing::debug!(parent: &span, "done"),
            Err(err) => tracing::debug!(parent: &span, error = %err, "failed"),
        }
        result
    }
}

/// Sends one operation, the same way for every builder of every resource: it acts for the
/// request's account (else the client's), and `request` builds the generated call afresh for
/// each attempt (so each is signed anew) inside the client's one executor (timeouts, retries,
/// error mapping).
pub(crate) async fn send<T, Fut>(
    client: &Client,
    account: Option<&str>,
    operation: Operation,
    request: impl Fn(Option<String>) -> Fut,
) -> Result<T>
where
    Fut: Future<Output = std::result::Result<ResponseValue<T>, WireError<ErrorBody>>>,
{
    let account = client.account(account).map(str::to_owned);
    client.execute(operation, || request(account.clone())).await
}

/// What the executor needs to know of an operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) name: &'static str,
    pub(crate) method: http::Method,
    pub(crate) path: &'static str,
    /// The documented success status, for decoding errors.
    pub(crate) success: u16,
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
        match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => {
                return Err(Error::configuration(
                    "base_url",
                    "must be an http or https URL",
                ));
            }
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
    fn client_is_cheap_to_clone_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
