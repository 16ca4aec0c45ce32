//! The HTTP surface: the four webhook operations and the sandbox's own endpoints; the seven
//! signature-key operations are in `signature_keys.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use webhooks_ergonomic::rules;
use webhooks_template::EventDataError;

use crate::authenticated::Authenticated;
use crate::delivery::{Deliverer, SimulatedEvent};
use crate::faults::{Fault, Faults};
use crate::store::{DeliveryFilter, Store, StoreError, StoredWebhook};
use crate::{BODY_LIMIT, auth, validate};

/// The sandbox's shared state.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) store: Store,
    pub(crate) keys: auth::Keys,
    pub(crate) default_account: String,
    pub(crate) deliverer: Deliverer,
    pub(crate) faults: Faults,
}

impl App {
    /// Starts the deliveries of `event` for `account`; an event whose data does not make
    /// template variables is refused before any delivery.
    pub(crate) fn trigger(
        &self,
        account: &str,
        event: &SimulatedEvent,
    ) -> Result<Vec<tokio::task::JoinHandle<()>>, EventDataError> {
        let data = event.event_data(account)?;
        let webhooks = self.store.subscribed(account, data.event);
        let signer = self.store.enabled_signer(account);
        Ok(self.deliverer.deliver(account, &data, &webhooks, signer))
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/webhooks/messages", get(list).post(create))
        .route("/v1/webhooks/messages/", get(list))
        .route("/v1/webhooks/messages/{id}", patch(update).delete(delete))
        .merge(crate::signature_keys::routes())
        .merge(crate::ui::routes())
        .route("/sandbox/v1/events", post(simulate))
        .route("/sandbox/v1/deliveries", get(deliveries))
        .route(
            "/sandbox/v1/faults",
            post(inject_fault).delete(clear_faults),
        )
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
    retry_after: Option<u32>,
}

impl ApiError {
    /// The same error with a `Retry-After` of `seconds`, when given.
    pub(crate) fn retry_after(mut self, seconds: Option<u32>) -> ApiError {
        self.retry_after = seconds;
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(refused: StoreError) -> ApiError {
        match refused {
            StoreError::NotFound => error(StatusCode::NOT_FOUND, "Webhook not found"),
            StoreError::Conflict => error(
                StatusCode::CONFLICT,
                "A webhook with the given url and method already exists.",
            ),
            StoreError::Unavailable(reason) => {
                tracing::error!(error = %reason, "could not write the state store");
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The sandbox could not save its state",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// An error answer with a message. A 400 also gets `details` (naming the request as a whole),
/// as the contract promises for every 400; call [`invalid_with`] to name the field.
pub(crate) fn error(status: StatusCode, message: &str) -> ApiError {
    if status == StatusCode::BAD_REQUEST {
        return invalid_with(message, vec![format!("request: {message}")]);
    }
    ApiError {
        status,
        body: json!({ "message": message }),
        retry_after: None,
    }
}

pub(crate) fn invalid_with(message: &str, details: Vec<String>) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        body: json!({ "message": message, "details": details }),
        retry_after: None,
    }
}

fn invalid(details: Vec<String>) -> ApiError {
    invalid_with("Invalid webhook request", details)
}

pub(crate) fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        let reason = if bytes.is_empty() {
            "body: is missing".to_owned()
        } else {
            format!("body: is not valid JSON ({err})")
        };
        invalid_with("The request body is not valid JSON", vec![reason])
    })
}

/// The webhook id of the path; anything that is not a UUID names no webhook (404).
fn webhook_id(raw: Result<Path<String>, PathRejection>) -> Result<Uuid, ApiError> {
    raw.ok()
        .and_then(|Path(id)| Uuid::parse_str(&id).ok())
        .ok_or_else(|| error(StatusCode::NOT_FOUND, "Webhook not found"))
}

pub(crate) fn respond(status: StatusCode, value: impl serde::Serialize) -> Response {
    (status, axum::Json(value)).into_response()
}

pub(crate) type Handled = Result<Response, ApiError>;

async fn create(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let new = validate::create(&json_body(&request.body)?).map_err(invalid)?;
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
    app.store.create(&request.account, webhook.clone()).await?;
    Ok(respond(StatusCode::CREATED, webhook))
}

/// One page of the list, serialised straight from the stored webhooks.
#[derive(Serialize)]
struct Page<'a> {
    page: u32,
    #[serde(rename = "pageSize")]
    page_size: u32,
    #[serde(rename = "pageData")]
    page_data: &'a [&'a StoredWebhook],
}

async fn list(State(app): State<Arc<App>>, uri: Uri, request: Authenticated) -> Handled {
    let query = query_pairs(uri.query().unwrap_or_default(), "Invalid page request")?;
    let (page, page_size) = page_request(&query, rules::DEFAULT_PAGE_SIZE, *rules::PAGE_SIZE.end())
        .map_err(|details| invalid_with("Invalid page request", details))?;
    let skip = (page as usize).saturating_mul(page_size as usize);
    let body = app
        .store
        .with_page(&request.account, skip, page_size as usize, |items| {
            serde_json::to_vec(&Page {
                page,
                page_size,
                page_data: items,
            })
            .ok()
        });
    let body = body.ok_or_else(|| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not encode the page",
        )
    })?;
    let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
    Ok((StatusCode::OK, json, body).into_response())
}

/// A query string as names and values; the last of a repeated name wins.
pub(crate) fn query_pairs(query: &str, message: &str) -> Result<HashMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| invalid_with(message, vec!["/: the query string is malformed".to_owned()]))?;
    Ok(pairs.into_iter().collect())
}

/// The page and page size a query asks for: `page` from 0 (default 0), `page_size` or its
/// alias `pageSize` from 1 to `max` (default `default`); the details of what is wrong.
fn page_request(
    query: &HashMap<String, String>,
    default: u32,
    max: u32,
) -> Result<(u32, u32), Vec<String>> {
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
        None => default,
        Some(Ok(size)) if (1..=max).contains(&size) => size,
        Some(_) => {
            details.push(format!("/{name}: must be an integer between 1 and {max}"));
            0
        }
    };
    if details.is_empty() {
        Ok((page, page_size))
    } else {
        Err(details)
    }
}

async fn update(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    request: Authenticated,
) -> Handled {
    let id = webhook_id(id)?;
    let patch = validate::update(&json_body(&request.body)?).map_err(invalid)?;
    let Some(mut updated) = app.store.get(&request.account, id) else {
        return Err(error(StatusCode::NOT_FOUND, "Webhook not found"));
    };
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
    app.store.update(&request.account, updated.clone()).await?;
    Ok(respond(StatusCode::OK, updated))
}

async fn delete(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    request: Authenticated,
) -> Handled {
    let id = webhook_id(id)?;
    app.store.delete(&request.account, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn simulate(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let event: SimulatedEvent = serde_json::from_slice(&request.body)
        .map_err(|err| invalid_with("Not a valid event", vec![format!("body: {err}")]))?;
    let account = event.account.clone().unwrap_or(request.account);
    let tasks = app
        .trigger(&account, &event)
        .map_err(|err| invalid_with("Invalid event", vec![err.to_string()]))?;
    Ok(respond(
        StatusCode::ACCEPTED,
        json!({"account": account, "webhooks": tasks.len()}),
    ))
}

/// The default and the largest page of `GET /sandbox/v1/deliveries`.
pub(crate) const DELIVERIES_PAGE_SIZE: (u32, u32) = (100, 1000);

/// The caller's account's delivery attempts, oldest first, filtered and paged.
async fn deliveries(State(app): State<Arc<App>>, uri: Uri, request: Authenticated) -> Handled {
    const MESSAGE: &str = "Invalid deliveries request";
    let query = query_pairs(uri.query().unwrap_or_default(), MESSAGE)?;
    let (default, max) = DELIVERIES_PAGE_SIZE;
    let paged = page_request(&query, default, max);
    let filter = delivery_filter(&query);
    let ((page, page_size), filter) = match (paged, filter) {
        (Ok(paged), Ok(filter)) => (paged, filter),
        (paged, filter) => {
            let details = [paged.err(), filter.err()].into_iter().flatten().flatten();
            return Err(invalid_with(MESSAGE, details.collect()));
        }
    };
    let skip = (page as usize).saturating_mul(page_size as usize);
    let attempts =
        app.store
            .deliveries()
            .query(&request.account, &filter, skip, page_size as usize);
    Ok(respond(StatusCode::OK, attempts))
}

/// The filter of a deliveries query: `webhook_id`, `event`, `outcome` (`delivered` or
/// `failed`) and `since` (RFC 3339).
fn delivery_filter(query: &HashMap<String, String>) -> Result<DeliveryFilter, Vec<String>> {
    let mut filter = DeliveryFilter::default();
    let mut details = Vec::new();
    if let Some(id) = query.get("webhook_id") {
        match Uuid::parse_str(id.trim()) {
            Ok(id) => filter.webhook_id = Some(id),
            Err(_) => details.push("/webhook_id: must be a webhook id (a UUID)".to_owned()),
        }
    }
    if let Some(event) = query.get("event") {
        match serde_json::from_value(Value::String(event.trim().to_owned())) {
            Ok(event) => filter.event = Some(event),
            Err(_) => details.push("/event: must be an event name".to_owned()),
        }
    }
    if let Some(outcome) = query.get("outcome") {
        match serde_json::from_value(Value::String(outcome.trim().to_owned())) {
            Ok(outcome) => filter.outcome = Some(outcome),
            Err(_) => details.push("/outcome: must be delivered or failed".to_owned()),
        }
    }
    if let Some(since) = query.get("since") {
        let format = &time::format_description::well_known::Rfc3339;
        match time::OffsetDateTime::parse(since.trim(), format) {
            Ok(since) => filter.since = Some(since),
            Err(_) => details.push("/since: must be an RFC 3339 date and time".to_owned()),
        }
    }
    if details.is_empty() {
        Ok(filter)
    } else {
        Err(details)
    }
}

/// Arms a fault for the caller's account (the `account` field, if any, is replaced by it).
async fn inject_fault(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    let mut fault: Fault = serde_json::from_slice(&request.body)
        .map_err(|err| invalid_with("Invalid fault", vec![format!("/: not a fault: {err}")]))?;
    let problems = fault.problems();
    if !problems.is_empty() {
        return Err(invalid_with("Invalid fault", problems));
    }
    fault.account = Some(request.account);
    app.faults.add(fault.clone());
    Ok(respond(StatusCode::CREATED, fault))
}

/// Removes every fault of the caller's account.
async fn clear_faults(State(app): State<Arc<App>>, request: Authenticated) -> Handled {
    app.faults.clear(Some(&request.account));
    Ok(StatusCode::NO_CONTENT.into_response())
}
