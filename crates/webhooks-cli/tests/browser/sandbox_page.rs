//! The sandbox's own page, `/sandbox/ui`: its delivery log, live, and a button that triggers
//! an event.

use serde_json::json;
use webhooks_ergonomic::Event;
use webhooks_sandbox::{Sandbox, SimulatedEvent};

use crate::harness::{App, Browser, KEY, SECRET};

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn the_sandbox_page_shows_every_attempt_and_triggers_an_event() {
    let sandbox = Sandbox::builder()
        .credentials(KEY, SECRET)
        .sign_callbacks(true)
        .delivery_time_scale(0.001)
        .start()
        .await
        .unwrap();
    // The app fails the first attempt; the sandbox retries.
    let app = App::answering(&[503]).await;
    let client = webhooks_ergonomic::Client::builder()
        .credentials(KEY, SECRET)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    client
        .webhooks()
        .create()
        .url(format!("{}/hooks", app.url))
        .event(Event::ReceivedSms)
        .retries(1)
        .retry_delay(5)
        .send()
        .await
        .unwrap();

    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{}/sandbox/ui", sandbox.base_url()))
        .await
        .unwrap();
    browser
        .until(
            "it asks for the credentials",
            "return !document.getElementById('login').hidden",
        )
        .await;
    browser.type_into("#api-key", KEY).await;
    browser.type_into("#api-secret", SECRET).await;
    browser.click("#login-button").await;
    browser
        .until(
            "the log is live",
            "return document.getElementById('live').dataset.state === 'on'",
        )
        .await;
    assert_eq!(
        browser.js("return document.documentElement.outerHTML.includes('browser-test-secret') || JSON.stringify(sessionStorage).includes('browser-test-secret')").await,
        false,
        "the secret is not kept in the page"
    );

    browser.select("#event", "RECEIVED_SMS").await;
    browser
        .type_into("#content", "Hello from the page <i>in italics?</i>")
        .await;
    browser.click("#trigger").await;
    browser
        .until(
            "both attempts are listed, the failed one and its retry",
            "const rows = [...document.querySelectorAll('#attempts tr')]; \
             return rows.length === 2 && rows.some(r => r.dataset.outcome === 'failed' && r.textContent.includes('503')) \
             && rows.some(r => r.dataset.outcome === 'delivered' && r.textContent.includes('200'))",
        )
        .await;
    assert_eq!(
        browser
            .js("return document.querySelector('#trigger-result').textContent")
            .await,
        "RECEIVED_SMS: 1 webhook(s) called"
    );
    browser.click("#attempts tr[data-outcome='failed']").await;
    browser
        .until(
            "its body is shown",
            "return !!document.getElementById('attempt-body')",
        )
        .await;
    let body = browser
        .js("return document.getElementById('attempt-body').textContent")
        .await;
    let body: serde_json::Value = serde_json::from_str(body.as_str().unwrap()).unwrap();
    assert_eq!(body["content"], "Hello from the page <i>in italics?</i>");
    let sent: serde_json::Value =
        serde_json::from_slice(&app.wait_for("/hooks", 1).await[0].body).unwrap();
    assert_eq!(body, sent, "the body shown is the body sent");
    assert_eq!(
        browser
            .js("return document.querySelectorAll('#detail i, #attempts i').length")
            .await,
        0
    );
    browser.screenshot("sandbox-page").await;

    // An event triggered elsewhere shows up too, without its body.
    sandbox
        .trigger_event(SimulatedEvent {
            account: None,
            event: Event::ReceivedSms,
            data: json!({"content": "from a test"})
                .as_object()
                .unwrap()
                .clone(),
        })
        .await
        .unwrap();
    browser
        .until(
            "the third attempt is listed",
            "return document.querySelectorAll('#attempts tr').length === 3",
        )
        .await;
    browser.click("#attempts tr:first-child").await;
    browser
        .until(
            "it says the log keeps no body",
            "return !!document.getElementById('attempt-body-missing')",
        )
        .await;
    browser.close_without_errors().await;
    sandbox.shutdown().await;
}
