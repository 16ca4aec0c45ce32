//! How results are printed: a table for people, JSON for scripts, colour only on a terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use serde::Serialize;
use webhooks_ergonomic::Webhook;

use crate::cli::OutputArgs;

/// The chosen output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned table.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line.
    JsonLines,
}

impl From<OutputArgs> for Format {
    fn from(args: OutputArgs) -> Self {
        match (args.json, args.jsonl) {
            (true, _) => Format::Json,
            (_, true) => Format::JsonLines,
            _ => Format::Table,
        }
    }
}

/// Whether to colour: only on a terminal, and never when `NO_COLOR` is set to anything
/// non-empty (<https://no-color.org>).
pub fn colour_wanted(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

/// ANSI styling for one stream, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// The style for stdout.
    pub fn stdout() -> Style {
        Style::for_terminal(std::io::stdout().is_terminal())
    }

    /// The style for stderr.
    pub fn stderr() -> Style {
        Style::for_terminal(std::io::stderr().is_terminal())
    }

    /// No colour, whatever the stream.
    #[cfg(test)]
    pub fn plain() -> Style {
        Style { colour: false }
    }

    fn for_terminal(is_terminal: bool) -> Style {
        let no_color = std::env::var("NO_COLOR").ok();
        Style {
            colour: colour_wanted(is_terminal, no_color.as_deref()),
        }
    }

    /// Whether this style writes colour.
    pub fn is_coloured(self) -> bool {
        self.colour
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Red text.
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Yellow text.
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Green text.
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A webhook as `--json` and `--jsonl` print it: every field always present (`null` when
/// unset), names as the API spells them, so scripts can rely on them.
#[derive(Debug, Serialize)]
pub struct WebhookJson<'a> {
    id: String,
    url: &'a str,
    method: String,
    encoding: Option<String>,
    events: Vec<String>,
    headers: &'a BTreeMap<String, String>,
    template: Option<&'a str>,
    read_timeout: Option<u32>,
    retries: u32,
    retry_delay: Option<u32>,
}

impl<'a> From<&'a Webhook> for WebhookJson<'a> {
    fn from(webhook: &'a Webhook) -> Self {
        WebhookJson {
            id: webhook.id.to_string(),
            url: &webhook.url,
            method: webhook.method.to_string(),
            encoding: webhook.encoding.as_ref().map(ToString::to_string),
            events: webhook.events.iter().map(ToString::to_string).collect(),
            headers: &webhook.headers,
            template: webhook.template.as_deref(),
            read_timeout: webhook.read_timeout,
            retries: webhook.retries,
            retry_delay: webhook.retry_delay,
        }
    }
}

/// Writes `value` as JSON and a newline, ignoring a closed stdout (`| head` is fine).
pub fn print_json(value: &impl Serialize) {
    let mut out = std::io::stdout().lock();
    if serde_json::to_writer(&mut out, value).is_ok() {
        let _ = writeln!(out);
        let _ = out.flush();
    }
}

/// Prints webhooks in `format` (for `JsonLines`, each one on its line).
pub fn print_webhooks(webhooks: &[Webhook], format: Format) {
    match format {
        Format::Table => print_line(&webhook_table(webhooks, Style::stdout())),
        Format::Json => print_json(&webhooks.iter().map(WebhookJson::from).collect::<Vec<_>>()),
        Format::JsonLines => webhooks
            .iter()
            .for_each(|webhook| print_json(&WebhookJson::from(webhook))),
    }
}

/// Prints one webhook: a one-row table, or one JSON object.
pub fn print_webhook(webhook: &Webhook, format: Format) {
    match format {
        Format::Table => print_webhooks(std::slice::from_ref(webhook), format),
        Format::Json | Format::JsonLines => print_json(&WebhookJson::from(webhook)),
    }
}

/// Writes text (which ends without a newline) and a newline, ignoring a closed stdout.
pub fn print_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Prints a line to stderr, ignoring a closed or full stderr (`eprintln!` panics there, which
/// would take a serving command down with it).
pub fn print_error_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

const COLUMNS: [&str; 6] = ["ID", "URL", "METHOD", "ENCODING", "EVENTS", "RETRIES"];

/// The aligned table of webhooks, header first; no trailing newline.
pub fn webhook_table(webhooks: &[Webhook], style: Style) -> String {
    let rows: Vec<[String; 6]> = webhooks
        .iter()
        .map(|webhook| {
            [
                webhook.id.to_string(),
                webhook.url.clone(),
                webhook.method.to_string(),
                webhook
                    .encoding
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), ToString::to_string),
                webhook
                    .events
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                webhook.retries.to_string(),
            ]
        })
        .collect();
    table(&COLUMNS, &rows, style)
}

/// An aligned table: the header in bold, columns two spaces apart, the last one unpadded; no
/// trailing newline. Widths count characters without the escape codes of coloured cells.
pub fn table<const N: usize>(columns: &[&str; N], rows: &[[String; N]], style: Style) -> String {
    let mut widths = columns.map(|column| column.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(visible_width(cell));
        }
    }
    let line = |cells: [&str; N]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if index + 1 < N {
                let padding = width - visible_width(cell) + 2;
                text.extend(std::iter::repeat_n(' ', padding));
            }
        }
        text
    };
    let mut text = style.bold(&line(*columns));
    for row in rows {
        text.push('\n');
        text.push_str(&line(row.each_ref().map(String::as_str)));
    }
    text
}

/// The characters a cell shows: without the `ESC[..m` sequences [`Style`] writes.
fn visible_width(cell: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in cell.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some("")), "an empty NO_COLOR is unset");
        assert!(!colour_wanted(true, Some("1")));
        assert!(!colour_wanted(false, None));
    }

    #[test]
    fn a_plain_style_adds_no_escape_codes() {
        let plain = Style { colour: false };
        assert_eq!(plain.bold("ID"), "ID");
        assert_eq!(Style { colour: true }.red("x"), "\x1b[31mx\x1b[0m");
    }

    #[test]
    fn coloured_cells_align_like_plain_ones() {
        let colour = Style { colour: true };
        let rows = [
            ["a".to_owned(), colour.green("ok")],
            ["bbb".to_owned(), "x".to_owned()],
        ];
        let text = table(&["K", "V"], &rows, Style::plain());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "K    V");
        assert_eq!(lines[1], "a    \x1b[32mok\x1b[0m");
        assert_eq!(lines[2], "bbb  x");
    }

    #[test]
    fn an_empty_table_is_its_header() {
        let table = webhook_table(&[], Style { colour: false });
        assert_eq!(table, "ID  URL  METHOD  ENCODING  EVENTS  RETRIES");
    }
}
