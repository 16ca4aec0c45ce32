//! When and how long to wait before trying a request again.

use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::error::Error;

/// The retry policy of a [`Client`](crate::Client).
///
/// By default a request is tried up to 3 times when it fails with 429, 502, 503, 504, a
/// timeout or a connection error, waiting an exponential backoff with full jitter (a random
/// delay between zero and `base_delay * 2^retry`, capped at `max_delay`) or, when the server
/// sent `Retry-After`, that long (capped at `max_retry_after`).
///
/// **Creates are not retried by default.** A create whose first attempt reached the server but
/// whose answer was lost would come back as 409 Conflict on the retry. Opt in with
/// [`RetryPolicy::retry_creates`] when you handle that (for example by treating 409 as done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    retry_creates: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            retry_creates: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry: every request is tried once.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Try each request at most `attempts` times in all (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff's base and cap. `Duration::ZERO` for both makes retries immediate (tests).
    pub fn backoff(mut self, base: Duration, max: Duration) -> RetryPolicy {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// The longest `Retry-After` honoured; longer requests are shortened to this.
    pub fn max_retry_after(mut self, max: Duration) -> RetryPolicy {
        self.max_retry_after = max;
        self
    }

    /// Also retry creates (POST). See the type's docs for why this is off by default.
    pub fn retry_creates(mut self, yes: bool) -> RetryPolicy {
        self.retry_creates = yes;
        self
    }

    /// The attempts allowed in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long to wait before attempt `attempt + 1` after `error` on a request with `method`,
    /// or `None` when it must not be retried.
    pub(crate) fn delay(
        &self,
        method: &http::Method,
        attempt: u32,
        error: &Error,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        if method == http::Method::POST && !self.retry_creates {
            return None;
        }
        if let Error::RateLimited {
            retry_after: Some(wait),
            ..
        } = error
        {
            return Some((*wait).min(self.max_retry_after));
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        if ceiling.is_zero() {
            return Some(Duration::ZERO);
        }
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Some(Duration::from_millis(
            rand::thread_rng().gen_range(0..=millis),
        ))
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> Error {
        Error::Server {
            status: 503,
            message: String::new(),
            details: Vec::new(),
        }
    }

    #[test]
    fn retries_idempotent_methods_on_retryable_errors_up_to_the_limit() {
        let policy = RetryPolicy::default().backoff(Duration::ZERO, Duration::ZERO);
        assert_eq!(
            policy.delay(&http::Method::GET, 1, &unavailable()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            policy.delay(&http::Method::DELETE, 2, &unavailable()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            policy.delay(&http::Method::PATCH, 3, &unavailable()),
            None,
            "3 attempts in all"
        );
        assert_eq!(
            policy.delay(
                &http::Method::GET,
                1,
                &Error::NotFound {
                    message: String::new(),
                    details: Vec::new(),
                }
            ),
            None
        );
    }

    #[test]
    fn creates_are_retried_only_when_asked() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(&http::Method::POST, 1, &unavailable()), None);
        assert!(
            policy
                .retry_creates(true)
                .delay(&http::Method::POST, 1, &unavailable())
                .is_some()
        );
        assert_eq!(
            RetryPolicy::none().delay(&http::Method::GET, 1, &unavailable()),
            None
        );
    }

    #[test]
    fn backoff_is_jittered_within_the_capped_exponential_ceiling() {
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .backoff(Duration::from_millis(100), Duration::from_millis(300));
        for _ in 0..200 {
            assert!(
                policy.delay(&http::Method::GET, 1, &unavailable()).unwrap()
                    <= Duration::from_millis(100)
            );
            assert!(
                policy.delay(&http::Method::GET, 6, &unavailable()).unwrap()
                    <= Duration::from_millis(300)
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        let limited = |secs| Error::RateLimited {
            retry_after: Some(Duration::from_secs(secs)),
            message: String::new(),
            details: Vec::new(),
        };
        assert_eq!(
            policy.delay(&http::Method::GET, 1, &limited(4)),
            Some(Duration::from_secs(4))
        );
        assert_eq!(
            policy.delay(&http::Method::GET, 1, &limited(3600)),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Fri, 11 Jul 2014 07:16:51 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Fri, 11 Jul 2014 07:17:01 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Fri, 11 Jul 2014 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
