//! [`Client`] and its jobs, one file each: where the API lives ([`region`]), configuration
//! from the environment (`environment`), the builder ([`builder`]), one call from builder to
//! answer (`call`: the one send path of every operation), and the one place operations are
//! timed out and retried (`execute`). CONTRIBUTING.md says why the send path skips
//! progenitor's builders.

mod builder;
mod call;
mod environment;
mod execute;
mod region;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use builder::ClientBuilder;
pub(crate) use call::{Operation, account_setter};
pub use region::Region;

use crate::auth::AuthMode;
use crate::error::Result;
use crate::retry::RetryPolicy;
use crate::signature_keys::SignatureKeys;
use crate::webhooks::Webhooks;

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
    /// default retries and timeouts. Fails with [`Error::Configuration`](crate::Error::Configuration)
    /// for an empty key.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

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
    fn client_is_cheap_to_clone_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
