//! The inspector over HTTP, without a browser: who may call it, what the stream resumes from,
//! what an edited replay sends. (The page itself is tested in Chromium: tests/browser.)

use std::sync::Mutex as StdMutex;
use std::time::SystemTime;

use webhooks_ergonomic::callbacks::Verifier;
use webhooks_sandbox::Digest;
use webhooks_sandbox::signing::CallbackSigner;

use super::*;

/// A bound on every wait, not a speed assertion.
const LIMIT: Duration = Duration::from_secs(20);

/// What the fake app behind `--forward-to` was sent.
#[derive(Default)]
struct App {
    seen: StdMutex<Vec<(Method, Uri, HeaderMap, Bytes)>>,
}

impl Forwarder for Arc<App> {
    fn forward(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> BoxFuture<'static, Result<u16, String>> {
        self.seen.lock().unwrap().push((method, uri, headers, body));
        Box::pin(async { Ok(204) })
    }
}

struct Rig {
    url: String,
    port: u16,
    inbox: Inbox,
    inspector: Arc<Inspector>,
    signer: CallbackSigner,
    app: Arc<App>,
    http: reqwest::Client,
    _stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

async fn rig(token: Option<&str>) -> Rig {
    let signer = tokio::task::spawn_blocking(|| CallbackSigner::generate(Digest::Sha256))
        .await
        .unwrap()
        .unwrap();
    let key = signer.key();
    let verifier = Verifier::new()
        .with_key(&key.key_id.to_string(), &key.public_key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let inbox = Inbox::builder()
        .sqlite(dir.path().join("inbox.db"))
        .verifier(verifier)
        .open()
        .await
        .unwrap();
    let app = Arc::new(App::default());
    let (stop, stopped) = watch::channel(false);
    let inspector = Inspector::new(
        inbox.clone(),
        Options {
            receiver: "http://127.0.0.1:8787".to_owned(),
            forward_to: Some("http://127.0.0.1:3000".to_owned()),
            forwarder: Some(Arc::new(Arc::clone(&app))),
            inbox_path: "inbox.db".to_owned(),
            token: token.map(str::to_owned),
        },
        stopped,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(Arc::clone(&inspector).serve(listener));
    Rig {
        url: format!("http://127.0.0.1:{port}"),
        port,
        inbox,
        inspector,
        signer,
        app,
        http: reqwest::Client::new(),
        _stop: stop,
        _dir: dir,
    }
}

impl Rig {
    /// A callback signed now, received by the inbox: its id.
    async fn store(&self, body: &str) -> EntryId {
        let uri: Uri = "/hooks".parse().unwrap();
        let signature = self
            .signer
            .sign(&Method::POST, &uri, body.as_bytes(), SystemTime::now())
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in signature.headers() {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        match self
            .inbox
            .receive(&Method::POST, &uri, &headers, Bytes::from(body.to_owned()))
            .await
        {
            webhooks_callbacks::inbox::Receipt::Stored(id) => id,
            other => panic!("{other}"),
        }
    }

    async fn session(&self) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/api/session", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["session"].as_str().unwrap().to_owned()
    }

    async fn list(&self) -> Value {
        self.http
            .get(format!("{}/api/callbacks", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn sms(content: &str) -> String {
    json!({"reply_id": uuid::Uuid::new_v4().to_string(), "source_number": "+61491570156", "content": content}).to_string()
}

/// Reads server-sent events until `count` named ones arrived: (event, id, data).
async fn read_events(
    response: &mut reqwest::Response,
    count: usize,
) -> Vec<(String, String, String)> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    while events.len() < count {
        let chunk = tokio::time::timeout(LIMIT, response.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream is open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    id = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if !event.is_empty() {
                events.push((event, id, data));
            }
        }
    }
    events
}

#[tokio::test]
async fn the_page_runs_only_its_own_script_and_cannot_be_framed() {
    let rig = rig(None).await;
    let page = rig.http.get(&rig.url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(!html.contains("{{NONCE}}") && !html.contains("innerHTML"));
    let again = rig.http.get(&rig.url).send().await.unwrap();
    assert!(
        !again.text().await.unwrap().contains(nonce),
        "a nonce per answer"
    );
}

#[tokio::test]
async fn a_replay_needs_a_session_and_the_page_s_own_origin() {
    let rig = rig(None).await;
    let id = rig.store(&sms("replay me")).await;
    let replay = format!("{}/api/callbacks/c{id}/replay", rig.url);
    let refused = rig.http.post(&replay).send().await.unwrap();
    assert_eq!(refused.status(), 403, "no session");
    let session = rig.session().await;
    let early = rig
        .http
        .post(&replay)
        .header(SESSION_HEADER, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409, "not handled yet");
    let workers = rig
        .inbox
        .start(|_| async { webhooks_callbacks::inbox::Outcome::Done });
    let started = Instant::now();
    while rig.inbox.get(id).await.unwrap().unwrap().state.as_str() != "done" {
        assert!(started.elapsed() < LIMIT, "never handled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    workers.shutdown(Duration::from_secs(1)).await;
    let foreign = rig
        .http
        .post(&replay)
        .header(SESSION_HEADER, &session)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().await.unwrap().contains("cross-origin"));
    let cross_site = rig
        .http
        .post(&replay)
        .header(SESSION_HEADER, &session)
        .header("sec-fetch-site", "same-site")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        403,
        "another port of localhost is same-site"
    );
    let forged = rig
        .http
        .post(&replay)
        .header(SESSION_HEADER, "0".repeat(32))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let own = rig
        .http
        .post(&replay)
        .header(SESSION_HEADER, &session)
        .header("origin", &rig.url)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 202);
    assert_eq!(
        rig.inbox.get(id).await.unwrap().unwrap().state.as_str(),
        "pending"
    );
    let row = &rig.list().await["rows"][0];
    assert_eq!(row["replays"], 1, "{row}");
    // Another origin cannot read either, nor open a session.
    let read = rig
        .http
        .get(format!("{}/api/callbacks", rig.url))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403);
    let session = rig
        .http
        .post(format!("{}/api/session", rig.url))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 403);
}

#[tokio::test]
async fn a_page_on_a_host_name_that_is_not_loopback_is_refused() {
    let rig = rig(None).await;
    for host in ["evil.example", "127.0.0.1.evil.example"] {
        let rebound = rig
            .http
            .get(format!("{}/api/callbacks", rig.url))
            .header("host", format!("{host}:{}", rig.port))
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), 403, "{host}");
    }
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        let own = rig
            .http
            .get(format!("{}/api/callbacks", rig.url))
            .header("host", format!("{host}:{}", rig.port))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn with_a_token_every_endpoint_needs_it_or_a_session_opened_with_it() {
    let token = "a-token-of-enough-length";
    let rig = rig(Some(token)).await;
    assert_eq!(
        rig.http.get(&rig.url).send().await.unwrap().status(),
        200,
        "the page asks for it"
    );
    let list = format!("{}/api/callbacks", rig.url);
    assert_eq!(rig.http.get(&list).send().await.unwrap().status(), 401);
    let wrong = rig
        .http
        .get(&list)
        .bearer_auth("a-token-of-enough-lengtH")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        rig.http
            .get(&list)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let opened = rig
        .http
        .post(format!("{}/api/session", rig.url))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 401);
    let opened: Value = rig
        .http
        .post(format!("{}/api/session", rig.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = opened["session"].as_str().unwrap();
    let by_query = rig
        .http
        .get(format!("{list}?session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    assert!(
        !opened.to_string().contains(token),
        "the token is never sent back"
    );
}

#[tokio::test]
async fn a_reconnecting_stream_gets_every_change_since_its_last_event_id() {
    let rig = rig(None).await;
    let first = rig.store(&sms("one")).await;
    let since = rig.list().await["last_event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut stream = rig
        .http
        .get(format!("{}/api/stream", rig.url))
        .header("last-event-id", &since)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let second = rig.store(&sms("two")).await;
    let seen = read_events(&mut stream, 1).await;
    assert_eq!(seen[0].0, "row");
    let row: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!(row["ref"], format!("c{second}"));
    assert_eq!(row["headline"], "+61491570156: two");
    let last_seen = seen[0].1.clone();
    drop(stream);

    // Gone for a while: two callbacks and a refused request arrive meanwhile.
    let third = rig.store(&sms("three")).await;
    rig.inspector.refused(
        &Method::POST,
        "/hooks".to_owned(),
        &HeaderMap::new(),
        &Bytes::from_static(b"{}"),
        StatusCode::UNAUTHORIZED,
        "the callback has no `x-messagemedia-signature` header".to_owned(),
    );
    let fourth = rig.store(&sms("four")).await;
    let mut stream = rig
        .http
        .get(format!("{}/api/stream?since=ignored-0", rig.url))
        .header("last-event-id", &last_seen)
        .send()
        .await
        .unwrap();
    let mut refs: Vec<String> = read_events(&mut stream, 3)
        .await
        .into_iter()
        .map(|(_, _, data)| {
            serde_json::from_str::<Value>(&data).unwrap()["ref"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // In the order the changes were noticed (the inbox's notices come through a task).
    refs.sort();
    assert_eq!(
        refs,
        [format!("c{third}"), format!("c{fourth}"), "r1".to_owned()]
    );
    assert_ne!(first, third);

    // An id from another run of listen: reload.
    let mut stream = rig
        .http
        .get(format!("{}/api/stream", rig.url))
        .header("last-event-id", "00000000-3")
        .send()
        .await
        .unwrap();
    assert_eq!(read_events(&mut stream, 1).await[0].0, "reset");
}

#[tokio::test]
async fn a_refused_request_is_listed_with_its_reason_and_the_bytes_it_claimed_to_sign() {
    let rig = rig(None).await;
    let mut headers = HeaderMap::new();
    headers.insert(
        "date",
        HeaderValue::from_static("Tue, 03 Jun 2025 10:20:30 GMT"),
    );
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    rig.inspector.refused(
        &Method::POST,
        "/hooks?x=1".to_owned(),
        &headers,
        &Bytes::from(sms("<b>tampered</b>")),
        StatusCode::UNAUTHORIZED,
        "the signature does not match the request".to_owned(),
    );
    let row = &rig.list().await["rows"][0];
    assert_eq!(row["verification"], "refused");
    assert_eq!(row["reason"], "the signature does not match the request");
    assert_eq!(row["outcome_label"], "answered 401, not stored");
    let detail: Value = rig
        .http
        .get(format!("{}/api/callbacks/r1", rig.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signed = detail["signed"]["text"].as_str().unwrap();
    assert!(
        signed.starts_with("POST /hooks?x=1 HTTP/1.1Tue, 03 Jun 2025 10:20:30 GMT{"),
        "{signed}"
    );
    assert_eq!(detail["verdict"]["verified"], false);
    assert_eq!(detail["replayable"], false);
    let unchanged = rig
        .http
        .post(format!("{}/api/callbacks/r1/replay", rig.url))
        .header(SESSION_HEADER, rig.session().await)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unchanged.status(),
        409,
        "a refused request was never stored"
    );
}

#[tokio::test]
async fn an_edited_replay_goes_to_the_app_unsigned_and_marked_and_is_listed_as_edited() {
    let rig = rig(None).await;
    let id = rig.store(&sms("original")).await;
    let session = rig.session().await;
    let edited = sms("edited on the page");
    let answer = rig
        .http
        .post(format!("{}/api/callbacks/c{id}/replay-edited", rig.url))
        .header(SESSION_HEADER, &session)
        .json(&json!({"body": edited}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    let row: Value = answer.json().await.unwrap();
    assert_eq!(
        (row["ref"].as_str(), row["verification"].as_str()),
        (Some("e1"), Some("edited"))
    );
    assert_eq!(row["edited_from"], format!("c{id}"));
    assert_eq!(row["outcome_label"], "the app answered 204");
    let (method, uri, headers, body) = rig.app.seen.lock().unwrap()[0].clone();
    assert_eq!(
        (method, uri.to_string()),
        (Method::POST, "/hooks".to_owned())
    );
    assert_eq!(body, edited.as_bytes());
    assert_eq!(headers[EDITED_HEADER], "edited");
    assert_eq!(headers["content-type"], "application/json");
    for signature in SIGNATURE_HEADERS {
        assert!(!headers.contains_key(signature), "{signature} was sent");
    }
    let detail: Value = rig
        .http
        .get(format!("{}/api/callbacks/e1", rig.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["signed"], Value::Null);
    assert_eq!(detail["verdict"]["verified"], false);
    // The stored original is untouched.
    let original = rig.inbox.get(id).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&original.body).contains("original"));
}

#[tokio::test]
async fn the_export_is_one_detail_per_line_with_the_list_s_filters() {
    let rig = rig(None).await;
    rig.store(&sms("first")).await;
    rig.store(&sms("second")).await;
    rig.inspector.refused(
        &Method::POST,
        "/hooks".to_owned(),
        &HeaderMap::new(),
        &Bytes::new(),
        StatusCode::UNAUTHORIZED,
        "unsigned".to_owned(),
    );
    let export = rig
        .http
        .get(format!("{}/api/export", rig.url))
        .send()
        .await
        .unwrap();
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let text = export.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["headline"], "+61491570156: second");
    assert!(lines[0]["body"].as_str().unwrap().contains("second"));
    assert_eq!(lines[2]["verification"], "refused");
    let filtered = rig
        .http
        .get(format!(
            "{}/api/export?verification=verified&q=FIRST",
            rig.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 1, "{filtered}");
}
