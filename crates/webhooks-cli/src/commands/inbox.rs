//! `mm-webhooks inbox`: what `listen --inbox` stored, and what became of it.

use webhooks_callbacks::Verifier;
use webhooks_callbacks::inbox::{Entry, EntryId, Inbox, ListFilter, Replay};

use crate::cli::{InboxCommand, InboxListArgs, InboxLocation, InboxReplayArgs, Store};
use crate::event_view;
use crate::failure::{Failure, Outcome};
use crate::output::{self, Style};

/// Runs an `inbox` command.
pub async fn run(command: InboxCommand) -> Outcome {
    match command {
        InboxCommand::List(args) => list(args).await,
        InboxCommand::Show { id, location } => show(EntryId(id), location).await,
        InboxCommand::Replay(args) => replay(args).await,
        InboxCommand::Purge { location } => {
            let purged = open(&location).await?.purge().await.map_err(failed)?;
            if location.json {
                output::print_json(&serde_json::json!({ "purged": purged }));
            } else {
                output::print_line(&format!(
                    "purged {purged} callback(s) past the retention window"
                ));
            }
            Ok(())
        }
        InboxCommand::Stats { location } => {
            let stats = open(&location).await?.stats().await.map_err(failed)?;
            if location.json {
                output::print_json(&stats);
            } else {
                let oldest = stats
                    .oldest_age_secs
                    .map_or_else(|| "-".to_owned(), |secs| format!("{secs} s"));
                output::print_line(&format!(
                    "depth {} (leased {}), oldest {oldest}, done {}, dead {}, attempts {}, duplicates {}",
                    stats.depth,
                    stats.leased,
                    stats.done,
                    stats.dead,
                    stats.attempts,
                    stats.duplicates
                ));
            }
            Ok(())
        }
    }
}

/// The inbox, opened for its operations: it receives nothing, so it needs no keys.
async fn open(location: &InboxLocation) -> Result<Inbox, Failure> {
    let store = location.store();
    if let Store::Sqlite(path) = &store
        && !path.exists()
    {
        return Err(Failure::Failed(format!(
            "{store}: no such inbox (start `mm-webhooks listen {}` first)",
            store.option()
        )));
    }
    store
        .builder()
        .verifier(Verifier::new())
        .open()
        .await
        .map_err(|err| Failure::Failed(format!("{store}: {err}")))
}

fn failed(err: impl std::fmt::Display) -> Failure {
    Failure::Failed(err.to_string())
}

async fn list(args: InboxListArgs) -> Outcome {
    let inbox = open(&args.location).await?;
    let mut filter = ListFilter::new().limit(args.limit as usize);
    if let Some(state) = args.state {
        filter = filter.state(state);
    }
    if let Some(before) = args.before {
        filter = filter.before(EntryId(before));
    }
    let entries = inbox.list(filter).await.map_err(failed)?;
    if args.location.json {
        output::print_json(&entries);
        return Ok(());
    }
    let style = Style::stdout();
    output::print_line(&style.bold(&format!(
        "{:>6}  {:<24}  {:<15}  {:<7}  {:>3}  {:>3}  SUMMARY",
        "ID", "RECEIVED", "KIND", "STATE", "TRY", "DUP"
    )));
    for entry in &entries {
        output::print_line(&format!(
            "{:>6}  {:<24}  {:<15}  {:<7}  {:>3}  {:>3}  {}",
            entry.id,
            event_view::timestamp(entry.received_at),
            entry.kind,
            entry.state,
            entry.attempts,
            entry.duplicates,
            summary(entry)
        ));
    }
    Ok(())
}

/// The typed event's one-line summary, or the dedup key of a body it does not read.
fn summary(entry: &Entry) -> String {
    webhooks_callbacks::Callback::parse(entry.content_type(), &entry.body).map_or_else(
        |_| entry.dedup_key.clone(),
        |callback| event_view::summary(&callback),
    )
}

async fn show(id: EntryId, location: InboxLocation) -> Outcome {
    let inbox = open(&location).await?;
    let Some(entry) = inbox.get(id).await.map_err(failed)? else {
        return Err(Failure::Failed(format!(
            "no callback #{id} in {}",
            location.store()
        )));
    };
    if location.json {
        output::print_json(&entry);
        return Ok(());
    }
    let style = Style::stdout();
    let mut lines = vec![
        format!(
            "{} #{} {} ({})",
            style.bold("callback"),
            entry.id,
            entry.kind,
            entry.state
        ),
        format!("received    {}", event_view::timestamp(entry.received_at)),
        format!("request     {} {}", entry.method, entry.target),
        format!("dedup key   {}", entry.dedup_key),
        format!(
            "signed by   {} ({})",
            entry.key_id.as_deref().unwrap_or("-"),
            entry.digest.map_or("-", |digest| digest.as_str())
        ),
        format!(
            "attempts    {} (duplicates absorbed: {})",
            entry.attempts, entry.duplicates
        ),
    ];
    if let Some(at) = entry.next_attempt_at {
        lines.push(format!("next        {}", event_view::timestamp(at)));
    }
    if let Some(error) = &entry.last_error {
        lines.push(format!("last error  {error}"));
    }
    lines.push(String::new());
    for (name, value) in &entry.headers {
        lines.push(format!("{name}: {value}"));
    }
    lines.push(String::new());
    lines.push(String::from_utf8_lossy(&entry.body).into_owned());
    output::print_line(&lines.join("\n"));
    Ok(())
}

async fn replay(args: InboxReplayArgs) -> Outcome {
    let inbox = open(&args.location).await?;
    let which = match (args.id, args.dead, args.since) {
        (Some(id), ..) => Replay::Id(EntryId(id)),
        (None, true, _) => Replay::Dead,
        (None, false, Some(since)) => Replay::Since(since),
        (None, false, None) => {
            return Err(Failure::Usage("give an id, --dead or --since".to_owned()));
        }
    };
    let replayed = inbox.replay(which.clone()).await.map_err(failed)?;
    if args.location.json {
        output::print_json(&serde_json::json!({ "replayed": replayed }));
    } else {
        output::print_line(&format!(
            "replayed {replayed} callback(s): `listen {}` hands them to the handler again",
            args.location.store().option()
        ));
    }
    if replayed == 0 && matches!(which, Replay::Id(_)) {
        return Err(Failure::Failed(
            "nothing replayed: no done or dead callback has that id".to_owned(),
        ));
    }
    Ok(())
}
