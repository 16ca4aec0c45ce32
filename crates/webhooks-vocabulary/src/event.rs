//! What a subscription names and a callback carries: [`Event`], [`Encoding`] and
//! [`CallbackMethod`].

use std::fmt;
use std::str::FromStr;

use crate::Open;

/// A messaging event a webhook can subscribe to.
///
/// The API knows exactly nine events. They fall in three groups:
/// delivery reports (the six `*_DR` events, see [`Event::DELIVERY_REPORTS`]),
/// inbound messages ([`Event::INBOUND`]) and opt-outs.
///
/// ```
/// use webhooks_vocabulary::Event;
///
/// let event: Event = "DELIVERED_DR".parse()?;
/// assert_eq!(event, Event::DeliveredDr);
/// assert!(event.is_delivery_report());
/// assert_eq!(Event::ALL.len(), 9);
/// # Ok::<(), webhooks_vocabulary::UnknownValue>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Event {
    /// `RECEIVED_SMS`: an SMS reply or inbound SMS arrived.
    ReceivedSms,
    /// `OPT_OUT_SMS`: a recipient opted out (for example by replying `STOP`).
    OptOutSms,
    /// `RECEIVED_MMS`: an MMS arrived, with attachments.
    ReceivedMms,
    /// `ENROUTE_DR`: the message is on its way.
    EnrouteDr,
    /// `EXPIRED_DR`: the message expired before delivery.
    ExpiredDr,
    /// `REJECTED_DR`: the message will not be delivered (permanent failure).
    RejectedDr,
    /// `FAILED_DR`: the message failed.
    FailedDr,
    /// `DELIVERED_DR`: delivery was confirmed.
    DeliveredDr,
    /// `SUBMITTED_DR`: the message was submitted to a carrier.
    SubmittedDr,
}

impl Event {
    /// Every event, in the order the API documents them.
    pub const ALL: [Event; 9] = [
        Event::ReceivedSms,
        Event::OptOutSms,
        Event::ReceivedMms,
        Event::EnrouteDr,
        Event::ExpiredDr,
        Event::RejectedDr,
        Event::FailedDr,
        Event::DeliveredDr,
        Event::SubmittedDr,
    ];

    /// The six delivery-report events (`*_DR`).
    pub const DELIVERY_REPORTS: [Event; 6] = [
        Event::EnrouteDr,
        Event::ExpiredDr,
        Event::RejectedDr,
        Event::FailedDr,
        Event::DeliveredDr,
        Event::SubmittedDr,
    ];

    /// The inbound-message events: replies and inbound SMS, and inbound MMS.
    pub const INBOUND: [Event; 2] = [Event::ReceivedSms, Event::ReceivedMms];

    /// The name the API uses on the wire, e.g. `"DELIVERED_DR"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Event::ReceivedSms => "RECEIVED_SMS",
            Event::OptOutSms => "OPT_OUT_SMS",
            Event::ReceivedMms => "RECEIVED_MMS",
            Event::EnrouteDr => "ENROUTE_DR",
            Event::ExpiredDr => "EXPIRED_DR",
            Event::RejectedDr => "REJECTED_DR",
            Event::FailedDr => "FAILED_DR",
            Event::DeliveredDr => "DELIVERED_DR",
            Event::SubmittedDr => "SUBMITTED_DR",
        }
    }

    /// Whether this is one of the six delivery-report events.
    pub const fn is_delivery_report(self) -> bool {
        matches!(
            self,
            Event::EnrouteDr
                | Event::ExpiredDr
                | Event::RejectedDr
                | Event::FailedDr
                | Event::DeliveredDr
                | Event::SubmittedDr
        )
    }

    /// Whether this is an inbound message (`RECEIVED_SMS` or `RECEIVED_MMS`).
    pub const fn is_inbound(self) -> bool {
        matches!(self, Event::ReceivedSms | Event::ReceivedMms)
    }

    /// An event by its wire name, including one the vendor added after this crate was released:
    /// a name this crate knows gives [`Open::Known`], any other [`Open::Unknown`]. The name must
    /// be non-empty and made of `A`-`Z`, `0`-`9` and `_`, as every event name of the API is; the
    /// API itself answers 400 to a name it does not know.
    ///
    /// ```
    /// use webhooks_vocabulary::{Event, Open};
    ///
    /// assert_eq!(Event::other("RECEIVED_RCS")?, Open::Unknown("RECEIVED_RCS".into()));
    /// assert_eq!(Event::other("DELIVERED_DR")?, Open::Known(Event::DeliveredDr));
    /// assert!(Event::other("received_rcs").is_err());
    /// # Ok::<(), webhooks_vocabulary::InvalidEventName>(())
    /// ```
    pub fn other(name: &str) -> Result<Open<Event>, InvalidEventName> {
        check_event_name(name)?;
        Ok(name
            .parse()
            .map_or_else(|_| Open::Unknown(name.to_owned()), Open::Known))
    }
}

/// Checks the shape every event name of the API has: non-empty, `[A-Z0-9_]` only.
///
/// ```
/// assert!(webhooks_vocabulary::check_event_name("RECEIVED_RCS").is_ok());
/// assert!(webhooks_vocabulary::check_event_name("received rcs").is_err());
/// ```
pub fn check_event_name(name: &str) -> Result<(), InvalidEventName> {
    let well_formed = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(InvalidEventName {
            name: name.to_owned(),
        })
    }
}

/// The error of [`Event::other`]: the name is empty or holds a character other than `A`-`Z`,
/// `0`-`9` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not an event name: expected a non-empty name of A-Z, 0-9 and _")]
pub struct InvalidEventName {
    name: String,
}

impl InvalidEventName {
    /// The rejected name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The error of parsing an [`Event`], [`Encoding`], [`CallbackMethod`],
/// [`Digest`](crate::Digest) or [`Cipher`](crate::Cipher) from a string that names none of its
/// values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {expected}")]
pub struct UnknownValue {
    kind: &'static str,
    value: String,
    expected: &'static str,
}

/// How much of a rejected value an [`UnknownValue`] keeps: values come from callbacks and
/// command lines, and an error must not repeat a megabyte of someone else's input.
const MAX_SHOWN: usize = 64;

impl UnknownValue {
    /// An error for `value` of a `kind` of value (`event`, `digest`, ...) that names one of
    /// `expected`; an [`excerpt`](crate::excerpt) of 64 bytes of `value` is kept. For enums of
    /// other crates that read names the way these do.
    pub fn new(kind: &'static str, value: &str, expected: &'static str) -> UnknownValue {
        UnknownValue {
            kind,
            value: crate::excerpt(value.as_bytes(), MAX_SHOWN),
            expected,
        }
    }

    /// The rejected input (an excerpt of at most 64 bytes).
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Implements `as_str`-based `Display`, `FromStr`, and serde for a wire enum.
macro_rules! wire_enum {
    ($ty:ident, $kind:literal, $expected:literal, [$($variant:ident),+ $(,)?]) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(if s == $ty::$variant.as_str() { return Ok($ty::$variant); })+
                Err(UnknownValue::new($kind, s, $expected))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(
    Event,
    "event",
    "RECEIVED_SMS, OPT_OUT_SMS, RECEIVED_MMS, ENROUTE_DR, EXPIRED_DR, REJECTED_DR, FAILED_DR, DELIVERED_DR, SUBMITTED_DR",
    [
        ReceivedSms,
        OptOutSms,
        ReceivedMms,
        EnrouteDr,
        ExpiredDr,
        RejectedDr,
        FailedDr,
        DeliveredDr,
        SubmittedDr
    ]
);

/// How the platform encodes a callback body; it also sets the callback's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// `JSON`: `Content-Type: application/json`.
    #[default]
    Json,
    /// `FORM_ENCODED`: `Content-Type: application/x-www-form-urlencoded`.
    FormEncoded,
    /// `XML`: `Content-Type: application/xml`.
    Xml,
}

impl Encoding {
    /// Every encoding.
    pub const ALL: [Encoding; 3] = [Encoding::Json, Encoding::FormEncoded, Encoding::Xml];

    /// The name the API uses on the wire, e.g. `"FORM_ENCODED"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Json => "JSON",
            Encoding::FormEncoded => "FORM_ENCODED",
            Encoding::Xml => "XML",
        }
    }

    /// The `Content-Type` a callback with this encoding carries.
    pub const fn content_type(self) -> &'static str {
        match self {
            Encoding::Json => "application/json",
            Encoding::FormEncoded => "application/x-www-form-urlencoded",
            Encoding::Xml => "application/xml",
        }
    }
}

wire_enum!(
    Encoding,
    "encoding",
    "JSON, FORM_ENCODED, XML",
    [Json, FormEncoded, Xml]
);

/// The HTTP method the platform uses to call *your* URL (not the method of a management call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CallbackMethod {
    /// `GET` (the callback carries no body).
    Get,
    /// `POST`, the usual choice.
    #[default]
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl CallbackMethod {
    /// Every callback method.
    pub const ALL: [CallbackMethod; 5] = [
        CallbackMethod::Get,
        CallbackMethod::Post,
        CallbackMethod::Put,
        CallbackMethod::Patch,
        CallbackMethod::Delete,
    ];

    /// The method name, e.g. `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CallbackMethod::Get => "GET",
            CallbackMethod::Post => "POST",
            CallbackMethod::Put => "PUT",
            CallbackMethod::Patch => "PATCH",
            CallbackMethod::Delete => "DELETE",
        }
    }

    /// Whether a callback with this method carries a body (every method but `GET`).
    pub const fn has_body(self) -> bool {
        !matches!(self, CallbackMethod::Get)
    }
}

wire_enum!(
    CallbackMethod,
    "callback method",
    "GET, POST, PUT, PATCH, DELETE",
    [Get, Post, Put, Patch, Delete]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_round_trips_through_its_wire_name() {
        for event in Event::ALL {
            assert_eq!(event.as_str().parse::<Event>(), Ok(event));
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(json, format!("\"{}\"", event.as_str()));
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        }
    }

    #[test]
    fn groups_partition_the_events() {
        let dr = Event::ALL.iter().filter(|e| e.is_delivery_report()).count();
        let inbound = Event::ALL.iter().filter(|e| e.is_inbound()).count();
        assert_eq!(dr, Event::DELIVERY_REPORTS.len());
        assert_eq!(inbound, Event::INBOUND.len());
        assert_eq!(dr + inbound + 1, Event::ALL.len());
        assert!(
            Event::DELIVERY_REPORTS
                .iter()
                .all(|e| e.as_str().ends_with("_DR"))
        );
    }

    #[test]
    fn unknown_names_are_rejected_with_the_value_and_the_choices() {
        let err = "RECEIVED_123".parse::<Event>().unwrap_err();
        assert_eq!(err.value(), "RECEIVED_123");
        let text = err.to_string();
        assert!(
            text.contains("RECEIVED_123") && text.contains("DELIVERED_DR"),
            "{text}"
        );
        assert!(
            "json".parse::<Encoding>().is_err(),
            "wire names are case-sensitive"
        );
        assert!(serde_json::from_str::<CallbackMethod>("\"HEAD\"").is_err());
    }

    #[test]
    fn other_names_must_be_upper_case_letters_digits_and_underscores() {
        assert_eq!(
            Event::other("RECEIVED_RCS_2"),
            Ok(Open::Unknown("RECEIVED_RCS_2".to_owned()))
        );
        assert_eq!(
            Event::other("OPT_OUT_SMS"),
            Ok(Open::Known(Event::OptOutSms))
        );
        for bad in [
            "",
            "received_rcs",
            "RECEIVED-RCS",
            "RECEIVED RCS",
            "ÉVÉNEMENT",
        ] {
            let err = Event::other(bad).unwrap_err();
            assert_eq!(err.name(), bad);
        }
    }

    #[test]
    fn encodings_and_methods_round_trip() {
        for encoding in Encoding::ALL {
            assert_eq!(encoding.as_str().parse::<Encoding>(), Ok(encoding));
        }
        for method in CallbackMethod::ALL {
            assert_eq!(method.as_str().parse::<CallbackMethod>(), Ok(method));
        }
        assert_eq!(
            Encoding::FormEncoded.content_type(),
            "application/x-www-form-urlencoded"
        );
        assert!(!CallbackMethod::Get.has_body());
    }
}
