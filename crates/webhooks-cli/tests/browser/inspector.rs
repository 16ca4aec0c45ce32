//! `mm-webhooks listen --ui`: the inspector page.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use webhooks_ergonomic::Event;

use crate::harness::{Browser, Loop};

/// Opens the inspector and waits until its stream is live.
async fn open(browser: &Browser, under_test: &Loop) {
    browser
        .client
        .goto(&format!("{}/", under_test.inspector))
        .await
        .expect("the inspector page");
    browser
        .until(
            "the page is live",
            "return document.getElementById('live').dataset.state === 'on'",
        )
        .await;
}

/// A script that is true when row `reference` is listed and its text contains `text`.
fn row_has(reference: &str, text: &str) -> String {
    format!(
        "const tr = document.querySelector('#rows tr[data-ref=\"{reference}\"]'); \
         return !!tr && tr.textContent.includes({})",
        json!(text)
    )
}

/// Which rows are listed, top to bottom, and whether each is shown.
async fn rows(browser: &Browser) -> Vec<(String, bool)> {
    let rows = browser
        .js("return [...document.querySelectorAll('#rows tr')].map(tr => [tr.dataset.ref, !tr.hidden])")
        .await;
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row[0].as_str().unwrap().to_owned(),
                row[1].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .js(&format!(
            "const node = document.querySelector({}); return node ? node.textContent : null",
            json!(css)
        ))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Sends `body` to the receiver with `headers` (hop headers left out): its status.
async fn send(under_test: &Loop, path: &str, headers: &http::HeaderMap, body: Vec<u8>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", under_test.receiver))
        .body(body);
    for (name, value) in headers {
        if !["host", "content-length", "connection"].contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    request.send().await.unwrap().status().as_u16()
}

async fn unsigned(under_test: &Loop) -> u16 {
    let mut headers = http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    send(
        under_test,
        "/hooks",
        &headers,
        br#"{"reply_id":"forged","content":"unsigned"}"#.to_vec(),
    )
    .await
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn the_page_loads_with_no_console_errors() {
    let under_test = Loop::start().await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    assert_eq!(
        browser.client.title().await.unwrap(),
        "mm-webhooks inspector"
    );
    assert!(
        text_of(&browser, "#where")
            .await
            .contains(&under_test.app.url)
    );
    assert_eq!(
        browser
            .js("return document.getElementById('empty').hidden")
            .await,
        false
    );
    browser.screenshot("page-loads").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_callback_triggered_in_the_sandbox_appears_within_a_second_without_reload() {
    let under_test = Loop::start().await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser.js("window.sameDocument = 'yes'; return true").await;

    let started = Instant::now();
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "Is 3pm still OK?"}))
        .await;
    browser
        .until(
            "the reply is listed",
            &row_has("c1", "+61491570156: Is 3pm still OK?"),
        )
        .await;
    let took = started.elapsed();
    eprintln!("listed {took:?} after the trigger started (delivery, verification, storage, push)");
    assert!(took < Duration::from_secs(1), "listed after {took:?}");
    assert_eq!(
        browser.js("return window.sameDocument").await,
        "yes",
        "the page was not reloaded"
    );
    // Then its handling: forwarded to the app, with the time it took.
    browser
        .until(
            "the forward's outcome is shown",
            &row_has("c1", "forwarded: the app answered 200"),
        )
        .await;
    assert!(
        text_of(&browser, "#rows tr[data-ref=\"c1\"] td.duration")
            .await
            .ends_with(" ms")
    );
    assert_eq!(
        text_of(&browser, "#rows tr[data-ref=\"c1\"] td.type").await,
        "inbound_sms"
    );
    under_test
        .trigger(
            Event::DeliveredDr,
            json!({"message_id": "5f0c3d39-0b1f-4a14-9a80-6a0b9d1d1b1e"}),
        )
        .await;
    browser
        .until(
            "the delivery report is listed above the reply",
            &row_has(
                "c2",
                "message 5f0c3d39-0b1f-4a14-9a80-6a0b9d1d1b1e delivered",
            ),
        )
        .await;
    assert_eq!(rows(&browser).await[0].0, "c2", "newest first");
    browser.screenshot("appears-live").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_tampered_callback_shows_why_it_was_refused() {
    let under_test = Loop::start().await;
    let signed = under_test.signed_request().await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;

    let tampered = String::from_utf8(signed.body.to_vec())
        .unwrap()
        .replace("STOP", "START");
    assert_ne!(tampered.as_bytes(), signed.body.as_ref());
    let status = send(
        &under_test,
        "/capture",
        &signed.headers,
        tampered.into_bytes(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(unsigned(&under_test).await, 401);

    browser
        .until(
            "the tampered request is listed with its reason",
            &row_has("r1", "the signature does not match the request"),
        )
        .await;
    browser
        .until(
            "the unsigned one too",
            &row_has("r2", "the callback has no `x-messagemedia-"),
        )
        .await;
    assert!(
        text_of(&browser, "#rows tr[data-ref=\"r1\"]")
            .await
            .contains("answered 401, not stored")
    );
    browser.click("#rows tr[data-ref=\"r1\"]").await;
    browser
        .until(
            "the verdict names the reason",
            "const v = document.getElementById('verdict'); return !!v && v.textContent.includes('the signature does not match the request')",
        )
        .await;
    assert!(
        text_of(&browser, "#verdict")
            .await
            .starts_with("Refused before it was stored (answered 401)")
    );
    assert!(
        text_of(&browser, "#body-raw").await.contains("START")
            || text_of(&browser, "#body-pretty").await.contains("START")
    );
    browser.screenshot("tampered").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn the_detail_shows_the_signed_bytes_and_the_verdict() {
    let under_test = Loop::start().await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "See you at 3"}))
        .await;
    let forwarded = under_test.app.wait_for("/hooks", 1).await.remove(0);
    let date = forwarded.headers["date"].to_str().unwrap().to_owned();
    let key_id = forwarded.headers["x-messagemedia-key-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = String::from_utf8(forwarded.body.to_vec()).unwrap();
    // Company in the list: a delivery report, and a request refused for want of a signature.
    under_test
        .trigger(
            Event::DeliveredDr,
            json!({"message_id": "0c1ad3a2-6f1c-4a53-9b7e-2b5d9e61f0aa"}),
        )
        .await;
    assert_eq!(unsigned(&under_test).await, 401);

    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until("the reply is listed", &row_has("c1", "See you at 3"))
        .await;
    browser
        .until(
            "the report and the refused request too",
            "return document.querySelectorAll('#rows tr').length === 3",
        )
        .await;
    browser.click("#rows tr[data-ref=\"c1\"]").await;
    browser
        .until(
            "the signed bytes are shown",
            "return !!document.getElementById('signed-bytes')",
        )
        .await;
    assert_eq!(
        text_of(&browser, "#signed-bytes").await,
        format!("POST /hooks HTTP/1.1{date}{body}")
    );
    let verdict = text_of(&browser, "#verdict").await;
    assert!(
        verdict.starts_with("Signature verified with key ") && verdict.contains(&key_id),
        "{verdict}"
    );
    assert!(verdict.contains("SHA256"), "{verdict}");
    browser.screenshot("detail").await;
    // Pretty by default, raw a click away; headers listed.
    let pretty = text_of(&browser, "#body-pretty").await;
    assert!(
        pretty.contains("\n  \"content\": \"See you at 3\""),
        "{pretty}"
    );
    browser.click("#detail .tabs button:nth-child(2)").await;
    assert_eq!(
        browser
            .js("return document.getElementById('body-raw').hidden")
            .await,
        false
    );
    assert_eq!(text_of(&browser, "#body-raw").await, body);
    assert!(
        text_of(&browser, "#headers")
            .await
            .contains("x-messagemedia-signature")
    );
    browser.click("#detail .tabs button:nth-child(1)").await;
    // Copy as curl: the command is shown.
    browser.click("#copy-curl").await;
    let curl = text_of(&browser, "#curl").await;
    assert!(
        curl.starts_with(&format!("curl -X 'POST' '{}/hooks'", under_test.app.url)),
        "{curl}"
    );
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn the_filters_hide_and_show_rows() {
    let under_test = Loop::start().await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "filter me please"}))
        .await;
    under_test.trigger(Event::DeliveredDr, json!({})).await;
    assert_eq!(unsigned(&under_test).await, 401);
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until(
            "three rows",
            "return document.querySelectorAll('#rows tr').length === 3",
        )
        .await;
    let shown = |rows: Vec<(String, bool)>| -> Vec<String> {
        let mut shown: Vec<String> = rows
            .into_iter()
            .filter(|(_, shown)| *shown)
            .map(|(r, _)| r)
            .collect();
        shown.sort();
        shown
    };

    browser.select("#filter-verification", "refused").await;
    assert_eq!(shown(rows(&browser).await), ["r1"]);
    browser.select("#filter-verification", "").await;
    browser.select("#filter-type", "delivery_report").await;
    assert_eq!(shown(rows(&browser).await), ["c2"]);
    browser.select("#filter-type", "").await;
    browser.select("#filter-outcome", "refused").await;
    assert_eq!(shown(rows(&browser).await), ["r1"]);
    browser.select("#filter-outcome", "").await;
    browser.type_into("#filter-text", "FILTER me").await;
    assert_eq!(shown(rows(&browser).await), ["c1"]);
    assert_eq!(text_of(&browser, "#count").await, "1 of 3 shown");
    let export = browser
        .js("return document.getElementById('export').getAttribute('href')")
        .await;
    assert_eq!(export, "/api/export?q=filter+me");
    browser.screenshot("filtered").await;
    browser
        .js("const f = document.getElementById('filter-text'); f.value = ''; f.dispatchEvent(new Event('input')); return true")
        .await;
    assert_eq!(shown(rows(&browser).await), ["c1", "c2", "r1"]);
    // A row arriving while a filter is on obeys it.
    browser.select("#filter-type", "inbound_sms").await;
    under_test.trigger(Event::DeliveredDr, json!({})).await;
    browser
        .until(
            "the new report is listed",
            "return !!document.querySelector('#rows tr[data-ref=\"c3\"]')",
        )
        .await;
    // The refused request's body reads as a reply too: its type is what its body says.
    assert_eq!(shown(rows(&browser).await), ["c1", "r1"]);
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_replay_reaches_the_app_unchanged() {
    let under_test = Loop::start().await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "replay this"}))
        .await;
    let first = under_test.app.wait_for("/hooks", 1).await.remove(0);
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until(
            "it was handled",
            &row_has("c1", "forwarded: the app answered 200"),
        )
        .await;
    browser.click("#rows tr[data-ref=\"c1\"]").await;
    browser
        .until(
            "the replay button",
            "const b = document.getElementById('replay'); return !!b && !b.disabled",
        )
        .await;
    browser.click("#replay").await;
    let seen = under_test.app.wait_for("/hooks", 2).await;
    assert_eq!(seen[1].body, first.body);
    assert_eq!(
        seen[1].headers["x-messagemedia-signature"], first.headers["x-messagemedia-signature"],
        "unchanged: signature and all"
    );
    assert!(!seen[1].headers.contains_key("x-mm-webhooks-replay"));
    browser
        .until(
            "the row says it was replayed",
            &row_has("c1", "replayed ×1"),
        )
        .await;
    browser
        .until(
            "the result is shown",
            "return document.getElementById('action-result').textContent.startsWith('Replayed')",
        )
        .await;
    browser.screenshot("replayed").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn an_edited_replay_is_marked_and_not_presented_as_signed() {
    let under_test = Loop::start().await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "original words"}))
        .await;
    under_test.app.wait_for("/hooks", 1).await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until("it was handled", &row_has("c1", "forwarded"))
        .await;
    browser.click("#rows tr[data-ref=\"c1\"]").await;
    browser
        .until(
            "the edit button",
            "const b = document.getElementById('edit'); return !!b && !b.disabled",
        )
        .await;
    browser.click("#edit").await;
    let original = browser
        .js("return document.getElementById('edit-body').value")
        .await;
    let edited = original
        .as_str()
        .unwrap()
        .replace("original words", "edited words");
    browser.type_into("#edit-body", &edited).await;
    browser.click("#send-edited").await;

    let seen = under_test.app.wait_for("/hooks", 2).await;
    let sent = &seen[1];
    assert_eq!((sent.method.as_str(), sent.uri.path()), ("POST", "/hooks"));
    assert_eq!(String::from_utf8(sent.body.to_vec()).unwrap(), edited);
    assert_eq!(sent.headers["x-mm-webhooks-replay"], "edited");
    for signature in ["x-messagemedia-signature", "x-messagemedia-key-id"] {
        assert!(
            !sent.headers.contains_key(signature),
            "{signature} was sent"
        );
    }
    browser
        .until(
            "the edited replay is listed",
            &row_has("e1", "edited · not signed"),
        )
        .await;
    assert!(
        text_of(&browser, "#rows tr[data-ref=\"e1\"]")
            .await
            .contains("edited words")
    );
    browser
        .until("its detail says it is not signed", "const v = document.getElementById('verdict'); return !!v && v.textContent.startsWith('Not signed: edited from c1')")
        .await;
    assert_eq!(
        browser
            .js("return document.getElementById('signed-bytes')")
            .await,
        Value::Null
    );
    browser.screenshot("edited").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_script_in_a_body_is_shown_as_text_and_never_runs() {
    let under_test = Loop::start().await;
    let payload = "<script>window.ran = 'script'</script><img src=x onerror=\"window.ran = 'img'\"><b>bold?</b>";
    under_test
        .trigger(Event::ReceivedSms, json!({"content": payload}))
        .await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until("the reply is listed", &row_has("c1", "<script>window.ran"))
        .await;
    browser.click("#rows tr[data-ref=\"c1\"]").await;
    browser
        .until(
            "the body is shown",
            "return !!document.getElementById('body-raw')",
        )
        .await;
    let raw = text_of(&browser, "#body-raw").await;
    assert!(
        raw.contains("<script>window.ran = 'script'</script>"),
        "{raw}"
    );
    assert!(
        text_of(&browser, "#body-pretty")
            .await
            .contains("<img src=x onerror=")
    );
    assert_eq!(browser.js("return typeof window.ran").await, "undefined");
    assert_eq!(browser.js("return document.scripts.length").await, 1);
    assert_eq!(
        browser.js("return document.querySelectorAll('#rows img, #rows b, #detail img, #detail b').length").await,
        0
    );
    browser.screenshot("script-as-text").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_cross_origin_replay_is_refused() {
    let under_test = Loop::start().await;
    under_test
        .trigger(
            Event::ReceivedSms,
            json!({"content": "not yours to replay"}),
        )
        .await;
    under_test.app.wait_for("/hooks", 1).await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    browser
        .until("it was handled", &row_has("c1", "forwarded"))
        .await;

    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{}/api/session", under_test.inspector))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["session"].as_str().unwrap();
    let replay = format!("{}/api/callbacks/c1/replay", under_test.inspector);
    let foreign = http
        .post(&replay)
        .header("x-inspector-session", session)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(
        foreign
            .text()
            .await
            .unwrap()
            .contains("cross-origin request refused")
    );
    // A page of another origin in the same browser (the app's) tries too.
    let tried = browser
        .client
        .goto(&format!("{}/", under_test.app.url))
        .await;
    assert!(tried.is_ok());
    browser
        .js(&format!(
            "return fetch({}, {{method: 'POST', mode: 'no-cors'}}).then(() => true, () => true)",
            json!(replay)
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        under_test.app.wait_for("/hooks", 1).await.len(),
        1,
        "never replayed"
    );
    // The page's own replay still works.
    open(&browser, &under_test).await;
    let own = http
        .post(&replay)
        .header("x-inspector-session", session)
        .header("origin", &under_test.inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 202);
    under_test.app.wait_for("/hooks", 2).await;
    browser
        .until("replayed by its own page", &row_has("c1", "replayed ×1"))
        .await;
    browser.screenshot("cross-origin-refused").await;
    browser.close().await;
    under_test.stop().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver: run with --ignored (.ci/browser does)"]
async fn a_reconnecting_page_misses_nothing() {
    let under_test = Loop::start().await;
    let browser = Browser::start().await;
    open(&browser, &under_test).await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "before the drop"}))
        .await;
    browser
        .until("the first is listed", &row_has("c1", "before the drop"))
        .await;

    // The connection drops; three things happen meanwhile.
    browser.js("state.source.close(); return true").await;
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "while away"}))
        .await;
    assert_eq!(unsigned(&under_test).await, 401);
    under_test.trigger(Event::DeliveredDr, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rows(&browser).await.len(),
        1,
        "nothing arrives while disconnected"
    );

    browser.js("connect(); return true").await;
    browser
        .until(
            "everything is caught up",
            "return document.querySelectorAll('#rows tr').length === 4",
        )
        .await;
    let mut listed: Vec<String> = rows(&browser).await.into_iter().map(|(r, _)| r).collect();
    listed.sort();
    assert_eq!(listed, ["c1", "c2", "c3", "r1"]);
    // And it stays live.
    under_test
        .trigger(Event::ReceivedSms, json!({"content": "after"}))
        .await;
    browser.until("live again", &row_has("c4", "after")).await;
    browser.screenshot("reconnected").await;
    browser.close_without_errors().await;
    under_test.stop().await;
}
