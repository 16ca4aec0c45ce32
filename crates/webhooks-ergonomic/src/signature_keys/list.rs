//! List signature keys: one page ([`ListSignatureKeys`]) or all of them as a stream
//! ([`ListAllSignatureKeys`]).

use std::num::NonZeroU32;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use super::key::SignatureKey;
use crate::client::account_setter;
use webhooks_client::types as wire;

use crate::client::{Client, Operation};
use crate::error::{Error, Result};
use crate::model::{FromWireItems, Page, all_items};

static LIST: Operation = Operation {
    name: "GetSignatureKeyList",
    method: http::Method::GET,
    path: "/v1/iam/signature_keys",
    success: 200,
};

/// The page size when none is set. The API documents no default and no maximum; it requires
/// the parameter, so the client always sends one.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Builder of a list; see [`SignatureKeys::list`](super::SignatureKeys::list).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct ListSignatureKeys<'a> {
    client: &'a Client,
    page: u32,
    page_size: u32,
    account: Option<String>,
}

impl<'a> ListSignatureKeys<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        ListSignatureKeys {
            client,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            account: None,
        }
    }

    /// The page, from 1 as the API numbers them (default 1); 0 is rejected at `send`.
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// Keys per page, at least 1 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    account_setter!();

    /// Validate, then fetch the page. The API answers a bare array; the [`Page`] it is put in
    /// carries the page and size asked for, so [`Page::is_last`] works as for webhooks.
    pub async fn send(self) -> Result<Page<SignatureKey>> {
        let page = positive(self.page, "page", "pages are numbered from 1")?;
        let page_size = positive(self.page_size, "page_size", "must be at least 1")?;
        let keys: FromWireItems<wire::SignatureKey, SignatureKey> = LIST
            .call()
            .query(format!("page={page}&page_size={page_size}"))
            .fetch(self.client, self.account.as_deref())
            .await?;
        let items = keys.0;
        Ok(Page::new(self.page, self.page_size, items))
    }
}

/// A value from 1 to `i32::MAX` (the contract's `int32`).
fn positive(value: u32, field: &str, zero: &str) -> Result<NonZeroU32> {
    if i32::try_from(value).is_err() {
        return Err(Error::validation(field, "is too large"));
    }
    NonZeroU32::new(value).ok_or_else(|| Error::validation(field, zero))
}

/// Every key as a stream; see [`SignatureKeys::list_all`](super::SignatureKeys::list_all).
/// Setters apply until the first poll.
///
/// The stream ends after a page shorter than the page size. A server that answers a page with
/// exactly the keys of the page before (one that ignores `page`) ends it with
/// [`Error::RepeatedPage`] instead of looping for ever.
#[must_use = "a stream does nothing until it is polled"]
pub struct ListAllSignatureKeys {
    client: Client,
    page_size: u32,
    account: Option<String>,
    stream: Option<BoxStream<'static, Result<SignatureKey>>>,
}

impl std::fmt::Debug for ListAllSignatureKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListAllSignatureKeys")
            .field("page_size", &self.page_size)
            .field("account", &self.account)
            .field("started", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl ListAllSignatureKeys {
    pub(super) fn new(client: &Client) -> Self {
        ListAllSignatureKeys {
            client: client.clone(),
            page_size: DEFAULT_PAGE_SIZE,
            account: None,
            stream: None,
        }
    }

    /// Keys per request, at least 1 (default 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    account_setter!();

    fn pages(&self) -> BoxStream<'static, Result<SignatureKey>> {
        let (client, page_size, account) =
            (self.client.clone(), self.page_size, self.account.clone());
        let fetch = move |page| {
            let (client, account) = (client.clone(), account.clone());
            async move {
                let mut request = client
                    .signature_keys()
                    .list()
                    .page(page)
                    .page_size(page_size);
                if let Some(account) = account {
                    request = request.account(account);
                }
                request.send().await
            }
        };
        all_items(1, fetch, |item: &SignatureKey| item.id)
    }
}

impl Stream for ListAllSignatureKeys {
    type Item = Result<SignatureKey>;

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
