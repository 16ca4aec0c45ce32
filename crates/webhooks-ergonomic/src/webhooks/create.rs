//! Create a webhook: [`CreateWebhook`].

use std::collections::BTreeMap;

use webhooks_client::types as wire;

#[cfg(feature = "template")]
use webhooks_template::{Finding, lint_partially};
use webhooks_vocabulary::{CallbackMethod, Encoding, Event, Open};

#[cfg(feature = "template")]
use super::{judge, known};
use super::{to_i32, wire_events, wire_headers};
use crate::client::{Client, Operation, account_setter};
use crate::error::{Error, Result};
use crate::model::{self, Webhook};
use crate::rules;

static CREATE: Operation = Operation {
    name: "CreateWebhook",
    method: http::Method::POST,
    path: "/v1/webhooks/messages",
    success: 201,
};

/// Builder of a create; see [`Webhooks::create`](super::Webhooks::create).
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
    #[cfg(feature = "template")]
    strict_template: bool,
}

impl<'a> CreateWebhook<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        CreateWebhook {
            client,
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
            #[cfg(feature = "template")]
            strict_template: false,
        }
    }

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
        self.add_event(event.into());
        self
    }

    /// Subscribe to these events (added to any already set).
    pub fn events<E: Into<Open<Event>>>(mut self, events: impl IntoIterator<Item = E>) -> Self {
        for event in events {
            self.add_event(event.into());
        }
        self
    }

    /// Adds an event once (in place: folding the builder through [`event`](Self::event)
    /// moved all of it per event).
    fn add_event(&mut self, event: Open<Event>) {
        if !self.events.contains(&event) {
            self.events.push(event);
        }
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

    /// The Velocity template of the callback body: a string, or a `Template` of
    /// `webhooks-template` (for instance from its `Template::builder`). With the `template`
    /// feature it is linted against the events and encoding when the request is sent.
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Whether a template finding rejects the request (`Error::Validation` of `template`,
    /// nothing sent) instead of being logged and returned by
    /// [`send_with_findings`](Self::send_with_findings). Off by default: the platform
    /// accepts any template.
    #[cfg(feature = "template")]
    #[cfg_attr(docsrs, doc(cfg(feature = "template")))]
    pub fn strict_template(mut self, strict: bool) -> Self {
        self.strict_template = strict;
        self
    }

    /// What [`lint`](webhooks_template::lint()) finds in the template for the events and
    /// encoding set so far (nothing without a template).
    #[cfg(feature = "template")]
    #[cfg_attr(docsrs, doc(cfg(feature = "template")))]
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

    account_setter!();

    /// The request body, after checking every rule; the builder's values move into it.
    fn into_body(self) -> Result<wire::CreateWebhookRequest> {
        let url = self
            .url
            .ok_or_else(|| Error::validation("url", "is required"))?;
        rules::check_url(&url).map_err(|reason| Error::validation("url", reason))?;
        if self.events.is_empty() {
            return Err(Error::validation(
                "events",
                "at least one event is required",
            ));
        }
        let events = wire_events(&self.events)?;
        let headers = wire_headers(self.headers)?;
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
            url: url
                .try_into()
                .map_err(|err: wire::error::ConversionError| {
                    Error::validation("url", err.to_string())
                })?,
            method: model::to_wire("method", self.method)?,
            encoding: model::to_wire("encoding", self.encoding)?,
            events,
            headers,
            template: self.template,
            read_timeout: read_timeout.and_then(std::num::NonZeroU32::new),
            retries: retries.map(to_i32),
            retry_delay: retry_delay.map(to_i32),
        })
    }

    /// Validate, then create the webhook. Not retried unless the client's policy opts in
    /// ([`RetryPolicy::retry_creates`](crate::RetryPolicy::retry_creates)). With the
    /// `template` feature, template findings are logged;
    /// [`send_with_findings`](Self::send_with_findings) returns them too.
    pub async fn send(self) -> Result<Webhook> {
        #[cfg(feature = "template")]
        let (webhook, _) = self.send_with_findings().await?;
        #[cfg(not(feature = "template"))]
        let webhook = self.create().await?;
        Ok(webhook)
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
    #[cfg(feature = "template")]
    #[cfg_attr(docsrs, doc(cfg(feature = "template")))]
    pub async fn send_with_findings(self) -> Result<(Webhook, Vec<Finding>)> {
        let findings = self.template_findings();
        let strict = self.strict_template;
        // The rules of the API first: a broken value is reported before any finding.
        let request = self.into_request()?;
        let findings = judge(findings, strict)?;
        Ok((request.send().await?, findings))
    }

    /// Validates and creates, without linting.
    #[cfg(not(feature = "template"))]
    async fn create(self) -> Result<Webhook> {
        self.into_request()?.send().await
    }

    /// The request, after checking every rule.
    fn into_request(mut self) -> Result<Post<'a>> {
        let (client, account) = (self.client, self.account.take());
        Ok(Post {
            client,
            account,
            body: self.into_body()?,
        })
    }
}

/// A checked create, ready to send.
struct Post<'a> {
    client: &'a Client,
    account: Option<String>,
    body: wire::CreateWebhookRequest,
}

impl Post<'_> {
    async fn send(self) -> Result<Webhook> {
        let webhook: wire::Webhook = CREATE
            .call()
            .json(&self.body)?
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(Webhook::from(webhook))
    }
}
