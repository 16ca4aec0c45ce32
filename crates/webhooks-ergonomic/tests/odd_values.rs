//! What the API may send beyond what this SDK knows (a new event, method or encoding, null or
//! missing fields, header values over the request limit, fields it adds) decodes into values
//! that keep the raw data, in list, list_all, create and update; a new event can be subscribed;
//! list_all takes its page size and account, and stops on a server that repeats a page.

mod scripted;

use futures::TryStreamExt;
use scripted::{ID, SECRET, Server, answer, webhook_json};
use webhooks_ergonomic::{Client, Encoding, Error, Event, Open, Webhook};

fn client(server: &Server) -> Client {
    Client::builder()
        .base_url(&server.url)
        .credentials("key123", SECRET)
        .build()
        .unwrap()
}

/// One stored webhook with every odd value the API may send at once.
fn odd_webhook_json() -> String {
    format!(
        r#"{{"id":"{ID}","url":"https://example.com/odd","method":"HEAD","encoding":"PROTOBUF","headers":{{"X-Long":"{}"}},"events":["RECEIVED_RCS","DELIVERED_DR"],"retries":null,"added_later":{{"x":1}}}}"#,
        "v".repeat(1500)
    )
}

fn assert_odd_values_kept(webhook: &Webhook) {
    assert_eq!(webhook.method, Open::Unknown("HEAD".to_owned()));
    assert_eq!(webhook.encoding, Some(Open::Unknown("PROTOBUF".to_owned())));
    assert_eq!(
        webhook.events,
        [
            Open::Unknown("RECEIVED_RCS".to_owned()),
            Open::Known(Event::DeliveredDr)
        ]
    );
    assert_eq!(webhook.headers["X-Long"].len(), 1500);
    assert_eq!(webhook.retries, 0);
}

/// Webhooks whose `encoding`/`events` are null or missing.
fn sparse_webhooks() -> [String; 3] {
    let id = |n: u128| uuid::Uuid::from_u128(n);
    [
        format!(
            r#"{{"id":"{}","url":"https://e.com/1","method":"POST","encoding":null,"events":null,"headers":null,"template":null}}"#,
            id(11)
        ),
        format!(
            r#"{{"id":"{}","url":"https://e.com/2","method":"GET"}}"#,
            id(12)
        ),
        format!(
            r#"{{"id":"{}","url":"https://e.com/3","method":"PUT","encoding":"XML","events":[]}}"#,
            id(13)
        ),
    ]
}

#[tokio::test]
async fn a_list_page_with_odd_values_decodes_every_webhook() {
    let [a, b, c] = sparse_webhooks();
    let page = format!(
        r#"{{"page":0,"pageSize":100,"pageData":[{},{a},{b},{c}]}}"#,
        odd_webhook_json()
    );
    let server = Server::start(vec![answer(200, page)]).await;
    let page = client(&server).webhooks().list().send().await.unwrap();
    assert_eq!(page.items.len(), 4);
    assert_odd_values_kept(&page.items[0]);
    for sparse in &page.items[1..3] {
        assert_eq!((&sparse.encoding, sparse.events.len()), (&None, 0));
        assert!(sparse.headers.is_empty() && sparse.template.is_none());
    }
    assert_eq!(page.items[3].encoding, Some(Open::Known(Encoding::Xml)));
}

#[tokio::test]
async fn list_all_goes_on_past_an_odd_webhook_and_yields_it() {
    let first = format!(
        r#"{{"page":0,"pageSize":2,"pageData":[{},{}]}}"#,
        odd_webhook_json(),
        webhook_json(1)
    );
    let [sparse, ..] = sparse_webhooks();
    let second = format!(r#"{{"page":1,"pageSize":2,"pageData":[{sparse}]}}"#);
    let server = Server::start(vec![answer(200, first), answer(200, second)]).await;
    let all: Vec<Webhook> = client(&server)
        .webhooks()
        .list_all()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_odd_values_kept(&all[0]);
    assert_eq!(all[2].encoding, None);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn create_returns_the_stored_webhook_even_with_odd_values() {
    let server = Server::start(vec![answer(201, odd_webhook_json())]).await;
    let created = client(&server)
        .webhooks()
        .create()
        .url("https://example.com/odd")
        .event(Event::other("RECEIVED_RCS").unwrap())
        .event(Event::DeliveredDr)
        .send()
        .await
        .unwrap();
    assert_odd_values_kept(&created);
    let sent: serde_json::Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(
        sent["events"],
        serde_json::json!(["RECEIVED_RCS", "DELIVERED_DR"])
    );
}

#[tokio::test]
async fn update_returns_the_stored_webhook_even_with_odd_values() {
    let server = Server::start(vec![answer(200, odd_webhook_json())]).await;
    let updated = client(&server)
        .webhooks()
        .update(ID.parse().unwrap())
        .events([Event::other("RECEIVED_RCS").unwrap()])
        .send()
        .await
        .unwrap();
    assert_odd_values_kept(&updated);
    let sent: serde_json::Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(sent, serde_json::json!({"events": ["RECEIVED_RCS"]}));
}

#[tokio::test]
async fn an_unknown_event_name_of_the_wrong_shape_is_rejected_before_any_io() {
    let server = Server::start(vec![]).await;
    let result = client(&server)
        .webhooks()
        .create()
        .url("https://example.com/h")
        .event(Open::Unknown("received rcs".to_owned()))
        .send()
        .await;
    match result {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "events"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn list_all_stops_with_an_error_when_the_server_repeats_a_page() {
    let page = |n: u32| {
        format!(
            r#"{{"page":{n},"pageSize":2,"pageData":[{},{}]}}"#,
            webhook_json(0),
            webhook_json(1)
        )
    };
    let server = Server::start(vec![answer(200, page(0)), answer(200, page(0))]).await;
    let mut all = client(&server).webhooks().list_all().page_size(2);
    assert!(all.try_next().await.unwrap().is_some());
    assert!(all.try_next().await.unwrap().is_some());
    let err = all.try_next().await.unwrap_err();
    assert!(matches!(err, Error::RepeatedPage { page: 1 }), "{err:?}");
    assert_eq!(server.requests().len(), 2, "no third request");
}

#[tokio::test]
async fn list_all_asks_with_its_page_size_and_account() {
    let server = Server::start(vec![answer(
        200,
        r#"{"page":0,"pageSize":5,"pageData":[]}"#,
    )])
    .await;
    let all: Vec<Webhook> = client(&server)
        .webhooks()
        .list_all()
        .page_size(5)
        .account("Sub7")
        .try_collect()
        .await
        .unwrap();
    assert!(all.is_empty());
    let seen = &server.requests()[0];
    assert_eq!(seen.uri, "/v1/webhooks/messages?page=0&page_size=5");
    assert_eq!(seen.headers["account"], "Sub7");
}
