//! `/sandbox/ui`: a page of the delivery log, live, with a button that triggers an event.
//!
//! The page holds no credential of the sandbox: it asks for an API key and secret (the ones
//! the sandbox accepts, as every client of it needs), exchanges them once for a session token
//! bound to that account (`POST /sandbox/ui/session`, authenticated like the API, Basic or
//! HMAC), forgets the secret and uses the token from then on. Requests carrying the session
//! must come from the page's own origin (`Origin`, `Sec-Fetch-Site`), so another site open in
//! the same browser can neither read the log nor trigger events. Everything the log holds is
//! put on the page as text, under a Content-Security-Policy that runs only the page's own
//! script.
//!
//! Bodies: the delivery log keeps each attempt's outcome, not its body. For events triggered
//! from this page the body of every attempt is rendered again from the same event data, the
//! webhook's template and the attempt's retry count, exactly as it was sent; attempts of
//! events triggered elsewhere (`POST /sandbox/v1/events`, `mm-webhooks trigger`) show no body.
//!
//! Live: the page asks for the attempts logged after the last one it has, and the sandbox
//! holds the question until there is one (it looks every 100 ms) or [`HOLD`] passes, then the
//! page asks again: an attempt shows within a tenth of a second, none is missed (the page
//! resumes from the id of the last one it has), and stopping the sandbox with a page open
//! waits at most [`HOLD`] for the question in flight. (Server-sent events, as `mm-webhooks
//! listen --ui` uses, would need a stream type this crate does not depend on.)

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use webhooks_ergonomic::Event;
use webhooks_template::{EventData, Template, default_template};

use crate::api::App;
use crate::authenticated::Authenticated;
use crate::delivery::{DeliveryAttempt, SimulatedEvent};
use crate::store::{DeliveryFilter, StoredWebhook};

/// The longest the sandbox holds the page's question for new attempts.
pub const HOLD: Duration = Duration::from_millis(2500);

/// How often a held question looks at the delivery log.
const TICK: Duration = Duration::from_millis(100);

/// Sessions kept at once (the oldest forgotten first).
const SESSIONS_KEPT: usize = 64;

/// Events triggered from the page whose data is kept, to show the bodies of their attempts.
pub const TRIGGERS_KEPT: usize = 200;

/// The most attempts the page lists.
const LISTED: usize = 500;

/// The session header of the page's requests.
const SESSION_HEADER: &str = "x-sandbox-session";

/// What the page's routes share: the sessions and the events triggered from it.
#[derive(Debug, Default)]
struct UiState {
    sessions: Mutex<VecDeque<(String, String)>>,
    triggered: Mutex<VecDeque<Triggered>>,
}

/// An event triggered from the page: what its attempts' bodies are rendered from.
#[derive(Debug, Clone)]
struct Triggered {
    account: String,
    at: OffsetDateTime,
    data: EventData,
    webhooks: Vec<StoredWebhook>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The page's routes, merged into the sandbox's router.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/sandbox/ui", get(page))
        .route("/sandbox/ui/session", post(session))
        .route("/sandbox/ui/attempts", get(attempts))
        .route("/sandbox/ui/events", post(trigger))
        .layer(middleware::from_fn(same_origin))
        .layer(Extension(Arc::new(UiState::default())))
}

fn problem(status: StatusCode, message: &str) -> Response {
    let mut response = (status, axum::Json(json!({ "message": message }))).into_response();
    no_store(response.headers_mut());
    response
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// Refuses requests to the page's endpoints that another origin's page made.
async fn same_origin(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if request.uri().path() != "/sandbox/ui" {
        let text = |name: &str| {
            headers
                .get(name)
                .map(|value| value.to_str().unwrap_or("?").to_owned())
        };
        if let Some(site) = text("sec-fetch-site")
            && !matches!(site.as_str(), "same-origin" | "none")
        {
            return problem(
                StatusCode::FORBIDDEN,
                &format!("cross-origin request refused (Sec-Fetch-Site: {site})"),
            );
        }
        if let Some(origin) = text("origin") {
            let own = format!("http://{}", text("host").unwrap_or_default());
            if !origin.eq_ignore_ascii_case(&own) {
                return problem(
                    StatusCode::FORBIDDEN,
                    &format!("cross-origin request refused (Origin {origin} is not {own})"),
                );
            }
        }
    }
    let mut response = next.run(request).await;
    no_store(response.headers_mut());
    response
}

/// The account of the request's session (header, or `session` in the query for the stream).
fn account_of(
    ui: &UiState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, Box<Response>> {
    let token = headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.map(str::to_owned))
        .ok_or_else(|| {
            Box::new(problem(
                StatusCode::UNAUTHORIZED,
                "a session is needed: POST /sandbox/ui/session with the API key and secret",
            ))
        })?;
    lock(&ui.sessions)
        .iter()
        .find(|(session, _)| same(session, &token))
        .map(|(_, account)| account.clone())
        .ok_or_else(|| {
            Box::new(problem(
                StatusCode::UNAUTHORIZED,
                "this session is not known (any more)",
            ))
        })
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

fn random_hex() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// `GET /sandbox/ui`: the page, under a policy that runs only its own script and style.
async fn page() -> Response {
    let nonce = random_hex();
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        PAGE.replace("{{NONCE}}", &nonce),
    )
        .into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// `POST /sandbox/ui/session`: authenticated like the API; a session token for its account,
/// and the events the page offers.
async fn session(Extension(ui): Extension<Arc<UiState>>, request: Authenticated) -> Response {
    let token = random_hex();
    {
        let mut sessions = lock(&ui.sessions);
        sessions.push_back((token.clone(), request.account.clone()));
        while sessions.len() > SESSIONS_KEPT {
            sessions.pop_front();
        }
    }
    axum::Json(json!({
        "session": token,
        "account": request.account,
        "events": Event::ALL.iter().map(|event| event.as_str()).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// What the page triggers.
#[derive(Debug, Deserialize)]
struct Trigger {
    event: Event,
    #[serde(default)]
    data: serde_json::Map<String, Value>,
}

/// `POST /sandbox/ui/events`: simulates an event for the session's account, as `POST
/// /sandbox/v1/events` does, keeping its data so the page can show each attempt's body.
async fn trigger(
    State(app): State<Arc<App>>,
    Extension(ui): Extension<Arc<UiState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let account = match account_of(&ui, &headers, None) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let trigger: Trigger = match serde_json::from_slice(&body) {
        Ok(trigger) => trigger,
        Err(err) => return problem(StatusCode::BAD_REQUEST, &format!("not an event: {err}")),
    };
    let event = SimulatedEvent {
        account: Some(account.clone()),
        event: trigger.event,
        data: trigger.data,
    };
    let data = match event.event_data(&account) {
        Ok(data) => data,
        Err(err) => return problem(StatusCode::BAD_REQUEST, &format!("invalid event: {err}")),
    };
    let webhooks = app.store.subscribed(&account, data.event);
    {
        let mut triggered = lock(&ui.triggered);
        triggered.push_back(Triggered {
            account: account.clone(),
            at: OffsetDateTime::now_utc(),
            data: data.clone(),
            webhooks: webhooks.clone(),
        });
        while triggered.len() > TRIGGERS_KEPT {
            triggered.pop_front();
        }
    }
    let signer = app.store.enabled_signer(&account);
    let tasks = app.deliverer.deliver(&account, &data, &webhooks, signer);
    (
        StatusCode::ACCEPTED,
        axum::Json(json!({ "account": account, "webhooks": tasks.len() })),
    )
        .into_response()
}

/// The id of an attempt: the same for the same attempt in every listing.
fn attempt_id(attempt: &DeliveryAttempt) -> String {
    let mut hash = Sha256::new();
    for part in [
        attempt.webhook_id.to_string(),
        attempt.attempt.to_string(),
        attempt.started_at.clone(),
        attempt.finished_at.clone(),
        attempt.url.clone(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// When each first attempt of a webhook and event started: an attempt #1 begins the
/// deliveries of one event, and its retries follow it.
struct FirstAttempts(HashMap<(Uuid, Event), Vec<OffsetDateTime>>);

impl FirstAttempts {
    fn of(logged: &[DeliveryAttempt]) -> FirstAttempts {
        let mut starts: HashMap<(Uuid, Event), Vec<OffsetDateTime>> = HashMap::new();
        for attempt in logged.iter().filter(|attempt| attempt.attempt == 1) {
            if let Ok(started) = OffsetDateTime::parse(&attempt.started_at, &Rfc3339) {
                starts
                    .entry((attempt.webhook_id, attempt.event))
                    .or_default()
                    .push(started);
            }
        }
        for starts in starts.values_mut() {
            starts.sort();
        }
        FirstAttempts(starts)
    }

    /// The start of the first attempt of the event `attempt` belongs to.
    fn head(&self, attempt: &DeliveryAttempt, started: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempt.attempt == 1 {
            return Some(started);
        }
        let starts = self.0.get(&(attempt.webhook_id, attempt.event))?;
        starts.iter().rev().find(|head| **head <= started).copied()
    }

    /// The first attempt of the webhook and event that started at or after `at`.
    fn first_after(
        &self,
        webhook: Uuid,
        event: Event,
        at: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        let starts = self.0.get(&(webhook, event))?;
        starts.iter().find(|start| **start >= at).copied()
    }
}

/// An attempt as the page shows it, with its body when it was triggered from the page.
fn attempt_view(
    ui: &UiState,
    account: &str,
    attempt: &DeliveryAttempt,
    firsts: &FirstAttempts,
) -> Value {
    let started = OffsetDateTime::parse(&attempt.started_at, &Rfc3339).ok();
    let finished = OffsetDateTime::parse(&attempt.finished_at, &Rfc3339).ok();
    let duration_ms = started
        .zip(finished)
        .map(|(started, finished)| (finished - started).whole_milliseconds().max(0));
    let (body, method, content_type) =
        match started.and_then(|started| body_of(ui, account, attempt, started, firsts)) {
            Some((body, method, content_type)) => (Some(body), Some(method), Some(content_type)),
            None => (None, None, None),
        };
    json!({
        "id": attempt_id(attempt),
        "webhook_id": attempt.webhook_id,
        "event": attempt.event.as_str(),
        "url": attempt.url,
        "attempt": attempt.attempt,
        "status": attempt.status,
        "error": attempt.error,
        "outcome": if attempt.error.is_none() { "delivered" } else { "failed" },
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "duration_ms": duration_ms,
        "method": method,
        "content_type": content_type,
        "body": body,
    })
}

/// The body an attempt carried, rendered again from the data of the event triggered from the
/// page that made it: the latest such event of the account, event and webhook before the
/// attempt's first attempt, when that first attempt is the first one after the event (a later
/// one belongs to an event triggered elsewhere, whose body is unknown).
fn body_of(
    ui: &UiState,
    account: &str,
    attempt: &DeliveryAttempt,
    started: OffsetDateTime,
    firsts: &FirstAttempts,
) -> Option<(String, &'static str, &'static str)> {
    let head = firsts.head(attempt, started)?;
    let triggered = lock(&ui.triggered);
    let (trigger, webhook) = triggered.iter().rev().find_map(|trigger| {
        (trigger.account == account && trigger.data.event == attempt.event && trigger.at <= head)
            .then(|| {
                trigger
                    .webhooks
                    .iter()
                    .find(|webhook| webhook.id == attempt.webhook_id)
                    .map(|webhook| (trigger, webhook))
            })
            .flatten()
    })?;
    if firsts.first_after(attempt.webhook_id, attempt.event, trigger.at) != Some(head) {
        return None;
    }
    let method = webhook.method.as_str();
    if !webhook.method.has_body() {
        return Some((String::new(), method, ""));
    }
    let parsed;
    let template = match webhook.template.as_deref().map(Template::parse) {
        None => default_template(attempt.event, webhook.encoding),
        Some(Ok(template)) => {
            parsed = template;
            &parsed
        }
        Some(Err(_)) => return None,
    };
    let mut data = trigger.data.clone();
    data.retry_count = attempt.attempt.saturating_sub(1);
    let body = template.render(&data).ok()?;
    Some((body, method, webhook.encoding.content_type()))
}

#[derive(Debug, Deserialize)]
struct Listing {
    session: Option<String>,
    /// The id of the last attempt the page has (empty: none): answer the attempts after it,
    /// holding the question up to [`HOLD`] while there are none.
    after: Option<String>,
}

/// The account's attempts, oldest first.
fn logged(app: &App, account: &str) -> Vec<DeliveryAttempt> {
    app.store
        .deliveries()
        .query(account, &DeliveryFilter::default(), 0, usize::MAX)
}

/// `GET /sandbox/ui/attempts`: without `after`, the session account's attempts, newest first
/// (at most 500), and the id of the newest; with `after`, the attempts logged after that one,
/// oldest first, as soon as there is one or after [`HOLD`] (none), or `reset` when that attempt
/// is no longer in the log (reload the list).
async fn attempts(
    State(app): State<Arc<App>>,
    Extension(ui): Extension<Arc<UiState>>,
    headers: HeaderMap,
    Query(listing): Query<Listing>,
) -> Response {
    let account = match account_of(&ui, &headers, listing.session.as_deref()) {
        Ok(account) => account,
        Err(response) => return *response,
    };
    let Some(after) = listing.after else {
        let logged = logged(&app, &account);
        let firsts = FirstAttempts::of(&logged);
        let last = logged.last().map(attempt_id).unwrap_or_default();
        let attempts: Vec<Value> = logged
            .iter()
            .rev()
            .take(LISTED)
            .map(|attempt| attempt_view(&ui, &account, attempt, &firsts))
            .collect();
        return axum::Json(json!({
            "account": account,
            "last_event_id": last,
            "attempts": attempts,
        }))
        .into_response();
    };
    let deadline = tokio::time::Instant::now() + HOLD;
    loop {
        let logged = logged(&app, &account);
        let from = if after.is_empty() {
            Some(0)
        } else {
            logged
                .iter()
                .rposition(|attempt| attempt_id(attempt) == after)
                .map(|at| at + 1)
        };
        let last = logged.last().map(attempt_id).unwrap_or_default();
        match from {
            None => {
                return axum::Json(json!({
                    "account": account,
                    "last_event_id": last,
                    "attempts": [],
                    "reset": true,
                }))
                .into_response();
            }
            Some(from) if from < logged.len() || tokio::time::Instant::now() >= deadline => {
                let firsts = FirstAttempts::of(&logged);
                let attempts: Vec<Value> = logged[from..]
                    .iter()
                    .map(|attempt| attempt_view(&ui, &account, attempt, &firsts))
                    .collect();
                return axum::Json(json!({
                    "account": account,
                    "last_event_id": if attempts.is_empty() { after } else { last },
                    "attempts": attempts,
                    "reset": false,
                }))
                .into_response();
            }
            Some(_) => tokio::time::sleep(TICK).await,
        }
    }
}

/// The page. Everything from the log is set with `textContent`; the nonce is new per answer.
const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>webhooks-sandbox deliveries</title>
<style nonce="{{NONCE}}">
:root { --ink: #1d2430; --muted: #5d6879; --line: #dde2ea; --wash: #f4f6f9; --ok: #17803d; --ok-wash: #e3f5e9; --bad: #b42318; --bad-wash: #fdecea; --info: #2456c7; --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--wash); display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 14px; padding: 10px 18px; background: #243b2f; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
#account { color: #cfe0d5; font-size: 12.5px; flex: 1; }
#live { font-size: 12px; padding: 2px 10px; border-radius: 999px; background: #3c5a49; }
#live::before { content: "●"; margin-right: 6px; color: #f0b429; }
#live[data-state="on"]::before { color: #3ddc84; }
#live[data-state="off"]::before { color: #ff6b6b; }
form#trigger-form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 10px 18px; background: #fff; border-bottom: 1px solid var(--line); }
input, select, textarea, button { font: inherit; color: inherit; }
input, select, textarea { padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
#content { min-width: 260px; flex: 1; max-width: 420px; }
#data { font: 12px var(--mono); min-width: 240px; height: 32px; }
button { padding: 5px 12px; border: 1px solid #b8c2d3; border-radius: 6px; background: #fff; cursor: pointer; }
button.primary { background: #1f7a4d; border-color: #1f7a4d; color: #fff; }
#trigger-result { font-size: 13px; color: var(--muted); }
#trigger-result.bad { color: var(--bad); }
main { flex: 1; display: flex; min-height: 0; }
#list { flex: 1 1 60%; overflow: auto; background: #fff; }
table { width: 100%; border-collapse: collapse; }
th { position: sticky; top: 0; background: #eef1f6; text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); padding: 7px 10px; border-bottom: 1px solid var(--line); }
td { padding: 7px 10px; border-bottom: 1px solid #edf0f4; vertical-align: top; }
tr.row { cursor: pointer; }
tr.row:hover { background: #f7f9fc; }
tr.row.selected { background: #e7eefc; }
td.mono { font: 12px var(--mono); white-space: nowrap; color: var(--muted); }
td.url { font: 12px var(--mono); word-break: break-all; }
.badge { display: inline-block; font-size: 11.5px; font-weight: 600; padding: 1px 8px; border-radius: 999px; }
.badge.delivered { background: var(--ok-wash); color: var(--ok); }
.badge.failed { background: var(--bad-wash); color: var(--bad); }
.why { display: block; font-size: 12px; color: var(--bad); }
#empty { color: var(--muted); padding: 28px 18px; }
#detail { flex: 1 1 40%; overflow: auto; border-left: 1px solid var(--line); background: #fff; padding: 14px 18px; min-width: 340px; }
#detail h2 { font-size: 16px; margin: 0 0 8px; }
#detail h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .5px; color: var(--muted); margin: 16px 0 6px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0; font-size: 13px; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-word; }
pre { margin: 0; padding: 10px 12px; background: #f6f8fb; border: 1px solid var(--line); border-radius: 6px; font: 12px/1.5 var(--mono); white-space: pre-wrap; word-break: break-all; max-height: 420px; overflow: auto; }
.note { color: var(--muted); font-size: 12.5px; }
#login { position: fixed; inset: 0; background: rgba(20, 40, 30, .55); display: flex; align-items: center; justify-content: center; }
#login[hidden] { display: none; }
#login form { background: #fff; padding: 22px; border-radius: 10px; width: 420px; box-shadow: 0 10px 40px rgba(0,0,0,.3); display: flex; flex-direction: column; gap: 8px; }
#login-error { color: var(--bad); font-size: 13px; min-height: 1em; margin: 0; }
</style>
</head>
<body>
<header>
  <h1>webhooks-sandbox · deliveries</h1>
  <span id="live" data-state="connecting">connecting…</span>
  <span id="account"></span>
</header>
<div id="login" hidden>
  <form id="login-form">
    <strong>Open the delivery log</strong>
    <span class="note">The API key and secret this sandbox accepts. They are sent once, to open a session for their account; the page keeps only the session.</span>
    <input id="api-key" autocomplete="username" placeholder="API key" aria-label="API key">
    <input id="api-secret" type="password" autocomplete="current-password" placeholder="API secret" aria-label="API secret">
    <p id="login-error"></p>
    <button class="primary" type="submit" id="login-button">Open</button>
  </form>
</div>
<form id="trigger-form">
  <select id="event" aria-label="event"></select>
  <input id="content" placeholder="content (replies and opt-outs)" aria-label="content">
  <textarea id="data" placeholder='more data as JSON: {"metadata": {"order": "42"}}' aria-label="more data"></textarea>
  <button class="primary" type="submit" id="trigger">Trigger event</button>
  <span id="trigger-result"></span>
</form>
<main>
  <div id="list">
    <table>
      <thead><tr><th>started</th><th>event</th><th>url</th><th>attempt</th><th>status</th><th>outcome</th><th>duration</th></tr></thead>
      <tbody id="attempts"></tbody>
    </table>
    <p id="empty">No deliveries yet: trigger an event.</p>
  </div>
  <aside id="detail" hidden></aside>
</main>
<script nonce="{{NONCE}}">
'use strict';
// Data from the sandbox is put on the page with textContent only (through el()).
const $ = (id) => document.getElementById(id);
const state = { session: sessionStorage.getItem('sandbox-ui-session'), attempts: new Map(), last: '', following: 0, selected: null };
const TEXT_EVENTS = ['RECEIVED_SMS', 'RECEIVED_MMS', 'OPT_OUT_SMS'];

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function call(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.session && !headers.Authorization) headers['X-Sandbox-Session'] = state.session;
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: 'omit', cache: 'no-store' }));
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const error = new Error((body && body.message) || response.status + ' ' + response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function setLive(mode, text) { $('live').dataset.state = mode; $('live').textContent = text; }

function askLogin(message) {
  state.session = null;
  sessionStorage.removeItem('sandbox-ui-session');
  state.following += 1;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('api-key').focus();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  const secret = $('api-secret').value;
  $('api-secret').value = '';
  let opened;
  try {
    opened = await call('/sandbox/ui/session', { method: 'POST', headers: { Authorization: 'Basic ' + btoa(key + ':' + secret) } });
  } catch (error) {
    $('login-error').textContent = 'Not accepted: ' + error.message;
    return;
  }
  state.session = opened.session;
  sessionStorage.setItem('sandbox-ui-session', opened.session);
  $('login').hidden = true;
  start();
});

async function start() {
  if (!state.session) { askLogin(); return; }
  let listing;
  try {
    listing = await call('/sandbox/ui/attempts');
  } catch (error) {
    if (error.status === 401) askLogin('Your session ended (the sandbox restarted?): open it again.');
    else { setLive('off', 'cannot reach the sandbox'); setTimeout(start, 2000); }
    return;
  }
  $('account').textContent = 'account ' + listing.account;
  state.attempts.clear();
  $('attempts').replaceChildren();
  for (const attempt of listing.attempts.slice().reverse()) upsert(attempt);
  state.last = listing.last_event_id;
  state.following += 1;
  follow(state.following);
}

// Asks for the attempts after the last one shown; the sandbox answers as soon as there is one.
async function follow(generation) {
  while (generation === state.following && state.session) {
    let answer;
    try {
      answer = await call('/sandbox/ui/attempts?after=' + encodeURIComponent(state.last));
    } catch (error) {
      if (error.status === 401) { askLogin('Your session ended (the sandbox restarted?): open it again.'); return; }
      setLive('off', 'reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    setLive('on', 'live');
    if (answer.reset) { start(); return; }
    for (const attempt of answer.attempts) upsert(attempt);
    state.last = answer.last_event_id;
  }
}

function clock(iso) {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return pad(at.getHours()) + ':' + pad(at.getMinutes()) + ':' + pad(at.getSeconds()) + '.' + pad(at.getMilliseconds(), 3);
}

function upsert(attempt) {
  const known = state.attempts.has(attempt.id);
  state.attempts.set(attempt.id, attempt);
  const outcome = el('td', {}, el('span', { class: 'badge ' + attempt.outcome, text: attempt.outcome }));
  if (attempt.error) outcome.append(el('span', { class: 'why', text: attempt.error }));
  const tr = el('tr', { class: 'row', 'data-id': attempt.id, 'data-outcome': attempt.outcome },
    el('td', { class: 'mono', text: clock(attempt.started_at), title: attempt.started_at }),
    el('td', { class: 'mono', text: attempt.event }),
    el('td', { class: 'url', text: attempt.url }),
    el('td', { class: 'mono', text: '#' + attempt.attempt }),
    el('td', { class: 'mono status', text: attempt.status === null || attempt.status === undefined ? '–' : String(attempt.status) }),
    outcome,
    el('td', { class: 'mono', text: attempt.duration_ms === null ? '–' : attempt.duration_ms + ' ms' }));
  tr.addEventListener('click', () => select(attempt.id));
  if (attempt.id === state.selected) tr.classList.add('selected');
  const old = $('attempts').querySelector('tr[data-id="' + CSS.escape(attempt.id) + '"]');
  if (old) old.replaceWith(tr);
  else $('attempts').prepend(tr);
  $('empty').hidden = true;
  if (!known && attempt.id === state.selected) select(attempt.id);
}

function select(id) {
  state.selected = id;
  for (const tr of $('attempts').children) tr.classList.toggle('selected', tr.dataset.id === id);
  const attempt = state.attempts.get(id);
  if (!attempt) return;
  const facts = el('dl');
  for (const [name, value] of [['event', attempt.event], ['url', attempt.url], ['method', attempt.method], ['attempt', '#' + attempt.attempt],
    ['status', attempt.status], ['outcome', attempt.outcome], ['error', attempt.error], ['started', attempt.started_at],
    ['finished', attempt.finished_at], ['duration', attempt.duration_ms === null ? null : attempt.duration_ms + ' ms'], ['webhook', attempt.webhook_id]]) {
    if (value === null || value === undefined || value === '') continue;
    facts.append(el('dt', { text: name }), el('dd', { text: String(value) }));
  }
  const body = attempt.body === null || attempt.body === undefined
    ? el('p', { class: 'note', id: 'attempt-body-missing', text: 'The delivery log keeps no bodies: bodies are shown for events triggered from this page.' })
    : el('pre', { id: 'attempt-body', text: attempt.body === '' ? '(no body: ' + attempt.method + ')' : attempt.body });
  $('detail').hidden = false;
  $('detail').replaceChildren(el('h2', { text: attempt.event + ' · attempt #' + attempt.attempt }), facts,
    el('h3', { text: 'body' + (attempt.content_type ? ' (' + attempt.content_type + ')' : '') }), body);
}

$('trigger-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = $('trigger-result');
  let data = {};
  const extra = $('data').value.trim();
  if (extra) {
    try { data = JSON.parse(extra); } catch (error) { result.textContent = 'The data is not JSON: ' + error.message; result.className = 'bad'; return; }
  }
  const name = $('event').value;
  const content = $('content').value;
  if (content && TEXT_EVENTS.includes(name)) data.content = content;
  try {
    const answer = await call('/sandbox/ui/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event: name, data }) });
    result.textContent = name + ': ' + answer.webhooks + ' webhook(s) called';
    result.className = '';
  } catch (error) {
    if (error.status === 401) { askLogin('Your session ended: open it again.'); return; }
    result.textContent = 'Not triggered: ' + error.message;
    result.className = 'bad';
  }
});

for (const name of ['RECEIVED_SMS', 'OPT_OUT_SMS', 'RECEIVED_MMS', 'ENROUTE_DR', 'EXPIRED_DR', 'REJECTED_DR', 'FAILED_DR', 'DELIVERED_DR', 'SUBMITTED_DR']) {
  $('event').append(el('option', { value: name, text: name }));
}
start();
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sandbox;

    const KEY: &str = "ui-key";
    const SECRET: &str = "ui-secret";

    async fn receiver() -> String {
        let router = Router::new().fallback(|| async { StatusCode::OK });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    }

    #[tokio::test]
    async fn the_page_asks_for_credentials_and_shows_the_bodies_of_what_it_triggered() {
        let sandbox = Sandbox::builder()
            .credentials(KEY, SECRET)
            .start()
            .await
            .unwrap();
        let base = sandbox.base_url();
        let http = reqwest::Client::new();
        let url = receiver().await;
        let created = http
            .post(format!("{base}/v1/webhooks/messages"))
            .basic_auth(KEY, Some(SECRET))
            .json(&json!({"url": url, "method": "POST", "encoding": "JSON", "events": ["RECEIVED_SMS"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);

        let page = http.get(format!("{base}/sandbox/ui")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(
            page.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'")
        );
        let html = page.text().await.unwrap();
        assert!(!html.contains(SECRET) && !html.contains("{{NONCE}}"));

        let anonymous = http
            .post(format!("{base}/sandbox/ui/session"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
        let opened: Value = http
            .post(format!("{base}/sandbox/ui/session"))
            .basic_auth(KEY, Some(SECRET))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(opened["account"], KEY);
        assert!(!opened.to_string().contains(SECRET));
        let session = opened["session"].as_str().unwrap();

        let event = json!({"event": "RECEIVED_SMS", "data": {"content": "<b>hi</b>"}});
        let foreign = http
            .post(format!("{base}/sandbox/ui/events"))
            .header(SESSION_HEADER, session)
            .header("origin", "http://evil.example")
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 403);
        let unknown = http
            .post(format!("{base}/sandbox/ui/events"))
            .header(SESSION_HEADER, "f".repeat(64))
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 401);
        let triggered = http
            .post(format!("{base}/sandbox/ui/events"))
            .header(SESSION_HEADER, session)
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(triggered.status(), 202);
        assert_eq!(triggered.json::<Value>().await.unwrap()["webhooks"], 1);

        let started = std::time::Instant::now();
        let listed = loop {
            let listed: Value = http
                .get(format!("{base}/sandbox/ui/attempts?session={session}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if !listed["attempts"].as_array().unwrap().is_empty() {
                break listed;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never delivered"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let attempt = &listed["attempts"][0];
        assert_eq!(attempt["status"], 200);
        assert_eq!(attempt["outcome"], "delivered");
        assert_eq!(attempt["event"], "RECEIVED_SMS");
        assert_eq!(listed["last_event_id"], attempt["id"]);
        let body: Value = serde_json::from_str(attempt["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["content"], "<b>hi</b>");

        // Asked for what follows it: nothing, after the hold; from the start: it.
        let id = attempt["id"].as_str().unwrap();
        let asked = std::time::Instant::now();
        let after: Value = http
            .get(format!(
                "{base}/sandbox/ui/attempts?session={session}&after={id}"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(after["attempts"].as_array().unwrap().is_empty());
        assert!(asked.elapsed() >= HOLD - TICK, "held");
        assert_eq!(after["last_event_id"], id);
        let from_start: Value = http
            .get(format!(
                "{base}/sandbox/ui/attempts?session={session}&after="
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(from_start["attempts"][0]["id"], id);
        let gone: Value = http
            .get(format!(
                "{base}/sandbox/ui/attempts?session={session}&after=0123456789abcdef"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(gone["reset"], true);

        // An event triggered elsewhere: its attempt has no body (not the page's event's).
        sandbox
            .trigger_event(SimulatedEvent {
                account: None,
                event: Event::ReceivedSms,
                data: serde_json::Map::new(),
            })
            .await
            .unwrap();
        let listed: Value = http
            .get(format!("{base}/sandbox/ui/attempts?session={session}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed["attempts"].as_array().unwrap().len(), 2);
        assert_eq!(listed["attempts"][0]["body"], Value::Null);
        assert_eq!(listed["attempts"][1]["id"], id);
        assert!(listed["attempts"][1]["body"].is_string());
        sandbox.shutdown().await;
    }
}
