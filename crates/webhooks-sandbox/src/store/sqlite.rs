//! The state store on disk: an SQLite database, worked on by one dedicated thread so that no
//! file I/O (and no fsync) ever runs on an async runtime worker.
//!
//! Why SQLite, compiled in (`rusqlite` with `bundled`): one file, transactions that survive a
//! crash or a power loss, a unique index that does the 409 check, and a known library version
//! on every machine (no system `libsqlite3` needed). Why `synchronous = FULL` with WAL: a
//! webhook the API acknowledged (201, 200, 204) must still be there after a power loss, and
//! `NORMAL` only promises a consistent file, not the last commits; one WAL fsync per change is
//! the price, and the storage benchmark shows it is flat in the number stored.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, params};
use tokio::sync::oneshot;

use super::{StoreError, StoredWebhook};
use crate::delivery::DeliveryAttempt;
use crate::signing::{CallbackSigner, Digest};

/// The schema version this sandbox writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 2;

/// How long a change waits for another process holding the file's write lock. The sandbox is
/// the file's only writer; anyone else holding it should get the change refused (503) soon,
/// not hang requests.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// The statements that take a store from version `i` to `i + 1`. A schema change appends one
/// entry; nothing here is ever edited. Version 2 adds the signature keys: the private half as
/// PKCS#8 DER (the state file is the sandbox's own; it never leaves it otherwise).
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE webhooks (
        seq     INTEGER PRIMARY KEY,
        id      TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        url     TEXT NOT NULL,
        method  TEXT NOT NULL,
        webhook TEXT NOT NULL
    );
    CREATE UNIQUE INDEX webhooks_route ON webhooks (account, url, method);
    CREATE TABLE deliveries (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        attempt TEXT NOT NULL
    );
",
    "
    CREATE TABLE signature_keys (
        seq         INTEGER PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        account     TEXT NOT NULL,
        digest      TEXT NOT NULL,
        created     TEXT NOT NULL,
        private_key BLOB NOT NULL,
        enabled     INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX signature_keys_account ON signature_keys (account);
",
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The database thread: jobs run on it in the order they were sent.
#[derive(Debug)]
pub(crate) struct Db {
    jobs: mpsc::Sender<Job>,
}

/// What a store holds when it is opened.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) webhooks: Vec<(u64, String, StoredWebhook)>,
    pub(crate) deliveries: Vec<(String, DeliveryAttempt)>,
    /// Account, key pair, and whether it is the account's enabled key.
    pub(crate) signature_keys: Vec<(String, CallbackSigner, bool)>,
}

impl Db {
    /// Opens (or creates) the store at `path`, checks and migrates it, and loads it. Blocking.
    pub(crate) fn open(path: &Path) -> Result<(Db, Loaded), String> {
        let mut conn = connect(path)?;
        let loaded = load(&conn).map_err(|err| err.to_string())?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|err| err.to_string())?;
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sandbox-store".to_owned())
            .spawn(move || {
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(|err| format!("could not start the store's thread: {err}"))?;
        Ok((Db { jobs }, loaded))
    }

    /// Runs `work` on the database thread and waits for its answer without blocking a worker.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.submit(move |conn| {
            let _ = answer.send(work(conn));
        });
        answered
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the store's thread stopped".into())))
    }

    /// Queues `work` on the database thread without waiting for it.
    pub(crate) fn submit(&self, work: impl FnOnce(&mut Connection) + Send + 'static) {
        let _ = self.jobs.send(Box::new(work));
    }
}

/// Opens the file, refusing anything that is not a healthy store of a version we know; nothing
/// is written before those checks pass.
pub(crate) fn connect(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(|err| err.to_string())?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|err| err.to_string())?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|err| err.to_string())?;
    if check != "ok" {
        return Err(format!("the database is damaged ({check})"));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|err| err.to_string())?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "it was written by a newer sandbox (schema {version}; this one knows up to {SCHEMA_VERSION})"
        ));
    }
    migrate(conn, version)
}

fn migrate(mut conn: Connection, from: i64) -> Result<Connection, String> {
    for (version, sql) in (1..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(from).unwrap_or(0))
    {
        let tx = conn.transaction().map_err(|err| err.to_string())?;
        tx.execute_batch(sql).map_err(|err| err.to_string())?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|err| err.to_string())?;
        tx.commit().map_err(|err| err.to_string())?;
    }
    Ok(conn)
}

fn load(conn: &Connection) -> Result<Loaded, String> {
    let mut loaded = Loaded::default();
    let mut rows = conn
        .prepare("SELECT seq, account, webhook FROM webhooks ORDER BY seq")
        .map_err(|err| err.to_string())?;
    let webhooks = rows
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .map_err(|err| err.to_string())?;
    for row in webhooks {
        let (seq, account, json) = row.map_err(|err| err.to_string())?;
        let webhook = serde_json::from_str(&json)
            .map_err(|err| format!("webhook {seq} does not decode: {err}"))?;
        loaded
            .webhooks
            .push((u64::try_from(seq).unwrap_or_default(), account, webhook));
    }
    let mut rows = conn
        .prepare("SELECT account, attempt FROM deliveries ORDER BY seq")
        .map_err(|err| err.to_string())?;
    let attempts = rows
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(|err| err.to_string())?;
    for row in attempts {
        let (account, json) = row.map_err(|err| err.to_string())?;
        if let Ok(attempt) = serde_json::from_str(&json) {
            loaded.deliveries.push((account, attempt));
        }
    }
    loaded.signature_keys = load_signature_keys(conn)?;
    Ok(loaded)
}

fn load_signature_keys(conn: &Connection) -> Result<Vec<(String, CallbackSigner, bool)>, String> {
    let mut rows = conn
        .prepare("SELECT id, account, digest, created, private_key, enabled FROM signature_keys ORDER BY seq")
        .map_err(|err| err.to_string())?;
    let keys = rows
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Vec<u8>>(4)?,
                row.get::<_, bool>(5)?,
            ))
        })
        .map_err(|err| err.to_string())?;
    let mut loaded = Vec::new();
    for row in keys {
        let (id, account, digest, created, der, enabled) = row.map_err(|err| err.to_string())?;
        let key_id = uuid::Uuid::parse_str(&id)
            .map_err(|_| format!("signature key {id:?} has no valid id"))?;
        let digest: Digest = digest
            .parse()
            .map_err(|_| format!("signature key {id} has an unknown digest {digest:?}"))?;
        let signer = CallbackSigner::from_pkcs8_der(key_id, digest, created, &der)
            .map_err(|err| format!("signature key {id}: {err}"))?;
        loaded.push((account, signer, enabled));
    }
    Ok(loaded)
}

/// Stores a new (not enabled) signature key of `account`.
pub(crate) fn insert_signature_key(
    conn: &mut Connection,
    account: &str,
    signer: &CallbackSigner,
) -> Result<(), StoreError> {
    let der = signer
        .private_pkcs8_der()
        .map_err(|err| StoreError::Unavailable(err.to_string()))?;
    let key = signer.key();
    conn.prepare_cached(
        "INSERT INTO signature_keys (id, account, digest, created, private_key) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            key.key_id.to_string(),
            account,
            key.digest.as_str(),
            key.created,
            der.as_ref()
        ])
    })
    .map_err(failed)?;
    Ok(())
}

/// Makes `id` the one enabled key of `account` (none when `None`), in one transaction.
pub(crate) fn enable_signature_key(
    conn: &mut Connection,
    account: &str,
    id: Option<uuid::Uuid>,
) -> Result<(), StoreError> {
    let tx = conn.transaction().map_err(failed)?;
    tx.prepare_cached("UPDATE signature_keys SET enabled = 0 WHERE account = ?1 AND enabled = 1")
        .and_then(|mut statement| statement.execute(params![account]))
        .map_err(failed)?;
    if let Some(id) = id {
        let changed = tx
            .prepare_cached("UPDATE signature_keys SET enabled = 1 WHERE account = ?1 AND id = ?2")
            .and_then(|mut statement| statement.execute(params![account, id.to_string()]))
            .map_err(failed)?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
    }
    tx.commit().map_err(failed)
}

/// Deletes signature key `id` of `account`.
pub(crate) fn delete_signature_key(
    conn: &mut Connection,
    account: &str,
    id: uuid::Uuid,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM signature_keys WHERE id = ?1 AND account = ?2")
        .and_then(|mut statement| statement.execute(params![id.to_string(), account]))
        .map_err(failed)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The API's spelling of a webhook's method, as the route index keys it.
fn method_name(webhook: &StoredWebhook) -> String {
    serde_json::to_value(webhook.method)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn to_json(webhook: &StoredWebhook) -> Result<String, StoreError> {
    serde_json::to_string(webhook).map_err(|err| StoreError::Unavailable(err.to_string()))
}

/// Maps a failed statement: the route index refusing a duplicate is the API's 409.
fn failed(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict,
        _ => StoreError::Unavailable(err.to_string()),
    }
}

/// Inserts `webhooks` into `account` in one transaction; the rowid of the first.
pub(crate) fn insert(
    conn: &mut Connection,
    account: &str,
    webhooks: &[StoredWebhook],
) -> Result<u64, StoreError> {
    let tx = conn.transaction().map_err(failed)?;
    let mut first = None;
    {
        let mut statement = tx
            .prepare_cached(
                "INSERT INTO webhooks (id, account, url, method, webhook) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(failed)?;
        for webhook in webhooks {
            statement
                .execute(params![
                    webhook.id.to_string(),
                    account,
                    webhook.url,
                    method_name(webhook),
                    to_json(webhook)?
                ])
                .map_err(failed)?;
            first.get_or_insert(tx.last_insert_rowid());
        }
    }
    tx.commit().map_err(failed)?;
    Ok(first
        .and_then(|seq| u64::try_from(seq).ok())
        .unwrap_or_default())
}

/// Replaces webhook `webhook.id` of `account`.
pub(crate) fn update(
    conn: &mut Connection,
    account: &str,
    webhook: &StoredWebhook,
) -> Result<(), StoreError> {
    let json = to_json(webhook)?;
    let changed = conn
        .prepare_cached(
            "UPDATE webhooks SET url = ?3, method = ?4, webhook = ?5 WHERE id = ?1 AND account = ?2",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                webhook.id.to_string(),
                account,
                webhook.url,
                method_name(webhook),
                json
            ])
        })
        .map_err(failed)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes webhook `id` of `account`.
pub(crate) fn delete(
    conn: &mut Connection,
    account: &str,
    id: uuid::Uuid,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?1 AND account = ?2")
        .and_then(|mut statement| statement.execute(params![id.to_string(), account]))
        .map_err(failed)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Appends one delivery attempt and drops all but the newest `keep`.
pub(crate) fn log_delivery(
    conn: &mut Connection,
    account: &str,
    attempt: &DeliveryAttempt,
    keep: usize,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(attempt).unwrap_or_default();
    let tx = conn.transaction()?;
    tx.prepare_cached("INSERT INTO deliveries (account, attempt) VALUES (?1, ?2)")?
        .execute(params![account, json])?;
    let newest = tx.last_insert_rowid();
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    tx.prepare_cached("DELETE FROM deliveries WHERE seq <= ?1")?
        .execute(params![newest.saturating_sub(keep)])?;
    tx.commit()
}

/// The path a file's name plus `suffix` makes, beside it.
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}
