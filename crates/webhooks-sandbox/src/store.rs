//! The sandbox's data: webhooks per account, in memory, optionally persisted to a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webhooks_ergonomic::{CallbackMethod, Encoding, Event};

/// A stored webhook, serialized exactly as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWebhook {
    /// Its id.
    pub id: Uuid,
    /// The URL called.
    pub url: String,
    /// The callback method.
    pub method: CallbackMethod,
    /// The callback encoding.
    pub encoding: Encoding,
    /// Extra callback headers.
    pub headers: BTreeMap<String, String>,
    /// Subscribed events.
    pub events: Vec<Event>,
    /// The template, when set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub template: Option<String>,
    /// The read timeout in ms, when set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub read_timeout: Option<u32>,
    /// Retries of a failed callback.
    #[serde(default)]
    pub retries: u32,
    /// Seconds between retries, when set.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retry_delay: Option<u32>,
}

/// Every account's webhooks, in creation order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Store {
    accounts: BTreeMap<String, Vec<StoredWebhook>>,
}

impl Store {
    /// The webhooks of `account`.
    pub fn list(&self, account: &str) -> &[StoredWebhook] {
        self.accounts
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The webhook `id` of `account`.
    pub fn get_mut(&mut self, account: &str, id: Uuid) -> Option<&mut StoredWebhook> {
        self.accounts
            .get_mut(account)?
            .iter_mut()
            .find(|webhook| webhook.id == id)
    }

    /// Whether another webhook of `account` has this url and method.
    pub fn conflicts(
        &self,
        account: &str,
        url: &str,
        method: CallbackMethod,
        except: Option<Uuid>,
    ) -> bool {
        self.list(account).iter().any(|webhook| {
            webhook.url == url && webhook.method == method && Some(webhook.id) != except
        })
    }

    /// Adds a webhook to `account`.
    pub fn insert(&mut self, account: &str, webhook: StoredWebhook) {
        self.accounts
            .entry(account.to_owned())
            .or_default()
            .push(webhook);
    }

    /// Removes webhook `id` from `account`; whether it existed.
    pub fn remove(&mut self, account: &str, id: Uuid) -> bool {
        let Some(webhooks) = self.accounts.get_mut(account) else {
            return false;
        };
        let before = webhooks.len();
        webhooks.retain(|webhook| webhook.id != id);
        before != webhooks.len()
    }

    /// Loads a store written by [`Store::save`]; a missing file is an empty store.
    pub fn load(path: &Path) -> std::io::Result<Store> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
            Err(err) => Err(err),
        }
    }

    /// Writes the store atomically: to a temporary file beside `path`, then renamed over it,
    /// so a crash leaves either the old or the new state, never half of one.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temp = temp_path(path);
        std::fs::write(&temp, bytes)?;
        std::fs::rename(&temp, path)
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webhook(url: &str) -> StoredWebhook {
        StoredWebhook {
            id: Uuid::new_v4(),
            url: url.to_owned(),
            method: CallbackMethod::Post,
            encoding: Encoding::Json,
            headers: BTreeMap::new(),
            events: vec![Event::ReceivedSms],
            template: None,
            read_timeout: None,
            retries: 0,
            retry_delay: None,
        }
    }

    #[test]
    fn save_and_load_round_trip_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(Store::load(&path).unwrap().list("a").is_empty());
        let mut store = Store::default();
        store.insert("a", webhook("https://a.com"));
        store.insert("b", webhook("https://b.com"));
        store.save(&path).unwrap();
        assert!(
            !temp_path(&path).exists(),
            "the temporary file is renamed away"
        );
        let loaded = Store::load(&path).unwrap();
        assert_eq!(loaded.list("a"), store.list("a"));
        assert_eq!(loaded.list("b"), store.list("b"));
    }

    #[test]
    fn conflicts_are_per_account_url_and_method() {
        let mut store = Store::default();
        let first = webhook("https://a.com");
        let id = first.id;
        store.insert("a", first);
        assert!(store.conflicts("a", "https://a.com", CallbackMethod::Post, None));
        assert!(!store.conflicts("a", "https://a.com", CallbackMethod::Post, Some(id)));
        assert!(!store.conflicts("a", "https://a.com", CallbackMethod::Put, None));
        assert!(!store.conflicts("b", "https://a.com", CallbackMethod::Post, None));
        assert!(store.remove("a", id) && !store.remove("a", id));
    }
}
