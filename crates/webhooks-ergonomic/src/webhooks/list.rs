//! List webhooks: one page ([`ListWebhooks`]) or all of them as a stream ([`ListAllWebhooks`]).

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::client::{Client, Operation, account_setter};
use crate::error::{Error, Result};
use crate::model::{Page, Webhook, WebhookPageAnswer, all_items};
use crate::rules;

static RETRIEVE: Operation = Operation {
    name: "RetrieveWebhooks",
    method: http::Method::GET,
    path: "/v1/webhooks/messages",
    success: 200,
};

/// Builder of a list; see [`Webhooks::list`](super::Webhooks::list).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct ListWebhooks<'a> {
    client: &'a Client,
    page: u32,
    page_size: u32,
    account: Option<String>,
}

impl<'a> ListWebhooks<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        ListWebhooks {
            client,
            page: 0,
            page_size: rules::DEFAULT_PAGE_SIZE,
            account: None,
        }
    }

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

    account_setter!();

    /// Validate, then fetch the page.
    pub async fn send(self) -> Result<Page<Webhook>> {
        rules::check_range(self.page_size, &rules::PAGE_SIZE)
            .map_err(|reason| Error::validation("page_size", reason))?;
        if i32::try_from(self.page).is_err() {
            return Err(Error::validation("page", "is too large"));
        }
        let page: WebhookPageAnswer = RETRIEVE
            .call()
            .query(format!("page={}&page_size={}", self.page, self.page_size))
            .fetch(self.client, self.account.as_deref())
            .await?;
        Ok(Page::from(page))
    }
}

/// Every webhook as a stream; see [`Webhooks::list_all`](super::Webhooks::list_all). Setters apply until the first poll.
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
    pub(super) fn new(client: &Client) -> Self {
        ListAllWebhooks {
            client: client.clone(),
            page_size: rules::DEFAULT_PAGE_SIZE,
            account: None,
            stream: None,
        }
    }

    /// Webhooks per request, 1 to 100 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    account_setter!();

    fn pages(&self) -> BoxStream<'static, Result<Webhook>> {
        let (client, page_size, account) =
            (self.client.clone(), self.page_size, self.account.clone());
        let fetch = move |page| {
            let (client, account) = (client.clone(), account.clone());
            async move {
                let mut request = client.webhooks().list().page(page).page_size(page_size);
                if let Some(account) = account {
                    request = request.account(account);
                }
                request.send().await
            }
        };
        all_items(0, fetch, |item: &Webhook| item.id)
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
