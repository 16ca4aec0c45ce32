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
    // An ASCII URL (the common case) is measured and scanned byte by byte; ASCII whitespace
    // and control characters are the bytes up to space, and DEL.
    let (chars, forbidden) = if url.is_ascii() {
        (url.len(), url.bytes().any(|b| b <= b' ' || b == 0x7f))
    } else {
        (
            url.chars().count(),
            url.chars().any(|c| c.is_whitespace() || c.is_control()),
        )
    };
    if chars > URL_MAX_CHARS {
        return Err(format!("must be at most {URL_MAX_CHARS} characters"));
    }
    if forbidden {
        return Err("must not contain whitespace or control characters".to_owned());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| "must be an http or https URL".to_owned())?;
    // One pass over the authority: it ends at the first `/`, `?` or `#`, and the host (with
    // its port) starts after its last `@`. All are ASCII bytes, so every cut is a char
    // boundary. (The standard searchers cost more than the scan on strings this short.)
    let (mut start, mut end) = (0, rest.len());
    for (i, b) in rest.bytes().enumerate() {
        match b {
            b'/' | b'?' | b'#' => {
                end = i;
                break;
            }
            b'@' => start = i + 1,
            _ => {}
        }
    }
    let host_port = &rest[start..end];
    if host_port.starts_with('[') {
        return reqwest::Url::parse(url)
            .map(|_| ())
            .map_err(|_| "must be a valid URL".to_owned());
    }
    let host = match host_port.bytes().rposition(|b| b == b':') {
        Some(colon) => {
            if host_port[colon + 1..].parse::<u16>().is_err() {
                return Err("must have a numeric port".to_owned());
            }
            &host_port[..colon]
        }
        None => host_port,
    };
    if check_host(host)? == Host::Plain {
        // Nothing else in an http(s) URL makes the URL parser fail: it percent-encodes the
        // rest. A test holds this shortcut to the full parse on URLs built to differ.
        return Ok(());
    }
    reqwest::Url::parse(url)
        .map(|_| ())
        .map_err(|_| "must be a valid URL".to_owned())
}

/// What [`check_host`] found of a host name it accepts.
#[derive(Debug, PartialEq, Eq)]
enum Host {
    /// One the URL parser takes as it is: ASCII, with no IDNA (`xn--`) label it would decode,
    /// and a last label starting with a letter, so it cannot be read as an IPv4 address.
    Plain,
    /// Any other: the full URL parse decides.
    ToParse,
}

/// A host name: labels of letters, digits, `-` and `_`, neither starting nor ending with `-`
/// or `_`, with at most one trailing dot.
fn check_host(host: &str) -> Result<Host, String> {
    if host.is_empty() {
        return Err("must have a host name".to_owned());
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    let mut plain = host.is_ascii();
    let mut last_starts_with_letter = false;
    for label in host.split('.') {
        // First and last bytes: a non-ASCII character never begins or ends with `-` or `_`.
        let bytes = label.as_bytes();
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            return Err("must not have an empty host name label".to_owned());
        };
        if matches!(first, b'-' | b'_') || matches!(last, b'-' | b'_') {
            return Err(format!(
                "host name label `{label}` must not start or end with `-` or `_`"
            ));
        }
        let allowed = if label.is_ascii() {
            bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        } else {
            label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        };
        if !allowed {
            return Err(format!(
                "host name label `{label}` has characters not allowed in a host name"
            ));
        }
        if bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"xn--") {
            plain = false;
        }
        last_starts_with_letter = first.is_ascii_alphabetic();
    }
    Ok(if plain && last_starts_with_letter {
        Host::Plain
    } else {
        Host::ToParse
    })
}

/// A byte of an HTTP header name (RFC 9110 `tchar`): what `http::HeaderName::from_bytes`
/// accepts, checked without building one (a test holds the two equal on every byte).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A byte of an HTTP header value: what `http::HeaderValue::from_str` accepts (visible
/// characters, space, tab and any byte of a non-ASCII character), checked without building one.
fn is_value_byte(b: u8) -> bool {
    (b >= b' ' && b != 0x7f) || b == b'\t'
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
        // A valid name is ASCII, so its length in bytes is its length in characters.
        if !name.bytes().all(is_token_byte) {
            return Err((name.clone(), "is not a valid HTTP header name".to_owned()));
        }
        if name.is_empty() || name.len() > HEADER_NAME_MAX_CHARS {
            return Err((
                name.clone(),
                format!("name must be 1 to {HEADER_NAME_MAX_CHARS} characters"),
            ));
        }
        // No more bytes than the limit means no more characters: counted only past it.
        if value.len() > HEADER_VALUE_MAX_CHARS && value.chars().count() > HEADER_VALUE_MAX_CHARS {
            return Err((
                name.clone(),
                format!("value must be at most {HEADER_VALUE_MAX_CHARS} characters"),
            ));
        }
        if !value.bytes().all(is_value_byte) {
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
    fn the_plain_host_shortcut_accepts_only_what_the_url_parser_accepts() {
        let hosts = [
            "example.com",
            "EXAMPLE.Com.",
            "x",
            "localhost",
            "a_b.example",
            "a.b1",
            "a.1b",
            "1.2.3.4",
            "1.2.3.999",
            "0x7f.1",
            "a.0x7f",
            "a.123",
            "xn--a.com",
            "XN--nxasmq6b.com",
            "a.xn--zz",
            "ünïcode.com",
            "ｅｘａｍｐｌｅ.com",
            "a-.b",
            "a.b-c.d",
        ];
        let users = ["", "user@", "user:pa%ss@", "@", ":@", "a@b@"];
        let ports = ["", ":80", ":0", ":65535", ":65536", ":"];
        let rests = [
            "",
            "/",
            "/%zz",
            "/a\\b",
            "/?q=<>",
            "#frag",
            "/[]{}|^`",
            "?a=%",
            "/é?ü#ö",
        ];
        let mut accepted = 0;
        for scheme in ["http://", "HTTPS://", "https://"] {
            for host in hosts {
                for user in users {
                    for port in ports {
                        for rest in rests {
                            let url = format!("{scheme}{user}{host}{port}{rest}");
                            if check_url(&url).is_ok() {
                                accepted += 1;
                                assert!(reqwest::Url::parse(&url).is_ok(), "{url}");
                            }
                        }
                    }
                }
            }
        }
        assert!(
            accepted > 1_000,
            "the corpus exercises the shortcut ({accepted} accepted)"
        );
    }

    #[test]
    fn header_bytes_are_judged_as_the_http_crate_judges_them() {
        for b in 0..=u8::MAX {
            // Alone, and past the 64 bytes where `from_bytes` changes its path.
            for name in [vec![b], [b"x".repeat(70), vec![b]].concat()] {
                assert_eq!(
                    name.iter().all(|&b| is_token_byte(b)),
                    http::HeaderName::from_bytes(&name).is_ok(),
                    "name byte {b:#04x}"
                );
            }
        }
        for c in (0..=0x7f_u8)
            .map(char::from)
            .chain(['é', '\u{85}', '\u{a0}', '😀'])
        {
            let value = format!("a{c}b");
            assert_eq!(
                value.bytes().all(is_value_byte),
                http::HeaderValue::from_str(&value).is_ok(),
                "value char {c:?}"
            );
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
