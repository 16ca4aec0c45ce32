//! The command tree: every flag, its help, and the examples `--help` shows.
//!

use std::fmt;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use webhooks_ergonomic::signature_keys::{Digest, SignatureKeyId};
use webhooks_ergonomic::{CallbackMethod, Encoding, Event, Open, WebhookId};
use webhooks_sandbox::cli::{ENDPOINTS_HELP, SandboxArgs};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the API or the library rejected the request (validation, 4xx, 5xx, transport), a
     template has findings (`template lint`, or `--strict`), a lookup found nothing, or a
     triggered callback was not delivered
  2  usage: an unknown flag or a bad value, missing credentials, a base URL that does not
     parse, or a `delete` without `--yes` when stdin is not a terminal

Credentials come from MESSAGEMEDIA_API_KEY and MESSAGEMEDIA_API_SECRET (or --api-key and
--api-secret; prefer the environment: flags show in the process list). The secret is never
printed, not even with -v.";

const TOP_EXAMPLES: &str = "\
Examples:
  export MESSAGEMEDIA_API_KEY=... MESSAGEMEDIA_API_SECRET=...
  mm-webhooks webhooks list
  mm-webhooks --region eu webhooks list --all --jsonl
  mm-webhooks --base-url http://127.0.0.1:8080 webhooks create --url https://example.com/hook --event RECEIVED_SMS
  mm-webhooks template lint reply.vm --event RECEIVED_SMS
  mm-webhooks sandbox --listen 127.0.0.1:8080
  mm-webhooks --base-url http://127.0.0.1:8080 trigger RECEIVED_SMS --field content=Hello
  mm-webhooks listen --port 8787 --public-key KEY_ID=BASE64_DER
  mm-webhooks completions bash > /etc/bash_completion.d/mm-webhooks";

/// mm-webhooks: operate MessageMedia (Sinch Engage) webhooks from a terminal.
#[derive(Debug, Parser)]
#[command(name = "mm-webhooks", version, after_help = format!("{TOP_EXAMPLES}\n\n{EXIT_CODES}"))]
pub struct Cli {
    /// Where to connect and as whom.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Credentials and target, accepted before or after the subcommand.
///
/// The key and secret share their argument ids with the `--api-key`/`--api-secret` pairs of
/// [`SandboxArgs`]: `sandbox` then reads them as the credentials it accepts (the same flags as
/// the `webhooks-sandbox` binary), while clap's global propagation still hands a key and secret
/// from the environment down to it. Both sides therefore hold plain strings.
#[derive(Args)]
pub struct GlobalArgs {
    /// The API key.
    #[arg(
        id = "api_keys",
        long = "api-key",
        value_name = "KEY",
        env = "MESSAGEMEDIA_API_KEY",
        global = true
    )]
    pub api_key: Option<String>,
    /// The API secret (never printed).
    #[arg(
        id = "api_secrets",
        long = "api-secret",
        value_name = "SECRET",
        env = "MESSAGEMEDIA_API_SECRET",
        hide_env_values = true,
        global = true
    )]
    api_secret: Option<String>,
    /// How requests authenticate: HMAC signing (SHA-1, as the vendor's SDKs; or SHA-256) or
    /// HTTP Basic.
    #[arg(
        long,
        value_enum,
        env = "MESSAGEMEDIA_AUTH",
        ignore_case = true,
        global = true
    )]
    pub auth: Option<AuthArg>,
    /// The vendor region to call (default legacy: api.messagemedia.com).
    #[arg(long, value_enum, global = true, conflicts_with = "base_url")]
    pub region: Option<RegionArg>,
    /// Any base URL instead of a region, e.g. a local webhooks-sandbox (also
    /// MESSAGEMEDIA_BASE_URL, used when neither --region nor --base-url is given).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
    /// Act for this sub-account (`Account` header).
    #[arg(long, env = "MESSAGEMEDIA_ACCOUNT", global = true)]
    pub account: Option<String>,
    /// Say more on stderr: -v the target and each operation, -vv HTTP details. Secrets never.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The API secret, wrapped so it cannot be printed by accident.
    pub fn api_secret(&self) -> Option<Secret> {
        self.api_secret.clone().map(Secret)
    }
}

impl fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret().map(|_| Secret(String::new())),
            )
            .field("auth", &self.auth)
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .field("account", &self.account)
            .field("verbose", &self.verbose)
            .finish()
    }
}

/// A secret from a flag or the environment: `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that signs with it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// HMAC-SHA1 request signing (the default; what the vendor's SDKs send).
    Hmac,
    /// HMAC-SHA256 request signing.
    HmacSha256,
    /// HTTP Basic.
    Basic,
}

/// `--region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    /// api.messagemedia.com
    Legacy,
    /// eu.app.api.sinch.com
    Eu,
    /// au.app.api.sinch.com
    Apac,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, create, update and delete webhooks.
    #[command(
        subcommand,
        after_help = "\
Examples:
  mm-webhooks webhooks list
  mm-webhooks webhooks get 76fa7010-8c1f-4a24-917a-4d62a54e744d --json
  mm-webhooks webhooks create --url https://example.com/hook --event RECEIVED_SMS
  mm-webhooks webhooks update 76fa7010-8c1f-4a24-917a-4d62a54e744d --event DELIVERED_DR
  mm-webhooks webhooks delete 76fa7010-8c1f-4a24-917a-4d62a54e744d --yes"
    )]
    Webhooks(WebhooksCommand),
    /// Signature keys: the RSA keys the platform signs callbacks with.
    #[command(
        subcommand,
        after_help = "\
At most one key is enabled; callbacks are signed with it, and unsigned when none is. A new
key's public half is shown once, in the answer to `create`; `listen` fetches keys by id
through the API by itself.

Examples:
  mm-webhooks keys create --digest SHA256
  mm-webhooks keys enable 7ca628a8-08b0-4e42-aeb8-960b37049c31
  mm-webhooks keys enabled
  mm-webhooks keys list --json
  mm-webhooks keys disable
  mm-webhooks keys delete 7ca628a8-08b0-4e42-aeb8-960b37049c31 --yes"
    )]
    Keys(KeysCommand),
    /// Lint a callback template, or render it as a callback would carry it.
    #[command(
        subcommand,
        after_help = "\
Examples:
  mm-webhooks template lint reply.vm --event RECEIVED_SMS
  mm-webhooks template render reply.vm --event RECEIVED_SMS --field content=Hello"
    )]
    Template(TemplateCommand),
    /// Receive callbacks locally: verify their signature, print each as a typed event, and
    /// optionally forward them to your own app.
    #[command(after_help = LISTEN_EXAMPLES)]
    Listen(ListenArgs),
    /// Look at, replay and purge the callbacks `listen --inbox` stored.
    #[command(subcommand, after_help = INBOX_EXAMPLES)]
    Inbox(InboxCommand),
    /// Simulate an event in a sandbox and show which webhooks were called and how each
    /// attempt went.
    #[command(after_help = TRIGGER_EXAMPLES)]
    Trigger(TriggerArgs),
    /// Run the local emulator of the API (the webhooks-sandbox binary's flags).
    #[command(after_help = SANDBOX_EXAMPLES, after_long_help = format!("{SANDBOX_EXAMPLES}\n\n{ENDPOINTS_HELP}"))]
    Sandbox(SandboxArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  mm-webhooks completions bash > ~/.local/share/bash-completion/completions/mm-webhooks\n  mm-webhooks completions zsh > ~/.zfunc/_mm-webhooks\n  mm-webhooks completions fish > ~/.config/fish/completions/mm-webhooks.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `--json` / `--jsonl`.
#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// One JSON document (an array for `list`; an object otherwise), with stable field names.
    #[arg(long, conflicts_with = "jsonl")]
    pub json: bool,
    /// One JSON object per line, written as results arrive.
    #[arg(long)]
    pub jsonl: bool,
}

/// `mm-webhooks webhooks ...`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List webhooks: one page, or every page with --all.
    #[command(after_help = "\
Examples:
  mm-webhooks webhooks list
  mm-webhooks webhooks list --page 2 --page-size 20
  mm-webhooks webhooks list --all --jsonl | jq -r .url

The table and --json print once every page has arrived; --jsonl prints each webhook as it
arrives. With --all, progress goes to stderr when stderr is a terminal.")]
    List(ListArgs),
    /// Show one webhook by id.
    #[command(after_help = "\
The API has no get-by-id operation: this lists pages (100 webhooks each) until it finds the
id, and exits 1 when no page has it.

Examples:
  mm-webhooks webhooks get 76fa7010-8c1f-4a24-917a-4d62a54e744d
  mm-webhooks webhooks get 76fa7010-8c1f-4a24-917a-4d62a54e744d --json")]
    Get(GetArgs),
    /// Create a webhook.
    #[command(after_help = "\
The library's client-side validation runs first: nothing is sent when a value breaks the
API's rules. A --template is linted against the events and encoding; findings are printed
(FILE:LINE:COLUMN) and, with --strict, reject the request.

Examples:
  mm-webhooks webhooks create --url https://example.com/hook --event RECEIVED_SMS,DELIVERED_DR
  mm-webhooks webhooks create --url https://example.com/hook --event RECEIVED_SMS \\
      --method PUT --encoding FORM_ENCODED --header X-Key=abc --retries 3 --retry-delay 30 \\
      --read-timeout 10000 --template reply.vm --strict")]
    Create(CreateArgs),
    /// Update a webhook: only the fields given change.
    #[command(after_help = "\
Examples:
  mm-webhooks webhooks update 76fa7010-8c1f-4a24-917a-4d62a54e744d --url https://example.com/new
  mm-webhooks webhooks update 76fa7010-8c1f-4a24-917a-4d62a54e744d --event DELIVERED_DR --template dr.vm
  mm-webhooks webhooks update 76fa7010-8c1f-4a24-917a-4d62a54e744d --clear-headers

read_timeout, retries and retry_delay cannot be updated (the API takes them on create only).
Without --event and --encoding a template is linted for what holds for every event.")]
    Update(UpdateArgs),
    /// Delete a webhook.
    #[command(after_help = "\
On a terminal, asks for confirmation unless --yes. When stdin is not a terminal (a script, a
pipe, CI) it refuses to delete without --yes and exits 2, so a script never deletes by
accident.

Examples:
  mm-webhooks webhooks delete 76fa7010-8c1f-4a24-917a-4d62a54e744d
  mm-webhooks webhooks delete 76fa7010-8c1f-4a24-917a-4d62a54e744d --yes")]
    Delete(DeleteArgs),
}

/// `webhooks list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Every page, until a short or empty one.
    #[arg(long, conflicts_with = "page")]
    pub all: bool,
    /// The page, from 0.
    #[arg(long, default_value_t = 0)]
    pub page: u32,
    /// Webhooks per page, 1 to 100 (ignored with --all, which reads pages of 100).
    #[arg(long, default_value_t = 100)]
    pub page_size: u32,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `webhooks get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The webhook's id (a UUID).
    pub id: WebhookId,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The template flags of create and update.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The Velocity template of the callback body, read from FILE (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Template findings are errors: print them and send nothing.
    #[arg(long, requires = "template")]
    pub strict: bool,
}

/// `webhooks create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The http or https URL the platform calls.
    #[arg(long)]
    pub url: String,
    /// The events to subscribe to (repeat, or separate with commas). A name this version does
    /// not know is sent as written when it has the shape of one (A-Z, 0-9, _).
    #[arg(long = "event", required = true, value_delimiter = ',', value_parser = parse_subscribed_event)]
    pub events: Vec<Open<Event>>,
    /// The method the platform calls the URL with.
    #[arg(long, default_value = "POST", value_parser = parse_method)]
    pub method: CallbackMethod,
    /// How callback bodies are encoded: JSON, FORM_ENCODED or XML.
    #[arg(long, default_value = "JSON", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// A header for every callback, NAME=VALUE (repeat for more; not Content-Type).
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// How long the platform waits for your answer, in ms (1 to 60000).
    #[arg(long)]
    pub read_timeout: Option<u32>,
    /// How many times the platform retries a failed callback (0 to 5).
    #[arg(long)]
    pub retries: Option<u32>,
    /// Seconds between retries (5 to 60).
    #[arg(long)]
    pub retry_delay: Option<u32>,
    /// The template.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `webhooks update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The webhook's id (a UUID).
    pub id: WebhookId,
    /// A new URL.
    #[arg(long)]
    pub url: Option<String>,
    /// New events, replacing the old ones (repeat, or separate with commas). A name this
    /// version does not know is sent as written when it has the shape of one (A-Z, 0-9, _).
    #[arg(long = "event", value_delimiter = ',', value_parser = parse_subscribed_event)]
    pub events: Vec<Open<Event>>,
    /// A new callback method.
    #[arg(long, value_parser = parse_method)]
    pub method: Option<CallbackMethod>,
    /// A new encoding.
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<Encoding>,
    /// New headers, NAME=VALUE, replacing all the old ones (repeat for more).
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    /// Remove every custom header.
    #[arg(long, conflicts_with = "headers")]
    pub clear_headers: bool,
    /// The template.
    #[command(flatten)]
    pub template: TemplateArgs,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `webhooks delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The webhook's id (a UUID).
    pub id: WebhookId,
    /// Delete without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `mm-webhooks keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signature keys: one page, or every page with --all.
    #[command(after_help = "\
Pages are numbered from 1, as the Signature Key API numbers them. Public keys are not in
lists: only `create` shows one.

Examples:
  mm-webhooks keys list
  mm-webhooks keys list --all --jsonl
  mm-webhooks keys list --page 2 --page-size 20")]
    List(KeysListArgs),
    /// Show one signature key by id.
    #[command(after_help = "\
Examples:
  mm-webhooks keys get 7ca628a8-08b0-4e42-aeb8-960b37049c31
  mm-webhooks keys get 7ca628a8-08b0-4e42-aeb8-960b37049c31 --json")]
    Get(KeyIdArgs),
    /// Create a key pair; prints its public key (the only time the API shows it). The new key
    /// is not enabled.
    #[command(after_help = "\
Examples:
  mm-webhooks keys create
  mm-webhooks keys create --digest SHA512 --json")]
    Create(KeysCreateArgs),
    /// Enable a key: callbacks are signed with it from now on (the key enabled before is
    /// disabled).
    #[command(after_help = "\
Examples:
  mm-webhooks keys enable 7ca628a8-08b0-4e42-aeb8-960b37049c31")]
    Enable(KeyIdArgs),
    /// Show the enabled key, or say that none is (callbacks are unsigned).
    #[command(after_help = "\
Exits 0 either way; with --json, prints the key or null.

Examples:
  mm-webhooks keys enabled
  mm-webhooks keys enabled --json")]
    Enabled(KeysShowArgs),
    /// Disable the enabled key: callbacks are unsigned from now on.
    #[command(after_help = "\
Examples:
  mm-webhooks keys disable")]
    Disable(KeysShowArgs),
    /// Delete a key.
    #[command(after_help = "\
On a terminal, asks for confirmation unless --yes; when stdin is not a terminal it refuses
without --yes and exits 2. Deleting the enabled key leaves callbacks unsigned.

Examples:
  mm-webhooks keys delete 7ca628a8-08b0-4e42-aeb8-960b37049c31
  mm-webhooks keys delete 7ca628a8-08b0-4e42-aeb8-960b37049c31 --yes")]
    Delete(KeysDeleteArgs),
}

/// `keys list`.
#[derive(Debug, Args)]
pub struct KeysListArgs {
    /// Every page, until a short or empty one.
    #[arg(long, conflicts_with = "page")]
    pub all: bool,
    /// The page, from 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
    /// Keys per page (at least 1).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// A command on one key.
#[derive(Debug, Args)]
pub struct KeyIdArgs {
    /// The key's id (a UUID).
    pub id: SignatureKeyId,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `keys create`.
#[derive(Debug, Args)]
pub struct KeysCreateArgs {
    /// The digest callbacks are signed with: SHA224, SHA256 or SHA512 (the cipher is RSA).
    #[arg(long, default_value = "SHA256", value_parser = parse_digest)]
    pub digest: Digest,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `keys enabled` and `keys disable`.
#[derive(Debug, Args)]
pub struct KeysShowArgs {
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `keys delete`.
#[derive(Debug, Args)]
pub struct KeysDeleteArgs {
    /// The key's id (a UUID).
    pub id: SignatureKeyId,
    /// Delete without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `mm-webhooks template ...`.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Check a template for the events it is subscribed to; exits 1 when anything is found.
    #[command(after_help = "\
Each finding prints as FILE:LINE:COLUMN: KIND: MESSAGE. Syntax, unknown and unavailable
variables, unescaped values and bodies invalid for the encoding are found by the same lint
`webhooks create` runs.

Examples:
  mm-webhooks template lint reply.vm --event RECEIVED_SMS
  mm-webhooks template lint dr.vm --event DELIVERED_DR,FAILED_DR --encoding FORM_ENCODED
  mm-webhooks template lint dr.vm --event DELIVERED_DR --json")]
    Lint(LintArgs),
    /// Render a template with sample event data: the body exactly as a callback carries it.
    #[command(after_help = "\
Data is sample data for the event (fresh ids, timestamps of now), replaced by each --field:
NAME=VALUE sets a text value, NAME:=JSON a JSON one (objects, arrays, numbers, null). Fields
are named as in the default payloads: message_id, delivery_report_id, reply_id,
notification_id, source_number, destination_number, content, original_text, status,
status_code, metadata, attachments, date_received, submitted_date, vendor_id, format,
retry_count, billing_units, account_id. Without FILE, the default template of the event and
encoding is rendered. The body goes to stdout as is (no newline added).

Examples:
  mm-webhooks template render reply.vm --event RECEIVED_SMS --field content='Yes please'
  mm-webhooks template render --event DELIVERED_DR --encoding FORM_ENCODED
  mm-webhooks template render dr.vm --event FAILED_DR --field status_code=330 --field 'metadata:={\"order\":\"42\"}'")]
    Render(RenderArgs),
}

/// `template lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The template file (`-` for stdin).
    pub file: PathBuf,
    /// The events the webhook subscribes to (repeat, or separate with commas).
    #[arg(long = "event", required = true, value_delimiter = ',', value_parser = parse_event)]
    pub events: Vec<Event>,
    /// The webhook's encoding.
    #[arg(long, default_value = "JSON", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// Print the findings as one JSON array.
    #[arg(long)]
    pub json: bool,
}

/// `template render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template file (`-` for stdin); without it, the default template.
    pub file: Option<PathBuf>,
    /// The event to render for.
    #[arg(long, value_parser = parse_event)]
    pub event: Event,
    /// The webhook's encoding (chooses the default template).
    #[arg(long, default_value = "JSON", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// Event data, NAME=VALUE (text) or NAME:=JSON (repeat for more).
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
}

const SANDBOX_EXAMPLES: &str = "\
Prints `webhooks-sandbox listening on URL` first, then what it was started with; stops on
Ctrl-C or SIGTERM. The credentials it accepts are --api-key/--api-secret pairs (repeat for
several), else MESSAGEMEDIA_API_KEY and MESSAGEMEDIA_API_SECRET when both are set, so the
other commands of this shell reach it as they are; else sandbox-key / sandbox-secret.

Examples:
  mm-webhooks sandbox
  mm-webhooks sandbox --listen 127.0.0.1:0 --state sandbox.db
  mm-webhooks sandbox --api-key k1 --api-secret s1 --api-key k2 --api-secret s2";

const TRIGGER_EXAMPLES: &str = "\
Needs a sandbox (--base-url or MESSAGEMEDIA_BASE_URL) and its credentials; --account picks
the sub-account whose webhooks are called. The event data are sample data, replaced by each
--field as in `template render` (NAME=VALUE text, NAME:=JSON). It waits until every webhook
subscribed to the event has answered 2xx or spent its retries, or --wait runs out, then
prints one row per attempt.

Exit 0 when every called webhook got its callback (also when none subscribes), 1 when one
failed or is still pending at the end of --wait, or the sandbox refused the event.
Attempts are matched by event and start time: two triggers of the same event at the same
moment against the same account see each other's attempts.

Examples:
  mm-webhooks trigger RECEIVED_SMS --field content='Hello from the sandbox'
  mm-webhooks trigger DELIVERED_DR --field 'metadata:={\"order\":\"42\"}' --json
  mm-webhooks --account Sub1 trigger OPT_OUT_SMS --wait 60";

const LISTEN_EXAMPLES: &str = "\
Every request is verified (X-MessageMedia-Key-Id names the key). With credentials (as for
every other command) a key id is fetched once through the Signature Key API and kept, so a
rotated key verifies without a restart; --public-key gives keys directly, with or without
credentials. A request that fails gets 401 (503 when the API could not be asked, so the
platform retries) and a line on stderr. A verified one is printed as a typed event (one line,
or one JSON object per line with --json) and answered 200, or forwarded to --forward-to (the
received path and query appended, headers and raw body unchanged, so your app can verify the
same signature) and answered with your app's status and body.
With --inbox FILE a verified callback is stored in that SQLite inbox first and answered 200
once it is on disk (a retry of one already stored is answered 200 and absorbed); workers then
hand it to --forward-to, retrying with backoff while your app answers other than 2xx, or just
print it. It survives a restart; `mm-webhooks inbox` shows and replays what it holds.
With --nats URL the inbox is a NATS JetStream instead, shared by every receiver started with
the same URL: each callback is handled once by one of them, whichever received it.
Bodies over 2 MiB get 413. Ctrl-C stops it, letting open requests finish.
With --ui (and --inbox or --nats) an inspector page is served on its own port, 127.0.0.1:8788 by
default (--ui-port, --ui-host; another address than loopback needs --ui-token): every
callback as it arrives, newest first, pushed to the page, with requests refused before they
were stored (kept in memory, the newest 200) and their reason; filters; the detail with
headers, body raw and pretty, the bytes the signature covers and the verdict; replay to
--forward-to unchanged or edited (sent without its signature and marked
X-MM-Webhooks-Replay: edited); copy as curl; export as NDJSON. Its JSON endpoints are
listed in the README.

Examples:
  mm-webhooks listen --port 8787
  mm-webhooks listen --port 8787 --public-key 7ca628a8-08b0-4e42-aeb8-960b37049c31=MIIBIjAN...
  mm-webhooks listen --port 8787 --forward-to http://127.0.0.1:3000 --json
  mm-webhooks listen --port 8787 --inbox inbox.db --forward-to http://127.0.0.1:3000
  mm-webhooks listen --port 8787 --inbox inbox.db --forward-to http://127.0.0.1:3000 --ui
  mm-webhooks listen --port 8787 --nats nats://127.0.0.1:4222 --forward-to http://127.0.0.1:3000
  mm-webhooks listen --port 8787 --skip-verify";

/// `trigger`.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The event to simulate.
    #[arg(value_parser = parse_event)]
    pub event: Event,
    /// Event data, NAME=VALUE (text) or NAME:=JSON (repeat for more).
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// How long to wait for the deliveries to finish, in seconds (retries included).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub wait: u64,
    /// Print one JSON document: the event, the account, and each webhook with its attempts.
    #[arg(long)]
    pub json: bool,
}

/// `listen`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("store").multiple(false).args(["inbox", "nats"])))]
pub struct ListenArgs {
    /// The port to listen on (0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The address to bind (the default takes connections from this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Forward each verified callback to this base URL and relay your app's answer.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// A signature key, KEY_ID=PUBLIC_KEY (base64 DER as the Signature Key API returns it, or
    /// PEM); repeat for several. Without it, keys are fetched through the API by id.
    #[arg(long = "public-key", value_name = "KEY_ID=BASE64", value_parser = parse_header)]
    pub public_keys: Vec<(String, String)>,
    /// Accept unsigned callbacks (for accounts without signed callbacks): nothing is verified.
    #[arg(long, conflicts_with = "public_keys")]
    pub skip_verify: bool,
    /// Reject callbacks whose Date is further than this many seconds from now.
    #[arg(long, default_value_t = 300)]
    pub max_age: u64,
    /// Print each callback as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Store each verified callback in this SQLite inbox before answering 200, then hand it to
    /// --forward-to from there (an answer other than 2xx is retried with backoff, each
    /// callback handled once however often the platform sends it), or just print it.
    #[arg(long, value_name = "FILE", conflicts_with = "skip_verify")]
    pub inbox: Option<std::path::PathBuf>,
    /// Like --inbox, in a NATS JetStream instead of a file, so several receivers (and their
    /// workers) share one inbox: `nats://127.0.0.1:4222`, options in the query
    /// (`?prefix=NAME&duplicate_window=2m&replicas=3`).
    #[arg(long, value_name = "URL", conflicts_with = "skip_verify")]
    pub nats: Option<NatsUrl>,
    /// Serve the inspector page: every callback live (refused ones too), its detail and
    /// signed bytes, filters, replay, edit-and-replay, copy as curl, export. Needs --inbox
    /// (or --nats): the page shows what the inbox holds, so history survives a restart.
    #[arg(long, requires = "store", conflicts_with = "skip_verify")]
    pub ui: bool,
    /// The inspector's port, its own so a tunnel to --port never exposes it (0 picks a free
    /// one; the address is printed on stderr).
    #[arg(long, value_name = "PORT", default_value_t = 8788, requires = "ui")]
    pub ui_port: u16,
    /// The inspector's address; any but a loopback one needs --ui-token.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "127.0.0.1",
        requires = "ui"
    )]
    pub ui_host: std::net::IpAddr,
    /// A token the inspector page asks for (at least 16 characters); needed to bind the
    /// inspector to anything but loopback.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MM_WEBHOOKS_UI_TOKEN",
        hide_env_values = true,
        requires = "ui"
    )]
    pub ui_token: Option<String>,
}

impl ListenArgs {
    /// The inbox callbacks are stored in, if any.
    pub fn store(&self) -> Option<Store> {
        Store::of(self.inbox.as_ref(), self.nats.as_ref())
    }
}

/// Where `inbox` commands find the inbox.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("store").required(true).multiple(false).args(["inbox", "nats"])))]
pub struct InboxLocation {
    /// The SQLite inbox `listen --inbox` writes.
    #[arg(long, value_name = "FILE")]
    pub inbox: Option<std::path::PathBuf>,
    /// The NATS JetStream inbox `listen --nats` writes (the same URL, query included).
    #[arg(long, value_name = "URL")]
    pub nats: Option<NatsUrl>,
    /// One JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl InboxLocation {
    /// The inbox named (clap requires one of --inbox and --nats).
    pub fn store(&self) -> Store {
        Store::of(self.inbox.as_ref(), self.nats.as_ref())
            .unwrap_or_else(|| Store::Sqlite(std::path::PathBuf::new()))
    }
}

/// Where an inbox keeps its callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// A SQLite file (`--inbox FILE`).
    Sqlite(std::path::PathBuf),
    /// A NATS JetStream (`--nats URL`).
    Nats(NatsUrl),
}

impl Store {
    fn of(inbox: Option<&std::path::PathBuf>, nats: Option<&NatsUrl>) -> Option<Store> {
        match (inbox, nats) {
            (Some(path), _) => Some(Store::Sqlite(path.clone())),
            (None, Some(url)) => Some(Store::Nats(url.clone())),
            (None, None) => None,
        }
    }

    /// An inbox builder for this store; the caller adds the verifier and opens it.
    pub fn builder(&self) -> webhooks_callbacks::inbox::InboxBuilder {
        let builder = webhooks_callbacks::inbox::Inbox::builder();
        match self {
            Store::Sqlite(path) => builder.sqlite(path),
            Store::Nats(url) => builder.nats(&url.0),
        }
    }

    /// The option that names this store again, for hints: `--inbox inbox.db`.
    pub fn option(&self) -> String {
        match self {
            Store::Sqlite(_) => format!("--inbox {self}"),
            Store::Nats(_) => format!("--nats {self}"),
        }
    }
}

/// The path, or the URL without the user and password it may carry.
impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Sqlite(path) => write!(f, "{}", path.display()),
            Store::Nats(url) => write!(f, "{url}"),
        }
    }
}

/// A NATS URL as given to `--nats` (servers separated by commas, options in a query), which
/// may carry a user and password: `Debug` and `Display` hide them, so neither an error nor a
/// `{cli:?}` shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct NatsUrl(String);

impl std::str::FromStr for NatsUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<NatsUrl, Self::Err> {
        Ok(NatsUrl(url.to_owned()))
    }
}

impl std::fmt::Display for NatsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&webhooks_callbacks::inbox::redacted_nats_url(&self.0))
    }
}

impl std::fmt::Debug for NatsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NatsUrl({self})")
    }
}

/// `mm-webhooks inbox ...`.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Stored callbacks, newest first.
    List(InboxListArgs),
    /// One stored callback: its request, body and history.
    Show {
        /// Its id (from `list`).
        id: u64,
        #[command(flatten)]
        location: InboxLocation,
    },
    /// Hand callbacks to the handler again: one by id, every dead one, or every one done or
    /// dead since a time.
    Replay(InboxReplayArgs),
    /// Delete done and dead callbacks older than the retention window (7 days), and their
    /// dedup keys.
    Purge {
        #[command(flatten)]
        location: InboxLocation,
    },
    /// Depth, age of the oldest, attempts, duplicates, dead.
    Stats {
        #[command(flatten)]
        location: InboxLocation,
    },
}

/// `inbox list`.
#[derive(Debug, Args)]
pub struct InboxListArgs {
    /// Only callbacks in this state: pending, leased, done or dead.
    #[arg(long)]
    pub state: Option<webhooks_callbacks::inbox::State>,
    /// At most this many (1 to 1000).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub limit: u64,
    /// Only callbacks stored before this id (the next page).
    #[arg(long)]
    pub before: Option<u64>,
    #[command(flatten)]
    pub location: InboxLocation,
}

/// `inbox replay`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(false).args(["id", "dead", "since"])))]
pub struct InboxReplayArgs {
    /// This callback.
    pub id: Option<u64>,
    /// Every dead callback.
    #[arg(long)]
    pub dead: bool,
    /// Every callback done or dead stored at or after this time (RFC 3339).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<time::OffsetDateTime>,
    #[command(flatten)]
    pub location: InboxLocation,
}

const INBOX_EXAMPLES: &str = "\
Examples:
  mm-webhooks listen --inbox inbox.db --forward-to http://127.0.0.1:3000 &
  mm-webhooks inbox stats --inbox inbox.db
  mm-webhooks inbox list --inbox inbox.db --state dead
  mm-webhooks inbox show 42 --inbox inbox.db --json
  mm-webhooks inbox replay --dead --inbox inbox.db
  mm-webhooks inbox replay --since 2026-12-06T00:00:00Z --inbox inbox.db
  mm-webhooks inbox purge --inbox inbox.db
  mm-webhooks inbox stats --nats nats://127.0.0.1:4222";

/// An RFC 3339 time.
fn parse_time(value: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|err| format!("`{value}` is not an RFC 3339 time: {err}"))
}

/// Event names in any case, `-` or `_`.
fn parse_event(value: &str) -> Result<Event, String> {
    normalize(value).parse().map_err(|err| format!("{err}"))
}

/// A subscription's event: a known name in any case, `-` or `_`; or, so a webhook can
/// subscribe to an event the vendor added after this release, any other name written exactly
/// as the API spells event names (the API answers 400 to one it does not know either).
fn parse_subscribed_event(value: &str) -> Result<Open<Event>, String> {
    match parse_event(value) {
        Ok(known) => Ok(Open::Known(known)),
        Err(unknown) => match Event::other(value.trim()) {
            Ok(open) => Ok(open),
            Err(_) => Err(unknown),
        },
    }
}

fn parse_method(value: &str) -> Result<CallbackMethod, String> {
    normalize(value).parse().map_err(|err| format!("{err}"))
}

fn parse_encoding(value: &str) -> Result<Encoding, String> {
    normalize(value).parse().map_err(|err| format!("{err}"))
}

/// The library's reading of a digest name: any case, with or without the hyphen.
fn parse_digest(value: &str) -> Result<Digest, String> {
    value.parse().map_err(|err| format!("{err}"))
}

fn normalize(value: &str) -> String {
    value.trim().to_ascii_uppercase().replace('-', "_")
}

/// `NAME=VALUE`, split at the first `=`.
fn parse_header(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err("expected NAME=VALUE".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn names_are_read_in_any_case_and_with_hyphens() {
        assert_eq!(parse_event("delivered-dr"), Ok(Event::DeliveredDr));
        assert_eq!(parse_encoding("form_encoded"), Ok(Encoding::FormEncoded));
        assert_eq!(parse_method(" put "), Ok(CallbackMethod::Put));
        assert!(
            parse_event("DELIVERED")
                .unwrap_err()
                .contains("DELIVERED_DR")
        );
    }

    #[test]
    fn a_subscription_takes_an_unknown_event_only_in_the_apis_spelling() {
        assert_eq!(
            parse_subscribed_event("delivered-dr"),
            Ok(Open::Known(Event::DeliveredDr))
        );
        assert_eq!(
            parse_subscribed_event("RECEIVED_RCS"),
            Ok(Open::Unknown("RECEIVED_RCS".to_owned()))
        );
        let err = parse_subscribed_event("received-rcs").unwrap_err();
        assert!(err.contains("DELIVERED_DR"), "names the known ones: {err}");
        assert!(parse_subscribed_event("").is_err());
    }

    #[test]
    fn digests_are_read_in_any_case_with_or_without_a_hyphen() {
        assert_eq!(parse_digest("sha-512"), Ok(Digest::Sha512));
        assert_eq!(parse_digest("SHA224"), Ok(Digest::Sha224));
        assert!(parse_digest("MD5").unwrap_err().contains("SHA256"));
    }

    #[test]
    fn name_value_pairs_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_header("X-Key=a=b"),
            Ok(("X-Key".to_owned(), "a=b".to_owned()))
        );
        assert!(parse_header("=x").is_err());
        assert!(parse_header("novalue").is_err());
    }

    #[test]
    fn a_secret_never_shows_in_debug() {
        let cli = Cli::try_parse_from([
            "mm-webhooks",
            "--api-key",
            "k1",
            "--api-secret",
            "hunter2",
            "webhooks",
            "list",
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains("hunter2"), "{cli:?}");
        assert!(format!("{cli:?}").contains("k1"), "{cli:?}");
        let secret = cli.global.api_secret().unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn a_nats_password_never_shows_in_debug_display_or_hints() {
        let cli = Cli::try_parse_from([
            "mm-webhooks",
            "inbox",
            "stats",
            "--nats",
            "nats://ops:hunter2@10.0.0.1:4222,tls://hunter2@10.0.0.2?prefix=A",
        ])
        .unwrap();
        assert!(!format!("{cli:?}").contains("hunter2"), "{cli:?}");
        let Command::Inbox(InboxCommand::Stats { location }) = cli.command else {
            panic!("parsed as another command");
        };
        let store = location.store();
        for shown in [store.to_string(), format!("{store:?}"), store.option()] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("***@10.0.0.1:4222"), "{shown}");
            assert!(shown.contains("tls://***@10.0.0.2?prefix=A"), "{shown}");
        }
        let Store::Nats(url) = store else {
            panic!("not a NATS store")
        };
        assert_eq!(
            url.0,
            "nats://ops:hunter2@10.0.0.1:4222,tls://hunter2@10.0.0.2?prefix=A"
        );
        // A `/` typed unescaped in a password does not end what is hidden.
        let slash: NatsUrl = "nats://ops:hun/ter2@10.0.0.1:4222".parse().unwrap();
        assert_eq!(slash.to_string(), "nats://***@10.0.0.1:4222");
    }
}
