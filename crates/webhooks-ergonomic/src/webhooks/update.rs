//! Update a webhook: [`UpdateWebhook`].

use std::collections::BTreeMap;

use webhooks_client::types as wire;

#[cfg(feature = "template")]
use webhooks_template::{Finding, lint_partially};
use webhooks_vocabulary::{CallbackMethod, Encoding, Event, Open};

#[cfg(feature = "template")]
use super::{judge, known};
use super::{wire_events, wire_headers};
use crate::client::{Client, Operation, account_setter};
use crate::error::{Error, Result};
use crate::model::{self, Webhook, WebhookId};
use crate::rules;

static UPDATE: Operation = Operation {
    name: "UpdateWebhook",
    method: http::Method::PATCH,
    path: "/v1/webhooks/messages/{webhookId}",
    success: 200,
};

/// Builder of an update; see [`Webhooks::update`](super::Webhooks::update).
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
    #[cfg(feature = "template")]
    strict_template: bool,
}

impl<'a> UpdateWebhook<'a> {
    pub(super) fn new(client: &'a Client, id: WebhookId) -> Self {
        UpdateWebhook {
            client,
            id,
            url: None,
            method: None,
            encoding: None,
            events: None,
            headers: None,
            template: None,
            account: None,
            #[cfg(feature = "template")]
            strict_template: false,
        }
    }

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

    /// Replace the template (a string, or a `Template` of `webhooks-template`). With the
    /// `template` feature it is linted when the request is sent (see `template_findings` for
    /// what against).
    pub fn template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }

    /// Whether a template finding rejects the request (`Error::Validation` of `template`,
    /// nothing sent) instead of being logged and returned by
    /// [`send_with_findings`](Self::send_with_findings). Off by default.
    #[cfg(feature = "template")]
    #[cfg_attr(docsrs, doc(cfg(feature = "template")))]
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
    #[cfg(feature = "template")]
    #[cfg_attr(docsrs, doc(cfg(feature = "template")))]
    pub fn template_findings(&self) -> Vec<Finding> {
        self.template.as_deref().map_or_else(Vec::new, |template| {
            let encoding = self.events.as_ref().and(self.encoding);
            let events = self.events.as_deref().map(known);
            lint_partially(template, events.as_deref(), encoding)
        })
    }

    account_setter!();

    /// The request body, after checking every rule; the builder's values move into it.
    fn into_body(self) -> Result<wire::UpdateWebhookRequest> {
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
        let url = match self.url {
            Some(url) => {
                rules::check_url(&url).map_err(|reason| Error::validation("url", reason))?;
                Some(
                    url.try_into()
                        .map_err(|err: wire::error::ConversionError| {
                            Error::validation("url", err.to_string())
                        })?,
                )
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
        let headers = match self.headers {
            Some(headers) => Some(
                wire_headers(headers)?.unwrap_or_else(|| wire::CallbackHeaders(Default::default())),
            ),
            None => None,
        };
        Ok(wire::UpdateWebhookRequest {
            url,
            method: self
                .method
                .map(|method| model::to_wire("method", method))
                .transpose()?,
            encoding: self
                .encoding
                .map(|encoding| model::to_wire("encoding", encoding))
                .transpose()?,
            events,
            headers,
            template: self.template,
        })
    }

    /// Validate, then update the webhook; returns it as stored afterwards. With the
    /// `template` feature, template findings are logged;
    /// [`send_with_findings`](Self::send_with_findings) returns them too.
    pub async fn send(self) -> Result<Webhook> {
        #[cfg(feature = "template")]
        let (webhook, _) = self.send_with_findings().await?;
        #[cfg(not(feature = "template"))]
        let webhook = self.update().await?;
        Ok(webhook)
    }

    /// Like [`send`](Self::send), also returning what linting the template found (empty
    /// without a template). In strict mode a finding is an error instead.
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

    /// Validates and updates, without linting.
    #[cfg(not(feature = "template"))]
    async fn update(self) -> Result<Webhook> {
        self.into_request()?.send().await
    }

    /// The request, after checking every rule.
    fn into_request(mut self) -> Result<Patch<'a>> {
        let (client, account) = (self.client, self.account.take());
        let path = format!("/v1/webhooks/messages/{}", self.id);
        Ok(Patch {
            client,
            account,
            path,
            body: self.into_body()?,
        })
    }
}

/// A checked update, ready to send.
struct Patch<'a> {
    client: &'a Client,
    account: Option<String>,
    path: String,
    body: wire::UpdateWebhookRequest,
}

impl Patch<'_> {
    async fn send(self) -> Result<Webhook> {
        let webhook: wire::Webhook = UPDATE
            .call()
            .path(self.path)
            .json(&self.body)?
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(Webhook::from(webhook))
    }
}
