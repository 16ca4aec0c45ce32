//! `mm-webhooks template lint|render`.

use std::io::Write;

use serde_json::{Map, Value};
use webhooks_ergonomic::callbacks::template::{
    EventData, Finding, Template, default_template, lint,
};
use webhooks_ergonomic::{Encoding, Event};

use crate::cli::{LintArgs, RenderArgs, TemplateCommand};
use crate::failure::{Failure, Outcome};
use crate::fields;
use crate::findings::{self, FindingJson};
use crate::input::read_template;
use crate::output::{self, Style};

/// The account rendered into `$accountId` when neither `--account` nor an `account_id` field
/// says otherwise (the API reference's own example).
const SAMPLE_ACCOUNT: &str = "DeveloperPortal7000";

/// Runs a `template` subcommand; `account` is the global `--account`.
pub fn run(command: TemplateCommand, account: Option<&str>) -> Outcome {
    match command {
        TemplateCommand::Lint(args) => lint_file(args),
        TemplateCommand::Render(args) => render_file(args, account),
    }
}

fn lint_file(args: LintArgs) -> Outcome {
    let source = read_template(&args.file)?;
    let found = lint_source(&source, &args.events, args.encoding);
    if args.json {
        output::print_json(&found.iter().map(FindingJson::from).collect::<Vec<_>>());
    } else {
        let file = args.file.display().to_string();
        for line in findings::describe(&file, &found, Style::stdout()) {
            output::print_line(&line);
        }
    }
    match found.len() {
        0 => Ok(()),
        count => Err(Failure::Failed(format!(
            "{count} finding{} in {}",
            if count == 1 { "" } else { "s" },
            args.file.display()
        ))),
    }
}

fn render_file(args: RenderArgs, account: Option<&str>) -> Outcome {
    let fields = fields::parse(&args.fields)?;
    let data = event_data(account.unwrap_or(SAMPLE_ACCOUNT), args.event, &fields)?;
    let body = match &args.file {
        Some(file) => {
            let source = read_template(file)?;
            let template = Template::parse(&source).map_err(|err| {
                Failure::Failed(format!(
                    "{}:{}:{}: syntax: {}",
                    file.display(),
                    err.line(),
                    err.column(),
                    err.message()
                ))
            })?;
            template.render(&data).map_err(|err| {
                Failure::Failed(format!(
                    "{}:{}:{}: render: {}",
                    file.display(),
                    err.line(),
                    err.column(),
                    err.kind()
                ))
            })?
        }
        None => default_template(args.event, args.encoding)
            .render(&data)
            .map_err(|err| Failure::Failed(format!("the default template: render: {err}")))?,
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(body.as_bytes());
    let _ = out.flush();
    Ok(())
}

/// The library's lint.
fn lint_source(source: &str, events: &[Event], encoding: Encoding) -> Vec<Finding> {
    lint(source, events, encoding)
}

/// Sample data for the event, with the fields given.
pub fn event_data(
    account: &str,
    event: Event,
    fields: &Map<String, Value>,
) -> Result<EventData, Failure> {
    EventData::from_fields(account, event, fields)
        .map_err(|err| Failure::Failed(format!("invalid --field {err}")))
}
