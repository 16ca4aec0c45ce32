//! The callback `Verifier` on any key, headers, URI and body: never a panic. The input is
//! split at 0xFF bytes into the key, then the five signature headers, the URI and the body.
//! The clock is stopped at the `Date` of the corpus's signed seeds (Tue, 03 Jun 2025 10:20:30
//! GMT): with the system clock an input's outcome would depend on when it runs (libFuzzer needs
//! a deterministic target), and a committed signed input would never again pass the freshness
//! window to reach the RSA check and the parse behind it.
#![no_main]

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use webhooks_callbacks::Verifier;

/// Tue, 03 Jun 2025 10:20:30 GMT.
const NOW: Duration = Duration::from_secs(1_748_946_030);

const HEADERS: [&str; 5] = [
    "x-messagemedia-key-id",
    "x-messagemedia-cipher-type",
    "x-messagemedia-digest-type",
    "x-messagemedia-signature",
    "date",
];

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let key = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let verifier = match Verifier::new().with_key("fuzz-key", &key) {
        Ok(verifier) => verifier,
        Err(_) => Verifier::new(),
    }
    .clock(|| SystemTime::UNIX_EPOCH + NOW);
    let mut headers = HeaderMap::new();
    for name in HEADERS {
        if let Ok(value) = HeaderValue::from_bytes(parts.next().unwrap_or_default()) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let uri = Uri::try_from(parts.next().unwrap_or_default()).unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let _ = verifier.verify(&Method::POST, &uri, &headers, body);
    let _ = verifier.verify_and_parse(&Method::POST, &uri, &headers, body);
});
