//! [`ClientBuilder`]: every setting of a [`Client`], checked once by [`ClientBuilder::build`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use webhooks_client::hooks::{RequestSigner, Signing};

use super::{Client, Region, Shared, USER_AGENT};
use crate::auth::{AuthMode, BasicSigner, Credentials, HmacSigner};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

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

    /// Checks the configuration and builds the client. Every failure is
    /// [`Error::Configuration`], and nothing is sent: no credentials, credentials the chosen
    /// authentication cannot send (a line break in the key), a base URL that is not http(s)
    /// or has a query, a user agent that is not a header value, an HTTP client that cannot
    /// be built.
    pub fn build(mut self) -> Result<Client> {
        let credentials = self.credentials.take().ok_or_else(|| {
            Error::configuration(
                "credentials",
                "set the API key and secret (ClientBuilder::credentials)",
            )
        })?;
        if credentials.api_key().is_empty() {
            return Err(Error::configuration("credentials", "the API key is empty"));
        }
        let api_key = credentials.api_key().to_owned();
        let signer: Arc<dyn RequestSigner> = match self.auth {
            AuthMode::Basic => Arc::new(
                BasicSigner::new(&credentials)
                    .map_err(|err| Error::configuration("credentials", err.0))?,
            ),
            AuthMode::Hmac(algorithm) => Arc::new(
                HmacSigner::new(credentials, algorithm)
                    .map_err(|err| Error::configuration("credentials", err.0))?,
            ),
        };
        self.build_with_signer(api_key, signer)
    }

    /// [`build`](Self::build) with the signer already chosen (and the API key it signs as,
    /// shown by `Debug`).
    pub(super) fn build_with_signer(
        self,
        api_key: String,
        signer: Arc<dyn RequestSigner>,
    ) -> Result<Client> {
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
            None => {
                let user_agent = self.user_agent.unwrap_or_else(|| USER_AGENT.to_owned());
                if http::HeaderValue::from_str(&user_agent).is_err() {
                    return Err(Error::configuration(
                        "user_agent",
                        "is not a valid HTTP header value",
                    ));
                }
                reqwest::Client::builder()
                    .user_agent(user_agent)
                    .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                    .pool_idle_timeout(Duration::from_secs(60))
                    .build()
                    .map_err(|err| {
                        Error::configuration(
                            "http_client",
                            format!("could not be built: {}", crate::error::describe(&err)),
                        )
                    })?
            }
        };
        let raw =
            webhooks_client::Client::new_with_client(&base_url, http, Signing::with_signer(signer));
        Ok(Client {
            inner: Arc::new(Shared {
                raw,
                base_url,
                base,
                api_key,
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
    fn credentials_no_request_could_carry_are_refused_by_build_for_either_auth() {
        let secret = "never-shown-4c1e";
        let hmac = [
            AuthMode::Hmac(crate::HmacAlgorithm::Sha1),
            AuthMode::Hmac(crate::HmacAlgorithm::Sha256),
        ];
        let refused = [
            // A line break or another control character: neither scheme can carry it.
            (AuthMode::Basic, "key\nwith a line break"),
            (AuthMode::Basic, "key\r"),
            (AuthMode::Basic, "k\u{7f}"),
            // Basic sends `key:secret`: a `:` in the key moves the split.
            (AuthMode::Basic, "key:part"),
            (hmac[0], "key\nwith a line break"),
            (hmac[1], "key\r"),
            (hmac[0], "k\u{7f}"),
            // HMAC writes the key in a quoted string of ASCII.
            (hmac[0], r#"say "hi""#),
            (hmac[1], r"back\slash"),
            (hmac[0], "ключ"),
        ];
        for (auth, key) in refused {
            let err = Client::builder()
                .credentials(key, secret)
                .auth(auth)
                .build()
                .unwrap_err();
            assert!(
                matches!(err, Error::Configuration { ref setting, .. } if setting == "credentials"),
                "{auth:?} {key:?}: {err:?}"
            );
            assert!(!format!("{err}{err:?}").contains(secret), "{err:?}");
        }
        let err = Client::builder()
            .credentials("key", "secret\nwith a line break")
            .auth(AuthMode::Basic)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Configuration { ref setting, .. } if setting == "credentials"),
            "{err:?}"
        );
        for auth in [AuthMode::Basic, hmac[0], hmac[1]] {
            Client::builder()
                .credentials("an ordinary-key_0123", "any secret: even \"this\"")
                .auth(auth)
                .build()
                .unwrap();
        }
    }

    #[test]
    fn an_http_client_that_cannot_be_built_is_a_configuration_error() {
        let err = Client::builder()
            .credentials("k", "s")
            .user_agent("agent\nwith a line break")
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Configuration { ref setting, .. } if setting == "user_agent"),
            "{err:?}"
        );
        assert!(!err.is_retryable());
    }
}
