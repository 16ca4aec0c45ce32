//! The signature-key operations: [`SignatureKeys::create`], [`SignatureKeys::get`],
//! [`SignatureKeys::list`], [`SignatureKeys::list_all`], [`SignatureKeys::delete`],
//! [`SignatureKeys::enable`], [`SignatureKeys::enabled`], [`SignatureKeys::disable`].
//!
//! A signature key is an RSA key pair the platform signs callbacks with: create one (the
//! answer carries its public half, the only time a list or the enabled key shows it), enable
//! it, and verify callbacks with
//! [`Verifier`](crate::callbacks::Verifier). At most one key is enabled; callbacks are
//! unsigned when none is. With the `verify` feature a [`Client`] is a
//! [`KeySource`](crate::callbacks::KeySource), so a verifier fetches a key it meets in a
//! callback by itself.
//!
//! One file per operation, each with its builder; all of them go through the client's one send
//! path (account, retries, error mapping). A malformed key id is an
//! [`Error::Validation`](crate::Error::Validation) before any I/O. An account without the
//! secure-callbacks feature gets [`Error::FeatureDisabled`](crate::Error::FeatureDisabled) (403)
//! from every operation.

mod create;
mod delete;
mod disable;
mod enable;
mod enabled;
mod get;
mod key;
#[cfg(feature = "verify")]
mod key_source;
mod list;

use std::fmt;

use crate::client::Client;

pub use create::CreateSignatureKey;
pub use delete::DeleteSignatureKey;
pub use disable::DisableSignatureKey;
pub use enable::EnableSignatureKey;
pub use enabled::GetEnabledSignatureKey;
pub use get::GetSignatureKey;
pub use key::{Created, SignatureKey, SignatureKeyId};
pub use list::{ListAllSignatureKeys, ListSignatureKeys};
pub use webhooks_vocabulary::{Cipher, Digest};

/// The signature-key operations of a [`Client`]; get it with [`Client::signature_keys`].
///
/// ```no_run
/// # async fn run(client: webhooks_ergonomic::Client) -> webhooks_ergonomic::Result<()> {
/// use webhooks_ergonomic::signature_keys::Digest;
///
/// let key = client.signature_keys().create().digest(Digest::Sha256).send().await?;
/// let public_key = key.public_key.clone(); // keep it: only the create answer carries it
/// client.signature_keys().enable(key.id).send().await?;
/// assert_eq!(client.signature_keys().enabled().send().await?.map(|k| k.id), Some(key.id));
/// client.signature_keys().disable().send().await?;
/// # let _ = public_key;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SignatureKeys<'a> {
    client: &'a Client,
}

impl<'a> SignatureKeys<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        SignatureKeys { client }
    }

    /// Create a key pair: set the [`digest`](CreateSignatureKey::digest) (required); the cipher
    /// is RSA. The new key is not enabled.
    pub fn create(&self) -> CreateSignatureKey<'a> {
        CreateSignatureKey::new(self.client)
    }

    /// One key by its id (a [`SignatureKeyId`], a `Uuid` or text; text that is not a UUID is
    /// an [`Error::Validation`](crate::Error::Validation) at `send`).
    pub fn get(&self, id: impl fmt::Display) -> GetSignatureKey<'a> {
        GetSignatureKey::new(self.client, id.to_string())
    }

    /// One page of keys; pages are numbered from 1, as the API numbers them.
    pub fn list(&self) -> ListSignatureKeys<'a> {
        ListSignatureKeys::new(self.client)
    }

    /// Every key, page after page, until a short or empty page: a builder that is itself the
    /// stream, `Unpin`, like [`Webhooks::list_all`](crate::Webhooks::list_all).
    ///
    /// ```no_run
    /// # async fn run(client: webhooks_ergonomic::Client) -> webhooks_ergonomic::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let keys: Vec<_> = client.signature_keys().list_all().page_size(50).try_collect().await?;
    /// # let _ = keys;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_all(&self) -> ListAllSignatureKeys {
        ListAllSignatureKeys::new(self.client)
    }

    /// Delete a key (the API answers 200 without a body). Deleting the enabled key leaves
    /// callbacks unsigned.
    pub fn delete(&self, id: impl fmt::Display) -> DeleteSignatureKey<'a> {
        DeleteSignatureKey::new(self.client, id.to_string())
    }

    /// Enable a key: callbacks are signed with it from now on, and the key enabled before is
    /// disabled.
    pub fn enable(&self, id: impl fmt::Display) -> EnableSignatureKey<'a> {
        EnableSignatureKey::new(self.client, id.to_string())
    }

    /// The enabled key, or `None` when none is (the API's 404 `Currently no key is enabled`).
    pub fn enabled(&self) -> GetEnabledSignatureKey<'a> {
        GetEnabledSignatureKey::new(self.client)
    }

    /// Disable the enabled key, if any: callbacks are unsigned from now on.
    pub fn disable(&self) -> DisableSignatureKey<'a> {
        DisableSignatureKey::new(self.client)
    }
}
