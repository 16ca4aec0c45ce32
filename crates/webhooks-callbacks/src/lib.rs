//! The receiving side of MessageMedia (Sinch Engage) webhooks: what the platform sends to
//! your URL. No HTTP client, no API credentials: a service that receives callbacks needs only
//! this crate; managing subscriptions is `webhooks-ergonomic`'s job.
//!
//! Three jobs, usable apart or together:
//!
//! - **Typed events**: [`Callback::parse`] reads a callback body (JSON or form-encoded) into a
//!   [`DeliveryReport`], an [`InboundSms`], an [`InboundMms`] (attachments decoded on request
//!   with [`Attachment::decode`]) or an [`OptOut`]. A webhook's template decides the body's
//!   shape; the types read the shape the vendor's sample templates produce, tolerate missing
//!   and extra fields, and say in their docs which field each value comes from. How the
//!   variant is chosen is documented on [`Callback`].
//! - **Signed-callback verification** (feature `verify`, on by default): when your account has
//!   secure callbacks and an enabled signature key, every callback carries
//!   `X-MessageMedia-Signature`, `X-MessageMedia-Digest-Type`, `X-MessageMedia-Cipher-Type`,
//!   `X-MessageMedia-Key-Id` and `Date`. A `Verifier` checks the RSA signature over the request
//!   line, the `Date` and the **raw body bytes** against the public key of that key id: keys
//!   you give it, or keys it fetches from a `KeySource` (the Signature Key API) the first time
//!   it sees their id, so keys rotate without a restart. It refuses callbacks dated more than
//!   5 minutes from now (`DEFAULT_MAX_AGE`), so a captured callback cannot be replayed. Verify
//!   before you parse, and never over re-serialized JSON: the signature covers the bytes as
//!   they arrived.
//! - **Templates** (feature `template`, the `webhooks-template` crate): the Velocity subset
//!   the platform renders callback bodies with. Build a correctly escaped template from typed variables, lint one against the
//!   events it is subscribed to, and render one with sample or real data to preview exactly
//!   what you will receive (the sandbox renders with the same engine).
//!
//! # Verifying in a plain `http` / hyper service
//!
//! Collect the body into [`bytes::Bytes`] (with hyper, `http_body_util::BodyExt::collect`),
//! then hand the request's parts to `Verifier::verify_and_parse`:
//!
#![cfg_attr(feature = "verify", doc = "```")]
#![cfg_attr(not(feature = "verify"), doc = "```ignore")]
//! use bytes::Bytes;
//! use http::{Request, Response, StatusCode};
//! use webhooks_callbacks::{Callback, ReceiveError, Verifier};
//!
//! fn receive(verifier: &Verifier, request: Request<Bytes>) -> Response<String> {
//!     let (parts, body) = request.into_parts();
//!     // `parts.uri` is the request target as received: path and query, untouched.
//!     match verifier.verify_and_parse(&parts.method, &parts.uri, &parts.headers, &body) {
//!         Ok(verified) => {
//!             if let Callback::InboundSms(sms) = verified.callback {
//!                 println!("{:?} wrote {:?}", sms.source_number, sms.content);
//!             }
//!             Response::new(String::new())
//!         }
//!         Err(ReceiveError::Verify(err)) => answer(StatusCode::UNAUTHORIZED, err.to_string()),
//!         Err(err) => answer(StatusCode::BAD_REQUEST, err.to_string()),
//!     }
//! }
//!
//! fn answer(status: StatusCode, message: String) -> Response<String> {
//!     let mut response = Response::new(message);
//!     *response.status_mut() = status;
//!     response
//! }
//!
//! let verifier = Verifier::new(); // add keys with `with_key(key_id, public_key)?`
//! let unsigned = Request::post("/hooks/messagemedia").body(Bytes::from_static(b"{}")).unwrap();
//! assert_eq!(receive(&verifier, unsigned).status(), StatusCode::UNAUTHORIZED);
//! ```
//!
//! `Verifier::verify` alone checks the signature and leaves the body to you (for a template
//! of your own shape). Both use the keys the verifier holds; with a `KeySource`, call
//! `verify_async` / `verify_and_parse_async`, which fetch a key id seen for the first time, and
//! answer 503 (not 401) when `VerifyError::is_temporary` says the source could not be asked.
//!
//! # Verifying in axum
//!
//! With the `axum` feature, `VerifiedCallback` is an extractor: put the `Verifier` in the
//! router's state (or anything it can be taken from with `FromRef`) and take a
//! `VerifiedCallback` as the handler's last argument. It reads the raw body, verifies it
//! against the original URI (so `Router::nest` prefixes are kept), fetching unknown keys from
//! the verifier's `KeySource`, parses it, and rejects with 401 (signature), 503 (key source
//! unavailable) or 400 (body) and a short plain-text message; `VerifiedBody` verifies without
//! parsing.
//!
#![cfg_attr(feature = "axum", doc = "```no_run")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use std::time::Duration;
//! use axum::{Router, http::StatusCode, routing::post};
//! use webhooks_callbacks::{Callback, VerifiedCallback, Verifier};
//!
//! async fn messagemedia(VerifiedCallback { callback, signature, .. }: VerifiedCallback) -> StatusCode {
//!     match callback {
//!         Callback::DeliveryReport(report) => println!("{:?}: {:?}", report.message_id, report.status),
//!         Callback::InboundSms(sms) => println!("reply: {:?}", sms.content),
//!         other => println!("{other:?} (signed by key {})", signature.key_id),
//!     }
//!     StatusCode::OK
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let verifier = Verifier::new()
//!         .with_key(&std::env::var("MESSAGEMEDIA_KEY_ID")?, &std::env::var("MESSAGEMEDIA_PUBLIC_KEY")?)?
//!         .max_age(Duration::from_secs(5 * 60)); // the default window, shown; refuses replays
//!     let hooks = Router::new().route("/messagemedia", post(messagemedia));
//!     let app = Router::new().nest("/hooks", hooks).with_state(verifier);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! Callbacks larger than axum's default body limit (2 MB; MMS media is base64 in the body)
//! are refused with 413: raise it with `axum::extract::DefaultBodyLimit` on the route.
//! Behind a proxy that rewrites the path, the signed request line is the one the platform
//! sent: call `Verifier::verify` yourself with the public path.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod ids;
mod payload;
mod scan;
mod status;

pub use ids::{
    AccountId, DeliveryReportId, KeyId, MessageId, NotificationId, PhoneNumber, ReplyId, VendorId,
};
pub use payload::{
    Attachment, Callback, DecodeAttachmentError, DeliveryReport, ExtraFields, InboundMms,
    InboundSms, Metadata, OptOut, ParseError, VendorAccount,
};
pub use status::{DeliveryStatus, DeliveryStatusCode};
/// The vocabulary every webhooks crate shares ([`webhooks_vocabulary`]).
pub use webhooks_vocabulary::{CallbackMethod, Cipher, Digest, Encoding, Event, Open};

#[cfg(feature = "verify")]
mod key_cache;
#[cfg(feature = "verify")]
mod key_source;
#[cfg(feature = "verify")]
mod public_key;
#[cfg(feature = "verify")]
mod verify;
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub use key_cache::{FETCH_BURST, FETCH_REFILL, MAX_KEY_ID_LEN, MAX_MISSING, MISSING_TTL};
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub use key_source::{
    FnKeySource, KeySource, KeySourceError, KeySourceErrorKind, PublishedKey, key_source_fn,
};
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub use verify::{
    CIPHER_TYPE_HEADER, DATE_HEADER, DEFAULT_MAX_AGE, DIGEST_TYPE_HEADER, FORWARDED_PREFIX_HEADER,
    KEY_ID_HEADER, ReceiveError, SIGNATURE_HEADER, VerifiedCallback, VerifiedSignature, Verifier,
    VerifyError, request_line, signed_bytes,
};
#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
#[allow(deprecated, reason = "the old names stay exported for one release")]
pub use verify::{DigestType, UnknownDigest};

#[cfg(feature = "axum")]
mod extract;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use extract::{CallbackRejection, VerifiedBody};

#[cfg(feature = "inbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "inbox")))]
pub mod inbox;

/// Callback templates: the rendering engine (shared with the sandbox), a builder of escaped
/// templates, the default payload templates, and a linter (the `webhooks-template` crate).
#[cfg(feature = "template")]
#[cfg_attr(docsrs, doc(cfg(feature = "template")))]
pub use webhooks_template as template;

/// The crate's README, whose Rust examples are compiled and run as doctests: a snippet there
/// that stops compiling fails the test suite. Its inbox example needs the `inbox` and `axum`
/// features.
#[cfg(all(doctest, feature = "inbox", feature = "axum"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
