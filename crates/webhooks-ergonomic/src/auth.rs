//! Credentials and request signing: HTTP Basic, and HMAC as the vendor's own SDKs send it.
//!
//! HMAC requests carry three headers:
//!
//! ```text
//! Date: Fri, 11 Jul 2014 07:16:51 GMT
//! x-Content-MD5: b5291a3ec52d02ebc7239824cc615bc5          (only when there is a body)
//! Authorization: hmac username="<api key>", algorithm="hmac-sha1", headers="date x-Content-MD5 request-line", signature="<base64>"
//! ```
//!
//! The signature is the base64 HMAC, keyed with the API secret, of the [`signing_string`]: one
//! line per name in `headers`, in order. The request line is the request's **real** method and
//! its origin-form target **with** the query (`PATCH /v1/webhooks/messages/<id> HTTP/1.1`).

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use reqwest::header::{AUTHORIZATION, DATE, HeaderValue};
use webhooks_client::hooks::{RequestSigner, SignError};

/// The API key and secret of an account. `Debug` and `Display` show the key, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    api_key: String,
    api_secret: String,
}

impl Credentials {
    /// Credentials from an API key and its secret.
    pub fn new(api_key: impl Into<String>, api_secret: impl Into<String>) -> Credentials {
        Credentials {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
        }
    }

    /// The API key (not secret: it names the account in every request).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The secret. Handle with care: never log it.
    pub fn expose_secret(&self) -> &str {
        &self.api_secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (secret redacted)", self.api_key)
    }
}

/// The HMAC algorithm of HMAC authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HmacAlgorithm {
    /// `hmac-sha1`, what every official SDK sends (the default).
    #[default]
    Sha1,
    /// `hmac-sha256`, as the current vendor docs describe.
    Sha256,
}

impl HmacAlgorithm {
    /// The name in the `Authorization` header, e.g. `hmac-sha1`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HmacAlgorithm::Sha1 => "hmac-sha1",
            HmacAlgorithm::Sha256 => "hmac-sha256",
        }
    }

    /// base64 of the HMAC of `message` keyed with `secret`.
    pub fn sign(self, secret: &[u8], message: &[u8]) -> String {
        fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], message: &[u8]) -> String {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(secret)
                .expect("HMAC accepts keys of any length");
            mac.update(message);
            BASE64.encode(mac.finalize().into_bytes())
        }
        match self {
            HmacAlgorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(secret, message),
            HmacAlgorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(secret, message),
        }
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// `Authorization: Basic base64(key:secret)`.
    Basic,
    /// HMAC request signing with the given algorithm.
    Hmac(HmacAlgorithm),
}

impl Default for AuthMode {
    /// HMAC-SHA1: the secret never travels, and a captured request cannot be replayed later
    /// than the gateway's clock window.
    fn default() -> Self {
        AuthMode::Hmac(HmacAlgorithm::Sha1)
    }
}

/// The signing string for an ordered list of `(name as written, value)` entries.
///
/// Each entry gives one line `name: value`, except the name `request-line`, whose line is the
/// value alone (`POST /v1/webhooks/messages HTTP/1.1`). Lines are joined with `\n`, with no
/// trailing newline. The name's case is kept: it is part of the signed text.
///
/// ```
/// use webhooks_ergonomic::auth::signing_string;
///
/// let text = signing_string([
///     ("Date", "Fri, 11 Jul 2014 07:16:51 GMT"),
///     ("request-line", "POST /v1/messages HTTP/1.1"),
/// ]);
/// assert_eq!(text, "Date: Fri, 11 Jul 2014 07:16:51 GMT\nPOST /v1/messages HTTP/1.1");
/// ```
pub fn signing_string<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::with_capacity(160);
    write_signing_string(entries, |piece| out.push_str(piece));
    out
}

/// The signing string of `entries`, handed to `sink` piece by piece: the one definition of the
/// text, which [`signing_string`] collects and [`HmacSigner`] feeds straight into the MAC.
fn write_signing_string<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut sink: impl FnMut(&str),
) {
    for (index, (name, value)) in entries.into_iter().enumerate() {
        if index > 0 {
            sink("\n");
        }
        if !name.eq_ignore_ascii_case("request-line") {
            sink(name);
            sink(": ");
        }
        sink(value);
    }
}

/// The request line: `<METHOD> <path[?query]> HTTP/1.1`.
pub fn request_line(method: &str, path_and_query: &str) -> String {
    format!("{method} {path_and_query} HTTP/1.1")
}

/// Lowercase hex MD5 of `body`, the value of `x-Content-MD5`.
pub fn content_md5(body: &[u8]) -> String {
    let digest = Md5::digest(body);
    let mut hex = String::with_capacity(32);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    hex
}

/// The headers an HMAC-signed request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacHeaders {
    /// The `Date` value (IMF-fixdate).
    pub date: String,
    /// The `x-Content-MD5` value, when the request has a body.
    pub content_md5: Option<String>,
    /// The `Authorization` value.
    pub authorization: String,
}

/// Signs requests with HMAC, exactly as the vendor's SDKs do (with their known bugs fixed: the
/// real method, the query in the request line, lowercase MD5 of the exact bytes).
///
/// Usable for any vendor endpoint, not only webhooks: see [`HmacSigner::headers`].
#[derive(Clone)]
pub struct HmacSigner {
    credentials: Credentials,
    algorithm: HmacAlgorithm,
    keyed: KeyedMac,
}

/// The HMAC state after absorbing the key, computed once per signer: each signature clones it
/// instead of hashing the key again.
#[derive(Clone)]
enum KeyedMac {
    Sha1(Hmac<sha1::Sha1>),
    Sha256(Hmac<sha2::Sha256>),
}

impl KeyedMac {
    fn new(algorithm: HmacAlgorithm, secret: &[u8]) -> KeyedMac {
        const ANY_LENGTH: &str = "HMAC accepts keys of any length";
        match algorithm {
            HmacAlgorithm::Sha1 => KeyedMac::Sha1(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
            HmacAlgorithm::Sha256 => {
                KeyedMac::Sha256(Hmac::new_from_slice(secret).expect(ANY_LENGTH))
            }
        }
    }

    /// Appends to `out` the base64 signature of the signing string of `entries`, MACed as it
    /// is written: no signing string is allocated.
    fn sign<'a>(&self, entries: impl IntoIterator<Item = (&'a str, &'a str)>, out: &mut String) {
        fn run<'a, M: Mac + Clone>(
            mac: &M,
            entries: impl IntoIterator<Item = (&'a str, &'a str)>,
            out: &mut String,
        ) {
            let mut mac = mac.clone();
            write_signing_string(entries, |piece| mac.update(piece.as_bytes()));
            BASE64.encode_string(mac.finalize().into_bytes(), out);
        }
        match self {
            KeyedMac::Sha1(mac) => run(mac, entries, out),
            KeyedMac::Sha256(mac) => run(mac, entries, out),
        }
    }
}

impl fmt::Debug for HmacSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSigner")
            .field("credentials", &self.credentials)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

impl HmacSigner {
    /// A signer for `credentials` with `algorithm`. Fails when the API key cannot be written
    /// in the `Authorization` header's quoted `username` (it must be visible ASCII or spaces,
    /// without `"` or `\`): every request would fail to sign, so it is refused here, once.
    pub fn new(
        credentials: Credentials,
        algorithm: HmacAlgorithm,
    ) -> Result<HmacSigner, SignError> {
        let quotable = |byte: u8| matches!(byte, b' '..=b'~') && byte != b'"' && byte != b'\\';
        if !credentials.api_key().bytes().all(quotable) {
            return Err(SignError(
                "the API key contains characters an HMAC Authorization header cannot carry \
                 (control characters, non-ASCII, `\"` or `\\`)"
                    .to_owned(),
            ));
        }
        Ok(HmacSigner {
            keyed: KeyedMac::new(algorithm, credentials.expose_secret().as_bytes()),
            credentials,
            algorithm,
        })
    }

    /// The headers for a request `method path_and_query` with `body` (`None` or empty: no
    /// MD5 header) sent at `date`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use webhooks_ergonomic::auth::{Credentials, HmacAlgorithm, HmacSigner};
    ///
    /// let signer = HmacSigner::new(Credentials::new("key", "secret"), HmacAlgorithm::Sha1)?;
    /// let at = UNIX_EPOCH + Duration::from_secs(1_405_063_011);
    /// let headers = signer.headers("GET", "/v1/webhooks/messages?page=1", None, at);
    /// assert_eq!(headers.date, "Fri, 11 Jul 2014 07:16:51 GMT");
    /// assert!(headers.authorization.starts_with(r#"hmac username="key", algorithm="hmac-sha1", headers="date request-line""#));
    /// # Ok::<(), webhooks_ergonomic::SignError>(())
    /// ```
    pub fn headers(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&[u8]>,
        date: SystemTime,
    ) -> HmacHeaders {
        let date = httpdate::fmt_http_date(date);
        let line = request_line(method, path_and_query);
        let content_md5 = body.filter(|body| !body.is_empty()).map(content_md5);
        let names = if content_md5.is_some() {
            "date x-Content-MD5 request-line"
        } else {
            "date request-line"
        };
        let api_key = self.credentials.api_key();
        let algorithm = self.algorithm.as_str();
        let mut authorization = String::with_capacity(api_key.len() + names.len() + 128);
        for piece in [
            r#"hmac username=""#,
            api_key,
            r#"", algorithm=""#,
            algorithm,
            r#"", headers=""#,
            names,
            r#"", signature=""#,
        ] {
            authorization.push_str(piece);
        }
        let date_entry = ("date", date.as_str());
        let line_entry = ("request-line", line.as_str());
        match &content_md5 {
            Some(md5) => self.keyed.sign(
                [date_entry, ("x-Content-MD5", md5.as_str()), line_entry],
                &mut authorization,
            ),
            None => self
                .keyed
                .sign([date_entry, line_entry], &mut authorization),
        }
        authorization.push('"');
        HmacHeaders {
            date,
            content_md5,
            authorization,
        }
    }

    /// Adds `Date`, `x-Content-MD5` (with a body) and `Authorization` to `request`, computed
    /// from its final method, URL and body bytes, dated now.
    pub fn sign_request(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        let url = request.url();
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let body = match request.body() {
            Some(body) => Some(
                body.as_bytes()
                    .ok_or_else(|| SignError("a streaming body cannot be signed".to_owned()))?,
            ),
            None => None,
        };
        let headers = self.headers(request.method().as_str(), &target, body, SystemTime::now());
        let map = request.headers_mut();
        map.insert(DATE, header_value(&headers.date)?);
        if let Some(md5) = &headers.content_md5 {
            map.insert("x-Content-MD5", header_value(md5)?);
        }
        let mut authorization = header_value(&headers.authorization)?;
        authorization.set_sensitive(true);
        map.insert(AUTHORIZATION, authorization);
        Ok(())
    }
}

impl RequestSigner for HmacSigner {
    fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        self.sign_request(request)
    }
}

/// Adds `Authorization: Basic base64(key:secret)`, marked sensitive.
#[derive(Clone)]
pub struct BasicSigner {
    header: HeaderValue,
}

impl fmt::Debug for BasicSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BasicSigner { authorization: <redacted> }")
    }
}

impl BasicSigner {
    /// A Basic signer for `credentials`. Fails when the key contains a `:` (the server would
    /// split the key there) or a control character, or the secret a control character: RFC
    /// 7617 allows neither, so no server reads them back as sent.
    pub fn new(credentials: &Credentials) -> Result<BasicSigner, SignError> {
        let key = credentials.api_key();
        if key.contains(':') || key.chars().any(char::is_control) {
            return Err(SignError(
                "the API key contains a `:` or a control character, which Basic authentication cannot carry"
                    .to_owned(),
            ));
        }
        if credentials.expose_secret().chars().any(char::is_control) {
            return Err(SignError(
                "the API secret contains a control character, which Basic authentication cannot carry"
                    .to_owned(),
            ));
        }
        let token = BASE64.encode(format!("{key}:{}", credentials.expose_secret()));
        let mut header = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| SignError("the credentials cannot be sent in a header".to_owned()))?;
        header.set_sensitive(true);
        Ok(BasicSigner { header })
    }
}

impl RequestSigner for BasicSigner {
    fn sign(&self, request: &mut reqwest::Request) -> Result<(), SignError> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.header.clone());
        Ok(())
    }
}

fn header_value(value: &str) -> Result<HeaderValue, SignError> {
    // The only caller-controlled part is the API key; say which part failed, never its value.
    HeaderValue::from_str(value).map_err(|_| {
        SignError("the API key contains characters not allowed in a header".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const SECRET: &str = "s3cr3t-never-shown";

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_405_063_011) // Fri, 11 Jul 2014 07:16:51 GMT
    }

    fn signer(algorithm: HmacAlgorithm) -> HmacSigner {
        HmacSigner::new(Credentials::new("key123", SECRET), algorithm).unwrap()
    }

    #[test]
    fn the_vendor_test_vector_signs_through_the_same_builder() {
        let text = signing_string([
            ("Date", "Fri, 11 Jul 2014 07:16:51 GMT"),
            ("request-line", "POST /v1/messages HTTP/1.1"),
        ]);
        assert_eq!(
            text,
            "Date: Fri, 11 Jul 2014 07:16:51 GMT\nPOST /v1/messages HTTP/1.1"
        );
        assert_eq!(
            HmacAlgorithm::Sha1.sign(b"456", text.as_bytes()),
            "bUAvEbDgutL51S3dmtpFp5ONgy0="
        );
    }

    /// (method, target, body) of each operation, and the signing string it must produce.
    fn operations() -> Vec<(&'static str, String, Option<Vec<u8>>, String)> {
        let id = "76fa7010-8c1f-4a24-917a-4d62a54e744d";
        let create = br#"{"url":"https://example.com/h","method":"POST","encoding":"JSON","events":["RECEIVED_SMS"]}"#.to_vec();
        let update = br#"{"url":"https://example.com/v2"}"#.to_vec();
        let date = "date: Fri, 11 Jul 2014 07:16:51 GMT";
        vec![
            (
                "POST",
                "/v1/webhooks/messages".to_owned(),
                Some(create.clone()),
                format!(
                    "{date}\nx-Content-MD5: {}\nPOST /v1/webhooks/messages HTTP/1.1",
                    content_md5(&create)
                ),
            ),
            (
                "GET",
                "/v1/webhooks/messages?page=2&page_size=50".to_owned(),
                None,
                format!("{date}\nGET /v1/webhooks/messages?page=2&page_size=50 HTTP/1.1"),
            ),
            (
                "PATCH",
                format!("/v1/webhooks/messages/{id}"),
                Some(update.clone()),
                format!(
                    "{date}\nx-Content-MD5: {}\nPATCH /v1/webhooks/messages/{id} HTTP/1.1",
                    content_md5(&update)
                ),
            ),
            (
                "DELETE",
                format!("/v1/webhooks/messages/{id}"),
                None,
                format!("{date}\nDELETE /v1/webhooks/messages/{id} HTTP/1.1"),
            ),
        ]
    }

    #[test]
    fn each_operation_signs_its_real_method_target_and_body() {
        for (method, target, body, expected) in operations() {
            let headers =
                signer(HmacAlgorithm::Sha1).headers(method, &target, body.as_deref(), at());
            assert_eq!(headers.date, "Fri, 11 Jul 2014 07:16:51 GMT");
            let signature = HmacAlgorithm::Sha1.sign(SECRET.as_bytes(), expected.as_bytes());
            let names = if body.is_some() {
                "date x-Content-MD5 request-line"
            } else {
                "date request-line"
            };
            assert_eq!(
                headers.authorization,
                format!(
                    r#"hmac username="key123", algorithm="hmac-sha1", headers="{names}", signature="{signature}""#
                ),
                "{method} {target}"
            );
            assert_eq!(headers.content_md5.is_some(), body.is_some());
        }
    }

    #[test]
    fn md5_is_lowercase_hex_of_the_exact_bytes() {
        assert_eq!(content_md5(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(
            content_md5(b"{}")
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(content_md5(b"{}"), "99914b932bd37a50b983c5e7c90ae93b");
    }

    #[test]
    fn sha256_is_selectable_and_differs() {
        let one = signer(HmacAlgorithm::Sha1).headers("GET", "/x", None, at());
        let two = signer(HmacAlgorithm::Sha256).headers("GET", "/x", None, at());
        assert!(two.authorization.contains(r#"algorithm="hmac-sha256""#));
        assert_ne!(one.authorization, two.authorization);
    }

    #[test]
    fn signing_a_request_sets_sensitive_headers_from_the_final_request() {
        let mut request = reqwest::Request::new(
            reqwest::Method::PATCH,
            "http://h/v1/webhooks/messages/x?y=1".parse().unwrap(),
        );
        *request.body_mut() = Some(reqwest::Body::from(b"{}".to_vec()));
        signer(HmacAlgorithm::Sha1)
            .sign_request(&mut request)
            .unwrap();
        assert_eq!(
            request.headers()["x-Content-MD5"],
            "99914b932bd37a50b983c5e7c90ae93b"
        );
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert!(request.headers().contains_key(DATE));
    }

    #[test]
    fn secrets_never_appear_in_debug_or_display() {
        let credentials = Credentials::new("key123", SECRET);
        let basic = BasicSigner::new(&credentials).unwrap();
        let texts = [
            format!("{credentials:?}"),
            format!("{credentials}"),
            format!("{:?}", signer(HmacAlgorithm::Sha1)),
            format!("{basic:?}"),
        ];
        for text in texts {
            assert!(!text.contains(SECRET), "secret leaked: {text}");
            assert!(
                !text.contains(&BASE64.encode(format!("key123:{SECRET}"))),
                "token leaked: {text}"
            );
        }
    }
}
