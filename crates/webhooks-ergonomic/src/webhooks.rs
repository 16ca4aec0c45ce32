//! The webhook operations: [`Webhooks::create`], [`Webhooks::list`], [`Webhooks::list_all`],
//! [`Webhooks::update`], [`Webhooks::delete`].
//!
//! Each builder checks every rule the server would enforce when `send` is called, and returns
//! [`Error::Validation`] without sending anything when one is broken.
//!
//! The create and update builders also [lint](crate::callbacks::template::lint()) a template
//! they are given. The platform accepts any template, so by default the findings are only
//! logged (`tracing` warnings) and returned by `send_with_findings`; with
//! `strict_template(true)` any finding is an [`Error::Validation`] of the field `template`
//! and nothing is sent.

use std::collections::BTreeMap;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt, stream};
use webhooks_client::types as wire;

use crate::callbacks::template::{Finding, lint_partially};
use crate::client::{Client, Operation};
use crate::error::{Error, Result};
use crate::event::{self as vocabulary, CallbackMethod, Encoding, Event, Open};
use crate::model::{self, Page, Webhook, WebhookId};
use crate::rules;

const COLLECTION: &str = "/v1/webhooks/messages";
const ITEM: &str = "/v1/webhooks/messages/{webhookId}";

/// The webhook operations of a [`Client`]; get it with [`Client::webhooks`].
#[derive(Debug, Clone, Copy)]
pub struct Webhooks<'a> {
    client: &'a Client,
}

impl<'a> Webhooks<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Webhooks { client }
    }

    /// Create a webhook. `url` and at least one event are required; `method` defaults to
    /// `POST` and `encoding` to `JSON`.
    pub fn create(&self) -> CreateWebhook<'a> {
        CreateWebhook {
            client: self.client,
            url: None,
            method: CallbackMethod::Post,
            encoding: Encoding::Json,
            events: Vec::new(),
            headers: BTreeMap::new(),
            template: None,
            read_timeout: None,
            retries: None,
            retry_delay: None,
            account: None,
            strict_template: false,
        }
    }

    /// One page of webhooks.
    pub fn list(&self) -> ListWebhooks<'a> {
        ListWebhooks {
            client: self.client,
            page: 0,
            page_size: rules::DEFAULT_PAGE_SIZE,
            account: None,
        }
    }

    /// Every webhook, page after page, until a short or empty page: a builder (set
    /// [`page_size`](ListAllWebhooks::page_size) and [`account`](ListAllWebhooks::account))
    /// that is itself the stream, `Unpin`, so `try_next` needs no `pin!`.
    ///
    /// ```no_run
    /// # async fn run(client: webhooks_ergonomic::Client) -> webhooks_ergonomic::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let all: Vec<_> = client.webhooks().list_all().try_collect().await?;
    /// let mut pages = client.webhooks().list_all().page_size(20).account("SubAccount1");
    /// while let Some(webhook) = pages.try_next().await? {
    ///     println!("{}", webhook.url);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_all(&self) -> ListAllWebhooks {
        ListAllWebhooks {
            client: self.client.clone(),
            page_size: rules::DEFAULT_PAGE_SIZE,
            account: None,
            stream: None,
        }
    }

    /// Update a webhook: only the fields set are sent.
    pub fn update(&self, id: WebhookId) -> UpdateWebhook<'a> {
        UpdateWebhook {
            client: self.client,
            id,
            url: None,
            method: None,
            encoding: None,
            events: None,
            headers: None,
            template: None,
            account: None,
            strict_template: false,
        }
    }

    /// Delete a webhook.
    pub fn delete(&self, id: WebhookId) -> DeleteWebhook<'a> {
        DeleteWebhook {
            client: self.client,
            id,
            account: None,
        }
    }
}

/// Builder of a create; see [`Webhooks::create`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct CreateWebhook<'a> {
    client: &'a Client,
    url: Option<String>,
    method: CallbackMethod,
    encoding: Encoding,
    events: Vec<Open<Event>>,
    headers: BTreeMap<String, String>,
    template: Option<String>,
    read_timeout: Option<u32>,
    retries: Option<u32>,
    retry_delay: Option<u32>,
    account: Option<String>,
    strict_template: bool,
}

impl CreateWebhook<'_> {
    /// The http or https URL the platform calls (required).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The method the platform calls it with (default `POST`).
    pub fn method(mut self, method: CallbackMethod) -> Self {
        self.method = method;
        self
    }

    /// How callback bodies are encoded (default `JSON`).
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Subscribe to one more event: an [`Event`], or a name this crate does not know yet from
    /// [`Event::other`].
    pub fn event(mut self, event: impl Into<Open<Event>>) -> Self {
        let event = event.into();
        if !self.events.contains(&event) {
            self.events.push(event);
        }
        self
    }

    /// Subscribe to these events (added to any already set).
    pub fn events<E: Into<Open<Event>>>(self, events: impl IntoIterator<Item = E>) -> Self {
        events.into_iter().fold(self, Self::event)
    }

    /// Add a header to every callback (not `Content-Type`: the encoding sets it).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Add these headers to every callback.
    pub fn headers<K: Into<String>, V: Into<String>>(
        self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        headers
            .into_iter()
            .fold(self, |builder, (name, value)| builder.header(name, value))
    }

    /// The Velocity template of the callback body: a string, or a
    /// [`Template`](crate::callbacks::template::Template) (for instance from
    /// [`Template::builder`](crate::callbacks::template::Template::builder)). It is linted
    /// against the events and encoding when the request is sent.
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Whether a template finding rejects the request (`Error::Validation` of `template`,
    /// nothing sent) instead of being logged and returned by
    /// [`send_with_findings`](Self::send_with_findings). Off by default: the platform
    /// accepts any template.
    pub fn strict_template(mut self, strict: bool) -> Self {
        self.strict_template = strict;
        self
    }

    /// What [`lint`](crate::callbacks::template::lint()) finds in the template for the events
    /// and encoding set so far (nothing without a template).
    pub fn template_findings(&self) -> Vec<Finding> {
        self.template.as_deref().map_or_else(Vec::new, |template| {
            lint_partially(template, Some(&known(&self.events)), Some(self.encoding))
        })
    }

    /// How long the platform waits for your answer, in ms (1 to 60000; platform default 20000).
    pub fn read_timeout(mut self, millis: u32) -> Self {
        self.read_timeout = Some(millis);
        self
    }

    /// How many times the platform retries a failed callback (0 to 5).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Seconds between the platform's retries (5 to 60).
    pub fn retry_delay(mut self, seconds: u32) -> Self {
        self.retry_delay = Some(seconds);
        self
    }

    /// Act for this sub-account (overrides the client's).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// The request body, after checking every rule.
    fn body(&self) -> Result<wire::CreateWebhookRequest> {
        let url = self
            .url
            .as_deref()
            .ok_or_else(|| Error::validation("url", "is required"))?;
        rules::check_url(url).map_err(|reason| Error::validation("url", reason))?;
        if self.events.is_empty() {
            return Err(Error::validation(
                "events",
                "at least one event is required",
            ));
        }
        let events = wire_events(&self.events)?;
        let headers = wire_headers(&self.headers)?;
        let range = |field: &str, value: Option<u32>, range| match value {
            Some(value) => rules::check_range(value, &range)
                .map(|()| Some(value))
                .map_err(|reason| Error::validation(field, reason)),
            None => Ok(None),
        };
        let read_timeout = range("read_timeout", self.read_timeout, rules::READ_TIMEOUT_MS)?;
        let retries = range("retries", self.retries, rules::RETRIES)?;
        let retry_delay = range("retry_delay", self.retry_delay, rules::RETRY_DELAY_SECS)?;
        Ok(wire::CreateWebhookRequest {
            url: url.parse().map_err(|err: wire::error::ConversionError| {
                Error::validation("url", err.to_string())
            })?,
            method: model::method_to_wire(self.method),
            encoding: model::encoding_to_wire(self.encoding),
            events,
            headers,
            template: self.template.clone(),
            read_timeout: read_timeout.and_then(std::num::NonZeroU32::new),
            retries: retries.map(to_i32),
            retry_delay: retry_delay.map(to_i32),
        })
    }

    /// Validate, then create the webhook. Not retried unless the client's policy opts in
    /// ([`RetryPolicy::retry_creates`](crate::RetryPolicy::retry_creates)). Template findings
    /// are logged; [`send_with_findings`](Self::send_with_findings) returns them too.
    pub async fn send(self) -> Result<Webhook> {
        self.send_with_findings().await.map(|(webhook, _)| webhook)
    }

    /// Like [`send`](Self::send), also returning what linting the template found (empty
    /// without a template). In strict mode a finding is an error instead.
    ///
    /// ```no_run
    /// # async fn run(client: webhooks_ergonomic::Client) -> webhooks_ergonomic::Result<()> {
    /// use webhooks_ergonomic::Event;
    ///
    /// let (webhook, findings) = client
    ///     .webhooks()
    ///     .create()
    ///     .url("https://example.com/hooks")
    ///     .event(Event::ReceivedSms)
    ///     .template(r#"{"id": "$replyId", "text": "$moContent"}"#)
    ///     .send_with_findings()
    ///     .await?;
    /// for finding in findings {
    ///     eprintln!("template of {}: {finding}", webhook.id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_with_findings(self) -> Result<(Webhook, Vec<Finding>)> {
        let body = self.body()?;
        let findings = judge(self.template_findings(), self.strict_template)?;
        let account = self
            .client
            .account(self.account.as_deref())
            .map(str::to_owned);
        let operation = Operation {
            name: "CreateWebhook",
            method: http::Method::POST,
            path: COLLECTION,
            success: 201,
        };
        let webhook = self
            .client
            .execute(operation, || {
                let mut request = self.client.raw().create_webhook().body(body.clone());
                if let Some(account) = &account {
                    request = request.account(account.clone());
                }
                request.send()
            })
            .await?;
        Ok((Webhook::from(webhook), findings))
    }
}

/// Builder of a list; see [`Webhooks::list`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct ListWebhooks<'a> {
    client: &'a Client,
    page: u32,
    page_size: u32,
    account: Option<String>,
}

impl ListWebhooks<'_> {
    /// The page, from 0 (default 0).
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// Webhooks per page, 1 to 100 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Act for this sub-account (overrides the client's).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Validate, then fetch the page.
    pub async fn send(self) -> Result<Page<Webhook>> {
        rules::check_range(self.page_size, &rules::PAGE_SIZE)
            .map_err(|reason| Error::validation("page_size", reason))?;
        let page =
            i32::try_from(self.page).map_err(|_| Error::validation("page", "is too large"))?;
        let page_size = std::num::NonZeroU32::new(self.page_size)
            .ok_or_else(|| Error::validation("page_size", "must be at least 1"))?;
        let account = self
            .client
            .account(self.account.as_deref())
            .map(str::to_owned);
        let operation = Operation {
            name: "RetrieveWebhooks",
            method: http::Method::GET,
            path: COLLECTION,
            success: 200,
        };
        let page = self
            .client
            .execute(operation, || {
                let mut request = self
                    .client
                    .raw()
                    .retrieve_webhooks()
                    .page(page)
                    .page_size(page_size);
                if let Some(account) = &account {
                    request = request.account(account.clone());
                }
                request.send()
            })
            .await?;
        Ok(Page::from(page))
    }
}

/// Every webhook as a stream; see [`Webhooks::list_all`]. Setters apply until the first poll.
///
/// The stream ends after a page shorter than the page size (the API has no total and no next
/// link). A server that answers a page with exactly the webhooks of the page before (one that
/// ignores `page`) ends it with [`Error::RepeatedPage`] instead of looping for ever.
#[must_use = "a stream does nothing until it is polled"]
pub struct ListAllWebhooks {
    client: Client,
    page_size: u32,
    account: Option<String>,
    stream: Option<BoxStream<'static, Result<Webhook>>>,
}

impl std::fmt::Debug for ListAllWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListAllWebhooks")
            .field("page_size", &self.page_size)
            .field("account", &self.account)
            .field("started", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl ListAllWebhooks {
    /// Webhooks per request, 1 to 100 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Act for this sub-account (overrides the client's).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    fn pages(&self) -> BoxStream<'static, Result<Webhook>> {
        let (client, page_size, account) =
            (self.client.clone(), self.page_size, self.account.clone());
        let start = (Some(0u32), Vec::<WebhookId>::new());
        stream::try_unfold(start, move |(next, previous)| {
            let client = client.clone();
            let account = account.clone();
            async move {
                let Some(page) = next else { return Ok(None) };
                let mut request = client.webhooks().list().page(page).page_size(page_size);
                if let Some(account) = account {
                    request = request.account(account);
                }
                let result = request.send().await?;
                let ids: Vec<WebhookId> = result.items.iter().map(|w| w.id).collect();
                if !ids.is_empty() && ids == previous {
                    return Err(Error::RepeatedPage { page });
                }
                let next = if result.is_last() {
                    None
                } else {
                    page.checked_add(1)
                };
                let items = stream::iter(result.items.into_iter().map(Ok));
                Ok::<_, Error>(Some((items, (next, ids))))
            }
        })
        .try_flatten()
        .boxed()
    }
}

impl Stream for ListAllWebhooks {
    type Item = Result<Webhook>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.stream.is_none() {
            self.stream = Some(self.pages());
        }
        match self.stream.as_mut() {
            Some(stream) => stream.poll_next_unpin(cx),
            None => std::task::Poll::Ready(None),
        }
    }
}

/// Builder of an update; see [`Webhooks::update`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct UpdateWebhook<'a> {
    client: &'a Client,
    id: WebhookId,
    url: Option<String>,
    method: Option<CallbackMethod>,
    encoding: Option<Encoding>,
    events: Option<Vec<Open<Event>>>,
    headers: Option<BTreeMap<String, String>>,
    template: Option<String>,
    account: Option<String>,
    strict_template: bool,
}

impl UpdateWebhook<'_> {
    /// Replace the URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Replace the callback method.
    pub fn method(mut self, method: CallbackMethod) -> Self {
        self.method = Some(method);
        self
    }

    /// Replace the encoding.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = Some(encoding);
        self
    }

    /// Replace the events (at least one): [`Event`]s, or names from [`Event::other`].
    pub fn events<E: Into<Open<Event>>>(mut self, events: impl IntoIterator<Item = E>) -> Self {
        let mut list: Vec<Open<Event>> = Vec::new();
        for event in events.into_iter().map(Into::into) {
            if !list.contains(&event) {
                list.push(event);
            }
        }
        self.events = Some(list);
        self
    }

    /// Remove every custom header (sends `"headers": {}`); the same as an empty
    /// [`headers`](Self::headers), without naming a type for the empty list.
    pub fn clear_headers(mut self) -> Self {
        self.headers = Some(BTreeMap::new());
        self
    }

    /// Replace the custom headers (an empty map removes them all).
    pub fn headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.headers = Some(
            headers
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Replace the template (a string or a
    /// [`Template`](crate::callbacks::template::Template)). It is linted when the request is
    /// sent; see [`template_findings`](Self::template_findings) for what against.
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Whether a template finding rejects the request (`Error::Validation` of `template`,
    /// nothing sent) instead of being logged and returned by
    /// [`send_with_findings`](Self::send_with_findings). Off by default.
    pub fn strict_template(mut self, strict: bool) -> Self {
        self.strict_template = strict;
        self
    }

    /// What linting the new template finds (nothing without one). An update may not say
    /// which events and encoding the webhook has, so:
    /// - with `events`, variables are checked against them; without, only what holds for
    ///   every event (syntax, unknown variables and members, deprecated names, unsupported
    ///   directives);
    /// - the rendered body is checked only when the update sets both `events` and `encoding`.
    pub fn template_findings(&self) -> Vec<Finding> {
        self.template.as_deref().map_or_else(Vec::new, |template| {
            let encoding = self.events.as_ref().and(self.encoding);
            let events = self.events.as_deref().map(known);
            lint_partially(template, events.as_deref(), encoding)
        })
    }

    /// Act for this sub-account (overrides the client's).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    fn body(&self) -> Result<wire::UpdateWebhookRequest> {
        let nothing = self.url.is_none()
            && self.method.is_none()
            && self.encoding.is_none()
            && self.events.is_none()
            && self.headers.is_none()
            && self.template.is_none();
        if nothing {
            return Err(Error::validation(
                "update",
                "set at least one field to update",
            ));
        }
        let url = match &self.url {
            Some(url) => {
                rules::check_url(url).map_err(|reason| Error::validation("url", reason))?;
                Some(url.parse().map_err(|err: wire::error::ConversionError| {
                    Error::validation("url", err.to_string())
                })?)
            }
            None => None,
        };
        let events = match &self.events {
            Some(events) if events.is_empty() => {
                return Err(Error::validation(
                    "events",
                    "must not be empty when updated",
                ));
            }
            Some(events) => Some(wire_events(events)?),
            None => None,
        };
        let headers = match &self.headers {
            Some(headers) => Some(
                wire_headers(headers)?.unwrap_or_else(|| wire::CallbackHeaders(Default::default())),
            ),
            None => None,
        };
        Ok(wire::UpdateWebhookRequest {
            url,
            method: self.method.map(model::method_to_wire),
            encoding: self.encoding.map(model::encoding_to_wire),
            events,
            headers,
            template: self.template.clone(),
        })
    }

    /// Validate, then update the webhook; returns it as stored afterwards. Template findings
    /// are logged; [`send_with_findings`](Self::send_with_findings) returns them too.
    pub async fn send(self) -> Result<Webhook> {
        self.send_with_findings().await.map(|(webhook, _)| webhook)
    }

    /// Like [`send`](Self::send), also returning what linting the template found (empty
    /// without a template). In strict mode a finding is an error instead.
    pub async fn send_with_findings(self) -> Result<(Webhook, Vec<Finding>)> {
        let body = self.body()?;
        let findings = judge(self.template_findings(), self.strict_template)?;
        let id: uuid::Uuid = self.id.into();
        let account = self
            .client
            .account(self.account.as_deref())
            .map(str::to_owned);
        let operation = Operation {
            name: "UpdateWebhook",
            method: http::Method::PATCH,
            path: ITEM,
            success: 200,
        };
        let webhook = self
            .client
            .execute(operation, || {
                let mut request = self
                    .client
                    .raw()
                    .update_webhook()
                    .webhook_id(id)
                    .body(body.clone());
                if let Some(account) = &account {
                    request = request.account(account.clone());
                }
                request.send()
            })
            .await?;
        Ok((Webhook::from(webhook), findings))
    }
}

/// Builder of a delete; see [`Webhooks::delete`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct DeleteWebhook<'a> {
    client: &'a Client,
    id: WebhookId,
    account: Option<String>,
}

impl DeleteWebhook<'_> {
    /// Act for this sub-account (overrides the client's).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Delete the webhook.
    pub async fn send(self) -> Result<()> {
        let id: uuid::Uuid = self.id.into();
        let account = self
            .client
            .account(self.account.as_deref())
            .map(str::to_owned);
        let operation = Operation {
            name: "DeleteWebhook",
            method: http::Method::DELETE,
            path: ITEM,
            success: 204,
        };
        self.client
            .execute(operation, || {
                let mut request = self.client.raw().delete_webhook().webhook_id(id);
                if let Some(account) = &account {
                    request = request.account(account.clone());
                }
                request.send()
            })
            .await
    }
}

/// Template findings: an error in strict mode, otherwise logged and kept.
fn judge(findings: Vec<Finding>, strict: bool) -> Result<Vec<Finding>> {
    if strict && !findings.is_empty() {
        let reasons: Vec<String> = findings.iter().map(Finding::to_string).collect();
        return Err(Error::validation("template", reasons.join("; ")));
    }
    for finding in &findings {
        tracing::warn!(
            line = finding.line,
            column = finding.column,
            kind = ?finding.kind,
            "webhook template: {}",
            finding.message
        );
    }
    Ok(findings)
}

/// The known events among `events`: what a template can be linted against.
fn known(events: &[Open<Event>]) -> Vec<Event> {
    events
        .iter()
        .filter_map(|event| match event {
            Open::Known(event) => Some(*event),
            Open::Unknown(_) => None,
        })
        .collect()
}

/// The wire events, after checking that every name this crate does not know has the shape of
/// an event name (the variant is public, so [`Event::other`] may have been bypassed).
fn wire_events(events: &[Open<Event>]) -> Result<Vec<Open<wire::Event>>> {
    events
        .iter()
        .map(|event| {
            if let Open::Unknown(name) = event {
                vocabulary::check_event_name(name)
                    .map_err(|err| Error::validation("events", err.to_string()))?;
            }
            Ok(model::open_event_to_wire(event))
        })
        .collect()
}

fn wire_headers(headers: &BTreeMap<String, String>) -> Result<Option<wire::CallbackHeaders>> {
    if headers.is_empty() {
        return Ok(None);
    }
    rules::check_headers(headers)
        .map_err(|(name, reason)| Error::validation(format!("headers.{name}"), reason))?;
    let mut map = BTreeMap::new();
    for (name, value) in headers {
        let value = value
            .parse::<wire::CallbackHeadersValue>()
            .map_err(|err| Error::validation(format!("headers.{name}"), err.to_string()))?;
        map.insert(name.clone(), value);
    }
    Ok(Some(wire::CallbackHeaders(map)))
}

/// Values checked against ranges far below `i32::MAX`.
fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
