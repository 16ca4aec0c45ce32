//! Typed strings for the ids and phone numbers a callback carries.
//!
//! Each wraps the text exactly as the callback rendered it: a template decides what the platform
//! sends, so an id is not guaranteed to be a UUID (see `as_uuid`) nor a number to be E.164.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use arrayvec::ArrayString;

/// The longest text an id keeps in place, in bytes: a UUID's 36, so every id the platform
/// makes, phone number and account id costs no allocation (a callback carries up to five).
const INLINE: usize = 36;

/// An id's text: in place up to [`INLINE`] bytes, on the heap beyond.
#[derive(Clone)]
enum Text {
    Inline(ArrayString<INLINE>),
    Heap(String),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Inline(text) => text,
            Text::Heap(text) => text,
        }
    }

    fn into_string(self) -> String {
        match self {
            Text::Inline(text) => text.as_str().to_owned(),
            Text::Heap(text) => text,
        }
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        ArrayString::from(value).map_or_else(|_| Text::Heap(value.to_owned()), Text::Inline)
    }
}

impl From<String> for Text {
    fn from(value: String) -> Self {
        match ArrayString::from(&value) {
            Ok(inline) => Text::Inline(inline),
            Err(_) => Text::Heap(value),
        }
    }
}

impl From<Cow<'_, str>> for Text {
    fn from(value: Cow<'_, str>) -> Self {
        match value {
            Cow::Borrowed(text) => Text::from(text),
            Cow::Owned(text) => Text::from(text),
        }
    }
}

/// Declares a string newtype with the conversions every id shares.
macro_rules! typed_string {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(Text);

        impl $name {
            /// Wraps the text as received.
            pub fn new(value: impl Into<String>) -> Self {
                $name(Text::from(value.into()))
            }

            /// The text as received.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// Unwraps the text.
            pub fn into_string(self) -> String {
                self.0.into_string()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                $name(Text::from(value))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $name(Text::from(value))
            }
        }

        impl From<Cow<'_, str>> for $name {
            fn from(value: Cow<'_, str>) -> Self {
                $name(Text::from(value))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_str() == other.as_str()
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.as_str().hash(state)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
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
                uuid::Uuid::parse_str(self.as_str()).ok()
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

    #[test]
    fn ids_kept_in_place_and_on_the_heap_behave_alike() {
        use std::collections::BTreeSet;
        use std::collections::hash_map::DefaultHasher;

        let hash = |id: &MessageId| {
            let mut hasher = DefaultHasher::new();
            id.hash(&mut hasher);
            hasher.finish()
        };
        let uuid = "877c19ef-fa2e-4cec-827a-e1df9b5509f7";
        let long = format!("{uuid}-and-a-suffix-past-the-inline-limit");
        for text in ["", "x", uuid, long.as_str(), "é in place"] {
            let borrowed = MessageId::from(text);
            let owned = MessageId::from(text.to_owned());
            let cow = MessageId::from(Cow::Owned(text.to_owned()));
            assert_eq!(borrowed.as_str(), text);
            assert_eq!(borrowed, owned);
            assert_eq!(owned, cow);
            assert_eq!(hash(&borrowed), hash(&owned));
            assert_eq!(format!("{borrowed:?}"), format!("MessageId({text:?})"));
            assert_eq!(borrowed.to_string(), text);
            assert_eq!(cow.into_string(), text);
        }
        // Order is the text's, whichever way each is kept.
        let sorted: Vec<String> = [long.as_str(), uuid, "a", "zz"]
            .into_iter()
            .map(MessageId::from)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(MessageId::into_string)
            .collect();
        let mut expected = vec![
            long.clone(),
            uuid.to_owned(),
            "a".to_owned(),
            "zz".to_owned(),
        ];
        expected.sort();
        assert_eq!(sorted, expected);
    }
}
