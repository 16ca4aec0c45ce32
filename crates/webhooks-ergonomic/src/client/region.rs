//! Where the API lives: the vendor's regions, or any base URL.

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
}
