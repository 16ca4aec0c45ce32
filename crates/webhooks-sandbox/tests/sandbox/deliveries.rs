//! `GET /sandbox/v1/deliveries`: authenticated like the API, scoped to the caller's account,
//! filtered (webhook id, event, outcome, since), paged, and bounded to the newest N.

use crate::loopback;

use loopback::receiver::Receiver;
use loopback::{Api, KEY, SECRET};
use reqwest::StatusCode;
use serde_json::{Map, json};
use webhooks_ergonomic::Event;
use webhooks_sandbox::client::SandboxClient;
use webhooks_sandbox::store::{DeliveryFilter, Outcome};
use webhooks_sandbox::{DeliveryAttempt, Sandbox, SandboxHandle, SimulatedEvent};

fn event(account: &str, event: Event) -> SimulatedEvent {
    SimulatedEvent {
        account: Some(account.to_owned()),
        event,
        data: Map::new(),
    }
}

async fn sandbox(delivery_log_limit: usize) -> SandboxHandle {
    Sandbox::builder()
        .credentials(KEY, SECRET)
        .delivery_time_scale(0.0)
        .delivery_log_limit(delivery_log_limit)
        .start()
        .await
        .unwrap()
}

fn hook(url: &str, events: &[&str]) -> serde_json::Value {
    json!({"url": url, "method": "POST", "encoding": "JSON", "events": events})
}

#[tokio::test]
async fn the_log_needs_credentials_and_shows_only_the_callers_account() {
    let sandbox = sandbox(100).await;
    let receiver = Receiver::start(&[]).await;
    let api = Api::new(&sandbox);
    let secret_url = format!("{}/a?token=secret-a", receiver.base);
    api.for_account("a")
        .create(&hook(&secret_url, &["RECEIVED_SMS"]))
        .await;
    api.for_account("b")
        .create(&hook(&format!("{}/b", receiver.base), &["RECEIVED_SMS"]))
        .await;
    for account in ["a", "b"] {
        sandbox
            .trigger_event(event(account, Event::ReceivedSms))
            .await
            .unwrap();
    }

    let anonymous = Api {
        authorization: None,
        ..api.clone()
    };
    let answer = anonymous.get("/sandbox/v1/deliveries").await;
    answer.error(StatusCode::UNAUTHORIZED);
    assert!(!String::from_utf8_lossy(&answer.body).contains("secret-a"));

    let client = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    let of_b = client
        .clone()
        .for_account("b")
        .deliveries(&DeliveryFilter::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(of_b.len(), 1);
    assert!(of_b[0].url.ends_with("/b"), "{of_b:?}");
    let of_a = client
        .for_account("a")
        .deliveries(&DeliveryFilter::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].url, secret_url);
    assert_eq!(
        sandbox.deliveries().len(),
        2,
        "the library handle sees every account"
    );
}

#[tokio::test]
async fn filters_and_pages_select_the_attempts_asked_for() {
    let sandbox = sandbox(100).await;
    let ok = Receiver::start(&[]).await;
    let failing = Receiver::start(&[500, 500, 500, 500]).await;
    let api = Api::new(&sandbox);
    let good = api
        .create(&hook(
            &format!("{}/good", ok.base),
            &["RECEIVED_SMS", "DELIVERED_DR"],
        ))
        .await;
    let bad = api
        .create(&hook(&format!("{}/bad", failing.base), &["RECEIVED_SMS"]))
        .await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    for kind in [Event::ReceivedSms, Event::DeliveredDr, Event::ReceivedSms] {
        sandbox.trigger_event(event(KEY, kind)).await.unwrap();
    }
    let client = SandboxClient::new(sandbox.base_url(), KEY, SECRET);
    let query = |filter: DeliveryFilter| {
        let client = client.clone();
        async move { client.deliveries(&filter, 0, 100).await.unwrap() }
    };
    let ids =
        |attempts: &[DeliveryAttempt]| attempts.iter().map(|a| a.webhook_id).collect::<Vec<_>>();

    assert_eq!(query(DeliveryFilter::default()).await.len(), 5);
    let to_bad = query(DeliveryFilter::default().webhook_id(bad.id)).await;
    assert_eq!(ids(&to_bad), [bad.id, bad.id]);
    let delivered_dr = query(DeliveryFilter::default().event(Event::DeliveredDr)).await;
    assert_eq!(ids(&delivered_dr), [good.id]);
    let failed = query(DeliveryFilter::default().outcome(Outcome::Failed)).await;
    assert!(failed.iter().all(|a| a.status == Some(500)) && failed.len() == 2);
    assert_eq!(
        query(DeliveryFilter::default().outcome(Outcome::Delivered))
            .await
            .len(),
        3
    );
    assert_eq!(
        query(DeliveryFilter::default().since(before)).await.len(),
        5
    );
    let future = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    assert!(
        query(DeliveryFilter::default().since(future))
            .await
            .is_empty()
    );

    let all = query(DeliveryFilter::default()).await;
    let mut paged = Vec::new();
    for page in 0..3 {
        paged.extend(
            client
                .deliveries(&DeliveryFilter::default(), page, 2)
                .await
                .unwrap(),
        );
    }
    assert_eq!(paged, all, "pages of 2 make up the whole log, in order");

    let answer = api
        .get("/sandbox/v1/deliveries?outcome=maybe&since=yesterday&page_size=0")
        .await;
    let details = answer.details();
    assert_eq!(details.len(), 3, "{details:?}");
}

#[tokio::test]
async fn the_log_keeps_only_the_newest_attempts() {
    let sandbox = sandbox(3).await;
    let receiver = Receiver::start(&[]).await;
    let api = Api::new(&sandbox);
    api.create(&hook(&format!("{}/x", receiver.base), &["RECEIVED_SMS"]))
        .await;
    let mut started = Vec::new();
    for _ in 0..5 {
        sandbox
            .trigger_event(event(KEY, Event::ReceivedSms))
            .await
            .unwrap();
        started.push(sandbox.deliveries().last().unwrap().started_at.clone());
    }
    let kept: Vec<String> = sandbox
        .deliveries()
        .into_iter()
        .map(|a| a.started_at)
        .collect();
    assert_eq!(kept, started[2..]);
}
