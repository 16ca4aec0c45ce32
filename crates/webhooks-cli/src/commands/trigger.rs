//! `mm-webhooks trigger EVENT`: simulates an event in a sandbox, waits for its deliveries, and
//! reports each webhook called with every attempt's outcome.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;
use webhooks_ergonomic::{Event, Open, Webhook};
use webhooks_sandbox::client::{CallError, SandboxClient};
use webhooks_sandbox::store::DeliveryFilter;
use webhooks_sandbox::{DeliveryAttempt, SimulatedEvent};

use crate::cli::{GlobalArgs, TriggerArgs};
use crate::commands::template::event_data;
use crate::failure::{Failure, Outcome};
use crate::output::{self, Style};
use crate::{api, fields, target};

/// How often the delivery log is read while attempts are under way.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The longest one call to the sandbox may take (its client sets no timeout of its own).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Attempts read per page of the delivery log (the sandbox's largest page).
const DELIVERY_PAGE_SIZE: u32 = 1000;

/// The most pages of attempts read in one look. The sandbox keeps 10,000 attempts by default
/// (`--delivery-log-limit`), ten pages; a server still answering full pages after this many
/// is not ending its listing, and the command stops rather than read forever.
const MAX_DELIVERY_PAGES: u32 = 100;

/// One called webhook and its attempts so far, oldest first.
#[derive(Debug, Serialize)]
struct Called {
    id: String,
    url: String,
    outcome: Progress,
    #[serde(serialize_with = "attempts_json")]
    attempts: Vec<DeliveryAttempt>,
    #[serde(skip)]
    retries: u32,
}

/// Attempts as `--json` prints them: every field always present (`null` when unset).
fn attempts_json<S: serde::Serializer>(
    attempts: &[DeliveryAttempt],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(attempts.iter().map(|attempt| {
        serde_json::json!({
            "attempt": attempt.attempt,
            "status": attempt.status,
            "error": attempt.error,
            "started_at": attempt.started_at,
            "finished_at": attempt.finished_at,
        })
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Progress {
    Delivered,
    Failed,
    Pending,
}

/// Runs `trigger`.
pub async fn run(global: &GlobalArgs, args: TriggerArgs) -> Outcome {
    let data = fields::parse(&args.fields)?;
    // The sandbox would refuse these fields with a 400; refuse them before any I/O.
    event_data(target::account(global), args.event, &data)?;
    let sandbox = target::sandbox_client(global)?;
    let client = target::connect(global)?;
    let mut called = subscribed(&client, args.event).await?;
    let since = OffsetDateTime::now_utc();
    let event = SimulatedEvent {
        account: None,
        event: args.event,
        data,
    };
    let triggered = call(sandbox.trigger(&event)).await?;
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    let filter = DeliveryFilter::default().event(args.event).since(since);
    loop {
        let attempts = deliveries(&sandbox, &filter).await?;
        settle(&mut called, attempts);
        let finished = called.values().all(|c| c.outcome != Progress::Pending);
        if finished || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let called: Vec<Called> = called.into_values().collect();
    report(args.event, &triggered.account, &called, args.json);
    let undelivered = called
        .iter()
        .filter(|c| c.outcome != Progress::Delivered)
        .count();
    match undelivered {
        0 => Ok(()),
        count => Err(Failure::Failed(format!(
            "{count} of {} webhooks did not get the callback{}",
            called.len(),
            if called.iter().any(|c| c.outcome == Progress::Pending) {
                " (pending ones may still be retried: --wait longer to see them)"
            } else {
                ""
            }
        ))),
    }
}

/// The account's webhooks subscribed to `event`, by id: the ones the sandbox will call.
async fn subscribed(
    client: &webhooks_ergonomic::Client,
    event: Event,
) -> Result<BTreeMap<Uuid, Called>, Failure> {
    let webhooks: Vec<Webhook> = api::all_webhooks(client).try_collect().await?;
    Ok(webhooks
        .into_iter()
        .filter(|webhook| webhook.events.contains(&Open::Known(event)))
        .map(|webhook| {
            let id = Uuid::from(webhook.id);
            let called = Called {
                id: id.to_string(),
                url: webhook.url,
                outcome: Progress::Pending,
                attempts: Vec::new(),
                retries: webhook.retries,
            };
            (id, called)
        })
        .collect())
}

/// Every attempt the filter matches, page after page.
async fn deliveries(
    sandbox: &SandboxClient,
    filter: &DeliveryFilter,
) -> Result<Vec<DeliveryAttempt>, Failure> {
    let mut all = Vec::new();
    for page in 0..MAX_DELIVERY_PAGES {
        let attempts = call(sandbox.deliveries(filter, page, DELIVERY_PAGE_SIZE)).await?;
        let last = attempts.len() < DELIVERY_PAGE_SIZE as usize;
        all.extend(attempts);
        if last {
            return Ok(all);
        }
    }
    Err(Failure::Failed(format!(
        "the sandbox's delivery log did not end after {MAX_DELIVERY_PAGES} pages of {DELIVERY_PAGE_SIZE} attempts"
    )))
}

/// Files each attempt under its webhook and decides whether the webhook is done: delivered on
/// a 2xx, failed once its last retry failed.
fn settle(called: &mut BTreeMap<Uuid, Called>, attempts: Vec<DeliveryAttempt>) {
    for entry in called.values_mut() {
        entry.attempts.clear();
    }
    for attempt in attempts {
        // A webhook created after the listing was read is still reported, as retry-less.
        let entry = called.entry(attempt.webhook_id).or_insert_with(|| Called {
            id: attempt.webhook_id.to_string(),
            url: attempt.url.clone(),
            outcome: Progress::Pending,
            attempts: Vec::new(),
            retries: 0,
        });
        entry.attempts.push(attempt);
    }
    for entry in called.values_mut() {
        entry.attempts.sort_by_key(|attempt| attempt.attempt);
        entry.outcome = match entry.attempts.last() {
            Some(last) if last.error.is_none() => Progress::Delivered,
            Some(last) if last.attempt > entry.retries => Progress::Failed,
            _ => Progress::Pending,
        };
    }
}

/// A call to the sandbox, bounded in time; its refusals fail the command (exit 1).
async fn call<T>(future: impl Future<Output = Result<T, CallError>>) -> Result<T, Failure> {
    match tokio::time::timeout(CALL_TIMEOUT, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(CallError::Status {
            status,
            message,
            details,
        })) => Err(Failure::Failed(format!(
            "the sandbox answered {status}: {message}{}",
            if details.is_empty() {
                String::new()
            } else {
                format!(" ({})", details.join("; "))
            }
        ))),
        Ok(Err(err)) => Err(Failure::Failed(err.to_string())),
        Err(_) => Err(Failure::Failed(format!(
            "the sandbox did not answer within {}s",
            CALL_TIMEOUT.as_secs()
        ))),
    }
}

fn report(event: Event, account: &str, called: &[Called], json: bool) {
    if json {
        output::print_json(&serde_json::json!({
            "event": event.as_str(),
            "account": account,
            "webhooks": called,
        }));
        return;
    }
    if called.is_empty() {
        output::print_line(&format!(
            "{event} for account {account}: no webhook subscribes to it, nothing was called"
        ));
        return;
    }
    output::print_line(&format!(
        "{event} for account {account}: {} webhook{} called",
        called.len(),
        if called.len() == 1 { "" } else { "s" }
    ));
    output::print_line(&attempt_table(called, Style::stdout()));
}

const COLUMNS: [&str; 4] = ["WEBHOOK", "URL", "ATTEMPT", "OUTCOME"];

/// One row per attempt; a webhook without any yet gets a `pending` row.
fn attempt_table(called: &[Called], style: Style) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    for webhook in called {
        for attempt in &webhook.attempts {
            rows.push([
                webhook.id.clone(),
                webhook.url.clone(),
                attempt.attempt.to_string(),
                outcome(attempt, style),
            ]);
        }
        if webhook.attempts.is_empty() || webhook.outcome == Progress::Pending {
            rows.push([
                webhook.id.clone(),
                webhook.url.clone(),
                "-".to_owned(),
                style.yellow("pending"),
            ]);
        }
    }
    output::table(&COLUMNS, &rows, style)
}

fn outcome(attempt: &DeliveryAttempt, style: Style) -> String {
    let status = attempt.status.map(|status| status.to_string());
    match (&attempt.error, status) {
        (None, Some(status)) => style.green(&format!("delivered ({status})")),
        (None, None) => style.green("delivered"),
        (Some(error), Some(status)) => style.red(&format!("failed ({status}): {error}")),
        (Some(error), None) => style.red(&format!("failed: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: Uuid, number: u32, status: u16, error: Option<&str>) -> DeliveryAttempt {
        DeliveryAttempt {
            webhook_id: id,
            event: Event::ReceivedSms,
            url: "http://127.0.0.1:9/h".to_owned(),
            attempt: number,
            status: Some(status),
            error: error.map(str::to_owned),
            started_at: "2026-11-30T10:00:00Z".to_owned(),
            finished_at: "2026-11-30T10:00:00Z".to_owned(),
        }
    }

    fn waiting(id: Uuid, retries: u32) -> (Uuid, Called) {
        let called = Called {
            id: id.to_string(),
            url: "http://127.0.0.1:9/h".to_owned(),
            outcome: Progress::Pending,
            attempts: Vec::new(),
            retries,
        };
        (id, called)
    }

    #[test]
    fn a_failed_attempt_is_final_only_when_no_retry_is_left() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut called: BTreeMap<Uuid, Called> = [waiting(a, 1), waiting(b, 0)].into();
        settle(
            &mut called,
            vec![
                attempt(a, 1, 500, Some("status 500")),
                attempt(b, 1, 500, Some("status 500")),
            ],
        );
        assert_eq!(called[&a].outcome, Progress::Pending, "one retry left");
        assert_eq!(called[&b].outcome, Progress::Failed);
        settle(
            &mut called,
            vec![
                attempt(a, 2, 200, None),
                attempt(a, 1, 500, Some("status 500")),
                attempt(b, 1, 500, Some("status 500")),
            ],
        );
        assert_eq!(called[&a].outcome, Progress::Delivered);
        let numbers: Vec<u32> = called[&a].attempts.iter().map(|a| a.attempt).collect();
        assert_eq!(numbers, [1, 2], "oldest first, each once");
    }

    #[test]
    fn a_webhook_without_attempts_shows_as_pending() {
        let id = Uuid::new_v4();
        let called: BTreeMap<Uuid, Called> = [waiting(id, 0)].into();
        let called: Vec<Called> = called.into_values().collect();
        let table = attempt_table(&called, Style::plain());
        let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
        assert_eq!(
            row,
            [
                id.to_string().as_str(),
                "http://127.0.0.1:9/h",
                "-",
                "pending"
            ]
        );
    }
}
