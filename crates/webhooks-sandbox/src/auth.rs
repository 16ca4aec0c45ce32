//! Authentication as the gateway does it: Basic, or HMAC verified from the header list.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method, Uri};
use subtle::ConstantTimeEq;
use webhooks_ergonomic::auth::{content_md5, request_line, signing_string};

/// How far a signed request's `Date` may be from the sandbox's clock.
pub const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// The API keys the sandbox accepts, with their secrets.
#[derive(Clone, Default)]
pub struct Keys(HashMap<String, String>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Keys {
    /// Accept `key` with `secret`.
    pub fn insert(&mut self, key: impl Into<String>, secret: impl Into<String>) {
        self.0.insert(key.into(), secret.into());
    }

    /// The API key the request authenticates as, or why it does not.
    pub fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, &'static str> {
        let authorization = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or("Missing Authorization header")?;
        if let Some(token) = strip_prefix_ignore_case(authorization, "basic ") {
            return self.basic(token.trim());
        }
        if let Some(params) = strip_prefix_ignore_case(authorization, "hmac ") {
            return self.hmac(params, method, uri, headers, body, now);
        }
        Err("Unsupported authorization scheme")
    }

    fn basic(&self, token: &str) -> Result<String, &'static str> {
        let decoded = BASE64
            .decode(token)
            .map_err(|_| "Malformed Basic credentials")?;
        let decoded = String::from_utf8(decoded).map_err(|_| "Malformed Basic credentials")?;
        let (key, secret) = decoded
            .split_once(':')
            .ok_or("Malformed Basic credentials")?;
        match self.0.get(key) {
            Some(expected) if bool::from(expected.as_bytes().ct_eq(secret.as_bytes())) => {
                Ok(key.to_owned())
            }
            _ => Err("Invalid API key or secret"),
        }
    }

    fn hmac(
        &self,
        params: &str,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<String, &'static str> {
        let signed = SignedParams::parse(params)?;
        let secret = self
            .0
            .get(signed.username)
            .ok_or("Invalid API key or secret")?;
        let signature = BASE64
            .decode(signed.signature)
            .map_err(|_| "HMAC signature is not base64")?;
        check_signed_date(&signed.names, headers, now)?;
        check_body_md5(&signed.names, headers, body)?;
        let full_target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let targets = if full_target == uri.path() {
            vec![full_target]
        } else {
            vec![full_target, uri.path()]
        };
        for target in targets {
            let text = signed.signing_string(method, target, headers)?;
            if verify(
                signed.algorithm,
                secret.as_bytes(),
                text.as_bytes(),
                &signature,
            )? {
                return Ok(signed.username.to_owned());
            }
        }
        Err("HMAC signature does not match")
    }
}

/// The parameters of an HMAC `Authorization` header.
struct SignedParams<'a> {
    username: &'a str,
    algorithm: &'a str,
    /// The signed header names, in the order signed (`request-line` among them).
    names: Vec<&'a str>,
    /// The signature as sent (base64).
    signature: &'a str,
}

impl<'a> SignedParams<'a> {
    fn parse(params: &'a str) -> Result<SignedParams<'a>, &'static str> {
        let params = parse_params(params).ok_or("Malformed HMAC Authorization header")?;
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let (Some(username), Some(algorithm), Some(names), Some(signature)) = (
            get("username"),
            get("algorithm"),
            get("headers"),
            get("signature"),
        ) else {
            return Err(
                "HMAC Authorization header needs username, algorithm, headers and signature",
            );
        };
        Ok(SignedParams {
            username,
            algorithm,
            names: names.split_whitespace().collect(),
            signature,
        })
    }

    /// What the client signed, for one spelling of the request target.
    fn signing_string(
        &self,
        method: &Method,
        target: &str,
        headers: &'a HeaderMap,
    ) -> Result<String, &'static str> {
        let line = request_line(method.as_str(), target);
        let mut entries = Vec::with_capacity(self.names.len());
        for name in &self.names {
            let value = if name.eq_ignore_ascii_case("request-line") {
                line.as_str()
            } else {
                header(headers, name).ok_or("A header named in the signature is missing")?
            };
            entries.push((*name, value));
        }
        Ok(signing_string(entries))
    }
}

fn signs(names: &[&str], wanted: &str) -> bool {
    names.iter().any(|name| name.eq_ignore_ascii_case(wanted))
}

/// The date the signature covers (`Date`, else `X-Date`) is within [`CLOCK_SKEW`] of `now`.
fn check_signed_date(
    names: &[&str],
    headers: &HeaderMap,
    now: SystemTime,
) -> Result<(), &'static str> {
    let date_name = if signs(names, "date") {
        "date"
    } else if signs(names, "x-date") {
        "x-date"
    } else {
        return Err("The signed headers must include the date");
    };
    let date = header(headers, date_name).ok_or("Missing Date header")?;
    let sent = httpdate::parse_http_date(date).map_err(|_| "Date is not an HTTP date")?;
    let skew = sent
        .duration_since(now)
        .or_else(|_| now.duration_since(sent))
        .unwrap_or_default();
    if skew > CLOCK_SKEW {
        return Err("Date is more than 300 seconds from the server's clock");
    }
    Ok(())
}

/// A body is covered through its MD5, so the MD5 header must be present, match the body, and be
/// among the signed headers.
fn check_body_md5(names: &[&str], headers: &HeaderMap, body: &[u8]) -> Result<(), &'static str> {
    let md5_name = ["x-content-md5", "content-md5"]
        .into_iter()
        .find(|name| headers.contains_key(*name));
    if let Some(name) = md5_name
        && header(headers, name) != Some(content_md5(body).as_str())
    {
        return Err("Content-MD5 does not match the body");
    }
    if !body.is_empty() {
        match md5_name {
            None => return Err("A request with a body must carry x-Content-MD5"),
            Some(name) if !signs(names, name) => {
                return Err("The signed headers must include the body's MD5 header");
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn verify(
    algorithm: &str,
    secret: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<bool, &'static str> {
    fn check<M: Mac + hmac::digest::KeyInit>(
        secret: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret) else {
            return false;
        };
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }
    Ok(match algorithm.to_ascii_lowercase().as_str() {
        "hmac-sha1" => check::<Hmac<sha1::Sha1>>(secret, message, signature),
        "hmac-sha256" => check::<Hmac<sha2::Sha256>>(secret, message, signature),
        "hmac-sha384" => check::<Hmac<sha2::Sha384>>(secret, message, signature),
        "hmac-sha512" => check::<Hmac<sha2::Sha512>>(secret, message, signature),
        _ => return Err("Unsupported HMAC algorithm"),
    })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Parses `name="value", name="value"` pairs; `None` when malformed.
fn parse_params(text: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start().strip_prefix('"')?;
        let (value, after) = after.split_once('"')?;
        out.push((name.trim(), value));
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_and_malformed_ones_are_rejected() {
        let parsed = parse_params(
            r#"username="k", algorithm="hmac-sha1", headers="date request-line", signature="c2ln""#,
        )
        .unwrap();
        assert_eq!(parsed[2], ("headers", "date request-line"));
        assert!(parse_params(r#"username="k"#).is_none());
        assert!(parse_params("garbage").is_none());
    }

    #[test]
    fn debug_lists_keys_not_secrets() {
        let mut keys = Keys::default();
        keys.insert("key", "hidden-secret");
        assert!(!format!("{keys:?}").contains("hidden-secret"));
    }
}
