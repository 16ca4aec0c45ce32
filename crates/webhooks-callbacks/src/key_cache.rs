//! The cache between a [`Verifier`](super::Verifier) and its [`KeySource`]: keys fetched once
//! and kept, one fetch at a time per key id, ids the source does not have remembered for a
//! while, and a budget of fetches, so callbacks with forged key ids cannot make the receiver
//! hammer the API.
//!
//! Every bound is a named constant below. The cache reads the verifier's clock, so tests move
//! time by injecting one.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime};

use crate::public_key::PublicKey;
use futures::future::{BoxFuture, FutureExt, Shared};

use super::key_source::{KeySource, PublishedKey};
use super::verify::VerifyError;

/// Key ids longer than this are rejected without asking the source: the platform's ids are
/// UUIDs (36 characters), and the bound caps the memory an id takes in the caches.
pub const MAX_KEY_ID_LEN: usize = 64;
/// Fetches the source may make back to back: enough for a rotation and a few retries.
pub const FETCH_BURST: u32 = 5;
/// One more fetch is allowed every `FETCH_REFILL` (up to [`FETCH_BURST`]): a stream of forged
/// key ids costs the source at most five calls a minute.
pub const FETCH_REFILL: Duration = Duration::from_secs(12);
/// How long an id the source does not have (or reports disabled) is answered from memory: a
/// key created meanwhile is found once this passes, or at once after
/// [`Verifier::forget_key`](super::Verifier::forget_key).
pub const MISSING_TTL: Duration = Duration::from_secs(5 * 60);
/// Ids remembered as missing, at most; past it the soonest to expire is dropped first.
pub const MAX_MISSING: usize = 1024;

type Outcome = Result<Arc<PublicKey>, VerifyError>;
type Flight = Shared<BoxFuture<'static, Outcome>>;

/// The fetched keys and the bookkeeping around the source, shared by every clone of a
/// verifier.
pub(super) struct KeyCache {
    source: Arc<dyn KeySource>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    fetched: HashMap<String, Arc<PublicKey>>,
    /// Id -> when it may be fetched again.
    missing: HashMap<String, SystemTime>,
    in_flight: HashMap<String, Flight>,
    budget: Budget,
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        let mut fetched: Vec<&String> = state.fetched.keys().collect();
        fetched.sort();
        f.debug_struct("KeyCache")
            .field("fetched", &fetched)
            .field("missing", &state.missing.len())
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    pub(super) fn new(source: Arc<dyn KeySource>) -> Arc<KeyCache> {
        Arc::new(KeyCache {
            source,
            state: Mutex::new(State::default()),
        })
    }

    /// A key fetched earlier, without asking the source.
    pub(super) fn cached(&self, key_id: &str) -> Option<Arc<PublicKey>> {
        self.lock().fetched.get(key_id).cloned()
    }

    /// Drops what is known of `key_id` (a fetched key, or that it is missing); whether a
    /// fetched key was dropped.
    pub(super) fn forget(&self, key_id: &str) -> bool {
        let mut state = self.lock();
        state.missing.remove(key_id);
        state.fetched.remove(key_id).is_some()
    }

    /// The key of `key_id` (normalized), from the cache or, within the budget, the source.
    pub(super) async fn get(self: &Arc<Self>, key_id: &str, now: SystemTime) -> Outcome {
        let flight = {
            let mut state = self.lock();
            if let Some(key) = state.fetched.get(key_id) {
                return Ok(key.clone());
            }
            if state.is_missing(key_id, now) {
                return Err(unknown(key_id));
            }
            match state.in_flight.get(key_id) {
                Some(flight) => flight.clone(),
                None => {
                    if !state.budget.take(now) {
                        return Err(VerifyError::KeyLookupThrottled {
                            key_id: key_id.to_owned(),
                        });
                    }
                    let flight = self.flight(key_id, now);
                    state.in_flight.insert(key_id.to_owned(), flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// One fetch, shared by every caller that wants `key_id` while it runs. It holds the cache
    /// weakly, so a fetch outliving its verifier records nothing and keeps nothing alive.
    fn flight(self: &Arc<Self>, key_id: &str, now: SystemTime) -> Flight {
        let cache: Weak<KeyCache> = Arc::downgrade(self);
        let source = self.source.clone();
        let key_id = key_id.to_owned();
        async move {
            let answer = source.fetch(&key_id).await;
            let outcome = match answer {
                Ok(Some(key)) => usable(&key_id, key),
                Ok(None) => Err(unknown(&key_id)),
                Err(err) => Err(VerifyError::KeySourceUnavailable {
                    key_id: key_id.clone(),
                    kind: err.kind(),
                    reason: err.to_string(),
                }),
            };
            if let Some(cache) = cache.upgrade() {
                cache.lock().record(&key_id, &outcome, now);
            }
            outcome
        }
        .boxed()
        .shared()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain maps behind, still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn is_missing(&mut self, key_id: &str, now: SystemTime) -> bool {
        match self.missing.get(key_id) {
            Some(until) if now < *until => true,
            Some(_) => {
                self.missing.remove(key_id);
                false
            }
            None => false,
        }
    }

    fn record(&mut self, key_id: &str, outcome: &Outcome, now: SystemTime) {
        self.in_flight.remove(key_id);
        match outcome {
            Ok(key) => {
                self.fetched.insert(key_id.to_owned(), key.clone());
            }
            Err(VerifyError::KeySourceUnavailable { .. }) => {}
            Err(_) => {
                self.fetched.remove(key_id);
                self.remember_missing(key_id, now);
            }
        }
    }

    fn remember_missing(&mut self, key_id: &str, now: SystemTime) {
        if self.missing.len() >= MAX_MISSING {
            self.missing.retain(|_, until| *until > now);
        }
        if self.missing.len() >= MAX_MISSING {
            let soonest = self
                .missing
                .iter()
                .min_by_key(|(_, until)| **until)
                .map(|(id, _)| id.clone());
            if let Some(id) = soonest {
                self.missing.remove(&id);
            }
        }
        self.missing.insert(key_id.to_owned(), now + MISSING_TTL);
    }
}

/// A token bucket of fetches: [`FETCH_BURST`] at once, one more every [`FETCH_REFILL`].
#[derive(Debug, Default)]
struct Budget {
    /// `None` until the first fetch: the bucket starts full.
    state: Option<(u32, SystemTime)>,
}

impl Budget {
    fn take(&mut self, now: SystemTime) -> bool {
        let (mut tokens, mut refilled) = self.state.unwrap_or((FETCH_BURST, now));
        let elapsed = now.duration_since(refilled).unwrap_or_default();
        let earned = elapsed.as_nanos() / FETCH_REFILL.as_nanos();
        if earned > 0 {
            tokens = u32::try_from(earned)
                .unwrap_or(u32::MAX)
                .saturating_add(tokens)
                .min(FETCH_BURST);
            refilled = now;
        } else if refilled > now {
            refilled = now;
        }
        let granted = tokens > 0;
        if granted {
            tokens -= 1;
        }
        self.state = Some((tokens, refilled));
        granted
    }
}

fn usable(key_id: &str, key: PublishedKey) -> Outcome {
    if !key.enabled {
        return Err(unknown(key_id));
    }
    PublicKey::parse(&key.public_key)
        .map(Arc::new)
        .map_err(|reason| VerifyError::InvalidKey {
            key_id: key_id.to_owned(),
            reason,
        })
}

fn unknown(key_id: &str) -> VerifyError {
    VerifyError::UnknownKeyId {
        key_id: key_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_starts_full_and_refills_one_fetch_per_interval() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut budget = Budget::default();
        for _ in 0..FETCH_BURST {
            assert!(budget.take(start));
        }
        assert!(!budget.take(start));
        assert!(!budget.take(start + FETCH_REFILL / 2));
        assert!(budget.take(start + FETCH_REFILL));
        assert!(!budget.take(start + FETCH_REFILL));
        let much_later = start + FETCH_REFILL * 1000;
        let granted = (0..100).filter(|_| budget.take(much_later)).count();
        assert_eq!(
            granted, FETCH_BURST as usize,
            "the bucket never exceeds the burst"
        );
    }

    #[test]
    fn a_clock_that_jumps_back_grants_nothing_extra() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut budget = Budget::default();
        for _ in 0..FETCH_BURST {
            assert!(budget.take(start));
        }
        let earlier = start - Duration::from_secs(3600);
        assert!(!budget.take(earlier));
        assert!(!budget.take(earlier + FETCH_REFILL / 2));
        assert!(budget.take(earlier + FETCH_REFILL));
    }

    #[test]
    fn the_missing_list_is_bounded_and_drops_the_soonest_to_expire() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut state = State::default();
        for n in 0..MAX_MISSING + 10 {
            state.remember_missing(&format!("id-{n}"), start + Duration::from_millis(n as u64));
        }
        assert_eq!(state.missing.len(), MAX_MISSING);
        assert!(!state.missing.contains_key("id-0"));
        assert!(
            state
                .missing
                .contains_key(&format!("id-{}", MAX_MISSING + 9))
        );
        let later = start + Duration::from_secs(2) + MISSING_TTL;
        assert!(!state.is_missing(&format!("id-{}", MAX_MISSING + 9), later));
    }
}
