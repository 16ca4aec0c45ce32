//! A delivery report's status (`status`, `$status`) and status code (`error_code`,
//! `$statusCode`), typed, with the raw value kept when it is not one the API documents.

use std::fmt;

/// The status a delivery report announces (field `status`, template variable `$status`).
///
/// The six values of the six delivery-report events; anything else is kept in
/// [`DeliveryStatus::Unknown`]. Matching ignores ASCII case.
///
/// ```
/// use webhooks_callbacks::DeliveryStatus;
///
/// assert_eq!(DeliveryStatus::parse("delivered"), DeliveryStatus::Delivered);
/// assert_eq!(DeliveryStatus::parse("held").as_str(), "held");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeliveryStatus {
    /// `enroute` (`ENROUTE_DR`): received by the gateway and being processed.
    Enroute,
    /// `submitted` (`SUBMITTED_DR`): submitted to a provider or carrier.
    Submitted,
    /// `delivered` (`DELIVERED_DR`): delivery confirmed.
    Delivered,
    /// `expired` (`EXPIRED_DR`): the message expired.
    Expired,
    /// `rejected` (`REJECTED_DR`): permanent failure; it will not be delivered.
    Rejected,
    /// `failed` (`FAILED_DR`): the message failed.
    Failed,
    /// A value the API does not document for delivery reports, as received.
    Unknown(String),
}

impl DeliveryStatus {
    /// Reads a status; never fails (unknown values become [`DeliveryStatus::Unknown`]).
    pub fn parse(value: &str) -> Self {
        const KNOWN: [DeliveryStatus; 6] = [
            DeliveryStatus::Enroute,
            DeliveryStatus::Submitted,
            DeliveryStatus::Delivered,
            DeliveryStatus::Expired,
            DeliveryStatus::Rejected,
            DeliveryStatus::Failed,
        ];
        KNOWN
            .into_iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(value))
            .unwrap_or_else(|| DeliveryStatus::Unknown(value.to_owned()))
    }

    /// The wire value (`"delivered"`), or the raw text of an unknown one.
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Enroute => "enroute",
            DeliveryStatus::Submitted => "submitted",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Expired => "expired",
            DeliveryStatus::Rejected => "rejected",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Unknown(raw) => raw,
        }
    }

    /// The delivery-report event that carries this status, when it is a known one.
    pub fn event(&self) -> Option<crate::Event> {
        use crate::Event;
        Some(match self {
            DeliveryStatus::Enroute => Event::EnrouteDr,
            DeliveryStatus::Submitted => Event::SubmittedDr,
            DeliveryStatus::Delivered => Event::DeliveredDr,
            DeliveryStatus::Expired => Event::ExpiredDr,
            DeliveryStatus::Rejected => Event::RejectedDr,
            DeliveryStatus::Failed => Event::FailedDr,
            DeliveryStatus::Unknown(_) => return None,
        })
    }

    /// Whether the message reached its final state ([`Delivered`](Self::Delivered),
    /// [`Expired`](Self::Expired), [`Rejected`](Self::Rejected) or [`Failed`](Self::Failed)).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            DeliveryStatus::Delivered
                | DeliveryStatus::Expired
                | DeliveryStatus::Rejected
                | DeliveryStatus::Failed
        )
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares [`DeliveryStatusCode`] from the API's table of status codes.
macro_rules! status_codes {
    ($($(#[$meta:meta])* $variant:ident = $code:literal, $text:literal;)+) => {
        /// The granular status code of a delivery report (field `error_code`, template variable
        /// `$statusCode`), one variant per code the API documents; anything else is kept in
        /// [`DeliveryStatusCode::Unknown`].
        ///
        /// ```
        /// use webhooks_callbacks::DeliveryStatusCode;
        ///
        /// let code = DeliveryStatusCode::parse("220");
        /// assert_eq!(code, DeliveryStatusCode::Delivered);
        /// assert_eq!(code.code(), Some(220));
        /// assert_eq!(DeliveryStatusCode::parse("999").as_str(), "999");
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DeliveryStatusCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $text)]
                $(#[$meta])*
                $variant,
            )+
            /// A code the API does not document, as received.
            Unknown(String),
        }

        impl DeliveryStatusCode {
            /// Reads a status code (surrounding whitespace ignored); never fails.
            pub fn parse(value: &str) -> Self {
                match value.trim() {
                    $(stringify!($code) => DeliveryStatusCode::$variant,)+
                    _ => DeliveryStatusCode::Unknown(value.to_owned()),
                }
            }

            /// The numeric code, when the value is a number.
            pub fn code(&self) -> Option<u16> {
                match self {
                    $(DeliveryStatusCode::$variant => Some($code),)+
                    DeliveryStatusCode::Unknown(raw) => raw.trim().parse().ok(),
                }
            }

            /// The code as text (`"220"`), or the raw text of an unknown one.
            pub fn as_str(&self) -> &str {
                match self {
                    $(DeliveryStatusCode::$variant => stringify!($code),)+
                    DeliveryStatusCode::Unknown(raw) => raw,
                }
            }

            /// What the API says the code means, when it documents it.
            pub fn description(&self) -> Option<&'static str> {
                match self {
                    $(DeliveryStatusCode::$variant => Some($text),)+
                    DeliveryStatusCode::Unknown(_) => None,
                }
            }
        }
    };
}

status_codes! {
    Processing = 101, "Message being processed by the gateway.";
    Rerouted = 102, "Message is being rerouted to a different provider after failing via the first provider.";
    HeldForScreening = 151, "Message held for screening.";
    Submitted = 200, "Message submitted to downstream provider for delivery.";
    AcceptedByProvider = 210, "Message accepted by downstream provider.";
    Enroute = 211, "Message is enroute for delivery by provider.";
    DeliveryPending = 212, "Message submitted. Delivery pending.";
    ScheduledByProvider = 213, "Message scheduled for delivery by downstream provider.";
    Delivered = 220, "Message delivered.";
    DeliveredToHandset = 221, "Message delivered to the handset.";
    UsageThresholdReached = 301, "Usage threshold reached. Message discarded.";
    DestinationAddressBlocked = 302, "Destination address blocked. Message discarded.";
    SourceAddressBlocked = 303, "Source address blocked. Message discarded.";
    Dropped = 304, "Message dropped. Contact support.";
    DuplicateDiscarded = 305, "Message discarded due to duplicate detection.";
    ExpiredBeforeSubmission = 320, "Message validity period has expired (prior to submission).";
    GatewayFailure = 330, "Gateway failure.";
    Discarded = 331, "Message discarded.";
    NoRoute = 332, "No available route to destination.";
    SourceAddressUnsupported = 333, "Source address unsupported for this destination.";
    Undeliverable = 400, "Message failed; undeliverable.";
    ExpiredBeforeDelivery = 401, "Message validity period has expired (before delivery).";
    RejectedByProvider = 402, "Message rejected by downstream provider.";
    SkippedByProvider = 403, "Message skipped by downstream provider.";
    CancelledByProvider = 405, "Message cancelled or deleted by provider.";
    InvalidSourceAddress = 410, "Invalid source address.";
    InvalidDestinationAddress = 411, "Invalid destination address.";
    DestinationBlockedByProvider = 412, "Destination address blocked.";
    SmsUnavailableOnDestination = 413, "SMS service unavailable on destination.";
    DestinationUnreachable = 414, "Destination unreachable.";
}

impl fmt::Display for DeliveryStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_their_events_and_keep_unknown_values() {
        for event in crate::Event::DELIVERY_REPORTS {
            let name = event.as_str().trim_end_matches("_DR").to_ascii_lowercase();
            let status = DeliveryStatus::parse(&name);
            assert_eq!(status.event(), Some(event), "{name}");
            assert_eq!(status.as_str(), name);
        }
        assert_eq!(
            DeliveryStatus::parse("DELIVERED"),
            DeliveryStatus::Delivered
        );
        let held = DeliveryStatus::parse("held");
        assert_eq!(held, DeliveryStatus::Unknown("held".into()));
        assert_eq!(held.event(), None);
        assert!(!DeliveryStatus::Enroute.is_final() && DeliveryStatus::Failed.is_final());
    }

    #[test]
    fn status_codes_round_trip_and_keep_unknown_values() {
        for (text, code) in [("200", 200), ("211", 211), ("220", 220), ("401", 401)] {
            let parsed = DeliveryStatusCode::parse(text);
            assert!(!matches!(parsed, DeliveryStatusCode::Unknown(_)), "{text}");
            assert_eq!(parsed.code(), Some(code));
            assert_eq!(parsed.as_str(), text);
            assert!(parsed.description().is_some());
        }
        assert_eq!(
            DeliveryStatusCode::parse("402"),
            DeliveryStatusCode::RejectedByProvider
        );
        let unknown = DeliveryStatusCode::parse("999");
        assert_eq!(unknown, DeliveryStatusCode::Unknown("999".into()));
        assert_eq!((unknown.code(), unknown.description()), (Some(999), None));
        let text = DeliveryStatusCode::parse("$statusCode");
        assert_eq!((text.code(), text.as_str()), (None, "$statusCode"));
    }
}
