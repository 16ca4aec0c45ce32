//! Fault injection: the next N requests of an operation (and account) answer a chosen status
//! (with `Retry-After`), wait first, or lose their connection, so users test their own retry
//! and error handling against the emulator.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

/// The most requests one fault may apply to, and the longest delay it may add: enough for any
/// retry test, and a typo cannot wedge the sandbox for hours.
pub const MAX_FAULT_TIMES: u32 = 10_000;
/// See [`MAX_FAULT_TIMES`].
pub const MAX_FAULT_DELAY_MS: u64 = 60_000;

/// The requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/webhooks/messages`.
    Create,
    /// `GET /v1/webhooks/messages`.
    List,
    /// `PATCH /v1/webhooks/messages/{id}`.
    Update,
    /// `DELETE /v1/webhooks/messages/{id}`.
    Delete,
    /// `POST /sandbox/v1/events`.
    Events,
    /// `GET /sandbox/v1/deliveries`.
    Deliveries,
    /// Any of the seven operations under `/v1/iam/signature_keys` (a 403 fault emulates an
    /// account without the secure-callbacks feature).
    SignatureKeys,
    /// Every operation above.
    Any,
}

impl Operation {
    /// The operation of a request, from its method and path; `None` for the fault endpoints
    /// themselves and anything unknown.
    pub fn of(method: &Method, path: &str) -> Option<Operation> {
        let path = path.trim_end_matches('/');
        let item = path
            .strip_prefix("/v1/webhooks/messages/")
            .is_some_and(|id| !id.contains('/'));
        match (method.as_str(), path) {
            ("POST", "/v1/webhooks/messages") => Some(Operation::Create),
            ("GET", "/v1/webhooks/messages") => Some(Operation::List),
            ("PATCH", _) if item => Some(Operation::Update),
            ("DELETE", _) if item => Some(Operation::Delete),
            ("POST", "/sandbox/v1/events") => Some(Operation::Events),
            ("GET", "/sandbox/v1/deliveries") => Some(Operation::Deliveries),
            _ if path == "/v1/iam/signature_keys"
                || path.starts_with("/v1/iam/signature_keys/") =>
            {
                Some(Operation::SignatureKeys)
            }
            _ => None,
        }
    }

    fn covers(self, request: Operation) -> bool {
        self == Operation::Any || self == request
    }
}

/// A fault: what the next `times` matching requests get instead of (or before) their answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Fault {
    /// The requests it applies to.
    pub operation: Operation,
    /// Only requests acting for this account; `None` for every account. Through
    /// `POST /sandbox/v1/faults` it is always the caller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// How many requests it applies to (1 to [`MAX_FAULT_TIMES`]).
    pub times: u32,
    /// Answer this status (400 to 599) with an error body instead of handling the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// With `status`: a `Retry-After` header, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// Wait this long (up to [`MAX_FAULT_DELAY_MS`]) before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without an answer (after any delay).
    #[serde(default)]
    pub drop_connection: bool,
}

impl Fault {
    /// A fault of the next `times` requests of `operation` that does nothing yet: add a
    /// status, a delay or a dropped connection.
    pub fn new(operation: Operation, times: u32) -> Fault {
        Fault {
            operation,
            account: None,
            times,
            status: None,
            retry_after: None,
            delay_ms: None,
            drop_connection: false,
        }
    }

    /// Only for requests acting for `account`.
    pub fn account(mut self, account: impl Into<String>) -> Fault {
        self.account = Some(account.into());
        self
    }

    /// Answer `status`, with `Retry-After: retry_after` seconds when given.
    pub fn status(mut self, status: u16, retry_after: Option<u32>) -> Fault {
        self.status = Some(status);
        self.retry_after = retry_after;
        self
    }

    /// Wait `delay` before answering.
    pub fn delay(mut self, delay: Duration) -> Fault {
        self.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Close the connection without answering. The sandbox does it by unwinding the
    /// connection's task, so it needs the default `panic = "unwind"` (under `panic = "abort"`
    /// the process would stop).
    pub fn drop_connection(mut self) -> Fault {
        self.drop_connection = true;
        self
    }

    /// What is wrong with it, as API error details.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=MAX_FAULT_TIMES).contains(&self.times) {
            problems.push(format!("/times: must be between 1 and {MAX_FAULT_TIMES}"));
        }
        if self.status.is_some_and(|s| !(400..=599).contains(&s)) {
            problems.push("/status: must be between 400 and 599".to_owned());
        }
        if self.retry_after.is_some() && self.status.is_none() {
            problems.push("/retry_after: needs a status".to_owned());
        }
        if self.delay_ms.is_some_and(|ms| ms > MAX_FAULT_DELAY_MS) {
            problems.push(format!("/delay_ms: must be at most {MAX_FAULT_DELAY_MS}"));
        }
        if self.status.is_none() && self.delay_ms.is_none() && !self.drop_connection {
            problems.push("/: give a status, a delay_ms or drop_connection".to_owned());
        }
        if self.status.is_some() && self.drop_connection {
            problems.push("/drop_connection: cannot also answer a status".to_owned());
        }
        problems
    }
}

/// The faults waiting for requests, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Faults(Mutex<Vec<Fault>>);

impl Faults {
    pub(crate) fn add(&self, fault: Fault) {
        if let Ok(mut faults) = self.0.lock() {
            faults.push(fault);
        }
    }

    /// Removes the faults of `account` (`None`: every fault).
    pub(crate) fn clear(&self, account: Option<&str>) {
        if let Ok(mut faults) = self.0.lock() {
            faults.retain(|fault| account.is_some_and(|a| fault.account.as_deref() != Some(a)));
        }
    }

    /// The fault the request of `operation` for `account` meets, counted as used.
    pub(crate) fn take(&self, operation: Operation, account: &str) -> Option<Fault> {
        let mut faults = self.0.lock().ok()?;
        let index = faults.iter().position(|fault| {
            fault.operation.covers(operation)
                && fault.account.as_deref().is_none_or(|a| a == account)
        })?;
        let fault = faults[index].clone();
        faults[index].times -= 1;
        if faults[index].times == 0 {
            faults.remove(index);
        }
        Some(fault)
    }
}

/// What a request that met `fault` becomes: it waits, then answers the fault's status, loses
/// its connection, or (delay only) goes on to its handler (`Ok`).
pub(crate) async fn apply(fault: Fault) -> Result<(), StatusCode> {
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.drop_connection {
        // Unwinding the connection's task closes its socket with no answer, which is the
        // fault asked for; `resume_unwind` skips the panic hook, so nothing is printed.
        std::panic::resume_unwind(Box::new("injected fault: connection dropped"));
    }
    match fault.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => Err(status),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_applies_to_its_operation_and_account_as_many_times_as_asked() {
        let faults = Faults::default();
        faults.add(
            Fault::new(Operation::Create, 2)
                .account("a")
                .status(503, None),
        );
        assert!(faults.take(Operation::List, "a").is_none());
        assert!(faults.take(Operation::Create, "b").is_none());
        assert!(faults.take(Operation::Create, "a").is_some());
        assert!(faults.take(Operation::Create, "a").is_some());
        assert!(faults.take(Operation::Create, "a").is_none(), "used up");
    }

    #[test]
    fn operations_are_read_from_method_and_path() {
        let id = "/v1/webhooks/messages/0b0b0b0b-0000-0000-0000-000000000000";
        assert_eq!(Operation::of(&Method::PATCH, id), Some(Operation::Update));
        assert_eq!(
            Operation::of(&Method::GET, "/v1/webhooks/messages/"),
            Some(Operation::List)
        );
        assert_eq!(Operation::of(&Method::POST, "/sandbox/v1/faults"), None);
        assert_eq!(
            Operation::of(&Method::PATCH, "/v1/iam/signature_keys/enabled"),
            Some(Operation::SignatureKeys)
        );
    }

    #[test]
    fn a_fault_that_does_nothing_or_too_much_is_refused() {
        assert!(!Fault::new(Operation::Any, 1).problems().is_empty());
        assert!(
            !Fault::new(Operation::Any, 0)
                .status(503, None)
                .problems()
                .is_empty()
        );
        assert!(
            !Fault::new(Operation::Any, 1)
                .status(200, None)
                .problems()
                .is_empty()
        );
        assert!(
            Fault::new(Operation::Any, 1)
                .status(429, Some(2))
                .problems()
                .is_empty()
        );
    }
}
