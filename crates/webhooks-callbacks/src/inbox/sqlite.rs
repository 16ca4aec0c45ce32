//! The SQLite inbox: one file, WAL, `synchronous = FULL`, and group commit.
//!
//! Every change goes through one writer thread that owns the write connection. It takes the
//! first job waiting, then every job queued behind it (up to [`MAX_BATCH`]), runs them in one
//! transaction, each in its own savepoint (a job that fails is undone alone), commits once,
//! and only then answers each job. So a burst of callbacks shares one fsync instead of paying
//! one each, and none is acknowledged before it is on disk. Reads (listings, stats) use a
//! second connection: WAL lets them run beside the writer.
//!
//! The file is marked as an inbox (`application_id`) and versioned (`user_version`): a file
//! that is not SQLite, another program's database, or a newer schema is refused with a message
//! naming it, and never written to.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, params};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::entry::{Entry, EntryId, ListFilter, Replay, State, Stats};
use super::error::InboxError;
use super::store::{Finish, Ingested, Leased, NewEntry, Store, Ticket};

/// The most jobs one transaction takes: a bound on how long a commit holds the jobs behind it.
pub const MAX_BATCH: usize = 512;

/// How long a connection waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many rows one purge transaction deletes, so a large purge never holds the writer long.
const PURGE_CHUNK: u64 = 5_000;

/// `application_id` of an inbox file ("MMIB").
const APPLICATION_ID: i32 = 0x4d4d_4942;

/// The schema this version writes.
pub const SCHEMA_VERSION: i32 = 2;

/// Version 1: the callbacks and their indexes.
const SCHEMA: &str = "
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    order_key TEXT,
    kind TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    method TEXT NOT NULL,
    target TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    key_id TEXT,
    digest TEXT,
    state INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    duplicates INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER
);
CREATE INDEX callbacks_due ON callbacks (next_attempt_at, id) WHERE state = 0;
CREATE INDEX callbacks_leases ON callbacks (lease_until) WHERE state = 1;
CREATE INDEX callbacks_state ON callbacks (state, id);
CREATE INDEX callbacks_received ON callbacks (received_at);
CREATE INDEX callbacks_order ON callbacks (order_key, id) WHERE order_key IS NOT NULL;
";

/// Version 2: per state, how many callbacks and the sums of their attempts and duplicates,
/// kept by triggers in the transaction that changes a row, so that `stats` reads four rows
/// instead of every callback (3.7 s at a million). Filled from the rows that are there, so it
/// also migrates a version 1 file.
const TOTALS: &str = "
CREATE TABLE totals (
    state INTEGER PRIMARY KEY,
    callbacks INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    duplicates INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO totals (state, callbacks, attempts, duplicates)
    SELECT value, 0, 0, 0 FROM (SELECT 0 AS value UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3);
UPDATE totals SET
    callbacks = (SELECT count(*) FROM callbacks WHERE callbacks.state = totals.state),
    attempts = (SELECT coalesce(sum(attempts), 0) FROM callbacks WHERE callbacks.state = totals.state),
    duplicates = (SELECT coalesce(sum(duplicates), 0) FROM callbacks WHERE callbacks.state = totals.state);
CREATE TRIGGER totals_insert AFTER INSERT ON callbacks BEGIN
    UPDATE totals SET callbacks = callbacks + 1, attempts = attempts + NEW.attempts,
        duplicates = duplicates + NEW.duplicates WHERE state = NEW.state;
END;
CREATE TRIGGER totals_delete AFTER DELETE ON callbacks BEGIN
    UPDATE totals SET callbacks = callbacks - 1, attempts = attempts - OLD.attempts,
        duplicates = duplicates - OLD.duplicates WHERE state = OLD.state;
END;
CREATE TRIGGER totals_update AFTER UPDATE OF state, attempts, duplicates ON callbacks BEGIN
    UPDATE totals SET callbacks = callbacks - 1, attempts = attempts - OLD.attempts,
        duplicates = duplicates - OLD.duplicates WHERE state = OLD.state;
    UPDATE totals SET callbacks = callbacks + 1, attempts = attempts + NEW.attempts,
        duplicates = duplicates + NEW.duplicates WHERE state = NEW.state;
END;
";

const COLUMNS: &str = "id, dedup_key, kind, received_at, method, target, headers, body, key_id, \
                       digest, state, attempts, next_attempt_at, last_error, duplicates, finished_at";

/// How the SQLite store is opened.
#[derive(Debug, Clone)]
pub(crate) struct SqliteOptions {
    pub(crate) path: PathBuf,
    /// One transaction per job when false: what group commit saves, measured.
    pub(crate) group_commit: bool,
    /// The largest the file may grow, in bytes.
    pub(crate) max_bytes: Option<u64>,
}

pub(crate) struct SqliteStore {
    path: PathBuf,
    jobs: Mutex<Sender<Job>>,
    reader: Arc<Mutex<Connection>>,
    open: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

type Reply<T> = oneshot::Sender<Result<T, InboxError>>;

enum Job {
    Ingest(Box<NewEntry>, Reply<Ingested>),
    Lease {
        owner: String,
        max: usize,
        lease: Duration,
        reply: Reply<Vec<Leased>>,
    },
    Renew {
        id: EntryId,
        owner: String,
        lease: Duration,
        reply: Reply<bool>,
    },
    Finish {
        id: EntryId,
        owner: String,
        finish: Finish,
        reply: Reply<()>,
    },
    Replay(Replay, Reply<u64>),
    Purge {
        before: OffsetDateTime,
        reply: Reply<u64>,
    },
}

impl SqliteStore {
    /// Opens (or creates) the inbox file and starts its writer thread.
    pub(crate) fn open(options: SqliteOptions) -> Result<SqliteStore, InboxError> {
        let path = options.path.clone();
        let refuse = |reason: String| InboxError::NotAnInbox {
            path: path.clone(),
            reason,
        };
        let writer = connect(&path).map_err(|err| refuse(err.to_string()))?;
        check_or_create(&writer).map_err(refuse)?;
        if let Some(max_bytes) = options.max_bytes {
            let page_size: i64 = writer
                .query_row("PRAGMA page_size", [], |row| row.get(0))
                .map_err(InboxError::unavailable)?;
            let pages = (max_bytes as i64 / page_size.max(1)).max(1);
            writer
                .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                .map_err(InboxError::unavailable)?;
        }
        let reader = connect(&path).map_err(InboxError::unavailable)?;
        let open_now: i64 = reader
            .query_row(
                "SELECT coalesce(sum(callbacks), 0) FROM totals WHERE state IN (0, 1)",
                [],
                |row| row.get(0),
            )
            .map_err(InboxError::unavailable)?;
        let open = Arc::new(AtomicU64::new(open_now.max(0) as u64));
        let (jobs, queue) = std::sync::mpsc::channel();
        let batch = if options.group_commit { MAX_BATCH } else { 1 };
        let counter = Arc::clone(&open);
        std::thread::Builder::new()
            .name("inbox-writer".to_owned())
            .spawn(move || {
                Writer {
                    conn: writer,
                    open: counter,
                }
                .run(queue, batch)
            })
            .map_err(InboxError::unavailable)?;
        Ok(SqliteStore {
            path,
            jobs: Mutex::new(jobs),
            reader: Arc::new(Mutex::new(reader)),
            open,
        })
    }

    /// Sends a job to the writer and waits for its answer.
    async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T, InboxError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .send(job(reply))
            .map_err(|_| InboxError::Closed)?;
        answer.await.map_err(|_| InboxError::Closed)?
    }

    /// Runs a read on the reader connection, off the async runtime.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, InboxError> {
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            query(&conn).map_err(InboxError::unavailable)
        })
        .await
        .map_err(|_| InboxError::Closed)?
    }
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Checks that the file is an inbox of a schema this version reads, creating the schema in a
/// new file. Nothing is written to a file that is not one.
fn check_or_create(conn: &Connection) -> Result<(), String> {
    // The first read of a file that is not SQLite fails here, before anything is written.
    let (application, version): (i32, i32) = conn
        .query_row(
            "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map_err(|err| err.to_string())?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|err| err.to_string())?;
    match (application, version) {
        (0, 0) if tables == 0 => {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|err| err.to_string())?;
            conn.execute_batch(&format!(
                "BEGIN; {SCHEMA} {TOTALS} PRAGMA application_id = {APPLICATION_ID}; \
                 PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))
            .map_err(|err| err.to_string())?;
        }
        (APPLICATION_ID, 1) => {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|err| err.to_string())?;
            migrate_to_totals(conn).map_err(|err| format!("upgrading its schema: {err}"))?;
        }
        (APPLICATION_ID, SCHEMA_VERSION) => {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(|err| err.to_string())?;
        }
        (APPLICATION_ID, newer) => {
            return Err(format!(
                "its schema is version {newer}; this version reads {SCHEMA_VERSION}"
            ));
        }
        _ => return Err("it is another program's SQLite database".to_owned()),
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|err| err.to_string())?;
    Ok(())
}

/// Adds the totals of version 2 to a version 1 file, once: another process may be doing the
/// same, so the version is read again under the write lock.
fn migrate_to_totals(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let upgrade = || -> rusqlite::Result<()> {
        let version: i32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version == 1 {
            conn.execute_batch(&format!("{TOTALS} PRAGMA user_version = {SCHEMA_VERSION};"))?;
        }
        Ok(())
    };
    match upgrade() {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn now_millis() -> i64 {
    millis(OffsetDateTime::now_utc())
}

fn later(lease: Duration) -> i64 {
    now_millis().saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

fn state_code(state: State) -> i64 {
    match state {
        State::Pending => 0,
        State::Leased => 1,
        State::Done => 2,
        _ => 3,
    }
}

fn state_of(code: i64) -> State {
    match code {
        0 => State::Pending,
        1 => State::Leased,
        2 => State::Done,
        _ => State::Dead,
    }
}

/// An entry from a row of [`COLUMNS`].
fn entry(row: &Row<'_>) -> rusqlite::Result<Entry> {
    let headers: String = row.get(6)?;
    let state = state_of(row.get(10)?);
    let digest: Option<String> = row.get(9)?;
    Ok(Entry {
        id: EntryId(row.get::<_, i64>(0)? as u64),
        dedup_key: row.get(1)?,
        kind: row.get(2)?,
        received_at: from_millis(row.get(3)?),
        method: row.get(4)?,
        target: row.get(5)?,
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        body: Bytes::from(row.get::<_, Vec<u8>>(7)?),
        key_id: row.get(8)?,
        digest: digest.and_then(|name| name.parse().ok()),
        state,
        attempts: row.get::<_, i64>(11)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_attempt_at: (state == State::Pending).then(|| from_millis(row.get(12).unwrap_or(0))),
        last_error: row.get(13)?,
        duplicates: row.get::<_, i64>(14)?.max(0) as u64,
        finished_at: row.get::<_, Option<i64>>(15)?.map(from_millis),
    })
}

/// The errors after which nothing more of a transaction can be trusted: the whole batch fails.
fn is_fatal(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(
            ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::DatabaseCorrupt
                | ErrorCode::NotADatabase
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::OutOfMemory
        )
    )
}

/// A job's answer, held until its transaction commits.
enum Answer {
    Ingest(Reply<Ingested>, Ingested),
    Lease(Reply<Vec<Leased>>, Vec<Leased>),
    Renew(Reply<bool>, bool),
    Finish(Reply<()>, bool),
    Count(Reply<u64>, u64, i64),
}

struct Writer {
    conn: Connection,
    open: Arc<AtomicU64>,
}

impl Writer {
    fn run(mut self, queue: Receiver<Job>, batch: usize) {
        while let Ok(first) = queue.recv() {
            let mut jobs = vec![first];
            while jobs.len() < batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            self.batch(jobs);
        }
    }

    /// Runs `jobs` in one transaction and answers them once it committed (or failed).
    fn batch(&mut self, jobs: Vec<Job>) {
        let mut answers = Vec::with_capacity(jobs.len());
        let mut fatal: Option<String> = None;
        let mut failed: Vec<(Job, InboxError)> = Vec::new();
        let tx = match self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        {
            Ok(tx) => tx,
            Err(err) => {
                let reason = err.to_string();
                for job in jobs {
                    fail(job, InboxError::Unavailable(reason.clone()));
                }
                return;
            }
        };
        let mut tx = tx;
        for job in jobs {
            if let Some(reason) = &fatal {
                failed.push((job, InboxError::Unavailable(reason.clone())));
                continue;
            }
            let savepoint = match tx.savepoint() {
                Ok(savepoint) => savepoint,
                Err(err) => {
                    fatal = Some(err.to_string());
                    failed.push((job, InboxError::unavailable(err)));
                    continue;
                }
            };
            let mut savepoint = savepoint;
            match execute(&savepoint, &job) {
                Ok(value) => match savepoint.commit() {
                    Ok(()) => answers.push(value.with(job)),
                    Err(err) => {
                        fatal = Some(err.to_string());
                        fail(job, InboxError::unavailable(err));
                    }
                },
                Err(err) => {
                    if is_fatal(&err) {
                        fatal = Some(err.to_string());
                    }
                    let _ = savepoint.rollback();
                    drop(savepoint);
                    failed.push((job, InboxError::unavailable(err)));
                }
            }
        }
        let committed = match &fatal {
            Some(reason) => {
                let _ = tx.rollback();
                Err(reason.clone())
            }
            None => tx.commit().map_err(|err| err.to_string()),
        };
        match committed {
            Ok(()) => {
                for answer in answers {
                    answer.send(&self.open);
                }
            }
            Err(reason) => {
                for answer in answers {
                    answer.fail(InboxError::Unavailable(reason.clone()));
                }
            }
        }
        for (job, err) in failed {
            fail(job, err);
        }
    }
}

impl Answer {
    fn send(self, open: &AtomicU64) {
        match self {
            Answer::Ingest(reply, ingested) => {
                if matches!(ingested, Ingested::New(_)) {
                    open.fetch_add(1, Ordering::Relaxed);
                }
                let _ = reply.send(Ok(ingested));
            }
            Answer::Lease(reply, leased) => {
                let _ = reply.send(Ok(leased));
            }
            Answer::Renew(reply, kept) => {
                let _ = reply.send(Ok(kept));
            }
            Answer::Finish(reply, closed) => {
                if closed {
                    let _ = open.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                        Some(n.saturating_sub(1))
                    });
                }
                let _ = reply.send(Ok(()));
            }
            Answer::Count(reply, count, opened) => {
                if opened > 0 {
                    open.fetch_add(opened as u64, Ordering::Relaxed);
                }
                let _ = reply.send(Ok(count));
            }
        }
    }

    fn fail(self, err: InboxError) {
        match self {
            Answer::Ingest(reply, _) => drop(reply.send(Err(err))),
            Answer::Lease(reply, _) => drop(reply.send(Err(err))),
            Answer::Renew(reply, _) => drop(reply.send(Err(err))),
            Answer::Finish(reply, _) => drop(reply.send(Err(err))),
            Answer::Count(reply, ..) => drop(reply.send(Err(err))),
        }
    }
}

fn fail(job: Job, err: InboxError) {
    match job {
        Job::Ingest(_, reply) => drop(reply.send(Err(err))),
        Job::Lease { reply, .. } => drop(reply.send(Err(err))),
        Job::Renew { reply, .. } => drop(reply.send(Err(err))),
        Job::Finish { reply, .. } => drop(reply.send(Err(err))),
        Job::Replay(_, reply) | Job::Purge { reply, .. } => drop(reply.send(Err(err))),
    }
}

/// Runs one job (its answer is sent once the transaction commits).
fn execute(conn: &Connection, job: &Job) -> rusqlite::Result<AnswerValue> {
    match job {
        Job::Ingest(entry, _) => ingest(conn, entry).map(AnswerValue::Ingest),
        Job::Lease {
            owner, max, lease, ..
        } => lease_due(conn, owner, *max, *lease).map(AnswerValue::Lease),
        Job::Renew {
            id, owner, lease, ..
        } => conn
            .prepare_cached(
                "UPDATE callbacks SET lease_until = ?3 WHERE id = ?1 AND lease_owner = ?2 AND state = 1",
            )
            .and_then(|mut statement| statement.execute(params![id.0 as i64, owner, later(*lease)]))
            .map(|changed| AnswerValue::Renew(changed == 1)),
        Job::Finish {
            id, owner, finish, ..
        } => finish_lease(conn, *id, owner, finish).map(AnswerValue::Finish),
        Job::Replay(replay, _) => replay_entries(conn, replay).map(|n| AnswerValue::Count(n, n as i64)),
        Job::Purge { before, .. } => conn
            .prepare_cached(
                "DELETE FROM callbacks WHERE id IN \
                 (SELECT id FROM callbacks WHERE state IN (2, 3) AND received_at < ?1 LIMIT ?2)",
            )
            .and_then(|mut statement| statement.execute(params![millis(*before), PURGE_CHUNK as i64]))
            .map(|n| AnswerValue::Count(n as u64, 0)),
    }
}

/// A job's result before it is paired with its reply.
enum AnswerValue {
    Ingest(Ingested),
    Lease(Vec<Leased>),
    Renew(bool),
    Finish(bool),
    Count(u64, i64),
}

impl AnswerValue {
    fn with(self, job: Job) -> Answer {
        match (self, job) {
            (AnswerValue::Ingest(value), Job::Ingest(_, reply)) => Answer::Ingest(reply, value),
            (AnswerValue::Lease(value), Job::Lease { reply, .. }) => Answer::Lease(reply, value),
            (AnswerValue::Renew(value), Job::Renew { reply, .. }) => Answer::Renew(reply, value),
            (AnswerValue::Finish(value), Job::Finish { reply, .. }) => Answer::Finish(reply, value),
            (
                AnswerValue::Count(count, opened),
                Job::Replay(_, reply) | Job::Purge { reply, .. },
            ) => Answer::Count(reply, count, opened),
            _ => unreachable!("every job's value is built from that job"),
        }
    }
}

fn ingest(conn: &Connection, entry: &NewEntry) -> rusqlite::Result<Ingested> {
    let headers = serde_json::to_string(&entry.headers).unwrap_or_else(|_| "[]".to_owned());
    let received = millis(entry.received_at);
    let (id, duplicates): (i64, i64) = conn
        .prepare_cached(
            "INSERT INTO callbacks (dedup_key, order_key, kind, received_at, method, target, \
             headers, body, key_id, digest, state, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?4) \
             ON CONFLICT (dedup_key) DO UPDATE SET duplicates = duplicates + 1 \
             RETURNING id, duplicates",
        )?
        .query_row(
            params![
                entry.dedup_key,
                entry.order_key,
                entry.kind,
                received,
                entry.method,
                entry.target,
                headers,
                entry.body.as_ref(),
                entry.key_id,
                entry.digest.map(|digest| digest.as_str()),
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
    let id = EntryId(id as u64);
    Ok(if duplicates == 0 {
        Ingested::New(id)
    } else {
        Ingested::Duplicate(id)
    })
}

fn lease_due(
    conn: &Connection,
    owner: &str,
    max: usize,
    lease: Duration,
) -> rusqlite::Result<Vec<Leased>> {
    let now = now_millis();
    // Due pending callbacks, then leases that ran out; a callback with an order key waits
    // while an earlier one of the same key is still open.
    let mut statement = conn.prepare_cached(&format!(
        "UPDATE callbacks SET state = 1, lease_owner = ?1, lease_until = ?2, \
         attempts = attempts + 1 \
         WHERE id IN (\
           SELECT id FROM (\
             SELECT id, next_attempt_at AS due FROM callbacks c WHERE state = 0 AND next_attempt_at <= ?3 \
               AND (order_key IS NULL OR NOT EXISTS (SELECT 1 FROM callbacks p \
                    WHERE p.order_key = c.order_key AND p.id < c.id AND p.state IN (0, 1))) \
             UNION ALL \
             SELECT id, lease_until AS due FROM callbacks WHERE state = 1 AND lease_until <= ?3\
           ) ORDER BY due, id LIMIT ?4) \
         RETURNING {COLUMNS}"
    ))?;
    let mut leased = statement
        .query_map(params![owner, later(lease), now, max as i64], entry)?
        .map(|entry| {
            entry.map(|entry| Leased {
                ticket: Ticket::Sqlite {
                    id: entry.id,
                    owner: owner.to_owned(),
                },
                entry,
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    leased.sort_by_key(|leased| leased.entry.id);
    Ok(leased)
}

/// Ends a lease; whether the callback left the open states.
fn finish_lease(
    conn: &Connection,
    id: EntryId,
    owner: &str,
    finish: &Finish,
) -> rusqlite::Result<bool> {
    let id = id.0 as i64;
    let now = now_millis();
    let (sql, closes, error, due) = match finish {
        Finish::Done => (
            "UPDATE callbacks SET state = 2, finished_at = ?3, lease_owner = NULL, \
             lease_until = NULL, last_error = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 1",
            true,
            None,
            now,
        ),
        Finish::Retry { at, error } => (
            "UPDATE callbacks SET state = 0, next_attempt_at = ?3, lease_owner = NULL, \
             lease_until = NULL, last_error = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 1",
            false,
            Some(error.as_str()),
            millis(*at),
        ),
        Finish::Dead { error } => (
            "UPDATE callbacks SET state = 3, finished_at = ?3, lease_owner = NULL, \
             lease_until = NULL, last_error = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 1",
            true,
            Some(error.as_str()),
            now,
        ),
        // Not attempted after all: the attempt the lease counted is given back.
        Finish::Release => (
            "UPDATE callbacks SET state = 0, next_attempt_at = ?3, lease_owner = NULL, \
             lease_until = NULL, attempts = max(attempts - 1, 0), \
             last_error = coalesce(?4, last_error) \
             WHERE id = ?1 AND lease_owner = ?2 AND state = 1",
            false,
            None,
            now,
        ),
    };
    let changed = conn
        .prepare_cached(sql)?
        .execute(params![id, owner, due, error])?;
    Ok(closes && changed == 1)
}

fn replay_entries(conn: &Connection, replay: &Replay) -> rusqlite::Result<u64> {
    let reset = "UPDATE callbacks SET state = 0, next_attempt_at = ?1, attempts = 0, \
                 last_error = NULL, finished_at = NULL, lease_owner = NULL, lease_until = NULL";
    let now = now_millis();
    let changed = match replay {
        Replay::Id(id) => conn
            .prepare_cached(&format!("{reset} WHERE id = ?2 AND state IN (2, 3)"))?
            .execute(params![now, id.0 as i64])?,
        Replay::Dead => conn
            .prepare_cached(&format!("{reset} WHERE state = 3"))?
            .execute(params![now])?,
        Replay::Since(since) => conn
            .prepare_cached(&format!(
                "{reset} WHERE received_at >= ?2 AND state IN (2, 3)"
            ))?
            .execute(params![now, millis(*since)])?,
    };
    Ok(changed as u64)
}

impl Store for SqliteStore {
    fn ingest(&self, entry: NewEntry) -> BoxFuture<'_, Result<Ingested, InboxError>> {
        Box::pin(self.submit(|reply| Job::Ingest(Box::new(entry), reply)))
    }

    fn lease<'a>(
        &'a self,
        owner: &'a str,
        max: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Leased>, InboxError>> {
        Box::pin(self.submit(move |reply| Job::Lease {
            owner: owner.to_owned(),
            max,
            lease,
            reply,
        }))
    }

    fn renew<'a>(
        &'a self,
        ticket: &'a Ticket,
        lease: Duration,
    ) -> BoxFuture<'a, Result<bool, InboxError>> {
        Box::pin(async move {
            #[cfg_attr(not(feature = "nats"), allow(irrefutable_let_patterns))]
            let Ticket::Sqlite { id, owner } = ticket else {
                return Ok(false);
            };
            self.submit(|reply| Job::Renew {
                id: *id,
                owner: owner.clone(),
                lease,
                reply,
            })
            .await
        })
    }

    fn finish(&self, ticket: Ticket, finish: Finish) -> BoxFuture<'_, Result<(), InboxError>> {
        Box::pin(async move {
            #[cfg_attr(not(feature = "nats"), allow(irrefutable_let_patterns))]
            let Ticket::Sqlite { id, owner } = ticket else {
                return Ok(());
            };
            self.submit(|reply| Job::Finish {
                id,
                owner,
                finish,
                reply,
            })
            .await
        })
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<OffsetDateTime>, InboxError>> {
        Box::pin(self.read(|conn| {
            conn.query_row(
                "SELECT min(due) FROM (\
                   SELECT min(next_attempt_at) AS due FROM callbacks WHERE state = 0 \
                   UNION ALL SELECT min(lease_until) FROM callbacks WHERE state = 1)",
                [],
                |row| row.get::<_, Option<i64>>(0),
            )
            .map(|due| due.map(from_millis))
        }))
    }

    fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<Entry>, InboxError>> {
        Box::pin(self.read(move |conn| {
            let limit = filter.bounded_limit() as i64;
            let before = filter.before.map_or(i64::MAX, |id| id.0 as i64);
            match filter.state {
                Some(state) => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM callbacks WHERE state = ?1 AND id < ?2 \
                         ORDER BY id DESC LIMIT ?3"
                    ))?
                    .query_map(params![state_code(state), before, limit], entry)?
                    .collect(),
                None => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM callbacks WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
                    ))?
                    .query_map(params![before, limit], entry)?
                    .collect(),
            }
        }))
    }

    fn get(&self, id: EntryId) -> BoxFuture<'_, Result<Option<Entry>, InboxError>> {
        Box::pin(self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM callbacks WHERE id = ?1"))?
                .query_row(params![id.0 as i64], entry)
                .optional()
        }))
    }

    fn replay(&self, replay: Replay) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(self.submit(|reply| Job::Replay(replay, reply)))
    }

    fn purge(&self, before: OffsetDateTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(async move {
            let mut purged = 0;
            loop {
                let deleted = self.submit(|reply| Job::Purge { before, reply }).await?;
                purged += deleted;
                if deleted < PURGE_CHUNK {
                    return Ok(purged);
                }
            }
        })
    }

    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>> {
        let now = now_millis();
        Box::pin(self.read(move |conn| {
            let mut stats = Stats::default();
            let mut totals =
                conn.prepare_cached("SELECT state, callbacks, attempts, duplicates FROM totals")?;
            let rows = totals.query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?;
            for row in rows {
                let (state, count, attempts, duplicates) = row?;
                let count = count.max(0) as u64;
                match state_of(state) {
                    State::Pending => stats.depth += count,
                    State::Leased => {
                        stats.depth += count;
                        stats.leased = count;
                    }
                    State::Done => stats.done = count,
                    _ => stats.dead = count,
                }
                stats.attempts += attempts.max(0) as u64;
                stats.duplicates += duplicates.max(0) as u64;
            }
            // The first received of those waiting: ids follow the order of arrival, and the
            // (state, id) index finds the least of each state without a scan.
            let oldest: Option<i64> = conn
                .query_row(
                    "SELECT received_at FROM callbacks WHERE id = (SELECT min(id) FROM ( \
                     SELECT min(id) AS id FROM callbacks WHERE state = 0 \
                     UNION ALL SELECT min(id) FROM callbacks WHERE state = 1))",
                    [],
                    |row| row.get(0),
                )
                .optional()?;
            stats.oldest_age_secs = oldest.map(|at| (now.saturating_sub(at).max(0) / 1000) as u64);
            Ok(stats)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The totals as a full scan counts them: (state, callbacks, attempts, duplicates).
    fn scanned(conn: &Connection) -> Vec<(i64, i64, i64, i64)> {
        let mut statement = conn
            .prepare(
                "SELECT s.value, count(c.id), coalesce(sum(c.attempts), 0), \
                 coalesce(sum(c.duplicates), 0) \
                 FROM (SELECT 0 AS value UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) s \
                 LEFT JOIN callbacks c ON c.state = s.value GROUP BY s.value ORDER BY s.value",
            )
            .unwrap();
        statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn kept(conn: &Connection) -> Vec<(i64, i64, i64, i64)> {
        let mut statement = conn
            .prepare("SELECT state, callbacks, attempts, duplicates FROM totals ORDER BY state")
            .unwrap();
        statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    fn insert(conn: &Connection, key: &str, state: i64, attempts: i64) {
        conn.execute(
            "INSERT INTO callbacks (dedup_key, kind, received_at, method, target, headers, body, \
             state, attempts, next_attempt_at) VALUES (?1, 'reply', 0, 'POST', '/', '[]', x'', ?2, ?3, 0) \
             ON CONFLICT (dedup_key) DO UPDATE SET duplicates = duplicates + 1",
            params![key, state, attempts],
        )
        .unwrap();
    }

    #[test]
    fn the_triggers_keep_the_totals_equal_to_a_full_scan() {
        let dir = tempfile::tempdir().unwrap();
        let conn = connect(&dir.path().join("inbox.db")).unwrap();
        check_or_create(&conn).unwrap();
        for n in 0..40 {
            insert(&conn, &format!("k{n}"), n % 4, n % 3);
        }
        // Duplicates through the upsert the writer uses, then every kind of change.
        for n in (0..40).step_by(5) {
            insert(&conn, &format!("k{n}"), 0, 0);
        }
        conn.execute(
            "UPDATE callbacks SET state = 1, attempts = attempts + 1 WHERE state = 0",
            [],
        )
        .unwrap();
        conn.execute("UPDATE callbacks SET state = 3 WHERE id % 7 = 0", [])
            .unwrap();
        conn.execute("UPDATE callbacks SET last_error = 'x' WHERE state = 2", [])
            .unwrap();
        conn.execute("DELETE FROM callbacks WHERE id % 5 = 2", [])
            .unwrap();
        assert_eq!(kept(&conn), scanned(&conn));
        assert_ne!(scanned(&conn).iter().map(|t| t.3).sum::<i64>(), 0);
    }

    #[test]
    fn a_version_1_file_gets_its_totals_from_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let conn = connect(&path).unwrap();
        conn.execute_batch(&format!(
            "BEGIN; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1; COMMIT;"
        ))
        .unwrap();
        for n in 0..25 {
            insert(&conn, &format!("k{n}"), n % 4, n % 5);
        }
        insert(&conn, "k3", 0, 0);
        let before = scanned(&conn);
        drop(conn);

        let conn = connect(&path).unwrap();
        check_or_create(&conn).unwrap();
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(kept(&conn), before);
        insert(&conn, "new", 2, 4);
        assert_eq!(kept(&conn), scanned(&conn));
        // Opening again does not migrate twice.
        check_or_create(&conn).unwrap();
        assert_eq!(kept(&conn), scanned(&conn));
    }
}
