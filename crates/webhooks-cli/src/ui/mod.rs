//! The inspector of `mm-webhooks listen --ui`: one page (`inspector.html`, embedded) and the
//! JSON endpoints it uses, served on a port of its own, bound to loopback unless told
//! otherwise with a token.
//!
//! Its own port, not the receiver's: the receiver's port is the one a tunnel exposes to the
//! platform, and the inspector must never ride along on it; and a callback may arrive by GET
//! at any path, `/` included, so no path of the receiver is free for a page.
//!
//! What it shows comes from the inbox (stored callbacks, their state and attempts; they
//! survive a restart) and from a [`journal::Journal`] held in memory (requests refused before
//! they were stored, edited replays, how each handler run went). The page follows changes by
//! server-sent events numbered `EPOCH-SEQ`; a reconnecting page sends the last number it saw
//! (`Last-Event-ID`) and gets every change since, or, when they are no longer kept or `listen`
//! restarted, a `reset` that makes it reload the list.
//!
//! Safety: the page and the data never leave this machine by default (127.0.0.1); another bind
//! address needs `--ui-token`, which the page asks for. Every `/api/` request must come from
//! the page's own origin (`Origin`, `Sec-Fetch-Site`) and, on loopback, name a loopback host
//! (so a DNS-rebinding page cannot read it); state-changing ones need a session token the page
//! gets from `POST /api/session`. No key or secret is ever sent to the page; bodies are shown
//! with `textContent` only, under a Content-Security-Policy that runs nothing but the page's
//! own script.

mod journal;
mod view;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::watch;
use webhooks_callbacks::inbox::{Entry, EntryId, Inbox, ListFilter, MAX_LIST, Replay};

use journal::{Change, Edited, Journal, Refused, Resume};
pub use journal::{Handling, REFUSED_KEPT};

/// The page: HTML, CSS and script in one file, no build step, nothing fetched from elsewhere.
const PAGE: &str = include_str!("inspector.html");

/// Sessions kept at once (the oldest is forgotten first): a page per tab, scripts.
const SESSIONS_KEPT: usize = 64;

/// The shortest `--ui-token` accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// Changes sent to a page in one go before it is looked at again.
const BATCH: usize = 256;

/// The longest list one call answers (and the page starts with).
const LIST_DEFAULT: usize = 500;

/// Headers that carry the signature: an edited replay goes without them.
const SIGNATURE_HEADERS: [&str; 5] = [
    "x-messagemedia-signature",
    "x-messagemedia-key-id",
    "x-messagemedia-digest-type",
    "x-messagemedia-cipher-type",
    "authorization",
];

/// The header an edited replay carries, so the app can tell it from a callback.
pub const EDITED_HEADER: &str = "x-mm-webhooks-replay";

/// Sends a request to the `--forward-to` app: its status, or why it failed.
pub trait Forwarder: Send + Sync + 'static {
    /// Forwards one request.
    fn forward(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> BoxFuture<'static, Result<u16, String>>;
}

/// How the inspector is set up.
pub struct Options {
    /// The receiver's base URL (for copied curl commands without `--forward-to`).
    pub receiver: String,
    /// The `--forward-to` base URL.
    pub forward_to: Option<String>,
    /// Sends edited replays.
    pub forwarder: Option<Arc<dyn Forwarder>>,
    /// The inbox file, shown on the page.
    pub inbox_path: String,
    /// The `--ui-token`.
    pub token: Option<String>,
}

/// The inspector's state: the inbox, the journal, the sessions.
pub struct Inspector {
    inbox: Inbox,
    options: Options,
    epoch: String,
    journal: Mutex<Journal>,
    changed: watch::Sender<u64>,
    sessions: Mutex<std::collections::VecDeque<String>>,
    /// Set when the inspector is bound to loopback: requests must name a loopback host.
    loopback: std::sync::atomic::AtomicBool,
    stop: watch::Receiver<bool>,
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Inspector {
    /// An inspector of `inbox`; it follows the inbox's changes from now on, until `stop`.
    pub fn new(inbox: Inbox, options: Options, stop: watch::Receiver<bool>) -> Arc<Inspector> {
        let inspector = Arc::new(Inspector {
            epoch: random_hex(4),
            changed: watch::channel(0).0,
            journal: Mutex::new(Journal::default()),
            sessions: Mutex::new(std::collections::VecDeque::new()),
            loopback: std::sync::atomic::AtomicBool::new(true),
            stop,
            options,
            inbox,
        });
        let mut notices = inspector.inbox.subscribe();
        let follower = Arc::downgrade(&inspector);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let change = match notices.recv().await {
                    Ok(id) => Change::Stored(id),
                    Err(RecvError::Lagged(_)) => Change::Reset,
                    Err(RecvError::Closed) => return,
                };
                let Some(inspector) = follower.upgrade() else {
                    return;
                };
                inspector.push(change);
            }
        });
        inspector
    }

    fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, change: Change) {
        let seq = self.journal().push(change);
        self.changed.send_replace(seq);
    }

    fn event_id(&self, seq: u64) -> String {
        format!("{}-{seq}", self.epoch)
    }

    /// Records a request answered `status` without being stored, with the reason.
    pub fn refused(
        &self,
        method: &Method,
        target: String,
        headers: &HeaderMap,
        body: &Bytes,
        status: StatusCode,
        reason: String,
    ) {
        let refused = Refused {
            id: 0,
            at: OffsetDateTime::now_utc(),
            method: method.to_string(),
            target,
            headers: text_headers(headers),
            body: body.clone(),
            body_len: body.len(),
            status: status.as_u16(),
            reason,
        };
        let seq = {
            let mut journal = self.journal();
            journal.refuse(refused);
            journal.seq()
        };
        self.changed.send_replace(seq);
    }

    /// Records how a handler run of stored callback `id` went.
    pub fn handled(&self, id: EntryId, handling: Handling) {
        self.journal().handled(id, handling);
    }

    /// Tells the page a stored callback changed (a duplicate arrived).
    pub fn touched(&self, id: EntryId) {
        self.push(Change::Stored(id));
    }

    /// Serves the inspector on `listener` until the stop signal.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let address = listener.local_addr()?;
        self.loopback.store(
            address.ip().is_loopback(),
            std::sync::atomic::Ordering::Relaxed,
        );
        let mut stop = self.stop.clone();
        axum::serve(listener, router(self))
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await
    }

    fn curl_base(&self) -> &str {
        self.options
            .forward_to
            .as_deref()
            .unwrap_or(&self.options.receiver)
    }

    /// A new session token for a page or a script.
    fn open_session(&self) -> String {
        let token = random_hex(16);
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.push_back(token.clone());
        while sessions.len() > SESSIONS_KEPT {
            sessions.pop_front();
        }
        token
    }

    fn has_session(&self, token: &str) -> bool {
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|session| same(session, token))
    }

    /// The row of a change, as the page lists it; `None` for a callback no longer there.
    async fn row_of(&self, change: Change) -> Option<Value> {
        match change {
            Change::Stored(id) => {
                let entry = self.inbox.get(id).await.ok().flatten()?;
                let handling = self.journal().handling(id).cloned();
                Some(view::stored_row(&entry, handling.as_ref()))
            }
            Change::Refused(id) => self.journal().refused(id).map(view::refused_row),
            Change::Edited(id) => self.journal().edited(id).map(view::edited_row),
            Change::Reset => None,
        }
    }
}

/// A callback as the page names it: `c12` stored, `r3` refused, `e2` an edited replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ref {
    Stored(EntryId),
    Refused(u64),
    Edited(u64),
}

impl std::str::FromStr for Ref {
    type Err = ();

    fn from_str(text: &str) -> Result<Ref, ()> {
        let (kind, number) = text.split_at_checked(1).ok_or(())?;
        let number: u64 = number.parse().map_err(|_| ())?;
        match kind {
            "c" => Ok(Ref::Stored(EntryId(number))),
            "r" => Ok(Ref::Refused(number)),
            "e" => Ok(Ref::Edited(number)),
            _ => Err(()),
        }
    }
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ref::Stored(id) => write!(f, "c{id}"),
            Ref::Refused(id) => write!(f, "r{id}"),
            Ref::Edited(id) => write!(f, "e{id}"),
        }
    }
}

/// The inspector's routes, behind the [`guard`].
fn router(inspector: Arc<Inspector>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/session", post(session))
        .route("/api/callbacks", get(list))
        .route("/api/callbacks/{reference}", get(detail))
        .route("/api/callbacks/{reference}/replay", post(replay))
        .route(
            "/api/callbacks/{reference}/replay-edited",
            post(replay_edited),
        )
        .route("/api/export", get(export))
        .route("/api/stream", get(stream))
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "no such page or endpoint") })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&inspector),
            guard,
        ))
        .with_state(inspector)
}

/// An error as the endpoints answer it: `{"error": "..."}`.
fn problem(status: StatusCode, message: &str) -> Response {
    let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
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

/// The session header of the page's requests.
const SESSION_HEADER: &str = "x-inspector-session";

/// Checks every request before its handler: the host (on loopback), the origin, the token and
/// the session.
async fn guard(State(inspector): State<Arc<Inspector>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let path = request.uri().path().to_owned();
    if inspector
        .loopback
        .load(std::sync::atomic::Ordering::Relaxed)
        && !loopback_host(headers)
    {
        return problem(
            StatusCode::FORBIDDEN,
            "the inspector answers only requests for a loopback host (127.0.0.1, localhost, [::1])",
        );
    }
    if !path.starts_with("/api/") {
        return next.run(request).await;
    }
    if let Err(reason) = same_origin(headers) {
        return problem(StatusCode::FORBIDDEN, &reason);
    }
    let query_session = request.uri().query().and_then(|query| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()?
            .into_iter()
            .find_map(|(name, value)| (name == "session").then_some(value))
    });
    let session = headers
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or(query_session);
    let has_session = session
        .as_deref()
        .is_some_and(|session| inspector.has_session(session));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let token_ok = match (&inspector.options.token, bearer) {
        (None, _) => true,
        (Some(token), Some(given)) => same(token, given.trim()),
        (Some(_), None) => false,
    };
    if path == "/api/session" {
        if !token_ok {
            return problem(
                StatusCode::UNAUTHORIZED,
                "this inspector needs its --ui-token (Authorization: Bearer TOKEN)",
            );
        }
    } else if request.method() == Method::GET {
        if !(token_ok || has_session) {
            return problem(
                StatusCode::UNAUTHORIZED,
                "this inspector needs its --ui-token or a session",
            );
        }
    } else if !has_session {
        return problem(
            StatusCode::FORBIDDEN,
            "a session token is needed (X-Inspector-Session, from POST /api/session)",
        );
    }
    let mut response = next.run(request).await;
    no_store(response.headers_mut());
    response
}

/// Whether the `Host` names this machine's loopback: a page on another name that resolves to
/// 127.0.0.1 (DNS rebinding) is refused.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// Refuses a request another origin's page made: `Sec-Fetch-Site` other than `same-origin`
/// or `none` (a typed address), or an `Origin` other than the inspector's own. A script (no
/// `Origin`, no `Sec-Fetch-Site`) passes.
fn same_origin(headers: &HeaderMap) -> Result<(), String> {
    let text = |name| {
        headers
            .get(name)
            .map(|value: &HeaderValue| value.to_str().unwrap_or("?"))
    };
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return Err(format!(
            "cross-origin request refused (Sec-Fetch-Site: {site})"
        ));
    }
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        let host = text(header::HOST.as_str()).unwrap_or_default();
        let own = format!("http://{host}");
        if !origin.eq_ignore_ascii_case(&own) {
            return Err(format!(
                "cross-origin request refused (Origin {origin} is not {own})"
            ));
        }
    }
    Ok(())
}

/// Compares two tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}

/// `bytes` random bytes from the operating system, in hex.
fn random_hex(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes * 2);
    while out.len() < bytes * 2 {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

fn text_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// `GET /`: the page, under a policy that runs only its own script and style (a nonce per
/// answer), connects only to this origin, and may not be framed.
async fn page() -> Response {
    let nonce = random_hex(16);
    let html = PAGE.replace("{{NONCE}}", &nonce);
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
        html,
    )
        .into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    no_store(response.headers_mut());
    response
}

/// `POST /api/session`: a session token, and what the page shows in its header.
async fn session(State(inspector): State<Arc<Inspector>>) -> Response {
    let options = &inspector.options;
    axum::Json(json!({
        "session": inspector.open_session(),
        "receiver": options.receiver,
        "forward_to": options.forward_to,
        "inbox": options.inbox_path,
        "refused_kept": REFUSED_KEPT,
        "version": env!("CARGO_PKG_VERSION"),
    }))
    .into_response()
}

/// The filters of the list and the export; each left out matches everything.
#[derive(Debug, Default, Deserialize)]
struct Filter {
    /// `delivery_report`, `inbound_sms`, `inbound_mms`, `opt_out`, `unknown`.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// `verified`, `refused`, `edited`.
    verification: Option<String>,
    /// `done`, `pending`, `dead`, `refused`, `failed`.
    outcome: Option<String>,
    /// Text anywhere in the headline, target, reason, type, ref or body (any case).
    q: Option<String>,
    limit: Option<usize>,
}

impl Filter {
    fn matches(&self, row: &Value) -> bool {
        let field = |name: &str| row[name].as_str().unwrap_or_default();
        let wanted = |filter: &Option<String>, name: &str| {
            filter
                .as_deref()
                .is_none_or(|want| want.is_empty() || want == field(name))
        };
        wanted(&self.kind, "type")
            && wanted(&self.verification, "verification")
            && wanted(&self.outcome, "outcome")
            && self.q.as_deref().is_none_or(|q| {
                let q = q.to_lowercase();
                [
                    "headline",
                    "target",
                    "reason",
                    "type",
                    "ref",
                    "text",
                    "outcome_label",
                ]
                .iter()
                .any(|name| field(name).to_lowercase().contains(&q))
            })
    }
}

/// `GET /api/callbacks`: rows, newest first, of stored callbacks, refused requests and edited
/// replays, with the number of the latest change to follow the stream from.
async fn list(State(inspector): State<Arc<Inspector>>, Query(filter): Query<Filter>) -> Response {
    // The change number first: a change that lands while the list is read is sent again.
    let seq = inspector.journal().seq();
    let limit = filter.limit.unwrap_or(LIST_DEFAULT).clamp(1, MAX_LIST);
    let stored = match inspector.inbox.list(ListFilter::new().limit(limit)).await {
        Ok(stored) => stored,
        Err(err) => return problem(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
    };
    let mut rows = {
        let journal = inspector.journal();
        let mut rows: Vec<(OffsetDateTime, Value)> = stored
            .iter()
            .map(|entry| {
                (
                    entry.received_at,
                    view::stored_row(entry, journal.handling(entry.id)),
                )
            })
            .collect();
        rows.extend(
            journal
                .all_refused()
                .map(|refused| (refused.at, view::refused_row(refused))),
        );
        rows.extend(
            journal
                .all_edited()
                .map(|edited| (edited.at, view::edited_row(edited))),
        );
        rows
    };
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|(_, row)| row)
        .filter(|row| filter.matches(row))
        .take(limit)
        .collect();
    axum::Json(json!({
        "last_event_id": inspector.event_id(seq),
        "rows": rows,
    }))
    .into_response()
}

fn parse_ref(reference: &str) -> Result<Ref, Box<Response>> {
    reference
        .parse()
        .map_err(|()| Box::new(problem(StatusCode::NOT_FOUND, "no such callback")))
}

/// `GET /api/callbacks/{ref}`: everything about one callback.
async fn detail(
    State(inspector): State<Arc<Inspector>>,
    Path(reference): Path<String>,
) -> Response {
    let reference = match parse_ref(&reference) {
        Ok(reference) => reference,
        Err(response) => return *response,
    };
    let base = inspector.curl_base().to_owned();
    let detail = match reference {
        Ref::Stored(id) => match inspector.inbox.get(id).await {
            Ok(Some(entry)) => {
                let handling = inspector.journal().handling(id).cloned();
                Some(view::stored_detail(&entry, handling.as_ref(), &base))
            }
            Ok(None) => None,
            Err(err) => return problem(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
        },
        Ref::Refused(id) => inspector
            .journal()
            .refused(id)
            .map(|refused| view::refused_detail(refused, &base)),
        Ref::Edited(id) => inspector
            .journal()
            .edited(id)
            .map(|edited| view::edited_detail(edited, &base)),
    };
    match detail {
        Some(mut detail) => {
            detail["can_edit"] = json!(inspector.options.forwarder.is_some());
            axum::Json(detail).into_response()
        }
        None => problem(
            StatusCode::NOT_FOUND,
            "no such callback (refused requests and edited replays are kept in memory only, the newest 200)",
        ),
    }
}

/// `POST /api/callbacks/{ref}/replay`: a stored callback handed to the workers again,
/// unchanged (forwarded to `--forward-to` with its original headers, signature included).
async fn replay(
    State(inspector): State<Arc<Inspector>>,
    Path(reference): Path<String>,
) -> Response {
    let id = match parse_ref(&reference) {
        Ok(Ref::Stored(id)) => id,
        Ok(_) => {
            return problem(
                StatusCode::CONFLICT,
                "only a stored callback replays unchanged: a refused request was never stored, and an edited one is replayed by editing again",
            );
        }
        Err(response) => return *response,
    };
    match inspector.inbox.get(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return problem(StatusCode::NOT_FOUND, "no such callback"),
        Err(err) => return problem(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
    }
    match inspector.inbox.replay(Replay::Id(id)).await {
        Ok(0) => problem(
            StatusCode::CONFLICT,
            "it is not handled yet (pending or being handled): it replays once it is done or dead",
        ),
        Ok(_) => {
            inspector.journal().replayed(id);
            let seq = inspector.journal().seq();
            inspector.changed.send_replace(seq);
            (
                StatusCode::ACCEPTED,
                axum::Json(json!({ "replayed": Ref::Stored(id).to_string() })),
            )
                .into_response()
        }
        Err(err) => problem(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
    }
}

/// What an edited replay sends.
#[derive(Debug, Deserialize)]
struct EditedRequest {
    /// The body to send.
    body: String,
    /// The headers to send (default: the original's); signature headers are dropped.
    headers: Option<Vec<(String, String)>>,
}

/// `POST /api/callbacks/{ref}/replay-edited`: a callback sent to the app as edited, without
/// its signature headers and marked `X-MM-Webhooks-Replay: edited`; kept in memory as an
/// edited replay, never stored in the inbox.
async fn replay_edited(
    State(inspector): State<Arc<Inspector>>,
    Path(reference): Path<String>,
    body: Bytes,
) -> Response {
    let Some(forwarder) = inspector.options.forwarder.clone() else {
        return problem(
            StatusCode::CONFLICT,
            "nothing to send it to: start listen with --forward-to URL",
        );
    };
    let edited: EditedRequest = match serde_json::from_slice(&body) {
        Ok(edited) => edited,
        Err(err) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!(
                    "expected {{\"body\": \"...\", \"headers\": [[name, value], ...]}}: {err}"
                ),
            );
        }
    };
    let reference = match parse_ref(&reference) {
        Ok(reference) => reference,
        Err(response) => return *response,
    };
    let original = match reference {
        Ref::Stored(id) => match inspector.inbox.get(id).await {
            Ok(entry) => entry.map(|entry: Entry| (entry.method, entry.target, entry.headers)),
            Err(err) => return problem(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
        },
        Ref::Refused(id) => inspector.journal().refused(id).map(|refused| {
            (
                refused.method.clone(),
                refused.target.clone(),
                refused.headers.clone(),
            )
        }),
        Ref::Edited(id) => inspector.journal().edited(id).map(|edited| {
            (
                edited.method.clone(),
                edited.target.clone(),
                edited.headers.clone(),
            )
        }),
    };
    let Some((method_text, target, original_headers)) = original else {
        return problem(StatusCode::NOT_FOUND, "no such callback");
    };
    let mut headers: Vec<(String, String)> = edited
        .headers
        .unwrap_or(original_headers)
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            !SIGNATURE_HEADERS.contains(&name.as_str())
                && !view::HOP_HEADERS.contains(&name.as_str())
                && name != EDITED_HEADER
        })
        .collect();
    headers.push((EDITED_HEADER.to_owned(), "edited".to_owned()));
    let mut header_map = HeaderMap::new();
    for (name, value) in &headers {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                header_map.append(name, value);
            }
            _ => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    &format!("not a header that can be sent: {name}"),
                );
            }
        }
    }
    let method = Method::from_bytes(method_text.as_bytes()).unwrap_or(Method::POST);
    let uri: Uri = target.parse().unwrap_or_else(|_| Uri::from_static("/"));
    let body = Bytes::from(edited.body);
    let started = Instant::now();
    let outcome = forwarder
        .forward(method, uri, header_map, body.clone())
        .await;
    let edited = Edited {
        id: 0,
        at: OffsetDateTime::now_utc(),
        from: reference.to_string(),
        method: method_text,
        target,
        headers,
        body,
        outcome,
        duration_ms: millis(started.elapsed()),
    };
    let row = {
        let mut journal = inspector.journal();
        let id = journal.edit(edited);
        journal.edited(id).map(view::edited_row)
    };
    let seq = inspector.journal().seq();
    inspector.changed.send_replace(seq);
    (StatusCode::CREATED, axum::Json(row)).into_response()
}

/// A duration in whole milliseconds.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// `GET /api/export`: the list as NDJSON, one detail per line (stored callbacks newest first,
/// then the refused requests and edited replays kept), with the list's filters.
async fn export(State(inspector): State<Arc<Inspector>>, Query(filter): Query<Filter>) -> Response {
    let filter = Arc::new(filter);
    let base = inspector.curl_base().to_owned();
    let pages = futures::stream::unfold(
        (Arc::clone(&inspector), None::<EntryId>, false),
        |(inspector, before, done)| async move {
            if done {
                return None;
            }
            let mut query = ListFilter::new().limit(MAX_LIST);
            if let Some(before) = before {
                query = query.before(before);
            }
            let page = inspector.inbox.list(query).await.unwrap_or_default();
            let last = page.last().map(|entry| entry.id);
            let finished = page.len() < MAX_LIST;
            let entries: Vec<(Entry, Option<Handling>)> = {
                let journal = inspector.journal();
                page.into_iter()
                    .map(|entry| {
                        let handling = journal.handling(entry.id).cloned();
                        (entry, handling)
                    })
                    .collect()
            };
            Some((entries, (inspector, last, finished || last.is_none())))
        },
    );
    let stored_filter = Arc::clone(&filter);
    let stored_base = base.clone();
    let stored = pages.map(move |entries| {
        let mut chunk = String::new();
        for (entry, handling) in entries {
            let detail = view::stored_detail(&entry, handling.as_ref(), &stored_base);
            if stored_filter.matches(&detail) {
                chunk.push_str(&detail.to_string());
                chunk.push('\n');
            }
        }
        Ok::<_, Infallible>(Bytes::from(chunk))
    });
    let rest = {
        let journal = inspector.journal();
        let mut chunk = String::new();
        let details = journal
            .all_refused()
            .map(|refused| view::refused_detail(refused, &base))
            .chain(
                journal
                    .all_edited()
                    .map(|edited| view::edited_detail(edited, &base)),
            );
        for detail in details {
            if filter.matches(&detail) {
                chunk.push_str(&detail.to_string());
                chunk.push('\n');
            }
        }
        Bytes::from(chunk)
    };
    let body = stored.chain(futures::stream::once(
        async move { Ok::<_, Infallible>(rest) },
    ));
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"callbacks.ndjson\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Where a stream starts.
#[derive(Debug, Deserialize)]
struct Since {
    /// The last change seen, as `EPOCH-SEQ` (the list's `last_event_id`); `Last-Event-ID`
    /// wins when both are there.
    since: Option<String>,
}

/// `GET /api/stream`: server-sent events, `row` (a row to add or replace, by `ref`) and
/// `reset` (reload the list), each numbered; from the change after `Last-Event-ID` (or
/// `since`), else from now.
async fn stream(
    State(inspector): State<Arc<Inspector>>,
    headers: HeaderMap,
    Query(since): Query<Since>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or(since.since);
    let resume = {
        let journal = inspector.journal();
        match last.as_deref().map(|last| last.rsplit_once('-')) {
            None => Resume::From(journal.seq() + 1),
            Some(Some((epoch, seq))) if epoch == inspector.epoch => match seq.parse() {
                Ok(seq) => journal.resume_after(seq),
                Err(_) => Resume::Reset(journal.seq() + 1),
            },
            Some(_) => Resume::Reset(journal.seq() + 1),
        }
    };
    let (next, reset) = match resume {
        Resume::From(next) => (next, false),
        Resume::Reset(next) => (next, true),
    };
    let mut pending = std::collections::VecDeque::new();
    if reset {
        pending.push_back(
            Event::default()
                .event("reset")
                .id(inspector.event_id(next - 1))
                .data("{}"),
        );
    }
    let cursor = Cursor {
        changed: inspector.changed.subscribe(),
        stop: inspector.stop.clone(),
        inspector,
        next,
        pending,
    };
    let events = futures::stream::unfold(cursor, |mut cursor| async move {
        let event = cursor.next_event().await?;
        Some((Ok(event), cursor))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// A page's place in the changes.
struct Cursor {
    inspector: Arc<Inspector>,
    next: u64,
    pending: std::collections::VecDeque<Event>,
    changed: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
}

impl Cursor {
    /// The next event to send; `None` when `listen` stops (so the server can).
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if *self.stop.borrow() {
                return None;
            }
            let changes = self.inspector.journal().changes_from(self.next, BATCH);
            match changes {
                None => {
                    let seq = self.inspector.journal().seq();
                    self.next = seq + 1;
                    self.pending.push_back(
                        Event::default()
                            .event("reset")
                            .id(self.inspector.event_id(seq))
                            .data("{}"),
                    );
                }
                Some(changes) if changes.is_empty() => {
                    self.changed.borrow_and_update();
                    // Looked at again after marking the notice seen: a change pushed in
                    // between is not lost.
                    if self.inspector.journal().seq() >= self.next {
                        continue;
                    }
                    tokio::select! {
                        _ = self.changed.changed() => {}
                        _ = self.stop.changed() => {}
                    }
                }
                Some(changes) => {
                    for (seq, change) in changes {
                        self.next = seq + 1;
                        let id = self.inspector.event_id(seq);
                        let event = match change {
                            Change::Reset => Some(Event::default().event("reset").data("{}")),
                            change => self
                                .inspector
                                .row_of(change)
                                .await
                                .map(|row| Event::default().event("row").data(row.to_string())),
                        };
                        if let Some(event) = event {
                            self.pending.push_back(event.id(id));
                        }
                    }
                }
            }
        }
    }
}

/// Whether `address` may serve the inspector without a token.
pub fn needs_token(address: &SocketAddr) -> bool {
    !address.ip().is_loopback()
}

#[cfg(test)]
mod tests;
