//! Typed strings for the ids and phone numbers a callback carries.
//!
//! Each wraps the text exactly as the callback rendered it: a template decides what the platform
//! sends, so an id is not guaranteed to be a UUID (see `as_uuid`) nor a number to be E.164.

use std::fmt;

/// Declares a string newtype with the conversions every id shares.
macro_rules! typed_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps the text as received.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The text as received.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the text.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(value.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

/// Declares `as_uuid` on ids the platform renders as UUIDs.
macro_rules! uuid_id {
    ($($name:ident),+) => {$(
        impl $name {
            /// The id as a UUID, when it is one (the platform's own ids are; a template may
            /// render anything).
            pub fn as_uuid(&self) -> Option<uuid::Uuid> {
                uuid::Uuid::parse_str(&self.0).ok()
            }
        }
    )+};
}

typed_string!(
    /// A phone number (`source_number`, `destination_number`; template variables
    /// `$sourceAddress`, `$destinationAddress`), e.g. `+61491570156`.
    PhoneNumber
);

typed_string!(
    /// The id of the message a callback is about (`message_id`; `$messageId`, `$mtId`): for a
    /// delivery report the message you sent, for a reply or opt-out the message replied to.
    MessageId
);

typed_string!(
    /// The id of a delivery report (`delivery_report_id`; `$drId`, `$reportId`).
    DeliveryReportId
);

typed_string!(
    /// The id of an inbound message, a reply (`reply_id`; `$replyId`, `$moId`).
    ReplyId
);

typed_string!(
    /// The id of an opt-out notification (`notification_id`; `$notificationId`).
    NotificationId
);

typed_string!(
    /// A MessageMedia account (`account_id`, `vendor_account_id.account_id`; `$accountId`),
    /// e.g. `DeveloperPortal7000`.
    AccountId
);

typed_string!(
    /// The vendor that handled a message (`vendor_account_id.vendor_id`; `$vendorId`).
    VendorId
);

typed_string!(
    /// The id of a signature key (`X-MessageMedia-Key-Id`; `key_id` in the Signature Key API),
    /// a UUID.
    KeyId
);

uuid_id!(MessageId, DeliveryReportId, ReplyId, NotificationId, KeyId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_text_and_expose_uuids_only_when_they_are_uuids() {
        let id = MessageId::new("877c19ef-fa2e-4cec-827a-e1df9b5509f7");
        assert_eq!(id, "877c19ef-fa2e-4cec-827a-e1df9b5509f7");
        assert_eq!(id.to_string(), id.as_str());
        assert_eq!(
            id.as_uuid().map(|u| u.to_string()).as_deref(),
            Some("877c19ef-fa2e-4cec-827a-e1df9b5509f7")
        );
        assert_eq!(ReplyId::new("$replyId").as_uuid(), None);
        assert_eq!(
            PhoneNumber::from("+61491570156").into_string(),
            "+61491570156"
        );
    }
}
