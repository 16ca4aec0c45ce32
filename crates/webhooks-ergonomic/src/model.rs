//! Domain types: [`Webhook`], [`WebhookId`], [`Page`], and their conversions to and from the
//! spec-exact types of `webhooks_client::types` (the escape hatch for code that needs them).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use webhooks_client::types as wire;

use webhooks_vocabulary::{CallbackMethod, Encoding, Event, Open};

use crate::error::{Error, Result};

/// The id of a webhook (a UUID).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct WebhookId(uuid::Uuid);

impl WebhookId {
    /// The id as a UUID.
    pub fn as_uuid(&self) -> &uuid::Uuid {
        &self.0
    }
}

impl From<uuid::Uuid> for WebhookId {
    fn from(id: uuid::Uuid) -> Self {
        WebhookId(id)
    }
}

impl From<WebhookId> for uuid::Uuid {
    fn from(id: WebhookId) -> Self {
        id.0
    }
}

impl FromStr for WebhookId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(WebhookId)
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A webhook subscription as the platform stores it. For tests that fake the client, build one
/// with [`Webhook::new`] and set the public fields.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// The URL the platform calls.
    pub url: String,
    /// The method the platform calls it with; a method this crate does not know is kept as
    /// [`Open::Unknown`].
    pub method: Open<CallbackMethod>,
    /// How callback bodies are encoded; `None` when the platform sent none (its spec says the
    /// encoding "can be null if missing/unknown"), [`Open::Unknown`] for one this crate does not
    /// know.
    pub encoding: Option<Open<Encoding>>,
    /// Extra headers sent with every callback, as stored (values may exceed the 1000
    /// characters a request may set).
    pub headers: BTreeMap<String, String>,
    /// The events that trigger it (empty when the platform sent none); an event this crate
    /// does not know is kept as [`Open::Unknown`].
    pub events: Vec<Open<Event>>,
    /// The Velocity template of the callback body, when set.
    pub template: Option<String>,
    /// How long the platform waits for your answer, in ms, when set.
    pub read_timeout: Option<u32>,
    /// How many times a failed callback is retried.
    pub retries: u32,
    /// Seconds between retries, when set.
    pub retry_delay: Option<u32>,
}

impl Webhook {
    /// A webhook built by hand, for tests: `POST`, `JSON`, no events, headers or template, no
    /// retries. Set the public fields for anything else.
    ///
    /// ```
    /// use webhooks_ergonomic::{Event, Open, Webhook};
    ///
    /// let mut webhook = Webhook::new(uuid::Uuid::nil().into(), "https://example.com/h");
    /// webhook.events = vec![Open::Known(Event::DeliveredDr)];
    /// assert_eq!(webhook.retries, 0);
    /// ```
    pub fn new(id: WebhookId, url: impl Into<String>) -> Webhook {
        Webhook {
            id,
            url: url.into(),
            method: Open::Known(CallbackMethod::Post),
            encoding: Some(Open::Known(Encoding::Json)),
            headers: BTreeMap::new(),
            events: Vec::new(),
            template: None,
            read_timeout: None,
            retries: 0,
            retry_delay: None,
        }
    }
}

/// One page of a listing. It serialises with the API's names (`page`, `pageSize`, `pageData`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page number, from 0.
    pub page: u32,
    /// The page size the server applied.
    #[serde(rename = "pageSize")]
    pub page_size: u32,
    /// The items of this page.
    #[serde(rename = "pageData")]
    pub items: Vec<T>,
}

/// Every item of a listing, page after page from `first`, as one stream: the one place that
/// knows the API's paging rules (no total and no next link, so a short or empty page is the
/// last) and refuses a server that answers the same items twice, which would loop forever.
/// `fetch` asks for one page; `key` names an item for that comparison.
pub(crate) fn all_items<T, K, F, Fut>(
    first: u32,
    fetch: F,
    key: fn(&T) -> K,
) -> futures::stream::BoxStream<'static, crate::Result<T>>
where
    T: Send + 'static,
    K: PartialEq + Send + 'static,
    F: Fn(u32) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = crate::Result<Page<T>>> + Send + 'static,
{
    use futures::{StreamExt, TryStreamExt, stream};

    stream::try_unfold((Some(first), Vec::<K>::new()), move |(next, previous)| {
        let request = next.map(|page| (page, fetch(page)));
        async move {
            let Some((page, request)) = request else {
                return Ok(None);
            };
            let result = request.await?;
            let keys: Vec<K> = result.items.iter().map(key).collect();
            if !keys.is_empty() && keys == previous {
                return Err(crate::Error::RepeatedPage { page });
            }
            let next = if result.is_last() {
                None
            } else {
                page.checked_add(1)
            };
            let items = stream::iter(result.items.into_iter().map(Ok));
            Ok(Some((items, (next, keys))))
        }
    })
    .try_flatten()
    .boxed()
}

impl<T> Page<T> {
    /// A page built by hand, for tests of code that fakes the client behind its own trait (the
    /// type is `#[non_exhaustive]`, so it cannot be written as a literal outside this crate).
    pub fn new(page: u32, page_size: u32, items: Vec<T>) -> Page<T> {
        Page {
            page,
            page_size,
            items,
        }
    }

    /// Whether this is the last page: it holds fewer items than the page size (the API has no
    /// total and no next link).
    pub fn is_last(&self) -> bool {
        self.items.len() < self.page_size as usize || self.items.is_empty()
    }
}

/// A vocabulary value as the contract's closed enum of the same values, matched by wire name.
/// The vocabulary crate may one day name a value this contract does not: that is a
/// [`Error::Validation`] of `field` before any I/O, never a request the server would refuse.
pub(crate) fn to_wire<D: fmt::Display, W: FromStr>(field: &str, value: D) -> Result<W> {
    let name = value.to_string();
    name.parse().map_err(|_| {
        Error::validation(
            field,
            format!("`{name}` is not a value of this release's contract"),
        )
    })
}

pub(crate) fn event_from_wire(event: wire::Event) -> Event {
    match event {
        wire::Event::ReceivedSms => Event::ReceivedSms,
        wire::Event::OptOutSms => Event::OptOutSms,
        wire::Event::ReceivedMms => Event::ReceivedMms,
        wire::Event::EnrouteDr => Event::EnrouteDr,
        wire::Event::ExpiredDr => Event::ExpiredDr,
        wire::Event::RejectedDr => Event::RejectedDr,
        wire::Event::FailedDr => Event::FailedDr,
        wire::Event::DeliveredDr => Event::DeliveredDr,
        wire::Event::SubmittedDr => Event::SubmittedDr,
    }
}

pub(crate) fn method_from_wire(method: wire::HttpMethod) -> CallbackMethod {
    match method {
        wire::HttpMethod::Get => CallbackMethod::Get,
        wire::HttpMethod::Post => CallbackMethod::Post,
        wire::HttpMethod::Put => CallbackMethod::Put,
        wire::HttpMethod::Patch => CallbackMethod::Patch,
        wire::HttpMethod::Delete => CallbackMethod::Delete,
    }
}

pub(crate) fn encoding_from_wire(encoding: wire::Encoding) -> Encoding {
    match encoding {
        wire::Encoding::Json => Encoding::Json,
        wire::Encoding::FormEncoded => Encoding::FormEncoded,
        wire::Encoding::Xml => Encoding::Xml,
    }
}

/// The open wire value of an open event: it is sent by its name, so a name the contract does
/// not know goes as `Open::Unknown` (the API judges it), exactly as an unknown one.
pub(crate) fn open_event_to_wire(event: &Open<Event>) -> Open<wire::Event> {
    event
        .as_wire()
        .parse()
        .unwrap_or_else(|never| match never {})
}

fn open_from_wire<W, D>(value: Open<W>, from_wire: impl FnOnce(W) -> D) -> Open<D> {
    match value {
        Open::Known(known) => Open::Known(from_wire(known)),
        Open::Unknown(raw) => Open::Unknown(raw),
    }
}

/// Negative numbers from the server are nonsense for these fields; they read as absent.
fn non_negative(value: Option<i32>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok())
}

impl From<wire::Webhook> for Webhook {
    /// Every wire field is named here, so a field added to the contract fails to compile until
    /// it is carried over (or deliberately dropped) rather than vanishing silently.
    fn from(webhook: wire::Webhook) -> Self {
        let wire::Webhook {
            id,
            url,
            method,
            encoding,
            headers,
            events,
            template,
            read_timeout,
            retries,
            retry_delay,
        } = webhook;
        Webhook {
            id: WebhookId(id),
            url,
            method: open_from_wire(method, method_from_wire),
            encoding: encoding.map(|encoding| open_from_wire(encoding, encoding_from_wire)),
            headers: headers.unwrap_or_default(),
            events: events
                .unwrap_or_default()
                .into_iter()
                .map(|event| open_from_wire(event, event_from_wire))
                .collect(),
            template,
            read_timeout: non_negative(read_timeout),
            retries: non_negative(retries).unwrap_or(0),
            retry_delay: non_negative(retry_delay),
        }
    }
}

/// A JSON array decoded item by item as the generated wire type `W` (the contract's rules,
/// open enums and nulls included), each item converted into `T` as soon as it is read: no
/// vector of wire values is built only to be converted and dropped.
pub(crate) struct FromWireItems<W, T>(pub(crate) Vec<T>, std::marker::PhantomData<fn() -> W>);

impl<'de, W, T> serde::Deserialize<'de> for FromWireItems<W, T>
where
    W: serde::Deserialize<'de>,
    T: From<W>,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<W, T>(std::marker::PhantomData<fn() -> (W, T)>);

        impl<'de, W, T> serde::de::Visitor<'de> for Items<W, T>
        where
            W: serde::Deserialize<'de>,
            T: From<W>,
        {
            type Value = Vec<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<T>, A::Error> {
                // The hint comes from the input: trusted only up to a small bound.
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
                while let Some(item) = seq.next_element::<W>()? {
                    items.push(T::from(item));
                }
                Ok(items)
            }
        }

        deserializer
            .deserialize_seq(Items(std::marker::PhantomData))
            .map(|items| FromWireItems(items, std::marker::PhantomData))
    }
}

/// The answer of a webhook list, decoded with [`FromWireItems`]: what `wire::WebhookPage`
/// decodes, then `Page::from`, without the intermediate page (a test holds the two equal).
#[derive(serde::Deserialize)]
pub(crate) struct WebhookPageAnswer {
    page: i32,
    #[serde(rename = "pageSize")]
    page_size: i32,
    #[serde(rename = "pageData")]
    page_data: FromWireItems<wire::Webhook, Webhook>,
}

impl From<WebhookPageAnswer> for Page<Webhook> {
    fn from(answer: WebhookPageAnswer) -> Self {
        Page {
            page: u32::try_from(answer.page).unwrap_or(0),
            page_size: u32::try_from(answer.page_size).unwrap_or(0),
            items: answer.page_data.0,
        }
    }
}

impl From<wire::WebhookPage> for Page<Webhook> {
    fn from(page: wire::WebhookPage) -> Self {
        let wire::WebhookPage {
            page,
            page_size,
            page_data,
        } = page;
        Page {
            page: u32::try_from(page).unwrap_or(0),
            page_size: u32::try_from(page_size).unwrap_or(0),
            items: page_data.into_iter().map(Webhook::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_round_trips_through_the_wire_types() {
        for event in Event::ALL {
            let on_wire: wire::Event = to_wire("events", event).unwrap();
            assert_eq!(event_from_wire(on_wire), event);
            assert_eq!(
                open_event_to_wire(&Open::Known(event)),
                Open::Known(on_wire)
            );
        }
        for method in CallbackMethod::ALL {
            let on_wire: wire::HttpMethod = to_wire("method", method).unwrap();
            assert_eq!(method_from_wire(on_wire), method);
        }
        for encoding in Encoding::ALL {
            let on_wire: wire::Encoding = to_wire("encoding", encoding).unwrap();
            assert_eq!(encoding_from_wire(on_wire), encoding);
        }
        assert_eq!(
            open_event_to_wire(&Open::Unknown("RECEIVED_RCS".into())),
            Open::Unknown("RECEIVED_RCS".into())
        );
        let err = to_wire::<_, wire::Encoding>("encoding", "CSV").unwrap_err();
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "encoding"),
            "{err:?}"
        );
    }

    #[test]
    fn a_minimal_wire_webhook_converts_with_defaults() {
        let wire: wire::Webhook = serde_json::from_str(
            r#"{"id":"76fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com","method":"GET","encoding":"XML","events":["OPT_OUT_SMS"],"extra":1}"#,
        )
        .unwrap();
        let webhook = Webhook::from(wire);
        assert_eq!(
            webhook.id.to_string(),
            "76fa7010-8c1f-4a24-917a-4d62a54e744d"
        );
        assert_eq!(webhook.retries, 0);
        assert!(webhook.headers.is_empty() && webhook.template.is_none());
        assert_eq!(webhook.events, [Open::Known(Event::OptOutSms)]);
    }

    #[test]
    fn unknown_values_nulls_and_missing_fields_convert_keeping_the_raw_text() {
        let wire: wire::Webhook = serde_json::from_str(
            r#"{"id":"76fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com","method":"HEAD","encoding":"PROTOBUF","events":["RECEIVED_RCS"],"headers":null,"template":null}"#,
        )
        .unwrap();
        let webhook = Webhook::from(wire);
        assert_eq!(webhook.method, Open::Unknown("HEAD".to_owned()));
        assert_eq!(webhook.encoding, Some(Open::Unknown("PROTOBUF".to_owned())));
        assert_eq!(webhook.events, [Open::Unknown("RECEIVED_RCS".to_owned())]);
        assert!(webhook.headers.is_empty() && webhook.template.is_none());

        let bare: wire::Webhook = serde_json::from_str(
            r#"{"id":"76fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com","method":"GET","encoding":null}"#,
        )
        .unwrap();
        let bare = Webhook::from(bare);
        assert_eq!((bare.encoding, bare.events), (None, vec![]));
    }

    #[test]
    fn the_list_answer_decodes_as_the_generated_page_converted() {
        let long = "v".repeat(5_000);
        let items = [
            r#"{"id":"76fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com/a","method":"POST","encoding":"JSON","events":["RECEIVED_SMS","DELIVERED_DR"],"headers":{"X-Key":"abc"},"template":"$moContent","read_timeout":2000,"retries":3,"retry_delay":30,"extra":{"nested":[1]}}"#.to_owned(),
            r#"{"id":"86fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com/b","method":"HEAD","encoding":null,"events":["RECEIVED_RCS"],"headers":null,"template":null,"retries":-1}"#.to_owned(),
            r#"{"id":"96fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com/c","method":"GET"}"#.to_owned(),
            format!(r#"{{"id":"a6fa7010-8c1f-4a24-917a-4d62a54e744d","url":"https://e.com/d","method":"PUT","encoding":"PROTOBUF","headers":{{"X-Long":"{long}"}}}}"#),
        ];
        for page_data in [String::new(), items.join(",")] {
            let json = format!(r#"{{"page":2,"pageSize":4,"pageData":[{page_data}],"total":9}}"#);
            let generated: wire::WebhookPage = serde_json::from_str(&json).unwrap();
            let direct: WebhookPageAnswer = serde_json::from_str(&json).unwrap();
            assert_eq!(Page::from(direct), Page::from(generated), "{json}");
        }
        for broken in [
            r#"{"page":0,"pageSize":1,"pageData":{}}"#,
            r#"{"page":0,"pageSize":1,"pageData":[{"url":"https://e.com","method":"GET"}]}"#,
            r#"{"page":0,"pageData":[]}"#,
        ] {
            assert!(serde_json::from_str::<wire::WebhookPage>(broken).is_err());
            assert!(
                serde_json::from_str::<WebhookPageAnswer>(broken).is_err(),
                "{broken}"
            );
        }
    }

    #[test]
    fn a_page_serialises_with_the_apis_names_like_a_webhook_does() {
        let id: WebhookId = "76fa7010-8c1f-4a24-917a-4d62a54e744d".parse().unwrap();
        let page = Page::new(0, 100, vec![Webhook::new(id, "https://e.com")]);
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["pageSize"], 100);
        assert_eq!(json["pageData"][0]["url"], "https://e.com");
        assert_eq!(serde_json::from_value::<Page<Webhook>>(json).unwrap(), page);
    }

    #[test]
    fn the_last_page_is_short_or_empty() {
        let page = |n: usize, size: u32| Page {
            page: 0,
            page_size: size,
            items: vec![(); n],
        };
        assert!(page(0, 10).is_last());
        assert!(page(3, 10).is_last());
        assert!(!page(10, 10).is_last());
    }
}
