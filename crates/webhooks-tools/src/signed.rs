//! Signed delivery reports as the platform sends them, prepared before a benchmark starts so
//! that signing is never part of what is measured.

use std::time::SystemTime;

use axum::body::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use webhooks_sandbox::signing::CallbackSigner;
use webhooks_template::{Encoding, Event, EventData, default_template};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The callback URL's path, as a receiver would register it.
pub const PATH: &str = "/hooks/messagemedia/delivery-reports";
/// The callback URL's query.
pub const QUERY: &str = "?account=acct-0042";
/// The `Host` the requests carry.
pub const HOST: &str = "receiver.example.com";
/// The default JSON template's content type.
pub const CONTENT_TYPE: &str = "application/json";

/// A pre-signed callback, as a receiver gets it.
#[derive(Clone)]
pub struct Prepared {
    /// Path and query.
    pub uri: Uri,
    /// The platform's headers, the signature's included.
    pub headers: HeaderMap,
    /// The rendered body.
    pub body: Bytes,
}

/// `count` distinct delivery reports (fresh message ids in each), rendered with the default
/// JSON template and signed at `signed_at`, with the headers a receiver sees; on every core.
pub fn sign_pool(
    signer: &CallbackSigner,
    count: usize,
    signed_at: SystemTime,
) -> Result<Vec<Prepared>, Failure> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(count)
        .max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let share = count / threads + usize::from(thread < count % threads);
                scope.spawn(move || sign_some(signer, share, signed_at))
            })
            .collect();
        let mut pool = Vec::with_capacity(count);
        for handle in handles {
            pool.extend(
                handle
                    .join()
                    .map_err(|_| Failure::from("a signing thread panicked"))??,
            );
        }
        Ok(pool)
    })
}

fn sign_some(
    signer: &CallbackSigner,
    count: usize,
    signed_at: SystemTime,
) -> Result<Vec<Prepared>, Failure> {
    let uri: Uri = format!("{PATH}{QUERY}").parse()?;
    let template = default_template(Event::DeliveredDr, Encoding::Json);
    (0..count)
        .map(|_| {
            let body = template.render(&EventData::sample(Event::DeliveredDr, "acct-0042"))?;
            let signature = signer.sign(&Method::POST, &uri, body.as_bytes(), signed_at)?;
            let mut headers = HeaderMap::new();
            headers.insert(http::header::HOST, HeaderValue::from_static(HOST));
            headers.insert(
                http::header::USER_AGENT,
                HeaderValue::from_static("MessageMedia-Callbacks"),
            );
            headers.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE),
            );
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
            headers.insert(http::header::ACCEPT, HeaderValue::from_static("*/*"));
            for (name, value) in signature.headers() {
                headers.insert(HeaderName::from_static(name), HeaderValue::try_from(value)?);
            }
            Ok(Prepared {
                uri: uri.clone(),
                headers,
                body: Bytes::from(body),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use webhooks_callbacks::{Digest, Verifier};

    #[test]
    fn the_pool_is_distinct_callbacks_that_verify() {
        let signer = CallbackSigner::generate(Digest::Sha256).unwrap();
        let key = signer.key();
        let signed_at = SystemTime::now();
        let verifier = Verifier::new()
            .with_key(&key.key_id.to_string(), &key.public_key)
            .unwrap();
        let pool = sign_pool(&signer, 5, signed_at).unwrap();
        assert_eq!(pool.len(), 5);
        for prepared in &pool {
            verifier
                .verify(
                    &Method::POST,
                    &prepared.uri,
                    &prepared.headers,
                    &prepared.body,
                )
                .unwrap();
        }
        let mut bodies: Vec<&Bytes> = pool.iter().map(|prepared| &prepared.body).collect();
        bodies.sort();
        bodies.dedup();
        assert_eq!(bodies.len(), 5, "every body differs");
    }
}
