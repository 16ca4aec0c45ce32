//! The receiving side: what MessageMedia sends to your URL.

mod body;
mod ids;
mod payload;
mod status;

pub use ids::{
    AccountId, DeliveryReportId, KeyId, MessageId, NotificationId, PhoneNumber, ReplyId, VendorId,
};
pub use payload::{
    Attachment, Callback, DecodeAttachmentError, DeliveryReport, ExtraFields, InboundMms,
    InboundSms, Metadata, OptOut, ParseError, VendorAccount,
};
pub use status::{DeliveryStatus, DeliveryStatusCode};

#[cfg(feature = "verify")]
mod verify;
#[cfg(feature = "verify")]
pub use verify::{
    CIPHER_TYPE_HEADER, DATE_HEADER, DIGEST_TYPE_HEADER, DigestType, KEY_ID_HEADER, ReceiveError,
    SIGNATURE_HEADER, VerifiedCallback, VerifiedSignature, Verifier, VerifyError, request_line,
    signed_bytes,
};
