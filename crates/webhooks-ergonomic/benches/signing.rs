//! HMAC signing of a create request (~200-byte body), beside its floor: the MD5 and HMAC-SHA1
//! primitives over the same bytes.
//!
//! `cargo bench -p webhooks-ergonomic --bench signing`

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use webhooks_ergonomic::auth::{Credentials, HmacAlgorithm, HmacSigner};

const BODY: &[u8] = br#"{"url":"https://example.com/hooks/messagemedia/inbound","method":"POST","encoding":"JSON","events":["RECEIVED_SMS","DELIVERED_DR","FAILED_DR"],"headers":{"X-Receiver-Key":"abc123"},"retries":3,"retry_delay":30}"#;

fn signing(c: &mut Criterion) {
    assert!(
        (180..=240).contains(&BODY.len()),
        "the body should be about 200 bytes"
    );
    let signer = HmacSigner::new(
        Credentials::new("API_KEY_0123456789", "API_SECRET_0123456789abcdef"),
        HmacAlgorithm::Sha1,
    )
    .expect("the key can be sent");
    let now = SystemTime::now();
    let mut group = c.benchmark_group("hmac");
    group.bench_function("sign create (headers)", |b| {
        b.iter(|| {
            signer.headers(
                black_box("POST"),
                black_box("/v1/webhooks/messages"),
                Some(black_box(BODY)),
                now,
            )
        })
    });
    group.bench_function("sign create (reqwest::Request)", |b| {
        let url: reqwest::Url = "https://api.messagemedia.com/v1/webhooks/messages"
            .parse()
            .unwrap();
        b.iter_batched(
            || {
                let mut request = reqwest::Request::new(reqwest::Method::POST, url.clone());
                *request.body_mut() = Some(reqwest::Body::from(BODY.to_vec()));
                request
            },
            |mut request| {
                signer.sign_request(&mut request).unwrap();
                request
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.bench_function("floor: md5 + hmac-sha1 primitives", |b| {
        b.iter(|| {
            let md5 = Md5::digest(black_box(BODY));
            let mut mac =
                Hmac::<sha1::Sha1>::new_from_slice(b"API_SECRET_0123456789abcdef").unwrap();
            mac.update(&md5);
            mac.update(black_box(
                b"date: Fri, 11 Jul 2014 07:16:51 GMT\nPOST /v1/webhooks/messages HTTP/1.1",
            ));
            mac.finalize()
        })
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
