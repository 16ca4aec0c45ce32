//! `mm-webhooks webhooks list|get|create|update|delete`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures::{StreamExt, pin_mut};
use webhooks_ergonomic::{Client, Event, Open};

use crate::api;
use crate::cli::{CreateArgs, DeleteArgs, GetArgs, ListArgs, UpdateArgs, WebhooksCommand};
use crate::confirm;
use crate::failure::{Failure, Outcome};
use crate::findings;
use crate::input::read_template;
use crate::output::{self, Format, Style, WebhookJson};

/// How often `list --all` may redraw its progress line.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Runs a `webhooks` subcommand.
pub async fn run(client: &Client, command: WebhooksCommand) -> Outcome {
    match command {
        WebhooksCommand::List(args) => list(client, args).await,
        WebhooksCommand::Get(args) => get(client, args).await,
        WebhooksCommand::Create(args) => create(client, args).await,
        WebhooksCommand::Update(args) => update(client, args).await,
        WebhooksCommand::Delete(args) => delete(client, args).await,
    }
}

async fn list(client: &Client, args: ListArgs) -> Outcome {
    let format = Format::from(args.output);
    if !args.all {
        let webhooks = api::list_page(client, args.page, args.page_size).await?;
        output::print_webhooks(&webhooks, format);
        return Ok(());
    }
    let mut progress = Progress::on_terminal();
    let mut collected = Vec::new();
    let stream = api::all_webhooks(client);
    pin_mut!(stream);
    while let Some(webhook) = stream.next().await {
        let webhook = webhook.inspect_err(|_| progress.finish())?;
        progress.count();
        if format == Format::JsonLines {
            output::print_json(&WebhookJson::from(&webhook));
        } else {
            collected.push(webhook);
        }
    }
    progress.finish();
    if format != Format::JsonLines {
        output::print_webhooks(&collected, format);
    }
    Ok(())
}

/// The API has no get-by-id: read pages until one holds the id.
async fn get(client: &Client, args: GetArgs) -> Outcome {
    let stream = api::all_webhooks(client);
    pin_mut!(stream);
    let mut scanned = 0usize;
    while let Some(webhook) = stream.next().await {
        let webhook = webhook?;
        if webhook.id == args.id {
            output::print_webhook(&webhook, Format::from(args.output));
            return Ok(());
        }
        scanned += 1;
    }
    Err(Failure::Failed(format!(
        "no webhook {} (looked through all {scanned} webhooks of the account)",
        args.id
    )))
}

async fn create(client: &Client, args: CreateArgs) -> Outcome {
    let template = args
        .template
        .template
        .as_deref()
        .map(read_template)
        .transpose()?;
    warn_unknown_events(&args.events);
    let request = api::create_request(client, &args, template);
    report_findings(&args.template.template, &api::create_findings(&request));
    let webhook = api::create(request).await?;
    output::print_webhook(&webhook, Format::from(args.output));
    Ok(())
}

async fn update(client: &Client, args: UpdateArgs) -> Outcome {
    let template = args
        .template
        .template
        .as_deref()
        .map(read_template)
        .transpose()?;
    warn_unknown_events(&args.events);
    let request = api::update_request(client, &args, template);
    report_findings(&args.template.template, &api::update_findings(&request));
    let webhook = api::update(request).await?;
    output::print_webhook(&webhook, Format::from(args.output));
    Ok(())
}

/// An event name this version does not know goes to the API as written; say so, since a typo
/// has the same shape as a new event.
fn warn_unknown_events(events: &[Open<Event>]) {
    for event in events {
        if let Open::Unknown(name) = event {
            let known: Vec<&str> = Event::ALL.iter().map(|event| event.as_str()).collect();
            eprintln!(
                "{} {name} is not one of the events this version knows ({}); sending it as written",
                Style::stderr().yellow("warning:"),
                known.join(", ")
            );
        }
    }
}

fn report_findings(
    file: &Option<std::path::PathBuf>,
    found: &[webhooks_ergonomic::callbacks::template::Finding],
) {
    if let Some(file) = file {
        findings::warn(&file.display().to_string(), found);
    }
}

async fn delete(client: &Client, args: DeleteArgs) -> Outcome {
    if !args.yes {
        confirm::ask(&format!("Delete webhook {}?", args.id))?;
    }
    api::delete(client, args.id).await?;
    match Format::from(args.output) {
        Format::Table => output::print_line(&format!("deleted webhook {}", args.id)),
        Format::Json | Format::JsonLines => {
            output::print_json(&serde_json::json!({ "deleted": args.id.to_string() }))
        }
    }
    Ok(())
}

/// A count of webhooks fetched, redrawn on stderr when it is a terminal.
struct Progress {
    shown: bool,
    drawn: bool,
    count: usize,
    last: Option<Instant>,
}

impl Progress {
    fn on_terminal() -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
            drawn: false,
            count: 0,
            last: None,
        }
    }

    fn count(&mut self) {
        self.count += 1;
        if self.shown
            && self
                .last
                .is_none_or(|last| last.elapsed() >= PROGRESS_INTERVAL)
        {
            self.last = Some(Instant::now());
            self.drawn = true;
            eprint!("\rfetched {} webhooks", self.count);
        }
    }

    fn finish(&mut self) {
        if self.drawn {
            eprintln!("\rfetched {} webhooks", self.count);
            self.drawn = false;
        }
    }
}
