//! The platform's template variables: their names and aliases, and which events provide them.

use std::fmt;

use webhooks_vocabulary::Event;

/// A variable the platform fills in when it renders a template (reference section 4).
///
/// Several variables have two names (`$mtId` and `$messageId`, `$drId` and `$reportId`, ...);
/// both resolve to the same variant. A variable an event does not provide renders as its own
/// source text, exactly as Velocity renders an undefined reference (`$!name` renders nothing).
///
/// ```
/// use webhooks_template::Event;
/// use webhooks_template::Variable;
///
/// assert_eq!(Variable::from_name("reportId"), Some(Variable::ReportId));
/// assert!(Variable::ReportId.is_available(Event::DeliveredDr));
/// assert!(!Variable::ReportId.is_available(Event::ReceivedSms));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Variable {
    /// `$format` (and the deprecated `$type`): the service type, e.g. `SMS`.
    Format,
    /// `$mtId`, `$messageId`: the id of the original (outbound) message.
    MessageId,
    /// `$drId`, `$reportId`: the id of the delivery report.
    ReportId,
    /// `$moId`, `$replyId`: the id of the reply (inbound message).
    ReplyId,
    /// `$notificationId`: the id of an opt-out notification.
    NotificationId,
    /// `$accountId`: the account, e.g. `DeveloperPortal7000`.
    AccountId,
    /// `$vendorId`: the vendor account.
    VendorId,
    /// `$submittedTimestamp`: when the message was submitted (or its status changed).
    SubmittedTimestamp,
    /// `$receivedTimestamp`: when the report or reply was received.
    ReceivedTimestamp,
    /// `$status`: the delivery status, e.g. `delivered`.
    Status,
    /// `$statusCode`: the delivery status code, e.g. `220`.
    StatusCode,
    /// `$metadata`: the message's metadata map (`.get('k')`, `.keySet()`, `.entrySet()`).
    Metadata,
    /// `$sourceAddress`: the number the report or reply came from.
    SourceAddress,
    /// `$destinationAddress`: the number a reply was sent to.
    DestinationAddress,
    /// `$mtContent`, `$messageContent`: the text of the original message.
    MessageContent,
    /// `$moContent`, `$replyContent`: the text of the reply.
    ReplyContent,
    /// `$retryCount`: how many times this callback has been retried.
    RetryCount,
    /// `$billingUnits`: the billing units of the message.
    BillingUnits,
    /// `$attachments`: the MMS attachments (`.contentType`, `.base64`, `.originalName`).
    Attachments,
}

/// Event families, as bits.
const DR: u8 = 1;
const MO: u8 = 2;
const MMS: u8 = 4;
const OPT_OUT: u8 = 8;
const ALL: u8 = DR | MO | MMS | OPT_OUT;

/// Every name the platform knows, with the variable it names.
const NAMES: [(&str, Variable); 25] = [
    ("format", Variable::Format),
    ("type", Variable::Format),
    ("mtId", Variable::MessageId),
    ("messageId", Variable::MessageId),
    ("drId", Variable::ReportId),
    ("reportId", Variable::ReportId),
    ("moId", Variable::ReplyId),
    ("replyId", Variable::ReplyId),
    ("notificationId", Variable::NotificationId),
    ("accountId", Variable::AccountId),
    ("vendorId", Variable::VendorId),
    ("submittedTimestamp", Variable::SubmittedTimestamp),
    ("receivedTimestamp", Variable::ReceivedTimestamp),
    ("status", Variable::Status),
    ("statusCode", Variable::StatusCode),
    ("metadata", Variable::Metadata),
    ("sourceAddress", Variable::SourceAddress),
    ("destinationAddress", Variable::DestinationAddress),
    ("mtContent", Variable::MessageContent),
    ("messageContent", Variable::MessageContent),
    ("moContent", Variable::ReplyContent),
    ("replyContent", Variable::ReplyContent),
    ("retryCount", Variable::RetryCount),
    ("billingUnits", Variable::BillingUnits),
    ("attachments", Variable::Attachments),
];

impl Variable {
    /// Every variable.
    pub const ALL: [Variable; 19] = [
        Variable::Format,
        Variable::MessageId,
        Variable::ReportId,
        Variable::ReplyId,
        Variable::NotificationId,
        Variable::AccountId,
        Variable::VendorId,
        Variable::SubmittedTimestamp,
        Variable::ReceivedTimestamp,
        Variable::Status,
        Variable::StatusCode,
        Variable::Metadata,
        Variable::SourceAddress,
        Variable::DestinationAddress,
        Variable::MessageContent,
        Variable::ReplyContent,
        Variable::RetryCount,
        Variable::BillingUnits,
        Variable::Attachments,
    ];

    /// The variable a template name (without `$`) refers to, aliases included.
    pub fn from_name(name: &str) -> Option<Variable> {
        NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|&(_, variable)| variable)
    }

    /// Every name a template may use for a variable, aliases included (`mtId`, `type`, ...).
    pub fn names() -> impl Iterator<Item = (&'static str, Variable)> {
        NAMES.iter().copied()
    }

    /// Whether `name` is a deprecated spelling (`type`, use `format`).
    pub fn is_deprecated_name(name: &str) -> bool {
        name == "type"
    }

    /// The canonical name, without `$` (`messageId` is also `mtId`, and so on).
    pub const fn name(self) -> &'static str {
        match self {
            Variable::Format => "format",
            Variable::MessageId => "messageId",
            Variable::ReportId => "reportId",
            Variable::ReplyId => "replyId",
            Variable::NotificationId => "notificationId",
            Variable::AccountId => "accountId",
            Variable::VendorId => "vendorId",
            Variable::SubmittedTimestamp => "submittedTimestamp",
            Variable::ReceivedTimestamp => "receivedTimestamp",
            Variable::Status => "status",
            Variable::StatusCode => "statusCode",
            Variable::Metadata => "metadata",
            Variable::SourceAddress => "sourceAddress",
            Variable::DestinationAddress => "destinationAddress",
            Variable::MessageContent => "messageContent",
            Variable::ReplyContent => "replyContent",
            Variable::RetryCount => "retryCount",
            Variable::BillingUnits => "billingUnits",
            Variable::Attachments => "attachments",
        }
    }

    /// The event families (bits) that provide this variable.
    ///
    /// The reference lists most variables for "DR MO MMS". For `OPT_OUT_SMS` it documents
    /// `$notificationId` and a payload built from `$accountId`, `$destinationAddress`,
    /// `$sourceAddress`, `$receivedTimestamp`, `$messageId`, `$moContent` and `$metadata`;
    /// `$retryCount` is available to every event. Opt-outs get exactly those.
    const fn families(self) -> u8 {
        match self {
            Variable::Format | Variable::VendorId | Variable::SubmittedTimestamp => DR | MO | MMS,
            Variable::MessageContent => DR | MO | MMS,
            Variable::ReportId | Variable::Status | Variable::StatusCode => DR,
            Variable::BillingUnits => DR,
            Variable::ReplyId => MO | MMS,
            Variable::NotificationId => OPT_OUT,
            Variable::DestinationAddress | Variable::ReplyContent => MO | MMS | OPT_OUT,
            Variable::Attachments => MMS,
            Variable::MessageId
            | Variable::AccountId
            | Variable::ReceivedTimestamp
            | Variable::Metadata
            | Variable::SourceAddress
            | Variable::RetryCount => ALL,
        }
    }

    /// Whether the platform provides this variable to callbacks of `event`.
    pub const fn is_available(self, event: Event) -> bool {
        self.families() & family(event) != 0
    }

    /// The events that provide this variable.
    pub fn events(self) -> impl Iterator<Item = Event> {
        Event::ALL
            .into_iter()
            .filter(move |event| self.is_available(*event))
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${}", self.name())
    }
}

const fn family(event: Event) -> u8 {
    match event {
        Event::ReceivedSms => MO,
        Event::ReceivedMms => MMS,
        Event::OptOutSms => OPT_OUT,
        _ => DR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_one_variable() {
        for (a, b) in [
            ("mtId", "messageId"),
            ("drId", "reportId"),
            ("moId", "replyId"),
            ("mtContent", "messageContent"),
            ("moContent", "replyContent"),
            ("type", "format"),
        ] {
            assert_eq!(Variable::from_name(a), Variable::from_name(b), "{a}/{b}");
            assert!(Variable::from_name(a).is_some());
        }
        assert_eq!(Variable::from_name("velocityCount"), None);
        assert_eq!(
            Variable::from_name("MessageId"),
            None,
            "names are case-sensitive"
        );
        for variable in Variable::ALL {
            assert_eq!(Variable::from_name(variable.name()), Some(variable));
        }
    }

    #[test]
    fn availability_follows_the_reference_table() {
        assert!(Variable::ReportId.is_available(Event::FailedDr));
        assert!(!Variable::ReportId.is_available(Event::ReceivedSms));
        assert!(Variable::ReplyId.is_available(Event::ReceivedMms));
        assert!(!Variable::ReplyId.is_available(Event::OptOutSms));
        assert!(Variable::NotificationId.is_available(Event::OptOutSms));
        assert!(!Variable::NotificationId.is_available(Event::ReceivedSms));
        assert_eq!(
            Variable::Attachments.events().collect::<Vec<_>>(),
            [Event::ReceivedMms]
        );
        assert_eq!(Variable::RetryCount.events().count(), 9);
        assert_eq!(Variable::Status.events().count(), 6);
        assert!(!Variable::DestinationAddress.is_available(Event::DeliveredDr));
    }
}
