//! List paging: pages from 0, `page_size` and its alias `pageSize`, the trailing-slash path,
//! the default and maximum page size, and 400 beyond them.

use crate::loopback;

use loopback::{Api, create_body, generated_client, start};
use reqwest::StatusCode;
use webhooks_client::types::WebhookPage;

fn page(answer: &loopback::Answer) -> WebhookPage {
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    serde_json::from_slice(&answer.body).expect("a WebhookPage")
}

#[tokio::test]
async fn pages_count_from_zero_under_both_names_and_both_paths() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(
            api.create(&create_body(&format!("https://example.com/{n}")))
                .await
                .id,
        );
    }
    for (path, name) in [
        ("/v1/webhooks/messages", "page_size"),
        ("/v1/webhooks/messages", "pageSize"),
        ("/v1/webhooks/messages/", "page_size"),
        ("/v1/webhooks/messages/", "pageSize"),
    ] {
        let mut seen = Vec::new();
        for (number, expected_len) in [(0, 2), (1, 2), (2, 1), (3, 0)] {
            let got = page(&api.get(&format!("{path}?page={number}&{name}=2")).await);
            assert_eq!((got.page, got.page_size), (number, 2), "{path} {name}");
            assert_eq!(
                got.page_data.len(),
                expected_len,
                "{path} {name} page {number}"
            );
            seen.extend(got.page_data.into_iter().map(|w| w.id));
        }
        assert_eq!(
            seen, created,
            "{path} {name}: every webhook once, in creation order"
        );
    }
    // Without `page`, the first page.
    let got = page(&api.get("/v1/webhooks/messages?pageSize=3").await);
    assert_eq!((got.page, got.page_data.len()), (0, 3));
    // The generated client decodes the same pages.
    let client = generated_client(&sandbox.base_url(), None);
    let got = client
        .retrieve_webhooks()
        .page(1)
        .page_size(4)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((got.page, got.page_size, got.page_data.len()), (1, 4, 1));
    assert_eq!(got.page_data[0].id, created[4]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_default_and_maximum_page_size_is_100() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for n in 0..101 {
        api.create(&create_body(&format!("https://example.com/{n}")))
            .await;
    }
    let first = page(&api.get("/v1/webhooks/messages").await);
    assert_eq!(
        (first.page, first.page_size, first.page_data.len()),
        (0, 100, 100)
    );
    let second = page(&api.get("/v1/webhooks/messages?page=1").await);
    assert_eq!((second.page_size, second.page_data.len()), (100, 1));
    let largest = page(&api.get("/v1/webhooks/messages?page_size=100").await);
    assert_eq!(largest.page_data.len(), 100);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pages_out_of_range_are_400_naming_the_parameter() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for (query, expected) in [
        (
            "page_size=101",
            "/page_size: must be an integer between 1 and 100",
        ),
        (
            "page_size=0",
            "/page_size: must be an integer between 1 and 100",
        ),
        (
            "pageSize=101",
            "/pageSize: must be an integer between 1 and 100",
        ),
        (
            "pageSize=ten",
            "/pageSize: must be an integer between 1 and 100",
        ),
        (
            "page_size=-1",
            "/page_size: must be an integer between 1 and 100",
        ),
        (
            "page=-1",
            "/page: must be an integer between 0 and 2147483647",
        ),
        (
            "page=one",
            "/page: must be an integer between 0 and 2147483647",
        ),
        (
            "page=2147483648",
            "/page: must be an integer between 0 and 2147483647",
        ),
        (
            "page=1.5",
            "/page: must be an integer between 0 and 2147483647",
        ),
    ] {
        for path in ["/v1/webhooks/messages", "/v1/webhooks/messages/"] {
            let details = api.get(&format!("{path}?{query}")).await.details();
            assert_eq!(details, [expected], "{path}?{query}");
        }
    }
    // Both wrong at once: both named.
    let details = api
        .get("/v1/webhooks/messages?page=x&page_size=0")
        .await
        .details();
    assert_eq!(details.len(), 2, "{details:?}");
    // The largest page number is fine (and empty).
    let last = page(&api.get("/v1/webhooks/messages?page=2147483647").await);
    assert!(last.page_data.is_empty());
    sandbox.shutdown().await;
}
