//! The template toolkit of MessageMedia (Sinch Engage) webhooks: the one engine that renders
//! callback templates (the sandbox uses it too, so a preview here is what a callback carries),
//! a builder that writes correctly escaped templates, the default payload templates, and a
//! linter. `webhooks-callbacks` (feature `template`) and `webhooks-ergonomic` re-export it as
//! `callbacks::template`.
//!
//! MessageMedia renders a webhook's `template` with Apache Velocity 1.7 (its sample templates
//! use both `$foreach.hasNext`, new in 1.7, and `$velocityHasNext`, gone in 2.0). This engine
//! runs the subset those samples and the reference use, byte for byte as Velocity 1.7 with
//! velocity-tools 2.0's `EscapeTool` renders it. That is proven, not assumed: CI's
//! `.ci/velocity/run` renders the vendor's samples on every event, the default templates and
//! 3,000 generated templates with the real Apache Velocity 1.7 and with this engine, and fails
//! on any differing byte.
//!
//! | syntax | meaning |
//! |---|---|
//! | `$var`, `${var}` | a [`Variable`]; unknown or not provided for the event: rendered as its own source text |
//! | `$!var`, `$!{var}` | the same, but nothing when null |
//! | `$metadata.get('k')`, `$metadata.get($key)`, `$metadata.k` | a metadata value |
//! | `$metadata.keySet()`, `.entrySet()` (`$e.key`, `$e.value`), `.size()`, `.isEmpty()`, `.containsKey('k')` | the map |
//! | `$attachments` (`$a.contentType`, `$a.base64`, `$a.originalName`), `.size()`, `.get(0)` | MMS attachments |
//! | `$esc.json(..)`, `$esc.xml(..)`, `$esc.url(..)`, `$esc.java(..)`, `$esc.javascript(..)`, `$esc.html(..)` | escapes |
//! | `#if(..)` `#elseif(..)` `#else` `#end` | conditions: `!`, `&&`, `\|\|`, `==`, `!=`, `<`, `<=`, `>`, `>=` (and `not`, `and`, `or`, `eq`, ...); only null and `false` are false (an empty value and `0` are true; a literal alone is false); `<`, `>` compare numbers only |
//! | `#foreach($x in ..)` .. `#end` | loops, with `$foreach.hasNext`, `.count`, `.index`, `.first`, `.last`, and `$velocityHasNext`, `$velocityCount` |
//! | `#set($x = ..)` | a variable (a value, `'string'` with `''` for a quote, `"string"` without `$` or `#`, integer, float, boolean) |
//! | `## ..`, `#* .. *#`, `#[[ .. ]]#` | comments, unparsed text |
//! | `\$var`, `\#if` | `$var`, `#if` as text (each pair of backslashes writes one) |
//!
//! Whitespace as 1.7: a directive takes the blanks and the line break right after it,
//! wherever it sits, and keeps the indentation before it (`#set` also takes blanks right
//! after a reference or directive); a pretty-printed template keeps its indentation.
//! Not run: macros, `#parse`, `#include`, `#evaluate`, `#define`, `#break`, `#stop`,
//! arithmetic (they render as text, and [`lint()`]
//! reports the directives); `"..."` strings with `$` or `#` (Velocity interpolates them) are
//! syntax errors. `$esc.json` is velocity-tools' `escapeJava` (2.0 has no `json`; see
//! the escape module). What 1.7 rejects (a template ending in `$` or `#`, `$x{y`) is a syntax
//! error here too, and what 1.7 fails on (`.get(n)` past the end) a [`RenderError`].
//!
//! Limits, for templates from untrusted hands: parsing and linting take time linear in the
//! template, blocks nest at most [`MAX_NESTING`] deep, and a render stops with a
//! [`RenderError`] past [`MAX_OUTPUT_BYTES`] of output or [`MAX_RENDER_STEPS`] steps.
//!
//! ```
//! use webhooks_template::{Encoding, Event, EventData, Template, Var, Variable, lint};
//!
//! // Write a template from typed variables: escaping is done for you.
//! let template = Template::builder(Encoding::Json)
//!     .field("id", Variable::MessageId)
//!     .field("text", Variable::ReplyContent)
//!     .field("order", Var::Metadata("order"))
//!     .build()?;
//!
//! // Preview exactly what a callback will carry.
//! let mut data = EventData::sample(Event::ReceivedSms, "MyAccount001");
//! data.reply_content = Some("She said \"yes\"".into());
//! let body: serde_json::Value = serde_json::from_str(&template.render(&data)?)?;
//! assert_eq!(body["text"], "She said \"yes\"");
//!
//! // And check a hand-written one against the events it is for.
//! let findings = lint("{\"id\": \"$drId\"}", &[Event::ReceivedSms], Encoding::Json);
//! assert_eq!(findings.len(), 1);
//! assert!(findings[0].message.contains("$drId"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod builder;
mod defaults;
mod escape;
mod event_data;
mod limits;
mod lint;
mod parse;
mod render;
mod render_error;
mod syntax;
mod variable;
mod wellformed;

use std::fmt;
use std::str::FromStr;

pub use builder::{BuildError, TemplateBuilder, Var};
pub use defaults::default_template;
pub use event_data::{EventAttachment, EventData, EventDataError};
pub use limits::{MAX_NESTING, MAX_OUTPUT_BYTES, MAX_RENDER_STEPS};
pub use lint::{Finding, FindingKind, lint, lint_partially};
pub use parse::SyntaxError;
pub use render_error::{RenderError, RenderErrorKind, TemplateError};
pub use variable::Variable;

pub use webhooks_vocabulary::{Encoding, Event};

use parse::Parsed;
use render::{NoTrace, Renderer, Trace};
use syntax::{Node, Target};

/// Output bytes reserved per reference, on top of the template's own text.
const BYTES_PER_REFERENCE: usize = 40;

/// The most output capacity reserved before rendering: loops and large values grow the
/// buffer as they need, within [`MAX_OUTPUT_BYTES`].
const MAX_RESERVED_BYTES: usize = 64 * 1024;

/// A parsed template, ready to render any number of times.
///
/// ```
/// use webhooks_template::Event;
/// use webhooks_template::{EventData, Template};
///
/// let template = Template::parse(r#"{"id":"$mtId","status":"$statusCode"}"#)?;
/// let mut data = EventData::sample(Event::DeliveredDr, "acct");
/// data.message_id = Some("877c19ef-fa2e-4cec-827a-e1df9b5509f7".into());
/// assert_eq!(
///     template.render(&data)?,
///     r#"{"id":"877c19ef-fa2e-4cec-827a-e1df9b5509f7","status":"220"}"#
/// );
///
/// // A variable the event does not provide renders as its source text, as on the platform.
/// let reply = EventData::sample(Event::ReceivedSms, "acct");
/// assert!(template.render(&reply)?.contains(r#""status":"$statusCode""#));
/// # Ok::<(), webhooks_template::TemplateError>(())
/// ```
#[derive(Clone)]
pub struct Template {
    source: String,
    parsed: Parsed,
    capacity: usize,
}

impl Template {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Template, SyntaxError> {
        let parsed = parse::parse(source)?;
        let capacity = reserved_capacity(source.len(), &parsed.nodes);
        Ok(Template {
            source: source.to_owned(),
            parsed,
            capacity,
        })
    }

    /// A builder of a correctly escaped template for `encoding`; see [`TemplateBuilder`].
    pub fn builder(encoding: Encoding) -> TemplateBuilder {
        TemplateBuilder::new(encoding)
    }

    /// The template's source, as the API takes it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders the template for one event.
    ///
    /// # Errors
    /// When the output would pass [`MAX_OUTPUT_BYTES`], the render would take more than
    /// [`MAX_RENDER_STEPS`] steps, or a method fails as it does in Velocity 1.7 (see
    /// [`RenderErrorKind`]). Memory stays within the output limit.
    pub fn render(&self, data: &EventData) -> Result<String, RenderError> {
        let mut out = String::with_capacity(self.capacity);
        self.render_into(data, &mut out)?;
        Ok(out)
    }

    /// Renders the template for one event, appending to `out`; on an error, `out` keeps what
    /// was rendered before it (at most [`MAX_OUTPUT_BYTES`] and one value more).
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_into(&self, data: &EventData, out: &mut String) -> Result<(), RenderError> {
        self.render_traced(data, out, &mut NoTrace)
    }

    pub(crate) fn render_traced<T: Trace>(
        &self,
        data: &EventData,
        out: &mut String,
        trace: &mut T,
    ) -> Result<(), RenderError> {
        let mut renderer = Renderer::new(&self.source, data, &self.parsed, out.len());
        renderer.nodes(&self.parsed.nodes, out, trace)
    }

    /// The platform variables the template uses, each once, in the order they first appear.
    pub fn variables(&self) -> Vec<Variable> {
        let mut variables = Vec::new();
        syntax::each_reference(&self.parsed.nodes, &mut |reference| {
            if let Target::Event(variable) = reference.target
                && !variables.contains(&variable)
            {
                variables.push(variable);
            }
        });
        variables
    }

    pub(crate) fn parsed(&self) -> &Parsed {
        &self.parsed
    }
}

/// The output capacity to reserve: the template's text and a margin per reference, each
/// node counted once (loops grow the buffer as they go), at most [`MAX_RESERVED_BYTES`].
fn reserved_capacity(source_len: usize, nodes: &[Node]) -> usize {
    let mut references: usize = 0;
    syntax::each_reference(nodes, &mut |_| references += 1);
    source_len
        .saturating_add(references.saturating_mul(BYTES_PER_REFERENCE))
        .min(MAX_RESERVED_BYTES)
}

/// Parses and renders in one call; parse once with [`Template::parse`] to render often.
///
/// # Errors
/// A [`SyntaxError`] or a [`RenderError`], in a [`TemplateError`].
pub fn render(source: &str, data: &EventData) -> Result<String, TemplateError> {
    Ok(Template::parse(source)?.render(data)?)
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Template").field(&self.source).finish()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl PartialEq for Template {
    fn eq(&self, other: &Template) -> bool {
        self.source == other.source
    }
}

impl Eq for Template {}

impl FromStr for Template {
    type Err = SyntaxError;

    fn from_str(source: &str) -> Result<Template, SyntaxError> {
        Template::parse(source)
    }
}

/// The source, so a `Template` goes straight into `webhooks-ergonomic`'s
/// `CreateWebhook::template`.
impl From<Template> for String {
    fn from(template: Template) -> String {
        template.source
    }
}

impl From<&Template> for String {
    fn from(template: &Template) -> String {
        template.source.clone()
    }
}

/// The crate's README, whose Rust examples are compiled and run as doctests: a snippet there
/// that stops compiling fails the test suite.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
