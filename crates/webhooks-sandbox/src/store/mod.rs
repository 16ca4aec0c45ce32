//! The sandbox's data: every account's webhooks, signature keys and the delivery log, in memory (indexed, so
//! each operation costs the same at 100 or 100,000 webhooks) and, with a state file, in an
//! SQLite store that every change is committed to before it is acknowledged.
//!
//! Changes are serialised (one at a time); reads never wait for the disk, only for the brief
//! moment a committed change is applied in memory.

mod deliveries;
mod legacy;
mod memory;
mod signature_keys;
mod sqlite;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webhooks_ergonomic::{CallbackMethod, Encoding, Event};

pub use deliveries::{DEFAULT_DELIVERY_LOG_LIMIT, DeliveryFilter, DeliveryLog, Outcome};
pub use legacy::MAX_LEGACY_FILE;
pub use sqlite::{BUSY_TIMEOUT, SCHEMA_VERSION};

use memory::Memory;
use sqlite::Db;
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

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No webhook of this account has this id (404).
    #[error("no such webhook")]
    NotFound,
    /// Another webhook of this account has the same url and method (409).
    #[error("a webhook with the given url and method already exists")]
    Conflict,
    /// The state file could not be written; nothing changed (503).
    #[error("the state store could not be written: {0}")]
    Unavailable(String),
}

/// Every account's webhooks and the delivery log.
#[derive(Debug)]
pub struct Store {
    memory: RwLock<Memory>,
    keys: RwLock<signature_keys::Keys>,
    db: Option<Arc<Db>>,
    writer: tokio::sync::Mutex<()>,
    deliveries: DeliveryLog,
    notes: Vec<String>,
}

impl Store {
    /// An empty store held in memory only, keeping the newest `delivery_limit` attempts.
    pub fn in_memory(delivery_limit: usize) -> Store {
        Store::assemble(None, sqlite::Loaded::default(), delivery_limit, Vec::new())
    }

    /// The store in the file at `path`, created when missing; an old JSON state file there is
    /// imported once (see [`Store::notes`]). A file that is neither, damaged, unreadable, or of
    /// a newer schema is refused with a message naming it, and left untouched.
    pub async fn open(path: &Path, delivery_limit: usize) -> std::io::Result<Store> {
        let owned = path.to_path_buf();
        let opened = tokio::task::spawn_blocking(move || open_file(&owned))
            .await
            .map_err(std::io::Error::other)?;
        let (db, loaded, notes) = opened.map_err(|reason| refused(path, &reason))?;
        Ok(Store::assemble(
            Some(Arc::new(db)),
            loaded,
            delivery_limit,
            notes,
        ))
    }

    fn assemble(
        db: Option<Arc<Db>>,
        loaded: sqlite::Loaded,
        delivery_limit: usize,
        notes: Vec<String>,
    ) -> Store {
        let mut memory = Memory::default();
        for (seq, account, webhook) in loaded.webhooks {
            memory.insert(&account, seq, webhook);
        }
        let mut keys = signature_keys::Keys::default();
        for (account, signer, enabled) in loaded.signature_keys {
            keys.insert(&account, Arc::new(signer), enabled);
        }
        Store {
            memory: RwLock::new(memory),
            keys: RwLock::new(keys),
            deliveries: DeliveryLog::new(delivery_limit, db.clone(), loaded.deliveries),
            db,
            writer: tokio::sync::Mutex::new(()),
            notes,
        }
    }

    /// What opening the store did that the user should hear of (an import).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The delivery log.
    pub fn deliveries(&self) -> &DeliveryLog {
        &self.deliveries
    }

    /// How many webhooks are stored, in every account.
    pub fn len(&self) -> usize {
        self.read(|memory| memory.len())
    }

    /// Whether no webhook is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Up to `page_size` webhooks of `account` after skipping `skip`, in creation order.
    pub fn page(&self, account: &str, skip: usize, page_size: usize) -> Vec<StoredWebhook> {
        self.with_page(account, skip, page_size, |page| {
            page.iter().map(|&webhook| webhook.clone()).collect()
        })
    }

    /// Calls `read` with the same page, borrowed: serialising it there copies nothing.
    pub fn with_page<T: Default>(
        &self,
        account: &str,
        skip: usize,
        page_size: usize,
        read: impl FnOnce(&[&StoredWebhook]) -> T,
    ) -> T {
        self.read(|memory| read(&memory.page(account, skip, page_size)))
    }

    /// The webhook `id` of `account`.
    pub fn get(&self, account: &str, id: Uuid) -> Option<StoredWebhook> {
        self.read(|memory| memory.get(account, id).cloned())
    }

    /// The webhooks of `account` subscribed to `event`.
    pub fn subscribed(&self, account: &str, event: Event) -> Vec<StoredWebhook> {
        self.read(|memory| memory.select(account, |webhook| webhook.events.contains(&event)))
    }

    fn read<T: Default>(&self, read: impl FnOnce(&Memory) -> T) -> T {
        self.memory
            .read()
            .map(|memory| read(&memory))
            .unwrap_or_default()
    }

    fn apply(&self, change: impl FnOnce(&mut Memory)) {
        match self.memory.write() {
            Ok(mut memory) => change(&mut memory),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// Adds `webhook` to `account`; [`StoreError::Conflict`] if its url and method are taken.
    pub async fn create(&self, account: &str, webhook: StoredWebhook) -> Result<(), StoreError> {
        self.create_many(account, vec![webhook]).await
    }

    /// Adds `webhooks` to `account` in one transaction: all of them, or none.
    pub async fn create_many(
        &self,
        account: &str,
        webhooks: Vec<StoredWebhook>,
    ) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        let first = match &self.db {
            Some(db) => {
                let (owner, rows) = (account.to_owned(), webhooks.clone());
                db.run(move |conn| sqlite::insert(conn, &owner, &rows))
                    .await?
            }
            None => {
                let taken = self.read(|memory| {
                    let mut seen = std::collections::HashSet::new();
                    webhooks.iter().any(|w| {
                        memory.route(account, &w.url, w.method).is_some()
                            || !seen.insert((w.url.as_str(), w.method))
                    })
                });
                if taken {
                    return Err(StoreError::Conflict);
                }
                self.read(Memory::next_seq)
            }
        };
        self.apply(|memory| {
            for (seq, webhook) in (first..).zip(webhooks) {
                memory.insert(account, seq, webhook);
            }
        });
        Ok(())
    }

    /// Replaces the webhook of `account` with `webhook.id`.
    pub async fn update(&self, account: &str, webhook: StoredWebhook) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        match &self.db {
            Some(db) => {
                let (owner, row) = (account.to_owned(), webhook.clone());
                db.run(move |conn| sqlite::update(conn, &owner, &row))
                    .await?;
            }
            None => {
                let check = self.read(|memory| {
                    if memory.get(account, webhook.id).is_none() {
                        return Some(StoreError::NotFound);
                    }
                    memory
                        .route(account, &webhook.url, webhook.method)
                        .filter(|other| *other != webhook.id)
                        .map(|_| StoreError::Conflict)
                });
                if let Some(refused) = check {
                    return Err(refused);
                }
            }
        }
        self.apply(|memory| {
            memory.replace(account, webhook);
        });
        Ok(())
    }

    /// Deletes webhook `id` of `account`.
    pub async fn delete(&self, account: &str, id: Uuid) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        match &self.db {
            Some(db) => {
                let owner = account.to_owned();
                db.run(move |conn| sqlite::delete(conn, &owner, id)).await?;
            }
            None if self.read(|memory| memory.get(account, id).is_none()) => {
                return Err(StoreError::NotFound);
            }
            None => {}
        }
        self.apply(|memory| {
            memory.remove(account, id);
        });
        Ok(())
    }
}

/// Opens the store file, importing an old JSON state first; blocking.
fn open_file(path: &Path) -> Result<(Db, sqlite::Loaded, Vec<String>), String> {
    let mut notes = Vec::new();
    if let Some(start) = file_start(path)? {
        if legacy::looks_like_json(&start) {
            notes.push(legacy::import(path)?);
        } else if !start.is_empty() && !start.starts_with(b"SQLite format 3\0") {
            return Err("it is neither an SQLite store nor a JSON state file".to_owned());
        }
    }
    let (db, loaded) = Db::open(path)?;
    Ok((db, loaded, notes))
}

/// The first bytes of the file, or `None` when there is no file.
fn file_start(path: &Path) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    match std::fs::File::open(path) {
        Ok(file) => {
            let mut start = Vec::with_capacity(16);
            file.take(16)
                .read_to_end(&mut start)
                .map_err(|err| err.to_string())?;
            Ok(Some(start))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.to_string()),
    }
}

fn refused(path: &Path, reason: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "the state file {} cannot be used: {reason}. It was left as it is: move it away (or \
         point --state at another file) to start with an empty store, or restore a backup",
        path.display()
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn webhook(url: &str) -> StoredWebhook {
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

    async fn stores(dir: &Path) -> [Store; 2] {
        [
            Store::in_memory(10),
            Store::open(&dir.join("state.db"), 10).await.unwrap(),
        ]
    }

    #[tokio::test]
    async fn conflicts_are_per_account_url_and_method_in_both_modes() {
        let dir = tempfile::tempdir().unwrap();
        for store in stores(dir.path()).await {
            let first = webhook("https://a.com");
            let id = first.id;
            store.create("a", first.clone()).await.unwrap();
            let again = webhook("https://a.com");
            assert_eq!(
                store.create("a", again.clone()).await,
                Err(StoreError::Conflict)
            );
            store.create("b", again).await.unwrap();
            let mut put = webhook("https://a.com");
            put.method = CallbackMethod::Put;
            store.create("a", put.clone()).await.unwrap();
            put.method = CallbackMethod::Post;
            assert_eq!(store.update("a", put).await, Err(StoreError::Conflict));
            assert_eq!(
                store.update("a", first).await,
                Ok(()),
                "itself is no conflict"
            );
            assert_eq!(store.delete("b", id).await, Err(StoreError::NotFound));
            assert_eq!(store.delete("a", id).await, Ok(()));
            assert_eq!(store.delete("a", id).await, Err(StoreError::NotFound));
            assert_eq!(store.len(), 2);
        }
    }

    #[tokio::test]
    async fn a_reopened_store_has_every_change_in_creation_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path, 10).await.unwrap();
        let hooks: Vec<_> = (0..4)
            .map(|i| webhook(&format!("https://{i}.com")))
            .collect();
        store.create_many("a", hooks[..2].to_vec()).await.unwrap();
        store.create("a", hooks[2].clone()).await.unwrap();
        store.create("b", hooks[3].clone()).await.unwrap();
        let mut changed = hooks[0].clone();
        changed.url = "https://changed.com".to_owned();
        store.update("a", changed.clone()).await.unwrap();
        store.delete("a", hooks[1].id).await.unwrap();
        drop(store);
        let store = Store::open(&path, 10).await.unwrap();
        assert_eq!(store.page("a", 0, 10), [changed, hooks[2].clone()]);
        assert_eq!(store.page("b", 0, 10), [hooks[3].clone()]);
        assert!(store.notes().is_empty());
    }

    #[tokio::test]
    async fn an_old_json_state_is_imported_once_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let old = webhook("https://old.com");
        let json = serde_json::json!({"accounts": {"a": [old.clone()]}});
        std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
        let store = Store::open(&path, 10).await.unwrap();
        assert_eq!(store.page("a", 0, 10), std::slice::from_ref(&old));
        assert!(
            store.notes()[0].contains("imported 1 webhooks"),
            "{:?}",
            store.notes()
        );
        drop(store);
        let kept = sqlite::beside(&path, ".before-sqlite.json");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(kept).unwrap()).unwrap(),
            json
        );
        let store = Store::open(&path, 10).await.unwrap();
        assert!(store.notes().is_empty(), "imported once");
        assert_eq!(store.page("a", 0, 10), [old]);
    }

    #[tokio::test]
    async fn a_file_that_is_no_store_is_refused_by_name_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [&[u8]; 3] = [
            b"not json",
            b"{\"accounts\": 1}",
            b"SQLite format 3\0 and then garbage that no page header starts with...........",
        ];
        for (i, bytes) in cases.into_iter().enumerate() {
            let path = dir.path().join(format!("state-{i}"));
            std::fs::write(&path, bytes).unwrap();
            let err = Store::open(&path, 10).await.unwrap_err().to_string();
            assert!(err.contains(&path.display().to_string()), "{err}");
            assert!(err.contains("move it away"), "{err}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "never overwritten");
        }
    }

    #[tokio::test]
    async fn the_delivery_log_keeps_the_newest_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let store = Store::open(&path, 3).await.unwrap();
        let attempt = |n: u32| crate::delivery::DeliveryAttempt {
            webhook_id: Uuid::nil(),
            event: Event::ReceivedSms,
            url: "https://a.com".to_owned(),
            attempt: n,
            status: Some(200),
            error: None,
            started_at: "2026-01-01T00:00:00Z".to_owned(),
            finished_at: "2026-01-01T00:00:00Z".to_owned(),
        };
        for n in 1..=5 {
            store.deliveries().for_account("a").record(attempt(n));
        }
        let numbers = |store: &Store| -> Vec<u32> {
            store
                .deliveries()
                .query("a", &DeliveryFilter::default(), 0, 100)
                .iter()
                .map(|a| a.attempt)
                .collect()
        };
        assert_eq!(numbers(&store), [3, 4, 5]);
        assert!(
            store
                .deliveries()
                .query("b", &DeliveryFilter::default(), 0, 100)
                .is_empty()
        );
        // The log's writes are queued behind this change, so it waits for them too.
        store
            .create("a", webhook("https://sync.com"))
            .await
            .unwrap();
        drop(store);
        assert_eq!(numbers(&Store::open(&path, 3).await.unwrap()), [3, 4, 5]);
    }
}
