//! The delivery log: the newest attempts of every account, bounded, kept in the store (and so
//! on disk when state is on), and queried per account.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;
use webhooks_ergonomic::Event;

use super::sqlite::{self, Db};
use crate::delivery::DeliveryAttempt;

/// How many attempts are kept by default: a long test session's worth, in a few MB.
pub const DEFAULT_DELIVERY_LOG_LIMIT: usize = 10_000;

#[derive(Debug)]
struct Shared {
    entries: Mutex<VecDeque<(Arc<str>, DeliveryAttempt)>>,
    limit: usize,
    db: Option<Arc<Db>>,
}

/// The log of every account's attempts; the sandbox records each attempt with the account
/// whose webhook it called.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    shared: Arc<Shared>,
    account: Arc<str>,
}

/// Whether an attempt got its 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Anything else: another status, a timeout, a refused connection, a template that failed.
    Failed,
}

/// Which attempts a query wants; every field left `None` matches everything.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DeliveryFilter {
    /// Only attempts to this webhook.
    pub webhook_id: Option<Uuid>,
    /// Only attempts of this event.
    pub event: Option<Event>,
    /// Only attempts with this outcome.
    pub outcome: Option<Outcome>,
    /// Only attempts that started at or after this instant.
    pub since: Option<OffsetDateTime>,
}

impl Outcome {
    /// Its name in `GET /sandbox/v1/deliveries?outcome=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
        }
    }
}

impl DeliveryFilter {
    /// Only attempts to this webhook.
    pub fn webhook_id(mut self, id: Uuid) -> Self {
        self.webhook_id = Some(id);
        self
    }

    /// Only attempts of this event.
    pub fn event(mut self, event: Event) -> Self {
        self.event = Some(event);
        self
    }

    /// Only attempts with this outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// Only attempts that started at or after `since`.
    pub fn since(mut self, since: OffsetDateTime) -> Self {
        self.since = Some(since);
        self
    }

    /// The query string pairs that ask `GET /sandbox/v1/deliveries` for this filter.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(id) = self.webhook_id {
            pairs.push(("webhook_id", id.to_string()));
        }
        if let Some(event) = self
            .event
            .and_then(|e| serde_json::to_value(e).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
        {
            pairs.push(("event", event));
        }
        if let Some(outcome) = self.outcome {
            pairs.push(("outcome", outcome.as_str().to_owned()));
        }
        if let Some(since) = self.since.and_then(|s| s.format(&Rfc3339).ok()) {
            pairs.push(("since", since));
        }
        pairs
    }

    fn matches(&self, attempt: &DeliveryAttempt) -> bool {
        let outcome = if attempt.error.is_none() {
            Outcome::Delivered
        } else {
            Outcome::Failed
        };
        self.webhook_id.is_none_or(|id| attempt.webhook_id == id)
            && self.event.is_none_or(|event| attempt.event == event)
            && self.outcome.is_none_or(|wanted| wanted == outcome)
            && self.since.is_none_or(|since| {
                OffsetDateTime::parse(&attempt.started_at, &Rfc3339).is_ok_and(|at| at >= since)
            })
    }
}

impl DeliveryLog {
    pub(crate) fn new(
        limit: usize,
        db: Option<Arc<Db>>,
        loaded: Vec<(String, DeliveryAttempt)>,
    ) -> DeliveryLog {
        let limit = limit.max(1);
        let skip = loaded.len().saturating_sub(limit);
        let entries = loaded
            .into_iter()
            .skip(skip)
            .map(|(account, attempt)| (Arc::from(account), attempt))
            .collect();
        DeliveryLog {
            shared: Arc::new(Shared {
                entries: Mutex::new(entries),
                limit,
                db,
            }),
            account: Arc::from(""),
        }
    }

    /// The same log, recording for `account`.
    pub(crate) fn for_account(&self, account: &str) -> DeliveryLog {
        DeliveryLog {
            shared: Arc::clone(&self.shared),
            account: Arc::from(account),
        }
    }

    /// Every attempt kept, of every account, in the order they ended.
    pub fn attempts(&self) -> Vec<DeliveryAttempt> {
        self.entries(|entries| entries.iter().map(|(_, a)| a.clone()).collect())
    }

    /// The attempts of `account` that `filter` matches, oldest first, `limit` of them after
    /// skipping `skip`.
    pub fn query(
        &self,
        account: &str,
        filter: &DeliveryFilter,
        skip: usize,
        limit: usize,
    ) -> Vec<DeliveryAttempt> {
        self.entries(|entries| {
            entries
                .iter()
                .filter(|(owner, attempt)| &**owner == account && filter.matches(attempt))
                .skip(skip)
                .take(limit)
                .map(|(_, attempt)| attempt.clone())
                .collect()
        })
    }

    fn entries<T: Default>(
        &self,
        read: impl FnOnce(&VecDeque<(Arc<str>, DeliveryAttempt)>) -> T,
    ) -> T {
        self.shared
            .entries
            .lock()
            .map(|entries| read(&entries))
            .unwrap_or_default()
    }

    /// Keeps `attempt` for this log's account, dropping the oldest beyond the limit; with
    /// state on, queues it for the store under the same lock, so the file keeps this order.
    pub(crate) fn record(&self, attempt: DeliveryAttempt) {
        let Ok(mut entries) = self.shared.entries.lock() else {
            return;
        };
        if let Some(db) = &self.shared.db {
            let (account, logged, keep) =
                (self.account.to_string(), attempt.clone(), self.shared.limit);
            db.submit(move |conn| {
                if let Err(err) = sqlite::log_delivery(conn, &account, &logged, keep) {
                    tracing::warn!(error = %err, "could not store a delivery attempt");
                }
            });
        }
        entries.push_back((Arc::clone(&self.account), attempt));
        while entries.len() > self.shared.limit {
            entries.pop_front();
        }
    }
}
