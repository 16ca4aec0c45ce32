//! The HTTP surface: the four API operations and the sandbox's own endpoints.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};
use tokio::sync::RwLock;
use uuid::Uuid;
use webhooks_ergonomic::callbacks::template::EventDataError;
use webhooks_ergonomic::rules;

use crate::delivery::{Deliverer, SimulatedEvent};
use crate::store::{Store, StoredWebhook};
use crate::{BODY_LIMIT, auth, validate};

/// The sandbox's shared state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) store: RwLock<Store>,
    pub(crate) keys: auth::Keys,
    pub(crate) default_account: String,
    pub(crate) state_file: Option<PathBuf>,
    pub(crate) deliverer: Deliverer,
}

impl App {
    /// Starts the deliveries of `event` for `account`; an event whose data does not make
    /// template variables is refused before any delivery.
    pub(crate) async fn trigger(
        &self,
        account: &str,
        event: &SimulatedEvent,
    ) -> Result<Vec<tokio::task::JoinHandle<()>>, EventDataError> {
        let data = event.event_data(account)?;
        let store = self.store.read().await;
        Ok(self.deliverer.deliver(&data, store.list(account)))
    }

    /// Applies `change` to the store and, when a state file is configured, saves it; if the
    /// file cannot be written, the change is undone and the request fails with 503, so memory
    /// and file never disagree.
    fn change<T>(
        &self,
        store: &mut Store,
        change: impl FnOnce(&mut Store) -> T,
    ) -> Result<T, ApiError> {
        let Some(path) = &self.state_file else {
            return Ok(change(store));
        };
        let before = store.clone();
        let result = change(store);
        match store.save(path) {
            Ok(()) => Ok(result),
            Err(err) => {
                *store = before;
                tracing::error!(error = %err, "could not write the state file");
                Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The sandbox could not save its state",
                ))
            }
        }
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/webhooks/messages", get(list).post(create))
        .route("/v1/webhooks/messages/", get(list))
        .route("/v1/webhooks/messages/{id}", patch(update).delete(remove))
        .route("/sandbox/v1/events", post(simulate))
        .route("/sandbox/v1/deliveries", get(deliveries))
        .route("/sandbox/v1/signature-key", get(signature_key))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Resource not found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// An error answer: its status and an `ErrorBody`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

fn error(status: StatusCode, message: &str) -> ApiError {
    ApiError {
        status,
        body: json!({ "message": message }),
    }
}

fn invalid_with(message: &str, details: Vec<String>) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        body: json!({ "message": message, "details": details }),
    }
}

fn invalid(details: Vec<String>) -> ApiError {
    invalid_with("Invalid webhook request", details)
}

/// The account a request acts for, after authenticating it.
fn authenticate(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, ApiError> {
    let key = app
        .keys
        .authenticate(method, uri, headers, body, SystemTime::now())
        .map_err(|reason| error(StatusCode::UNAUTHORIZED, reason))?;
    match headers.get("account").map(|value| value.to_str()) {
        None => Ok(key),
        Some(Ok(account)) if account.trim().is_empty() => Ok(key),
        Some(Ok(account)) => Ok(account.trim().to_owned()),
        Some(Err(_)) => Err(invalid_with(
            "Invalid Account header",
            vec!["/Account: must be visible ASCII text".to_owned()],
        )),
    }
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
        } else {
            error(StatusCode::BAD_REQUEST, "Could not read the request body")
        }
    })
}

fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON",
        )
    })
}

/// The webhook id of the path; anything that is not a UUID names no webhook (404).
fn webhook_id(raw: Result<Path<String>, PathRejection>) -> Result<Uuid, ApiError> {
    raw.ok()
        .and_then(|Path(id)| Uuid::parse_str(&id).ok())
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Webhook not found"))
}

fn respond(status: StatusCode, value: impl serde::Serialize) -> Response {
    (status, axum::Json(value)).into_response()
}

type Handled = Result<Response, ApiError>;

async fn create(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Handled {
    let body = body_bytes(body)?;
    let account = authenticate(&app, &method, &uri, &headers, &body)?;
    let new = validate::create(&json_body(&body)?).map_err(invalid)?;
    let mut store = app.store.write().await;
    if store.conflicts(&account, &new.url, new.method, None) {
        return Err(error(
            StatusCode::CONFLICT,
            "A webhook with the given url and method already exists.",
        ));
    }
    let webhook = StoredWebhook {
        id: Uuid::new_v4(),
        url: new.url,
        method: new.method,
        encoding: new.encoding,
        headers: new.headers,
        events: new.events,
        template: new.template,
        read_timeout: new.read_timeout,
        retries: new.retries,
        retry_delay: new.retry_delay,
    };
    app.change(&mut store, |store| store.insert(&account, webhook.clone()))?;
    Ok(respond(StatusCode::CREATED, webhook))
}

async fn list(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Handled {
    let account = authenticate(&app, &method, &uri, &headers, &[])?;
    let (page, page_size) = page_request(uri.query().unwrap_or_default())?;
    let store = app.store.read().await;
    let items: Vec<&StoredWebhook> = store
        .list(&account)
        .iter()
        .skip((page as usize).saturating_mul(page_size as usize))
        .take(page_size as usize)
        .collect();
    Ok(respond(
        StatusCode::OK,
        json!({"page": page, "pageSize": page_size, "pageData": items}),
    ))
}

/// The page and page size a list request asks for: `page` from 0 (default 0), `page_size` or
/// its alias `pageSize` within [`rules::PAGE_SIZE`] (default [`rules::DEFAULT_PAGE_SIZE`]).
fn page_request(query: &str) -> Result<(u32, u32), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|_| {
        invalid_with(
            "Invalid page request",
            vec!["/: the query string is malformed".to_owned()],
        )
    })?;
    let query: HashMap<String, String> = pairs.into_iter().collect();
    let mut details = Vec::new();
    let max_page = u32::try_from(i32::MAX).unwrap_or(u32::MAX);
    let page = match query.get("page").map(|p| p.trim().parse::<u32>()) {
        None => 0,
        Some(Ok(page)) if page <= max_page => page,
        Some(_) => {
            details.push(format!(
                "/page: must be an integer between 0 and {max_page}"
            ));
            0
        }
    };
    let (name, size) = match query.get("page_size") {
        Some(size) => ("page_size", Some(size)),
        None => ("pageSize", query.get("pageSize")),
    };
    let page_size = match size.map(|s| s.trim().parse::<u32>()) {
        None => rules::DEFAULT_PAGE_SIZE,
        Some(Ok(size)) if rules::PAGE_SIZE.contains(&size) => size,
        Some(_) => {
            let (min, max) = (rules::PAGE_SIZE.start(), rules::PAGE_SIZE.end());
            details.push(format!(
                "/{name}: must be an integer between {min} and {max}"
            ));
            0
        }
    };
    if details.is_empty() {
        Ok((page, page_size))
    } else {
        Err(invalid_with("Invalid page request", details))
    }
}

async fn update(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Handled {
    let body = body_bytes(body)?;
    let account = authenticate(&app, &method, &uri, &headers, &body)?;
    let id = webhook_id(id)?;
    let patch = validate::update(&json_body(&body)?).map_err(invalid)?;
    let mut store = app.store.write().await;
    let Some(current) = store.get_mut(&account, id).map(|w| w.clone()) else {
        return Err(error(StatusCode::NOT_FOUND, "Webhook not found"));
    };
    let mut updated = current;
    if let Some(url) = patch.url {
        updated.url = url;
    }
    if let Some(method) = patch.method {
        updated.method = method;
    }
    if let Some(encoding) = patch.encoding {
        updated.encoding = encoding;
    }
    if let Some(events) = patch.events {
        updated.events = events;
    }
    if let Some(headers) = patch.headers {
        updated.headers = headers;
    }
    if let Some(template) = patch.template {
        updated.template = Some(template);
    }
    if store.conflicts(&account, &updated.url, updated.method, Some(id)) {
        return Err(error(
            StatusCode::CONFLICT,
            "A webhook with the given url and method already exists.",
        ));
    }
    app.change(&mut store, |store| {
        if let Some(slot) = store.get_mut(&account, id) {
            *slot = updated.clone();
        }
    })?;
    Ok(respond(StatusCode::OK, updated))
}

async fn remove(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Handled {
    let account = authenticate(&app, &method, &uri, &headers, &[])?;
    let id = webhook_id(id)?;
    let mut store = app.store.write().await;
    if !store.list(&account).iter().any(|webhook| webhook.id == id) {
        return Err(error(StatusCode::NOT_FOUND, "Webhook not found"));
    }
    app.change(&mut store, |store| store.remove(&account, id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn simulate(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Handled {
    let body = body_bytes(body)?;
    let caller = authenticate(&app, &method, &uri, &headers, &body)?;
    let event: SimulatedEvent = serde_json::from_slice(&body).map_err(|err| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("Not a valid event: {err}"),
        )
    })?;
    let account = event.account.clone().unwrap_or(caller);
    let tasks = app
        .trigger(&account, &event)
        .await
        .map_err(|err| invalid_with("Invalid event", vec![err.to_string()]))?;
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({"account": account, "webhooks": tasks.len()}),
    ))
}

async fn deliveries(State(app): State<Arc<App>>) -> Response {
    respond(StatusCode::OK, app.deliverer.log.attempts())
}

/// The public key of signed callbacks, in the vendor's Signature Key API shape; 404 with the
/// vendor's message when signing is off.
async fn signature_key(State(app): State<Arc<App>>) -> Handled {
    match &app.deliverer.signer {
        Some(signer) => Ok(respond(StatusCode::OK, signer.key())),
        None => Err(error(StatusCode::NOT_FOUND, "Currently no key is enabled")),
    }
}
