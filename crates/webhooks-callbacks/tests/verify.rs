//! Signed-callback verification against callbacks signed here with our own RSA keys, the way
//! the platform signs them: RSA PKCS#1 v1.5 over request line + `Date` + raw body.
#![cfg(feature = "verify")]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use rsa09::pkcs1::EncodeRsaPublicKey;
use rsa09::pkcs8::{EncodePublicKey, LineEnding};
use rsa09::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::{Digest as _, Sha224, Sha256, Sha512};
use webhooks_callbacks::{Callback, DEFAULT_MAX_AGE, Digest, ReceiveError, Verifier, VerifyError};

const KEY_1: &str = "7d3c1f0e-5a4b-4c2d-9e8f-102030405060";
const KEY_2: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f00112233";
const DATE: &str = "Tue, 03 Jun 2025 10:20:30 GMT";
const PATH: &str = "/hooks/messagemedia?tenant=acme&x=a%20b";
const BODY: &[u8] = br#"{"reply_id":"r-1","content":"Hello","metadata":{"k":"v"}}"#;

/// Two 2048-bit keys, generated once per test binary.
fn keys() -> &'static [RsaPrivateKey; 2] {
    static KEYS: OnceLock<[RsaPrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rand::thread_rng();
        [
            RsaPrivateKey::new(&mut rng, 2048).expect("key 1"),
            RsaPrivateKey::new(&mut rng, 2048).expect("key 2"),
        ]
    })
}

/// The public key as the Signature Key API returns it: base64 DER SubjectPublicKeyInfo.
fn public_key_base64(key: &RsaPrivateKey) -> String {
    BASE64.encode(key.to_public_key().to_public_key_der().unwrap().as_bytes())
}

/// The moment the test callbacks were signed.
fn signed_at() -> SystemTime {
    httpdate::parse_http_date(DATE).unwrap()
}

/// A default verifier (5-minute window) holding key 1, its clock stopped when the test
/// callbacks were signed.
fn verifier() -> Verifier {
    Verifier::new()
        .with_key(KEY_1, &public_key_base64(&keys()[0]))
        .unwrap()
        .clock(signed_at)
}

/// Signs `method path`, `date` and `body` the way the platform does, independently of the
/// crate's own `signed_bytes`.
fn sign(
    key: &RsaPrivateKey,
    digest: &str,
    method: &str,
    path: &str,
    date: &str,
    body: &[u8],
) -> String {
    let mut signed = format!("{method} {path} HTTP/1.1{date}").into_bytes();
    signed.extend_from_slice(body);
    let (hashed, scheme) = match digest.replace('-', "").to_ascii_uppercase().as_str() {
        "SHA224" => (
            Sha224::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<Sha224>(),
        ),
        "SHA256" => (
            Sha256::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<Sha256>(),
        ),
        "SHA512" => (
            Sha512::digest(&signed).to_vec(),
            Pkcs1v15Sign::new::<Sha512>(),
        ),
        other => panic!("no such digest {other}"),
    };
    BASE64.encode(key.sign(scheme, &hashed).unwrap())
}

/// The headers of a callback signed with `key`, named `key_id`.
fn signed_headers(key: &RsaPrivateKey, key_id: &str, digest: &str) -> HeaderMap {
    let signature = sign(key, digest, "POST", PATH, DATE, BODY);
    headers(&[
        ("X-MessageMedia-Signature", &signature),
        ("X-MessageMedia-Digest-Type", digest),
        ("X-MessageMedia-Cipher-Type", "RSA"),
        ("X-MessageMedia-Key-Id", key_id),
        ("Date", DATE),
        ("Content-Type", "application/json"),
    ])
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn uri(text: &str) -> Uri {
    text.parse().unwrap()
}

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    headers.insert(
        HeaderName::from_bytes(name.as_bytes()).unwrap(),
        HeaderValue::from_str(value).unwrap(),
    );
}

#[test]
fn every_digest_in_every_spelling_round_trips() {
    let verifier = verifier();
    for (spelling, digest) in [
        ("SHA224", Digest::Sha224),
        ("SHA-224", Digest::Sha224),
        ("sha224", Digest::Sha224),
        ("SHA256", Digest::Sha256),
        ("SHA-256", Digest::Sha256),
        ("sha-256", Digest::Sha256),
        ("SHA512", Digest::Sha512),
        ("SHA-512", Digest::Sha512),
        ("Sha-512", Digest::Sha512),
    ] {
        let headers = signed_headers(&keys()[0], KEY_1, spelling);
        let verified = verifier
            .verify(&Method::POST, &uri(PATH), &headers, BODY)
            .unwrap_or_else(|err| panic!("{spelling}: {err}"));
        assert_eq!(verified.digest, digest, "{spelling}");
        assert_eq!(verified.key_id, KEY_1);
    }
}

#[test]
fn header_names_and_key_ids_match_in_any_case() {
    let signature = sign(&keys()[0], "SHA256", "POST", PATH, DATE, BODY);
    let shouting = headers(&[
        ("X-MESSAGEMEDIA-SIGNATURE", &signature),
        ("x-messagemedia-digest-type", "SHA256"),
        ("X-Messagemedia-Cipher-Type", "rsa"),
        ("X-MessageMedia-KEY-ID", &KEY_1.to_ascii_uppercase()),
        ("DATE", DATE),
    ]);
    let verified = verifier()
        .verify(&Method::POST, &uri(PATH), &shouting, BODY)
        .unwrap();
    assert_eq!(
        verified.key_id, KEY_1,
        "ids are stored and reported lowercase"
    );
}

#[test]
fn an_absolute_request_uri_signs_as_its_path_and_query() {
    let headers = signed_headers(&keys()[0], KEY_1, "SHA256");
    let absolute = uri(&format!("https://receiver.example{PATH}"));
    assert!(
        verifier()
            .verify(&Method::POST, &absolute, &headers, BODY)
            .is_ok()
    );
}

#[test]
fn tampering_with_body_uri_method_date_or_signature_is_rejected() {
    let verifier = verifier();
    let headers = signed_headers(&keys()[0], KEY_1, "SHA512");
    let path = uri(PATH);
    assert!(
        verifier
            .verify(&Method::POST, &path, &headers, BODY)
            .is_ok()
    );

    let bad = |result: Result<_, VerifyError>, what: &str| {
        assert_eq!(result.unwrap_err(), VerifyError::BadSignature, "{what}");
    };
    let reserialized =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(BODY).unwrap())
            .unwrap();
    bad(
        verifier.verify(&Method::POST, &path, &headers, &reserialized),
        "re-serialized body",
    );
    bad(
        verifier.verify(&Method::POST, &path, &headers, b""),
        "empty body",
    );
    let mut flipped = BODY.to_vec();
    flipped[20] ^= 1;
    bad(
        verifier.verify(&Method::POST, &path, &headers, &flipped),
        "one bit of the body",
    );
    bad(
        verifier.verify(
            &Method::POST,
            &uri("/hooks/messagemedia?tenant=evil&x=a%20b"),
            &headers,
            BODY,
        ),
        "query",
    );
    bad(
        verifier.verify(&Method::POST, &uri("/hooks/messagemedia"), &headers, BODY),
        "query dropped",
    );
    bad(
        verifier.verify(
            &Method::POST,
            &uri("/other?tenant=acme&x=a%20b"),
            &headers,
            BODY,
        ),
        "path",
    );
    bad(
        verifier.verify(&Method::PUT, &path, &headers, BODY),
        "method",
    );

    let mut other_date = headers.clone();
    set(&mut other_date, "date", "Tue, 03 Jun 2025 10:20:31 GMT");
    bad(
        verifier.verify(&Method::POST, &path, &other_date, BODY),
        "Date",
    );

    let mut other_signature = headers.clone();
    let valid = headers["x-messagemedia-signature"].to_str().unwrap();
    let mut bytes = BASE64.decode(valid).unwrap();
    bytes[0] ^= 0x80;
    set(
        &mut other_signature,
        "x-messagemedia-signature",
        &BASE64.encode(&bytes),
    );
    bad(
        verifier.verify(&Method::POST, &path, &other_signature, BODY),
        "signature bit",
    );

    let mut wrong_digest = headers.clone();
    set(&mut wrong_digest, "x-messagemedia-digest-type", "SHA256");
    bad(
        verifier.verify(&Method::POST, &path, &wrong_digest, BODY),
        "digest header swapped",
    );
}

#[test]
fn a_second_key_is_accepted_by_its_id_for_rotation() {
    let mut verifier = Verifier::new()
        .with_key(KEY_1, &public_key_base64(&keys()[0]))
        .unwrap()
        .with_key(KEY_2, &public_key_base64(&keys()[1]))
        .unwrap()
        .clock(signed_at);
    let path = uri(PATH);
    let by_new_key = signed_headers(&keys()[1], KEY_2, "SHA256");
    assert_eq!(
        verifier
            .verify(&Method::POST, &path, &by_new_key, BODY)
            .unwrap()
            .key_id,
        KEY_2
    );
    let by_old_key = signed_headers(&keys()[0], KEY_1, "SHA256");
    assert_eq!(
        verifier
            .verify(&Method::POST, &path, &by_old_key, BODY)
            .unwrap()
            .key_id,
        KEY_1
    );
    // The key id picks the key: the new key's signature under the old id fails.
    let mislabelled = signed_headers(&keys()[1], KEY_1, "SHA256");
    assert_eq!(
        verifier.verify(&Method::POST, &path, &mislabelled, BODY),
        Err(VerifyError::BadSignature)
    );
    // Retiring the old key.
    assert!(verifier.remove_key(KEY_1));
    assert!(!verifier.remove_key(KEY_1));
    assert!(matches!(
        verifier.verify(&Method::POST, &path, &by_old_key, BODY),
        Err(VerifyError::UnknownKeyId { key_id }) if key_id == KEY_1
    ));
    assert!(
        verifier
            .verify(&Method::POST, &path, &by_new_key, BODY)
            .is_ok()
    );
}

#[test]
fn an_unknown_key_id_is_rejected() {
    let headers = signed_headers(&keys()[1], KEY_2, "SHA256");
    assert_eq!(
        verifier().verify(&Method::POST, &uri(PATH), &headers, BODY),
        Err(VerifyError::UnknownKeyId {
            key_id: KEY_2.into()
        })
    );
    let empty = Verifier::new().clock(signed_at);
    assert!(matches!(
        empty.verify(&Method::POST, &uri(PATH), &headers, BODY),
        Err(VerifyError::UnknownKeyId { .. })
    ));
}

#[test]
fn an_attackers_long_key_id_is_repeated_only_as_a_short_excerpt() {
    let forged = "k".repeat(10_000);
    let headers = signed_headers(&keys()[1], &forged, "SHA256");
    let err = verifier()
        .verify(&Method::POST, &uri(PATH), &headers, BODY)
        .unwrap_err();
    let VerifyError::UnknownKeyId { key_id } = &err else {
        panic!("expected an unknown key id, got {err:?}");
    };
    assert_eq!(key_id, &format!("{}...", "k".repeat(64)));
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn stale_and_future_dates_are_rejected_with_an_injected_clock() {
    let sent = httpdate::parse_http_date(DATE).unwrap();
    let at = |offset: i64| {
        let moment = if offset >= 0 {
            sent + Duration::from_secs(offset as u64)
        } else {
            sent - Duration::from_secs((-offset) as u64)
        };
        verifier()
            .max_age(Duration::from_secs(300))
            .clock(move || moment)
    };
    let headers = signed_headers(&keys()[0], KEY_1, "SHA256");
    let path = uri(PATH);
    for fresh in [0, 299, 300, -300] {
        assert!(
            at(fresh)
                .verify(&Method::POST, &path, &headers, BODY)
                .is_ok(),
            "{fresh}"
        );
    }
    for stale in [301, 86_400, -301] {
        assert!(
            matches!(
                at(stale).verify(&Method::POST, &path, &headers, BODY),
                Err(VerifyError::StaleDate { ref date, max_age }) if date == DATE && max_age == Duration::from_secs(300)
            ),
            "{stale}"
        );
    }
    // Without a window, an old but correctly signed callback verifies.
    assert!(
        verifier()
            .without_replay_protection()
            .clock(|| SystemTime::UNIX_EPOCH)
            .verify(&Method::POST, &path, &headers, BODY)
            .is_ok()
    );
}

#[test]
fn the_default_verifier_rejects_a_callback_replayed_more_than_five_minutes_later() {
    let headers = signed_headers(&keys()[0], KEY_1, "SHA256");
    let path = uri(PATH);
    let replayed_at = |delay: u64| {
        Verifier::new()
            .with_key(KEY_1, &public_key_base64(&keys()[0]))
            .unwrap()
            .clock(move || signed_at() + Duration::from_secs(delay))
    };
    assert!(
        replayed_at(299)
            .verify(&Method::POST, &path, &headers, BODY)
            .is_ok()
    );
    assert_eq!(
        replayed_at(5 * 60 + 1).verify(&Method::POST, &path, &headers, BODY),
        Err(VerifyError::StaleDate {
            date: DATE.into(),
            max_age: DEFAULT_MAX_AGE
        })
    );
    assert_eq!(DEFAULT_MAX_AGE, Duration::from_secs(300));
    // On the system clock, a callback signed in 2025 is long stale.
    let system_clock = Verifier::new()
        .with_key(KEY_1, &public_key_base64(&keys()[0]))
        .unwrap();
    assert!(matches!(
        system_clock.verify(&Method::POST, &path, &headers, BODY),
        Err(VerifyError::StaleDate { .. })
    ));
    assert!(matches!(
        system_clock.verify_and_parse(&Method::POST, &path, &headers, BODY),
        Err(ReceiveError::Verify(VerifyError::StaleDate { .. }))
    ));
}

#[test]
fn freshness_is_checked_before_the_signature() {
    let mut headers = signed_headers(&keys()[0], KEY_1, "SHA256");
    set(&mut headers, "x-messagemedia-signature", "AAAA");
    let late = httpdate::parse_http_date(DATE).unwrap() + Duration::from_secs(3_600);
    let verifier = verifier()
        .max_age(Duration::from_secs(60))
        .clock(move || late);
    assert!(matches!(
        verifier.verify(&Method::POST, &uri(PATH), &headers, BODY),
        Err(VerifyError::StaleDate { .. })
    ));
}

#[test]
fn an_unparsable_date_is_rejected_when_a_window_is_set() {
    let signature = sign(&keys()[0], "SHA256", "POST", PATH, "yesterday", BODY);
    let headers = headers(&[
        ("X-MessageMedia-Signature", &signature),
        ("X-MessageMedia-Digest-Type", "SHA256"),
        ("X-MessageMedia-Cipher-Type", "RSA"),
        ("X-MessageMedia-Key-Id", KEY_1),
        ("Date", "yesterday"),
    ]);
    assert_eq!(
        verifier().max_age(Duration::from_secs(300)).verify(
            &Method::POST,
            &uri(PATH),
            &headers,
            BODY
        ),
        Err(VerifyError::InvalidDate {
            date: "yesterday".into()
        })
    );
    assert!(
        verifier()
            .without_replay_protection()
            .verify(&Method::POST, &uri(PATH), &headers, BODY)
            .is_ok(),
        "without a window the Date is only signed text"
    );
    assert!(
        matches!(
            verifier().verify(&Method::POST, &uri(PATH), &headers, BODY),
            Err(VerifyError::InvalidDate { .. })
        ),
        "the default verifier has a window"
    );
}

#[test]
fn each_missing_or_duplicated_header_is_named() {
    let signed = signed_headers(&keys()[0], KEY_1, "SHA256");
    for name in [
        "x-messagemedia-signature",
        "x-messagemedia-digest-type",
        "x-messagemedia-cipher-type",
        "x-messagemedia-key-id",
        "date",
    ] {
        let mut missing = signed.clone();
        missing.remove(name);
        assert!(
            matches!(
                verifier().verify(&Method::POST, &uri(PATH), &missing, BODY),
                Err(VerifyError::MissingHeader { name: named }) if named == name
            ),
            "{name}"
        );
        let mut duplicated = signed.clone();
        let value = signed[name].clone();
        duplicated.append(HeaderName::from_static(name), value);
        assert!(
            matches!(
                verifier().verify(&Method::POST, &uri(PATH), &duplicated, BODY),
                Err(VerifyError::DuplicateHeader { name: named }) if named == name
            ),
            "{name}"
        );
    }
    // Several wrong at once: the first in the order key id, cipher, digest, signature, date
    // is named, whatever order the request has them in.
    let mut several = HeaderMap::new();
    several.append("date", signed["date"].clone());
    several.append("date", signed["date"].clone());
    several.append(
        "x-messagemedia-digest-type",
        HeaderValue::from_static("SHA256"),
    );
    several.append(
        "x-messagemedia-cipher-type",
        HeaderValue::from_bytes(b"\xffRSA").unwrap(),
    );
    assert_eq!(
        verifier().verify(&Method::POST, &uri(PATH), &several, BODY),
        Err(VerifyError::MissingHeader {
            name: "x-messagemedia-key-id"
        })
    );
    several.append(
        "x-messagemedia-key-id",
        signed["x-messagemedia-key-id"].clone(),
    );
    assert_eq!(
        verifier().verify(&Method::POST, &uri(PATH), &several, BODY),
        Err(VerifyError::InvalidHeader {
            name: "x-messagemedia-cipher-type"
        })
    );
    let mut not_text = signed.clone();
    not_text.insert(
        "x-messagemedia-key-id",
        HeaderValue::from_bytes(b"\xffkey").unwrap(),
    );
    assert_eq!(
        verifier().verify(&Method::POST, &uri(PATH), &not_text, BODY),
        Err(VerifyError::InvalidHeader {
            name: "x-messagemedia-key-id"
        })
    );
}

#[test]
fn unsupported_digests_and_ciphers_and_malformed_signatures_are_typed() {
    let check = |name: &str, value: &str| {
        let mut headers = signed_headers(&keys()[0], KEY_1, "SHA256");
        set(&mut headers, name, value);
        verifier()
            .verify(&Method::POST, &uri(PATH), &headers, BODY)
            .unwrap_err()
    };
    for digest in ["SHA1", "MD5", "SHA-384", ""] {
        assert_eq!(
            check("x-messagemedia-digest-type", digest),
            VerifyError::UnsupportedDigest {
                digest: digest.into()
            }
        );
    }
    for cipher in ["DSA", "ECDSA", "RSA-PSS"] {
        assert_eq!(
            check("x-messagemedia-cipher-type", cipher),
            VerifyError::UnsupportedCipher {
                cipher: cipher.into()
            }
        );
    }
    for (signature, hint) in [("not base64!", "base64"), ("AAAA", "bytes"), ("", "bytes")] {
        let err = check("x-messagemedia-signature", signature);
        assert!(
            matches!(&err, VerifyError::MalformedSignature { reason } if reason.contains(hint)),
            "{signature}: {err}"
        );
    }
    // A 1024-bit signature against a 2048-bit key is malformed, not merely wrong.
    let short = BASE64.encode([7u8; 128]);
    assert!(matches!(
        check("x-messagemedia-signature", &short),
        VerifyError::MalformedSignature { .. }
    ));
}

#[test]
fn keys_load_from_base64_der_with_line_breaks_and_from_pem() {
    let public = keys()[0].to_public_key();
    let der = public_key_base64(&keys()[0]);
    let wrapped: String = der
        .as_bytes()
        .chunks(64)
        .map(|chunk| format!("{}\n", std::str::from_utf8(chunk).unwrap()))
        .collect();
    let spki_pem = public.to_public_key_pem(LineEnding::LF).unwrap();
    let pkcs1_pem = public.to_pkcs1_pem(LineEnding::CRLF).unwrap();
    let headers = signed_headers(&keys()[0], KEY_1, "SHA256");
    for (form, text) in [
        ("wrapped DER", wrapped),
        ("SPKI PEM", spki_pem),
        ("PKCS#1 PEM", pkcs1_pem),
    ] {
        let verifier = Verifier::new()
            .with_key(KEY_1, &text)
            .unwrap_or_else(|err| panic!("{form}: {err}"))
            .clock(signed_at);
        assert!(
            verifier
                .verify(&Method::POST, &uri(PATH), &headers, BODY)
                .is_ok(),
            "{form}"
        );
    }
    let err = Verifier::new()
        .with_key(KEY_1, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidKey { ref key_id, .. } if key_id == KEY_1),
        "{err}"
    );
}

#[test]
fn debug_shows_key_ids_and_no_key_material() {
    let verifier = verifier().max_age(Duration::from_secs(300));
    let debug = format!("{verifier:?}");
    assert!(debug.contains(KEY_1), "{debug}");
    assert!(debug.contains("300"), "{debug}");
    let der = public_key_base64(&keys()[0]);
    assert!(
        !debug.contains(&der[..40]) && !debug.contains("BigUint"),
        "{debug}"
    );
}

#[test]
fn verify_and_parse_returns_the_typed_callback_or_says_which_step_failed() {
    let headers = signed_headers(&keys()[0], KEY_1, "SHA-256");
    let verified = verifier()
        .verify_and_parse(&Method::POST, &uri(PATH), &headers, BODY)
        .unwrap();
    match verified.callback {
        Callback::InboundSms(sms) => {
            assert_eq!(sms.reply_id, "r-1");
            assert_eq!(sms.metadata["k"], "v");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(verified.signature.digest, Digest::Sha256);

    assert!(matches!(
        verifier().verify_and_parse(&Method::POST, &uri(PATH), &headers, b"{}"),
        Err(ReceiveError::Verify(VerifyError::BadSignature))
    ));

    // Signed correctly, but not a callback shape: the signature passes, the parse fails.
    let body = br#"{"hello":"world"}"#;
    let signature = sign(&keys()[0], "SHA256", "POST", PATH, DATE, body);
    let mut other = headers.clone();
    set(&mut other, "x-messagemedia-signature", &signature);
    set(&mut other, "x-messagemedia-digest-type", "SHA256");
    assert!(matches!(
        verifier().verify_and_parse(&Method::POST, &uri(PATH), &other, body),
        Err(ReceiveError::Parse(_))
    ));
}

#[test]
fn garbage_headers_and_bodies_never_panic() {
    // A bounded, deterministic sweep; every outcome must be an error (nothing here is signed).
    let verifier = verifier()
        .max_age(Duration::from_secs(300))
        .clock(SystemTime::now);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"ABCDEFabcdef0123456789+/=-_ .,:;SHARSA\t";
    let key_ids = [KEY_1, "", "x", "7D3C1F0E-5A4B-4C2D-9E8F-102030405060"];
    let digests = ["SHA256", "SHA-512", "sha224", "SHA1", "", "SHA-", "SHA2561"];
    let ciphers = ["RSA", "rsa", "", "RSA "];
    for round in 0..500 {
        let mut text = |len: usize| -> String {
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
                .collect()
        };
        let signature = match round % 4 {
            0 => text(344),
            1 => BASE64.encode(text(256)),
            2 => text(round % 700),
            _ => BASE64.encode(vec![0xffu8; 256]),
        };
        let date = if round % 3 == 0 {
            httpdate::fmt_http_date(SystemTime::now())
        } else {
            text(29)
        };
        let body = text(round % 97).into_bytes();
        let headers = headers(&[
            ("X-MessageMedia-Signature", signature.trim()),
            ("X-MessageMedia-Digest-Type", digests[round % digests.len()]),
            ("X-MessageMedia-Cipher-Type", ciphers[round % ciphers.len()]),
            ("X-MessageMedia-Key-Id", key_ids[round % key_ids.len()]),
            ("Date", date.trim()),
        ]);
        let result = verifier.verify(&Method::POST, &uri(PATH), &headers, &body);
        assert!(result.is_err(), "round {round} verified garbage");
        let _ = verifier.verify_and_parse(&Method::POST, &uri(PATH), &headers, &body);
    }
}
