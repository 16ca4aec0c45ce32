//! `mm-webhooks keys list|get|create|enable|enabled|disable|delete`.

use futures::TryStreamExt;
use serde::Serialize;
use webhooks_ergonomic::Client;
use webhooks_ergonomic::signature_keys::SignatureKey;

use crate::cli::{KeyIdArgs, KeysCommand, KeysCreateArgs, KeysDeleteArgs, KeysListArgs};
use crate::confirm;
use crate::failure::Outcome;
use crate::output::{self, Format, Style};

/// Runs a `keys` subcommand.
pub async fn run(client: &Client, command: KeysCommand) -> Outcome {
    let keys = client.signature_keys();
    match command {
        KeysCommand::List(args) => list(client, args).await,
        KeysCommand::Get(args) => {
            let key = keys.get(args.id).send().await?;
            print_keys(&[key], Format::from(args.output), false);
            Ok(())
        }
        KeysCommand::Create(args) => create(client, args).await,
        KeysCommand::Enable(args) => enable(client, args).await,
        KeysCommand::Enabled(args) => {
            let enabled = keys.enabled().send().await?;
            match (enabled, Format::from(args.output)) {
                (Some(key), format) => print_keys(&[key], format, false),
                (None, Format::Table) => {
                    output::print_line("no key is enabled: callbacks are unsigned")
                }
                (None, _) => output::print_json(&serde_json::Value::Null),
            }
            Ok(())
        }
        KeysCommand::Disable(args) => {
            keys.disable().send().await?;
            done(Format::from(args.output), "disabled", None);
            Ok(())
        }
        KeysCommand::Delete(args) => delete(client, args).await,
    }
}

async fn list(client: &Client, args: KeysListArgs) -> Outcome {
    let format = Format::from(args.output);
    let keys: Vec<SignatureKey> = if args.all {
        client.signature_keys().list_all().try_collect().await?
    } else {
        let page = client
            .signature_keys()
            .list()
            .page(args.page)
            .page_size(args.page_size)
            .send()
            .await?;
        page.items
    };
    match format {
        Format::Json => output::print_json(&keys.iter().map(KeyJson::from).collect::<Vec<_>>()),
        _ => print_keys(&keys, format, false),
    }
    Ok(())
}

async fn create(client: &Client, args: KeysCreateArgs) -> Outcome {
    let key = client
        .signature_keys()
        .create()
        .digest(args.digest)
        .send()
        .await?;
    print_keys(&[key], Format::from(args.output), true);
    Ok(())
}

async fn enable(client: &Client, args: KeyIdArgs) -> Outcome {
    let key = client.signature_keys().enable(args.id).send().await?;
    match Format::from(args.output) {
        Format::Table => output::print_line(&format!(
            "enabled key {}: callbacks are signed with it from now on",
            key.id
        )),
        format => print_keys(&[key], format, false),
    }
    Ok(())
}

async fn delete(client: &Client, args: KeysDeleteArgs) -> Outcome {
    if !args.yes {
        confirm::ask(&format!("Delete signature key {}?", args.id))?;
    }
    client.signature_keys().delete(args.id).send().await?;
    done(
        Format::from(args.output),
        "deleted",
        Some(&args.id.to_string()),
    );
    Ok(())
}

/// Confirms a command without a key to show: a sentence, or `{"<what>": id-or-true}`.
fn done(format: Format, what: &str, id: Option<&str>) {
    match format {
        Format::Table => output::print_line(&match id {
            Some(id) => format!("{what} key {id}"),
            None => format!("{what} the enabled key: callbacks are unsigned from now on"),
        }),
        Format::Json | Format::JsonLines => {
            let value = id.map_or(serde_json::Value::Bool(true), serde_json::Value::from);
            output::print_json(&serde_json::json!({ what: value }));
        }
    }
}

/// Keys as a table (with the public key below it when `with_public_key` and the key carries
/// one), one JSON object for a single key, or one per line.
fn print_keys(keys: &[SignatureKey], format: Format, with_public_key: bool) {
    match format {
        Format::Table => {
            output::print_line(&key_table(keys, Style::stdout()));
            if with_public_key {
                for key in keys {
                    if let Some(public_key) = &key.public_key {
                        output::print_line(&format!(
                            "public key of {} (shown only now; `listen` fetches it by itself):\n{public_key}",
                            key.id
                        ));
                    }
                }
            }
        }
        Format::Json if keys.len() == 1 => output::print_json(&KeyJson::from(&keys[0])),
        Format::Json => output::print_json(&keys.iter().map(KeyJson::from).collect::<Vec<_>>()),
        Format::JsonLines => keys
            .iter()
            .for_each(|key| output::print_json(&KeyJson::from(key))),
    }
}

/// A key as `--json` prints it: every field always present (`null` when unset), names as the
/// Signature Key API spells them.
#[derive(Debug, Serialize)]
struct KeyJson<'a> {
    key_id: String,
    public_key: Option<&'a str>,
    cipher: String,
    digest: String,
    created: &'a str,
    enabled: bool,
}

impl<'a> From<&'a SignatureKey> for KeyJson<'a> {
    fn from(key: &'a SignatureKey) -> Self {
        KeyJson {
            key_id: key.id.to_string(),
            public_key: key.public_key.as_deref(),
            cipher: key.cipher.to_string(),
            digest: key.digest.to_string(),
            created: key.created.as_str(),
            enabled: key.enabled,
        }
    }
}

const COLUMNS: [&str; 5] = ["ID", "CIPHER", "DIGEST", "CREATED", "ENABLED"];

fn key_table(keys: &[SignatureKey], style: Style) -> String {
    let rows: Vec<[String; 5]> = keys
        .iter()
        .map(|key| {
            [
                key.id.to_string(),
                key.cipher.to_string(),
                key.digest.to_string(),
                key.created.to_string(),
                if key.enabled {
                    style.green("yes")
                } else {
                    "no".to_owned()
                },
            ]
        })
        .collect();
    output::table(&COLUMNS, &rows, style)
}
