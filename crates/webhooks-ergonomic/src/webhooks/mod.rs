//! The webhook operations: [`Webhooks::create`], [`Webhooks::list`], [`Webhooks::list_all`],
//! [`Webhooks::update`], [`Webhooks::delete`].
//!
//! Each builder checks every rule the server would enforce when `send` is called, and returns
//! [`Error::Validation`] without sending anything when one is broken.
//!
//! With the `template` feature (on by default), the create and update builders also
//! [lint](webhooks_template::lint()) a template they are given. The platform accepts any template, so by default the findings are only
//! logged (`tracing` warnings) and returned by `send_with_findings`; with
//! `strict_template(true)` any finding is an [`Error::Validation`] of the field `template`
//! and nothing is sent.
//!
//! One file per operation, each with its builder; this module holds the handler and the wire
//! conversions create and update both need. The one send path (`client::Call`) is shared
//! with the signature-key operations.

mod create;
mod delete;
mod list;
mod update;

use std::collections::BTreeMap;

use webhooks_client::types as wire;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::model::{self, WebhookId};
use crate::rules;
#[cfg(feature = "template")]
use webhooks_template::Finding;
use webhooks_vocabulary::{Event, Open};

pub use create::CreateWebhook;
pub use delete::DeleteWebhook;
pub use list::{ListAllWebhooks, ListWebhooks};
pub use update::UpdateWebhook;

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
        CreateWebhook::new(self.client)
    }

    /// One page of webhooks.
    pub fn list(&self) -> ListWebhooks<'a> {
        ListWebhooks::new(self.client)
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
        ListAllWebhooks::new(self.client)
    }

    /// Update a webhook: only the fields set are sent.
    pub fn update(&self, id: WebhookId) -> UpdateWebhook<'a> {
        UpdateWebhook::new(self.client, id)
    }

    /// Delete a webhook.
    pub fn delete(&self, id: WebhookId) -> DeleteWebhook<'a> {
        DeleteWebhook::new(self.client, id)
    }
}

/// Template findings: an error in strict mode, otherwise logged and kept.
#[cfg(feature = "template")]
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
#[cfg(feature = "template")]
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
                webhooks_vocabulary::check_event_name(name)
                    .map_err(|err| Error::validation("events", err.to_string()))?;
            }
            Ok(model::open_event_to_wire(event))
        })
        .collect()
}

fn wire_headers(headers: BTreeMap<String, String>) -> Result<Option<wire::CallbackHeaders>> {
    if headers.is_empty() {
        return Ok(None);
    }
    rules::check_headers(&headers)
        .map_err(|(name, reason)| Error::validation(format!("headers.{name}"), reason))?;
    let mut map = BTreeMap::new();
    for (name, value) in headers {
        match wire::CallbackHeadersValue::try_from(value) {
            Ok(value) => {
                map.insert(name, value);
            }
            Err(err) => {
                return Err(Error::validation(
                    format!("headers.{name}"),
                    err.to_string(),
                ));
            }
        }
    }
    Ok(Some(wire::CallbackHeaders(map)))
}

/// Values checked against ranges far below `i32::MAX`.
fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
