//! Handling: workers lease stored callbacks, run the application's [`Handler`] and record its
//! [`Outcome`], with leases, retries with backoff and jitter, and dead letters.
//!
//! Each worker task leases due callbacks (as many as it has free slots), runs the handler on
//! each under a lease renewed at a third of its length while the handler runs, and finishes the
//! lease with the outcome. A handler that outlives `handler_timeout` is dropped and the
//! attempt counts as failed; a worker that dies (a crash, a stuck runtime) stops renewing, so
//! its lease runs out and another worker takes the callback over. So handling is at least
//! once: a handler that crashes midway runs again. It is exactly once per dedup key when no
//! worker crashes, since a lease is finished only by its holder.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::{Notify, Semaphore, broadcast, watch};
use tokio::task::JoinSet;

use super::entry::{Entry, EntryId};
use super::store::{Finish, Leased, Store};
use crate::{Callback, ParseError};

/// What a handler answers for one callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Handled: the callback is done.
    Done,
    /// Not now: try again after the given delay (or the inbox's backoff), unless it was the
    /// last attempt, in which case the callback is dead.
    Retry {
        /// How long to wait; `None` for the inbox's exponential backoff.
        after: Option<Duration>,
        /// Why, kept as the callback's last error.
        reason: String,
    },
    /// Never: the callback is dead at once, kept for a replay.
    Fail {
        /// Why, kept as the callback's last error.
        reason: String,
    },
}

impl Outcome {
    /// [`Outcome::Retry`] with the inbox's backoff.
    pub fn retry(reason: impl Into<String>) -> Outcome {
        Outcome::Retry {
            after: None,
            reason: reason.into(),
        }
    }

    /// [`Outcome::Retry`] after `delay`.
    pub fn retry_after(delay: Duration, reason: impl Into<String>) -> Outcome {
        Outcome::Retry {
            after: Some(delay),
            reason: reason.into(),
        }
    }

    /// [`Outcome::Fail`].
    pub fn fail(reason: impl Into<String>) -> Outcome {
        Outcome::Fail {
            reason: reason.into(),
        }
    }
}

/// One callback handed to a handler: the stored entry, and which attempt this is.
#[derive(Debug, Clone)]
pub struct Delivery {
    entry: Entry,
}

impl Delivery {
    /// The stored callback: id, dedup key, raw body, headers, signature key, history.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// The callback, parsed from the stored body (its content type from the stored headers).
    /// An error for a custom template's body [`Callback`] does not read: handle
    /// [`Delivery::entry`]'s `body` yourself then.
    pub fn callback(&self) -> Result<Callback, ParseError> {
        Callback::parse(self.entry.content_type(), &self.entry.body)
    }

    /// Which attempt this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.entry.attempts
    }
}

/// The application's work on each callback.
///
/// Any `Fn(Delivery) -> impl Future<Output = Outcome>` is one:
///
/// ```
/// use webhooks_callbacks::inbox::{Delivery, Handler, Outcome};
///
/// fn handler() -> impl Handler {
///     |delivery: Delivery| async move {
///         match delivery.callback() {
///             Ok(callback) => {
///                 println!("{:?}", callback.message_id());
///                 Outcome::Done
///             }
///             Err(err) => Outcome::fail(err.to_string()),
///         }
///     }
/// }
/// # let _ = handler();
/// ```
pub trait Handler: Send + Sync + 'static {
    /// Handles one callback.
    fn handle(&self, delivery: Delivery) -> BoxFuture<'static, Outcome>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    fn handle(&self, delivery: Delivery) -> BoxFuture<'static, Outcome> {
        Box::pin((self)(delivery))
    }
}

/// How workers run; set on the [`InboxBuilder`](super::InboxBuilder).
#[derive(Debug, Clone)]
pub(crate) struct WorkConfig {
    pub(crate) concurrency: usize,
    pub(crate) lease: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) handler_timeout: Duration,
    /// The longest a worker sleeps without looking for due callbacks (leases of crashed
    /// workers run out without anyone noticing otherwise).
    pub(crate) poll: Duration,
}

/// Where running workers are in their life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Running,
    /// No new leases; the handlers running now go on.
    Draining,
    /// The handlers still running are dropped and their callbacks handed back.
    Abandoning,
}

/// How long handing the callbacks of abandoned handlers back may take.
const RELEASE_LIMIT: Duration = Duration::from_secs(5);

/// Running workers; [`Workers::shutdown`] stops them. Dropping the handle leaves them running
/// for as long as the runtime does.
#[derive(Debug)]
pub struct Workers {
    phase: Arc<watch::Sender<Phase>>,
    tasks: JoinSet<()>,
}

impl Workers {
    /// Stops leasing, waits up to `grace` for the handlers running now, then drops those still
    /// running and hands their callbacks back to the store (due again at once, the attempt
    /// not counted).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.phase.send(Phase::Draining);
        let drained = tokio::time::timeout(grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            let _ = self.phase.send(Phase::Abandoning);
            let released = tokio::time::timeout(RELEASE_LIMIT, async {
                while self.tasks.join_next().await.is_some() {}
            })
            .await;
            if released.is_err() {
                self.tasks.abort_all();
                while self.tasks.join_next().await.is_some() {}
            }
        }
    }
}

/// Starts the workers: one leasing loop per `concurrency` slot group.
pub(crate) fn start(
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    handler: Arc<dyn Handler>,
    config: WorkConfig,
    owner: String,
    events: broadcast::Sender<EntryId>,
) -> Workers {
    let (phase, phases) = watch::channel(Phase::Running);
    // The workers hold the sender too: dropping the handle must not read as a phase change.
    let phase = Arc::new(phase);
    let mut tasks = JoinSet::new();
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let worker = Arc::new(Worker {
        store,
        wake,
        handler,
        config,
        owner,
        slots,
        events,
        _phase: Arc::clone(&phase),
    });
    tasks.spawn(Arc::clone(&worker).run(phases));
    Workers { phase, tasks }
}

struct Worker {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    handler: Arc<dyn Handler>,
    config: WorkConfig,
    owner: String,
    slots: Arc<Semaphore>,
    events: broadcast::Sender<EntryId>,
    _phase: Arc<watch::Sender<Phase>>,
}

impl Worker {
    async fn run(self: Arc<Self>, mut phase: watch::Receiver<Phase>) {
        let mut running = JoinSet::new();
        loop {
            if *phase.borrow() != Phase::Running {
                break;
            }
            let free = self.slots.available_permits();
            let leased = if free == 0 {
                Vec::new()
            } else {
                match self.store.lease(&self.owner, free, self.config.lease).await {
                    Ok(leased) => leased,
                    Err(err) => {
                        tracing::warn!(target: "webhooks_callbacks::inbox", error = %err, "could not lease callbacks");
                        Vec::new()
                    }
                }
            };
            let got = leased.len();
            for leased in leased {
                let Ok(permit) = Arc::clone(&self.slots).acquire_owned().await else {
                    return;
                };
                let worker = Arc::clone(&self);
                let phase = phase.clone();
                running.spawn(async move {
                    worker.handle(leased, phase).await;
                    drop(permit);
                });
            }
            while running.try_join_next().is_some() {}
            if got > 0 && self.slots.available_permits() > 0 {
                continue;
            }
            let sleep = self.sleep_until_due().await;
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(sleep) => {}
                _ = phase.changed() => {}
                Some(_) = running.join_next(), if !running.is_empty() => {}
            }
        }
        // Draining: the handlers running now finish, or hand their callbacks back when told
        // to abandon them.
        while running.join_next().await.is_some() {}
    }

    /// How long to sleep: until the next callback is due, at most the poll interval.
    async fn sleep_until_due(&self) -> Duration {
        let due = self.store.next_due().await.ok().flatten();
        let now = OffsetDateTime::now_utc();
        due.map_or(self.config.poll, |due| {
            Duration::try_from(due - now)
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(5))
                .min(self.config.poll)
        })
    }

    /// Runs the handler on one leased callback, renewing the lease while it runs, then records
    /// the outcome. When the workers abandon their handlers, the callback is handed back.
    async fn handle(&self, leased: Leased, mut phase: watch::Receiver<Phase>) {
        let Leased { entry, ticket } = leased;
        let attempts = entry.attempts;
        let id = entry.id;
        let delivery = Delivery { entry };
        let run = tokio::time::timeout(
            self.config.handler_timeout,
            std::panic::AssertUnwindSafe(self.handler.handle(delivery)).catch_unwind(),
        );
        tokio::pin!(run);
        let renew_every = self.config.lease / 3;
        let mut lost = false;
        let outcome = loop {
            tokio::select! {
                result = &mut run => break Some(result),
                () = tokio::time::sleep(renew_every) => {
                    match self.store.renew(&ticket, self.config.lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            lost = true;
                            tracing::warn!(target: "webhooks_callbacks::inbox", %id, "lease lost: another worker took the callback over");
                        }
                        Err(err) => tracing::warn!(target: "webhooks_callbacks::inbox", %id, error = %err, "could not renew a lease"),
                    }
                }
                changed = phase.changed() => {
                    if changed.is_err() || *phase.borrow() == Phase::Abandoning {
                        break None;
                    }
                }
            }
        };
        if lost {
            return;
        }
        let finish = match outcome {
            None => Finish::Release,
            Some(Ok(Ok(outcome))) => self.finish_of(outcome, attempts),
            Some(Ok(Err(_panic))) => {
                self.finish_of(Outcome::retry("the handler panicked"), attempts)
            }
            Some(Err(_elapsed)) => self.finish_of(
                Outcome::retry(format!(
                    "the handler took longer than {:?}",
                    self.config.handler_timeout
                )),
                attempts,
            ),
        };
        if let Err(err) = self.store.finish(ticket, finish).await {
            tracing::warn!(target: "webhooks_callbacks::inbox", %id, error = %err, "could not record a handler's outcome; the lease will run out and the callback be handled again");
        }
        let _ = self.events.send(id);
        self.wake.notify_waiters();
    }

    /// The store's record of `outcome` after attempt `attempts`.
    fn finish_of(&self, outcome: Outcome, attempts: u32) -> Finish {
        match outcome {
            Outcome::Done => Finish::Done,
            Outcome::Fail { reason } => Finish::Dead { error: reason },
            Outcome::Retry { after, reason } => {
                if attempts >= self.config.max_attempts {
                    return Finish::Dead {
                        error: format!("{reason} (after {attempts} attempts)"),
                    };
                }
                let delay = after.unwrap_or_else(|| {
                    backoff(
                        attempts,
                        self.config.backoff_base,
                        self.config.backoff_max,
                        rand::random(),
                    )
                });
                Finish::Retry {
                    at: OffsetDateTime::now_utc() + delay,
                    error: reason,
                }
            }
        }
    }
}

/// The wait before the attempt after `attempts`: `base` doubled per attempt, at most `max`,
/// then jittered down by up to half (`jitter` in `[0, 1)`), so callbacks that failed together
/// do not come back together.
pub(crate) fn backoff(attempts: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exponent = attempts.saturating_sub(1).min(30);
    let full = base.saturating_mul(1 << exponent).min(max);
    full.mul_f64(1.0 - 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_down_by_at_most_half() {
        let (base, max) = (Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(backoff(1, base, max, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(2, base, max, 0.0), Duration::from_secs(2));
        assert_eq!(backoff(4, base, max, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(30, base, max, 0.0), max);
        assert_eq!(backoff(u32::MAX, base, max, 0.0), max);
        assert_eq!(backoff(3, base, max, 0.999_999_9).as_millis(), 2_000);
        assert_eq!(backoff(3, base, max, 0.5), Duration::from_secs(3));
    }
}
