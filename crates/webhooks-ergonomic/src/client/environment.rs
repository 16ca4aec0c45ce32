//! A client configured from the environment (`MESSAGEMEDIA_*` variables).

use super::Client;
use crate::auth::AuthMode;
use crate::error::{Error, Result};

impl Client {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Region;

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
}
