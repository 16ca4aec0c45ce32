//! `mm-webhooks listen`: a local receiver that verifies signed callbacks, prints each as a
//! typed event, and optionally forwards it to the user's own app; with `--ui`, the inspector
//! page beside it (see [`crate::ui`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use webhooks_callbacks::inbox::{Delivery, Handler, Inbox, Outcome as Outcome_, Receipt};
use webhooks_ergonomic::callbacks::{Callback, ReceiveError, Verifier};
use webhooks_sandbox::cli::StopSignal;

use crate::cli::{GlobalArgs, ListenArgs};
use crate::event_view;
use crate::failure::{Failure, Outcome};
use crate::output::{self, Style};
use crate::target;
use crate::ui::{self, Handling, Inspector};

/// The largest callback accepted (413 beyond): MMS media arrives base64 in the body, and 2 MiB
/// is axum's default, which the library's docs tell receivers to start from.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How long the user's app may take to answer a forwarded callback: the platform's own
/// default read timeout, so the local loop fails where the platform would.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(20);

/// The most of the app's answer relayed back (the platform reads only the status).
pub const FORWARD_ANSWER_LIMIT: usize = 64 * 1024;

/// Headers that describe one hop, not the callback: never forwarded.
const HOP_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
];

/// How long handlers may go on after Ctrl-C before their callbacks are handed back to the
/// inbox (they are handled again on the next start).
pub const INBOX_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

struct Listener {
    verifier: Option<Verifier>,
    forward: Option<Arc<Forward>>,
    inbox: Option<Inbox>,
    inspector: Option<Arc<Inspector>>,
    json: bool,
}

struct Forward {
    base: String,
    http: reqwest::Client,
}

/// Runs the receiver until Ctrl-C.
pub async fn run(global: &GlobalArgs, args: ListenArgs) -> Outcome {
    // Hooked before the address is announced: a Ctrl-C right after the line stops cleanly.
    let stop = StopSignal::install()
        .map_err(|err| Failure::Failed(format!("cannot install the signal handlers: {err}")))?;
    let verifier = if args.skip_verify {
        None
    } else {
        Some(verifier(global, &args)?)
    };
    let forward = args
        .forward_to
        .as_deref()
        .map(forward)
        .transpose()?
        .map(Arc::new);
    let ui_address = SocketAddr::new(args.ui_host, args.ui_port);
    if args.ui {
        check_ui_token(&ui_address, args.ui_token.as_deref())?;
    }
    let store = args.store();
    let inbox = match (&store, &verifier) {
        (Some(store), Some(verifier)) => Some(
            store
                .builder()
                .verifier(verifier.clone())
                .open()
                .await
                .map_err(|err| Failure::Failed(format!("{store}: {err}")))?,
        ),
        _ => None,
    };
    let address = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|err| Failure::Failed(format!("cannot listen on {address}: {err}")))?;
    let bound = listener
        .local_addr()
        .map_err(|err| Failure::Failed(format!("cannot read the bound address: {err}")))?;
    // One stop for the receiver and the inspector: the signal is heard once.
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let inspector = match (&inbox, args.ui) {
        (Some(inbox), true) => {
            let ui_listener = tokio::net::TcpListener::bind(ui_address)
                .await
                .map_err(|err| {
                    Failure::Failed(format!("cannot serve the inspector on {ui_address}: {err}"))
                })?;
            let inspector = Inspector::new(
                inbox.clone(),
                ui::Options {
                    receiver: format!("http://{bound}"),
                    forward_to: forward.as_ref().map(|forward| forward.base.clone()),
                    forwarder: forward.as_ref().map(|forward| {
                        Arc::new(Forwarding(Arc::clone(forward))) as Arc<dyn ui::Forwarder>
                    }),
                    inbox_path: store.as_ref().map(ToString::to_string).unwrap_or_default(),
                    token: args.ui_token.clone(),
                },
                stopped.clone(),
            );
            Some((inspector, ui_listener))
        }
        _ => None,
    };
    let state = Arc::new(Listener {
        verifier,
        forward,
        inbox: inbox.clone(),
        inspector: inspector
            .as_ref()
            .map(|(inspector, _)| Arc::clone(inspector)),
        json: args.json,
    });
    let workers = inbox
        .as_ref()
        .map(|inbox| inbox.start(Handled(Arc::clone(&state))));
    let app = Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    output::print_error_line(&format!("listening on http://{bound} (Ctrl-C to stop)"));
    let inspector = match inspector {
        Some((inspector, ui_listener)) => {
            let at = ui_listener
                .local_addr()
                .map_err(|err| Failure::Failed(format!("cannot read the bound address: {err}")))?;
            output::print_error_line(&format!(
                "inspector on http://{at}/{}",
                if args.ui_token.is_some() {
                    " (it asks for the --ui-token)"
                } else {
                    ""
                }
            ));
            Some(tokio::spawn(inspector.serve(ui_listener)))
        }
        None => None,
    };
    tokio::spawn(async move {
        stop.recv().await;
        stopping.send_replace(true);
    });
    let mut receiver_stop = stopped.clone();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = receiver_stop.wait_for(|stop| *stop).await;
        })
        .await;
    if let Some(workers) = workers {
        workers.shutdown(INBOX_SHUTDOWN_GRACE).await;
    }
    if let Some(inspector) = inspector
        && let Ok(Err(err)) = inspector.await
    {
        output::print_error_line(&format!("the inspector failed: {err}"));
    }
    served.map_err(|err| Failure::Failed(format!("the receiver failed: {err}")))?;
    output::print_error_line("stopped");
    Ok(())
}

/// Refuses to serve the inspector beyond this machine without a token, and a token short
/// enough to guess.
fn check_ui_token(address: &SocketAddr, token: Option<&str>) -> Result<(), Failure> {
    match token {
        None if ui::needs_token(address) => Err(Failure::Usage(format!(
            "--ui-host {}: the inspector shows every callback and replays them; on an address other than loopback it needs --ui-token TOKEN (or MM_WEBHOOKS_UI_TOKEN)",
            address.ip()
        ))),
        Some(token) if token.trim().chars().count() < ui::MIN_TOKEN_LEN => {
            Err(Failure::Usage(format!(
                "--ui-token: at least {} characters, so it cannot be guessed",
                ui::MIN_TOKEN_LEN
            )))
        }
        _ => Ok(()),
    }
}

/// Sends the inspector's edited replays the way callbacks are forwarded.
struct Forwarding(Arc<Forward>);

impl ui::Forwarder for Forwarding {
    fn forward(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> futures::future::BoxFuture<'static, Result<u16, String>> {
        let forward = Arc::clone(&self.0);
        Box::pin(async move {
            relay(&forward, &method, &uri, &headers, body)
                .await
                .1
                .unwrap_or_else(|| Err("not forwarded".to_owned()))
        })
    }
}

/// The inbox's handler: the callback forwarded to the app (a 2xx answer is done, anything
/// else retried), or only printed.
struct Handled(Arc<Listener>);

impl Handler for Handled {
    fn handle(&self, delivery: Delivery) -> futures::future::BoxFuture<'static, Outcome_> {
        let listener = Arc::clone(&self.0);
        Box::pin(async move {
            let entry = delivery.entry();
            let method = Method::from_bytes(entry.method.as_bytes()).unwrap_or(Method::POST);
            let uri: Uri = entry
                .target
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/"));
            let headers: HeaderMap = entry
                .headers
                .iter()
                .filter_map(|(name, value)| {
                    Some((
                        http::HeaderName::from_bytes(name.as_bytes()).ok()?,
                        http::HeaderValue::from_str(value).ok()?,
                    ))
                })
                .collect();
            let started = Instant::now();
            let forwarded = match &listener.forward {
                Some(forward) => Some(
                    relay(forward, &method, &uri, &headers, entry.body.clone())
                        .await
                        .1,
                ),
                None => None,
            };
            if let Some(inspector) = &listener.inspector {
                let answer = forwarded.clone().flatten();
                inspector.handled(
                    entry.id,
                    Handling {
                        at: {
                            let now = time::OffsetDateTime::now_utc();
                            event_view::timestamp(
                                now.replace_millisecond(now.millisecond()).unwrap_or(now),
                            )
                        },
                        forwarded: forwarded.is_some(),
                        status: answer
                            .as_ref()
                            .and_then(|answer| answer.as_ref().ok().copied()),
                        error: answer.and_then(Result::err),
                        duration_ms: ui::millis(started.elapsed()),
                        replays: 0,
                    },
                );
            }
            let outcome = match &forwarded {
                Some(Some(Ok(status))) if (200..300).contains(status) => Outcome_::Done,
                Some(Some(Ok(status))) => Outcome_::retry(format!("the app answered {status}")),
                Some(Some(Err(error))) => Outcome_::retry(format!("forwarding failed: {error}")),
                _ => Outcome_::Done,
            };
            match delivery.callback() {
                Ok(callback) => print_event(
                    &listener,
                    &method,
                    &uri,
                    &callback,
                    entry.key_id.as_deref(),
                    forwarded.flatten(),
                ),
                Err(err) => reject(&method, &uri, &format!("stored #{}: {err}", entry.id)),
            }
            outcome
        })
    }
}

/// The library's verifier: holding the `--public-key`s, and fetching any other key id through
/// the Signature Key API when there are credentials to ask it with.
fn verifier(global: &GlobalArgs, args: &ListenArgs) -> Result<Verifier, Failure> {
    let mut verifier = Verifier::new().max_age(Duration::from_secs(args.max_age));
    for (key_id, public_key) in &args.public_keys {
        verifier
            .add_key(key_id, public_key)
            .map_err(|err| Failure::Usage(format!("--public-key: {err}")))?;
    }
    if target::has_credentials(global) {
        verifier = verifier.key_source(target::connect(global)?);
    } else if args.public_keys.is_empty() {
        return Err(Failure::Usage(
            "no key to verify with: set MESSAGEMEDIA_API_KEY and MESSAGEMEDIA_API_SECRET to fetch keys through the API, give --public-key KEY_ID=KEY, or --skip-verify".to_owned(),
        ));
    }
    Ok(verifier)
}

fn forward(base: &str) -> Result<Forward, Failure> {
    match reqwest::Url::parse(base) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
        _ => {
            return Err(Failure::Usage(format!(
                "--forward-to {base}: not an http or https URL"
            )));
        }
    }
    let http = reqwest::Client::builder()
        .timeout(FORWARD_TIMEOUT)
        .build()
        .map_err(|err| Failure::Failed(format!("cannot build the forwarding client: {err}")))?;
    Ok(Forward {
        base: base.trim_end_matches('/').to_owned(),
        http,
    })
}

async fn receive(
    State(listener): State<Arc<Listener>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            reject(&method, &uri, &rejection.body_text());
            if let Some(inspector) = &listener.inspector {
                inspector.refused(
                    &method,
                    uri.to_string(),
                    &headers,
                    &Bytes::new(),
                    rejection.status(),
                    rejection.body_text(),
                );
            }
            return rejection.into_response();
        }
    };
    if let Some(inbox) = &listener.inbox {
        let receipt = inbox.receive(&method, &uri, &headers, body.clone()).await;
        match &receipt {
            Receipt::Stored(_) => {}
            Receipt::Duplicate(id) => {
                output::print_error_line(&format!("{method} {uri}: {receipt}"));
                if let Some(inspector) = &listener.inspector {
                    inspector.touched(*id);
                }
            }
            other => {
                let reason = match other {
                    Receipt::Refused(err) => err.to_string(),
                    other => other.to_string(),
                };
                reject(&method, &uri, &other.to_string());
                if let Some(inspector) = &listener.inspector {
                    inspector.refused(
                        &method,
                        inbox.verifier().public_target(&uri, &headers),
                        &headers,
                        &body,
                        other.status(),
                        reason,
                    );
                }
            }
        }
        return receipt.into_response();
    }
    let (callback, key_id) = match typed(&listener, &method, &uri, &headers, &body).await {
        Ok(typed) => typed,
        Err(err) => {
            reject(&method, &uri, &err.to_string());
            return (err.status(), err.to_string()).into_response();
        }
    };
    let (response, forwarded) = match &listener.forward {
        Some(forward) => relay(forward, &method, &uri, &headers, body).await,
        None => (StatusCode::OK.into_response(), None),
    };
    print_event(
        &listener,
        &method,
        &uri,
        &callback,
        key_id.as_deref(),
        forwarded,
    );
    response
}

/// Verifies (unless `--skip-verify`) and parses; returns the event and the signing key id.
async fn typed(
    listener: &Listener,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Callback, Option<String>), ReceiveError> {
    match &listener.verifier {
        Some(verifier) => {
            let verified = verifier
                .verify_and_parse_async(method, uri, headers, body)
                .await?;
            Ok((
                verified.callback,
                Some(verified.signature.key_id.to_string()),
            ))
        }
        None => {
            let content_type = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            Ok((Callback::parse(content_type, body)?, None))
        }
    }
}

fn reject(method: &Method, uri: &Uri, reason: &str) {
    let style = Style::stderr();
    output::print_error_line(&format!(
        "{} {method} {uri}: {reason}",
        style.red("rejected")
    ));
}

fn print_event(
    listener: &Listener,
    method: &Method,
    uri: &Uri,
    callback: &Callback,
    key_id: Option<&str>,
    forwarded: Option<Result<u16, String>>,
) {
    let now = time::OffsetDateTime::now_utc();
    // Milliseconds, the precision the platform renders its own timestamps with.
    let received_at =
        event_view::timestamp(now.replace_millisecond(now.millisecond()).unwrap_or(now));
    if listener.json {
        let mut value = serde_json::json!({
            "received_at": received_at,
            "method": method.as_str(),
            "path": uri.to_string(),
            "verified": key_id.is_some(),
            "key_id": key_id,
            "type": event_view::type_name(callback),
            "callback": event_view::fields(callback),
        });
        if let Some(forwarded) = &forwarded {
            value["forwarded"] = match forwarded {
                Ok(status) => serde_json::json!({ "status": status }),
                Err(error) => serde_json::json!({ "error": error }),
            };
        }
        output::print_json(&value);
        return;
    }
    let style = Style::stdout();
    let signed = key_id.map_or_else(|| " (unverified)".to_owned(), |id| format!(" (key {id})"));
    let forwarded = match forwarded {
        Some(Ok(status)) => format!(" -> {status}"),
        Some(Err(error)) => format!(" -> {}", style.red(&format!("forward failed: {error}"))),
        None => String::new(),
    };
    output::print_line(&format!(
        "{received_at} {} {}{signed}{forwarded}",
        style.green(event_view::type_name(callback)),
        event_view::summary(callback)
    ));
}

/// Sends the callback on to the user's app: the same method, headers and raw body, at the
/// same path and query (so the app can verify the same signature). Answers with the app's
/// status and body, or 502.
async fn relay(
    forward: &Forward,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> (Response, Option<Result<u16, String>>) {
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let mut request = forward
        .http
        .request(method.clone(), format!("{}{path}", forward.base))
        .body(body);
    for (name, value) in headers {
        if !HOP_HEADERS.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    let answer = async {
        let mut response = request.send().await?;
        let status = response.status();
        let mut kept = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            let room = FORWARD_ANSWER_LIMIT - kept.len();
            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if kept.len() == FORWARD_ANSWER_LIMIT {
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, kept))
    };
    match answer.await {
        Ok((status, kept)) => ((status, kept).into_response(), Some(Ok(status.as_u16()))),
        Err(err) => {
            let message = err.without_url().to_string();
            (
                (
                    StatusCode::BAD_GATEWAY,
                    format!("forwarding failed: {message}"),
                )
                    .into_response(),
                Some(Err(message)),
            )
        }
    }
}
