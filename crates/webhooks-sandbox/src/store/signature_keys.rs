//! The signature keys of every account: the key pairs in creation order and which one is
//! enabled (at most one per account), in memory and, with a state file, in its
//! `signature_keys` table. Changes go through the store's one writer, the file first.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::{Store, StoreError, sqlite};
use crate::signing::{CallbackSigner, SignatureKey};

/// One account's keys in creation order (an account holds a handful: a linear scan is the
/// cheapest index) and the id of its enabled key.
#[derive(Debug, Default)]
struct AccountKeys {
    keys: Vec<Arc<CallbackSigner>>,
    enabled: Option<Uuid>,
}

impl AccountKeys {
    fn find(&self, id: Uuid) -> Option<&Arc<CallbackSigner>> {
        self.keys.iter().find(|signer| signer.key().key_id == id)
    }

    fn public(&self, signer: &CallbackSigner) -> SignatureKey {
        let mut key = signer.key().clone();
        key.enabled = self.enabled == Some(key.key_id);
        key
    }
}

/// Every account's signature keys.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    accounts: HashMap<String, AccountKeys>,
}

impl Keys {
    pub(crate) fn insert(&mut self, account: &str, signer: Arc<CallbackSigner>, enabled: bool) {
        let keys = self.accounts.entry(account.to_owned()).or_default();
        if enabled {
            keys.enabled = Some(signer.key().key_id);
        }
        keys.keys.push(signer);
    }
}

impl Store {
    fn read_keys<T: Default>(&self, read: impl FnOnce(&Keys) -> T) -> T {
        self.keys.read().map(|keys| read(&keys)).unwrap_or_default()
    }

    fn apply_keys(&self, change: impl FnOnce(&mut Keys)) {
        match self.keys.write() {
            Ok(mut keys) => change(&mut keys),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// The keys of `account`, oldest first, `page_size` of them after skipping `skip`.
    pub fn signature_keys(
        &self,
        account: &str,
        skip: usize,
        page_size: usize,
    ) -> Vec<SignatureKey> {
        self.read_keys(|keys| {
            keys.accounts.get(account).map_or_else(Vec::new, |a| {
                a.keys
                    .iter()
                    .skip(skip)
                    .take(page_size)
                    .map(|s| a.public(s))
                    .collect()
            })
        })
    }

    /// The key `id` of `account`.
    pub fn signature_key(&self, account: &str, id: Uuid) -> Option<SignatureKey> {
        self.read_keys(|keys| {
            let a = keys.accounts.get(account)?;
            a.find(id).map(|signer| a.public(signer))
        })
    }

    /// The enabled key of `account`, the one its callbacks are signed with.
    pub fn enabled_signer(&self, account: &str) -> Option<Arc<CallbackSigner>> {
        self.read_keys(|keys| {
            let a = keys.accounts.get(account)?;
            a.find(a.enabled?).cloned()
        })
    }

    /// Adds a new key (not enabled) to `account`.
    pub async fn create_signature_key(
        &self,
        account: &str,
        signer: Arc<CallbackSigner>,
    ) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        if let Some(db) = &self.db {
            let (owner, stored) = (account.to_owned(), Arc::clone(&signer));
            db.run(move |conn| sqlite::insert_signature_key(conn, &owner, &stored))
                .await?;
        }
        self.apply_keys(|keys| keys.insert(account, signer, false));
        Ok(())
    }

    /// Enables key `id` of `account`, disabling the one enabled before; the key, enabled.
    pub async fn enable_signature_key(
        &self,
        account: &str,
        id: Uuid,
    ) -> Result<SignatureKey, StoreError> {
        let _writing = self.writer.lock().await;
        if self.signature_key(account, id).is_none() {
            return Err(StoreError::NotFound);
        }
        if let Some(db) = &self.db {
            let owner = account.to_owned();
            db.run(move |conn| sqlite::enable_signature_key(conn, &owner, Some(id)))
                .await?;
        }
        self.apply_keys(|keys| {
            if let Some(a) = keys.accounts.get_mut(account) {
                a.enabled = Some(id);
            }
        });
        self.signature_key(account, id).ok_or(StoreError::NotFound)
    }

    /// Disables the enabled key of `account`, if any.
    pub async fn disable_signature_key(&self, account: &str) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        if let Some(db) = &self.db {
            let owner = account.to_owned();
            db.run(move |conn| sqlite::enable_signature_key(conn, &owner, None))
                .await?;
        }
        self.apply_keys(|keys| {
            if let Some(a) = keys.accounts.get_mut(account) {
                a.enabled = None;
            }
        });
        Ok(())
    }

    /// Deletes key `id` of `account`; deleting the enabled key leaves none enabled.
    pub async fn delete_signature_key(&self, account: &str, id: Uuid) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        if self.signature_key(account, id).is_none() {
            return Err(StoreError::NotFound);
        }
        if let Some(db) = &self.db {
            let owner = account.to_owned();
            db.run(move |conn| sqlite::delete_signature_key(conn, &owner, id))
                .await?;
        }
        self.apply_keys(|keys| {
            if let Some(a) = keys.accounts.get_mut(account) {
                a.keys.retain(|signer| signer.key().key_id != id);
                if a.enabled == Some(id) {
                    a.enabled = None;
                }
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Digest;

    fn signer() -> Arc<CallbackSigner> {
        Arc::new(CallbackSigner::generate(Digest::Sha256).unwrap())
    }

    #[tokio::test]
    async fn one_key_is_enabled_per_account_and_keys_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let (first, second) = (signer(), signer());
        let (a, b) = (first.key().key_id, second.key().key_id);
        let store = Store::open(&path, 10).await.unwrap();
        store
            .create_signature_key("acct", Arc::clone(&first))
            .await
            .unwrap();
        store
            .create_signature_key("acct", Arc::clone(&second))
            .await
            .unwrap();
        assert!(store.enabled_signer("acct").is_none());
        assert!(store.enable_signature_key("acct", a).await.unwrap().enabled);
        assert!(store.enable_signature_key("acct", b).await.unwrap().enabled);
        assert!(
            !store.signature_key("acct", a).unwrap().enabled,
            "the old one is disabled"
        );
        assert_eq!(
            store.enable_signature_key("other", a).await,
            Err(StoreError::NotFound)
        );
        drop(store);
        let store = Store::open(&path, 10).await.unwrap();
        let keys = store.signature_keys("acct", 0, 10);
        assert_eq!(keys.iter().map(|k| k.key_id).collect::<Vec<_>>(), [a, b]);
        let enabled = store.enabled_signer("acct").unwrap();
        assert_eq!(enabled.key().public_key, second.key().public_key);
        store.delete_signature_key("acct", b).await.unwrap();
        assert!(store.enabled_signer("acct").is_none());
        store.disable_signature_key("acct").await.unwrap();
        drop(store);
        let store = Store::open(&path, 10).await.unwrap();
        assert_eq!(store.signature_keys("acct", 0, 10).len(), 1);
        assert!(store.enabled_signer("acct").is_none());
    }

    #[tokio::test]
    async fn a_schema_1_state_file_is_migrated_and_keeps_its_webhooks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE webhooks (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                    account TEXT NOT NULL, url TEXT NOT NULL, method TEXT NOT NULL,
                    webhook TEXT NOT NULL);
                 CREATE UNIQUE INDEX webhooks_route ON webhooks (account, url, method);
                 CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    account TEXT NOT NULL, attempt TEXT NOT NULL);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
            let old = super::super::tests::webhook("https://kept.com");
            conn.execute(
                "INSERT INTO webhooks (id, account, url, method, webhook) VALUES (?1, 'acct', ?2, 'POST', ?3)",
                rusqlite::params![old.id.to_string(), old.url, serde_json::to_string(&old).unwrap()],
            )
            .unwrap();
        }
        let store = Store::open(&path, 10).await.unwrap();
        assert_eq!(
            store.len(),
            1,
            "the webhook written at schema 1 is still there"
        );
        let key = signer();
        let id = key.key().key_id;
        store.create_signature_key("acct", key).await.unwrap();
        drop(store);
        let store = Store::open(&path, 10).await.unwrap();
        assert_eq!(store.len(), 1);
        assert!(store.signature_key("acct", id).is_some());
        let version: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, sqlite::SCHEMA_VERSION);
    }

    #[tokio::test]
    async fn the_memory_store_answers_the_same() {
        let store = Store::in_memory(10);
        let key = signer();
        let id = key.key().key_id;
        store.create_signature_key("acct", key).await.unwrap();
        store.enable_signature_key("acct", id).await.unwrap();
        assert!(store.enabled_signer("acct").is_some());
        assert!(store.enabled_signer("other").is_none());
        store.disable_signature_key("acct").await.unwrap();
        assert!(store.enabled_signer("acct").is_none());
        assert_eq!(
            store.delete_signature_key("acct", Uuid::nil()).await,
            Err(StoreError::NotFound)
        );
    }
}
