//! The API's validation rules, checked before any request is sent.
//!
//! Each check returns the reason a value is rejected, in the words the error will carry.
//! The limits are the platform's documented ones.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// Longest accepted callback URL, in characters.
pub const URL_MAX_CHARS: usize = 1000;
/// Longest custom header name, in characters.
pub const HEADER_NAME_MAX_CHARS: usize = 200;
/// Longest custom header value, in characters.
pub const HEADER_VALUE_MAX_CHARS: usize = 1000;
/// Accepted `read_timeout`, in milliseconds (platform default 20000).
pub const READ_TIMEOUT_MS: RangeInclusive<u32> = 1..=60_000;
/// Accepted `retries` (default 0).
pub const RETRIES: RangeInclusive<u32> = 0..=5;
/// Accepted `retry_delay`, in seconds.
pub const RETRY_DELAY_SECS: RangeInclusive<u32> = 5..=60;
/// Accepted page sizes. The platform documents no limit; 100 is the largest its examples
/// show, so the client stays within it.
pub const PAGE_SIZE: RangeInclusive<u32> = 1..=100;
/// The page size the client asks for when none is given (and that `list_all` walks with).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// An http or https URL of at most [`URL_MAX_CHARS`] characters, with a valid host name and no
/// whitespace or control characters.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.chars().count() > URL_MAX_CHARS {
        return Err(format!("must be at most {URL_MAX_CHARS} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace or control characters".to_owned());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "must be an http or https URL".to_owned())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        return reqwest::Url::parse(url)
            .map(|_| ())
            .map_err(|_| "must be a valid URL".to_owned());
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => {
                if port.parse::<u16>().is_err() {
                    return Err("must have a numeric port".to_owned());
                }
                host
            }
            None => host_port,
        }
    };
    check_host(host)?;
    reqwest::Url::parse(url)
        .map(|_| ())
        .map_err(|_| "must be a valid URL".to_owned())
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("must have a host name".to_owned());
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    for label in host.split('.') {
        if label.is_empty() {
            return Err("must not have an empty host name label".to_owned());
        }
        if label.starts_with(['-', '_']) || label.ends_with(['-', '_']) {
            return Err(format!(
                "host name label `{label}` must not start or end with `-` or `_`"
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "host name label `{label}` has characters not allowed in a host name"
            ));
        }
    }
    Ok(())
}

/// Custom callback headers: no `Content-Type` (any case; the encoding sets it), names and
/// values within their lengths, and both sendable as HTTP headers. Returns the failing header
/// name with the reason.
pub fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), (String, String)> {
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-type") {
            return Err((
                name.clone(),
                "must not be set: the encoding sets Content-Type".to_owned(),
            ));
        }
        if name.is_empty() || name.chars().count() > HEADER_NAME_MAX_CHARS {
            return Err((
                name.clone(),
                format!("name must be 1 to {HEADER_NAME_MAX_CHARS} characters"),
            ));
        }
        if value.chars().count() > HEADER_VALUE_MAX_CHARS {
            return Err((
                name.clone(),
                format!("value must be at most {HEADER_VALUE_MAX_CHARS} characters"),
            ));
        }
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err((name.clone(), "is not a valid HTTP header name".to_owned()));
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err((
                name.clone(),
                "value is not a valid HTTP header value".to_owned(),
            ));
        }
    }
    Ok(())
}

/// `value` lies in `range`.
pub fn check_range(value: u32, range: &RangeInclusive<u32>) -> Result<(), String> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "must be between {} and {}",
            range.start(),
            range.end()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://example.com/hook",
            "http://a.b-c.io:8080/x?y=1",
            "http://127.0.0.1:9/x",
            "https://under_score.example.com",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        let long = format!("https://example.com/{}", "a".repeat(1000));
        for (bad, reason) in [
            ("ftp://example.com", "http or https"),
            ("example.com", "http or https"),
            ("https://-bad.example.com", "start or end"),
            ("https://bad_.example.com", "start or end"),
            ("https://a..b.com", "empty host name label"),
            ("https://", "host name"),
            ("https://exa mple.com", "whitespace"),
            ("https://example.com/\u{7}", "control"),
            (long.as_str(), "at most 1000"),
            ("https://example.com:99999/", "numeric port"),
        ] {
            let err = check_url(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn headers() {
        let map = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert_eq!(check_headers(&map("X-Key", "v")), Ok(()));
        assert!(
            check_headers(&map("content-TYPE", "text/plain"))
                .unwrap_err()
                .1
                .contains("Content-Type")
        );
        assert!(check_headers(&map(&"k".repeat(201), "v")).is_err());
        assert!(check_headers(&map("k", &"v".repeat(1001))).is_err());
        assert!(check_headers(&map("k", &"v".repeat(1000))).is_ok());
        assert!(check_headers(&map("bad name", "v")).is_err());
        assert!(check_headers(&map("k", "line\nbreak")).is_err());
    }

    #[test]
    fn ranges() {
        assert!(check_range(0, &READ_TIMEOUT_MS).is_err());
        assert!(check_range(60_000, &READ_TIMEOUT_MS).is_ok());
        assert!(check_range(6, &RETRIES).is_err());
        assert_eq!(
            check_range(4, &RETRY_DELAY_SECS).unwrap_err(),
            "must be between 5 and 60"
        );
        assert!(check_range(101, &PAGE_SIZE).is_err());
    }
}
