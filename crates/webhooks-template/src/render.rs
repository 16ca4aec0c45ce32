//! Rendering: parsed nodes and an [`EventData`] to text, in one pass into one `String`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use time::{OffsetDateTime, UtcOffset};

use super::escape::escape_into;
use super::event_data::{EventAttachment, EventData};
use super::limits::{MAX_OUTPUT_BYTES, MAX_RENDER_STEPS};
use super::parse::Parsed;
use super::render_error::{RenderError, RenderErrorKind};
use super::syntax::{
    Comparison, Escape, Expr, Member, MemberKind, Node, Operand, Reference, Target,
};
use super::variable::Variable;

/// Told where each node's output starts, so that a position in the output can be traced back
/// to the template (lint does; plain rendering does not).
pub(crate) trait Trace {
    /// Output from byte `output` on comes from the template at byte `source`; `verbatim` when
    /// it is copied text `length` bytes long.
    fn mark(&mut self, output: usize, source: usize, length: usize, verbatim: bool);
}

/// Rendering without tracing.
pub(crate) struct NoTrace;

impl Trace for NoTrace {
    #[inline(always)]
    fn mark(&mut self, _: usize, _: usize, _: usize, _: bool) {}
}

/// A value during rendering. Borrowed from the template or the event data; never allocated.
#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Null,
    Text(&'a str),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Time(OffsetDateTime),
    Metadata(&'a BTreeMap<String, String>),
    Keys(&'a BTreeMap<String, String>),
    Values(&'a BTreeMap<String, String>),
    Entries(&'a BTreeMap<String, String>),
    Entry(&'a str, &'a str),
    Attachments(&'a [EventAttachment]),
    Attachment(&'a EventAttachment),
    Loop(usize),
    Esc,
    /// A scalar escaped when written.
    Escaped(Escape, Scalar<'a>),
}

/// The values `$esc` can escape.
#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    Text(&'a str),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Time(OffsetDateTime),
}

/// Where a loop is.
#[derive(Debug, Clone, Copy, Default)]
struct LoopState {
    index: usize,
    len: usize,
}

/// The state of one rendering.
pub(crate) struct Renderer<'a> {
    source: &'a str,
    /// String literals whose text differs from their source (`'it''s'`).
    strings: &'a [String],
    data: &'a EventData,
    slots: Vec<Value<'a>>,
    loops: Vec<LoopState>,
    /// Where this render's output starts in the buffer it appends to.
    output_start: usize,
    /// Steps taken, against [`MAX_RENDER_STEPS`].
    steps: usize,
}

type Rendered = Result<(), RenderError>;

impl<'a> Renderer<'a> {
    pub(crate) fn new(
        source: &'a str,
        data: &'a EventData,
        parsed: &'a Parsed,
        output_start: usize,
    ) -> Self {
        Renderer {
            source,
            strings: &parsed.strings,
            data,
            slots: vec![Value::Null; parsed.slots],
            loops: vec![LoopState::default(); parsed.loops],
            output_start,
            steps: 0,
        }
    }

    fn text(&self, range: &std::ops::Range<usize>) -> &'a str {
        self.source.get(range.clone()).unwrap_or_default()
    }

    fn fail(&self, at: usize, kind: RenderErrorKind) -> RenderError {
        RenderError::new(self.source, at, kind)
    }

    /// Counts one step and checks both budgets; `at` is where in the template we are.
    fn step(&mut self, out: &str, at: usize) -> Rendered {
        self.steps += 1;
        if self.steps > MAX_RENDER_STEPS {
            return Err(self.fail(at, RenderErrorKind::TooManySteps));
        }
        if out.len().saturating_sub(self.output_start) > MAX_OUTPUT_BYTES {
            return Err(self.fail(at, RenderErrorKind::OutputTooLarge));
        }
        Ok(())
    }

    pub(crate) fn nodes<T: Trace>(
        &mut self,
        nodes: &'a [Node],
        out: &mut String,
        trace: &mut T,
    ) -> Rendered {
        for node in nodes {
            match node {
                Node::Text(range) => self.text_node(range, out, trace)?,
                Node::Reference(reference) => self.reference_node(reference, out, trace)?,
                Node::If {
                    branches,
                    otherwise,
                } => self.if_node(branches, otherwise.as_deref(), out, trace)?,
                Node::Foreach {
                    slot,
                    loop_id,
                    iterable,
                    body,
                    position,
                } => {
                    let at = Round {
                        slot: *slot,
                        loop_id: *loop_id,
                        position: *position,
                    };
                    self.foreach_node(at, iterable, body, out, trace)?;
                }
                Node::Set { slot, value } => self.set_node(*slot, value)?,
            }
        }
        Ok(())
    }

    fn text_node<T: Trace>(
        &mut self,
        range: &std::ops::Range<usize>,
        out: &mut String,
        trace: &mut T,
    ) -> Rendered {
        self.step(out, range.start)?;
        trace.mark(out.len(), range.start, range.len(), true);
        out.push_str(self.text(range));
        Ok(())
    }

    fn reference_node<T: Trace>(
        &mut self,
        reference: &Reference,
        out: &mut String,
        trace: &mut T,
    ) -> Rendered {
        self.step(out, reference.span.start)?;
        trace.mark(out.len(), reference.span.start, 0, false);
        self.reference(reference, out)
    }

    fn if_node<T: Trace>(
        &mut self,
        branches: &'a [(Expr, Vec<Node>)],
        otherwise: Option<&'a [Node]>,
        out: &mut String,
        trace: &mut T,
    ) -> Rendered {
        for (condition, body) in branches {
            self.step(out, condition_position(condition))?;
            if self.condition(condition)? {
                return self.nodes(body, out, trace);
            }
        }
        match otherwise {
            Some(body) => self.nodes(body, out, trace),
            None => Ok(()),
        }
    }

    fn set_node(&mut self, slot: usize, value: &Operand) -> Rendered {
        let value = self.operand(value)?;
        if let (false, Some(target)) = (matches!(value, Value::Null), self.slots.get_mut(slot)) {
            *target = value;
        }
        Ok(())
    }

    fn foreach_node<T: Trace>(
        &mut self,
        at: Round,
        iterable: &Reference,
        body: &'a [Node],
        out: &mut String,
        trace: &mut T,
    ) -> Rendered {
        self.step(out, at.position)?;
        match self.evaluate(iterable)? {
            Value::Keys(map) => self.each(at, body, out, trace, map.keys(), map.len(), |k| {
                Value::Text(k)
            }),
            Value::Values(map) | Value::Metadata(map) => {
                self.each(at, body, out, trace, map.values(), map.len(), |v| {
                    Value::Text(v)
                })
            }
            Value::Entries(map) => {
                self.each(at, body, out, trace, map.iter(), map.len(), |(k, v)| {
                    Value::Entry(k, v)
                })
            }
            Value::Attachments(list) => self.each(
                at,
                body,
                out,
                trace,
                list.iter(),
                list.len(),
                Value::Attachment,
            ),
            _ => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn each<T: Trace, I: Iterator>(
        &mut self,
        at: Round,
        body: &'a [Node],
        out: &mut String,
        trace: &mut T,
        items: I,
        len: usize,
        value: impl Fn(I::Item) -> Value<'a>,
    ) -> Rendered {
        for (index, item) in items.enumerate() {
            self.step(out, at.position)?;
            if let Some(target) = self.slots.get_mut(at.slot) {
                *target = value(item);
            }
            if let Some(state) = self.loops.get_mut(at.loop_id) {
                *state = LoopState { index, len };
            }
            self.nodes(body, out, trace)?;
        }
        Ok(())
    }

    /// A reference, after its backslashes: each pair writes one; an odd one left escapes the
    /// reference into its source text. A null reference keeps its backslashes as 1.7 does
    /// (all of an even run; half and one of an odd run).
    fn reference(&mut self, reference: &Reference, out: &mut String) -> Rendered {
        let value = self.evaluate(reference)?;
        let literal = self.text(&reference.span);
        let (n, odd) = (reference.escapes, reference.escapes % 2 == 1);
        let writable = has_text(&value);
        let backslashes = match (writable, odd) {
            (true, _) => n / 2,
            (false, false) => n,
            (false, true) => n / 2 + 1,
        };
        for _ in 0..backslashes {
            out.push('\\');
        }
        if writable && !odd {
            write_value(out, &value);
        } else if writable || !reference.quiet || odd {
            out.push_str(literal);
        }
        Ok(())
    }

    fn evaluate(&self, reference: &Reference) -> Result<Value<'a>, RenderError> {
        let mut value = match reference.target {
            Target::Event(variable) => self.variable(variable),
            Target::Local(slot) => self.slots.get(slot).copied().unwrap_or(Value::Null),
            Target::Loop(id) => Value::Loop(id),
            Target::LoopHasNext(id) => self.loop_member(id, &MemberKind::HasNext),
            Target::LoopCount(id) => self.loop_member(id, &MemberKind::Count),
            Target::Esc => Value::Esc,
            Target::Unknown => Value::Null,
        };
        for member in &reference.members {
            if matches!(value, Value::Null) {
                break;
            }
            value = self.member(value, member)?;
        }
        Ok(value)
    }
    fn variable(&self, variable: Variable) -> Value<'a> {
        let data: &'a EventData = self.data;
        if !variable.is_available(data.event) {
            return Value::Null;
        }
        let text = |value: &'a Option<String>| value.as_deref().map_or(Value::Null, Value::Text);
        let time = |value: Option<OffsetDateTime>| value.map_or(Value::Null, Value::Time);
        match variable {
            Variable::Format => text(&data.format),
            Variable::MessageId => text(&data.message_id),
            Variable::ReportId => text(&data.report_id),
            Variable::ReplyId => text(&data.reply_id),
            Variable::NotificationId => text(&data.notification_id),
            Variable::AccountId => text(&data.account_id),
            Variable::VendorId => text(&data.vendor_id),
            Variable::SubmittedTimestamp => time(data.submitted_timestamp),
            Variable::ReceivedTimestamp => time(data.received_timestamp),
            Variable::Status => text(&data.status),
            Variable::StatusCode => data
                .status_code
                .map_or(Value::Null, |code| Value::Integer(i64::from(code))),
            Variable::Metadata => Value::Metadata(&data.metadata),
            Variable::SourceAddress => text(&data.source_address),
            Variable::DestinationAddress => text(&data.destination_address),
            Variable::MessageContent => text(&data.message_content),
            Variable::ReplyContent => text(&data.reply_content),
            Variable::RetryCount => Value::Integer(i64::from(data.retry_count)),
            Variable::BillingUnits => data
                .billing_units
                .map_or(Value::Null, |units| Value::Integer(i64::from(units))),
            Variable::Attachments => Value::Attachments(&data.attachments),
        }
    }

    fn loop_member(&self, id: usize, kind: &MemberKind) -> Value<'a> {
        let Some(state) = self.loops.get(id) else {
            return Value::Null;
        };
        let index = i64::try_from(state.index).unwrap_or(i64::MAX);
        match kind {
            MemberKind::HasNext => Value::Boolean(state.index + 1 < state.len),
            MemberKind::Count => Value::Integer(index.saturating_add(1)),
            MemberKind::Index => Value::Integer(index),
            MemberKind::First => Value::Boolean(state.index == 0),
            MemberKind::Last => Value::Boolean(state.index + 1 >= state.len),
            _ => Value::Null,
        }
    }

    fn member(&self, value: Value<'a>, member: &Member) -> Result<Value<'a>, RenderError> {
        let size = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        Ok(match (value, &member.kind) {
            (Value::Metadata(map), _) if !member.call => {
                text_or_null(map.get(self.text(&member.name)))
            }
            (Value::Metadata(map), MemberKind::Get(key)) => {
                let key = self.operand(key)?;
                match text_of(&key) {
                    Some(key) => text_or_null(map.get(key.as_ref())),
                    None => Value::Null,
                }
            }
            (Value::Metadata(map), MemberKind::ContainsKey(key)) => {
                let key = self.operand(key)?;
                Value::Boolean(text_of(&key).is_some_and(|key| map.contains_key(key.as_ref())))
            }
            (Value::Metadata(map), MemberKind::KeySet) => Value::Keys(map),
            (Value::Metadata(map), MemberKind::EntrySet) => Value::Entries(map),
            (Value::Metadata(map), MemberKind::Values) => Value::Values(map),
            (
                Value::Metadata(map) | Value::Keys(map) | Value::Values(map) | Value::Entries(map),
                MemberKind::Size,
            ) => size(map.len()),
            (
                Value::Metadata(map) | Value::Keys(map) | Value::Values(map) | Value::Entries(map),
                MemberKind::IsEmpty,
            ) => Value::Boolean(map.is_empty()),
            (Value::Attachments(list), MemberKind::Size) => size(list.len()),
            (Value::Attachments(list), MemberKind::IsEmpty) => Value::Boolean(list.is_empty()),
            (Value::Attachments(list), MemberKind::Get(index)) => match self.operand(index)? {
                Value::Integer(i) => usize::try_from(i)
                    .ok()
                    .and_then(|i| list.get(i))
                    .map(Value::Attachment)
                    .ok_or_else(|| {
                        self.fail(member.name.start, RenderErrorKind::IndexOutOfBounds)
                    })?,
                _ => Value::Null,
            },
            (Value::Entry(key, _), MemberKind::Key) => Value::Text(key),
            (Value::Entry(_, value), MemberKind::Value) => Value::Text(value),
            (Value::Attachment(a), MemberKind::ContentType) => Value::Text(&a.content_type),
            (Value::Attachment(a), MemberKind::Base64) => Value::Text(&a.base64),
            (Value::Attachment(a), MemberKind::OriginalName) => Value::Text(&a.original_name),
            (Value::Loop(id), kind) => self.loop_member(id, kind),
            (Value::Text(text), MemberKind::IsEmpty) => Value::Boolean(text.is_empty()),
            (Value::Esc, MemberKind::Escape(escape, argument)) => {
                let scalar = match self.operand(argument)? {
                    Value::Text(text) => Scalar::Text(text),
                    Value::Integer(n) => Scalar::Integer(n),
                    Value::Float(x) => Scalar::Float(x),
                    Value::Boolean(b) => Scalar::Boolean(b),
                    Value::Time(t) => Scalar::Time(t),
                    _ => return Ok(Value::Null),
                };
                Value::Escaped(*escape, scalar)
            }
            _ => Value::Null,
        })
    }

    fn operand(&self, operand: &Operand) -> Result<Value<'a>, RenderError> {
        Ok(match operand {
            Operand::Reference(reference) => self.evaluate(reference)?,
            Operand::Text(range) => Value::Text(self.text(range)),
            Operand::Unescaped(index) => Value::Text(
                self.strings
                    .get(*index)
                    .map_or("", |text: &'a String| text.as_str()),
            ),
            Operand::Integer(n) => Value::Integer(*n),
            Operand::Float(x) => Value::Float(*x),
            Operand::Boolean(b) => Value::Boolean(*b),
        })
    }

    fn expr(&self, expr: &Expr) -> Result<Value<'a>, RenderError> {
        match expr {
            Expr::Operand(operand) => self.operand(operand),
            other => Ok(Value::Boolean(self.condition(other)?)),
        }
    }

    /// Whether a condition holds, by Velocity 1.7's truth ([`truthy`]).
    fn condition(&self, expr: &Expr) -> Result<bool, RenderError> {
        Ok(match expr {
            // A string or number literal alone in a condition is false in 1.7.
            Expr::Operand(Operand::Text(_) | Operand::Unescaped(_) | Operand::Integer(_)) => false,
            Expr::Operand(Operand::Float(_)) => false,
            Expr::Operand(operand) => truthy(&self.operand(operand)?),
            Expr::Not(inner) => !self.condition(inner)?,
            Expr::And(a, b) => self.condition(a)? && self.condition(b)?,
            Expr::Or(a, b) => self.condition(a)? || self.condition(b)?,
            Expr::Compare(op, a, b) => compare(*op, &self.expr(a)?, &self.expr(b)?),
        })
    }
}

/// Where a loop's rounds write: its item slot, its loop state, and its `#foreach` position.
#[derive(Clone, Copy)]
struct Round {
    slot: usize,
    loop_id: usize,
    position: usize,
}

/// Where a condition starts in the template (for errors), as near as its operands say.
fn condition_position(expr: &Expr) -> usize {
    match expr {
        Expr::Operand(Operand::Reference(reference)) => reference.span.start,
        Expr::Operand(Operand::Text(range)) => range.start,
        Expr::Operand(_) => 0,
        Expr::Not(inner)
        | Expr::And(inner, _)
        | Expr::Or(inner, _)
        | Expr::Compare(_, inner, _) => condition_position(inner),
    }
}

fn text_or_null(text: Option<&String>) -> Value<'_> {
    text.map_or(Value::Null, |text| Value::Text(text))
}

/// Velocity 1.7's truth: everything but null and `false` is true (an empty string, `0`, an
/// empty map or list too).
fn truthy(value: &Value<'_>) -> bool {
    !matches!(
        value,
        Value::Null | Value::Boolean(false) | Value::Escaped(_, Scalar::Boolean(false))
    )
}

fn compare(op: Comparison, a: &Value<'_>, b: &Value<'_>) -> bool {
    let equal = || match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => match (text_of(a), text_of(b)) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        },
    };
    // `<` and `>` compare numbers only in 1.7; anything else is false.
    let ordering = || match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Some(x.cmp(y)),
        _ => number(a)?.partial_cmp(&number(b)?),
    };
    match op {
        Comparison::Equal => equal(),
        Comparison::NotEqual => !equal(),
        Comparison::Less => ordering().is_some_and(|o| o.is_lt()),
        Comparison::LessOrEqual => ordering().is_some_and(|o| o.is_le()),
        Comparison::Greater => ordering().is_some_and(|o| o.is_gt()),
        Comparison::GreaterOrEqual => ordering().is_some_and(|o| o.is_ge()),
    }
}

/// A number's value, for comparisons across integers and floats.
fn number(value: &Value<'_>) -> Option<f64> {
    match value {
        #[allow(clippy::cast_precision_loss)]
        Value::Integer(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// Whether a value renders as text (the others render as their reference's source).
fn has_text(value: &Value<'_>) -> bool {
    !matches!(value, Value::Null | Value::Loop(_) | Value::Esc)
}

/// The text of a value, as `toString()` gives it in Java; `None` when it has none.
fn text_of<'a>(value: &Value<'a>) -> Option<Cow<'a, str>> {
    match value {
        Value::Text(text) => Some(Cow::Borrowed(text)),
        value if has_text(value) => {
            let mut out = String::new();
            write_value(&mut out, value);
            Some(Cow::Owned(out))
        }
        _ => None,
    }
}

/// Writes a value that [`has_text`].
fn write_value(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Text(text) => out.push_str(text),
        Value::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Time(t) => write_timestamp(out, *t),
        Value::Escaped(escape, Scalar::Text(text)) => escape_into(out, *escape, text),
        Value::Escaped(escape, scalar) => {
            let mut plain = String::new();
            match scalar {
                Scalar::Text(text) => plain.push_str(text),
                Scalar::Integer(n) => write_value(&mut plain, &Value::Integer(*n)),
                Scalar::Float(x) => write_float(&mut plain, *x),
                Scalar::Boolean(b) => write_value(&mut plain, &Value::Boolean(*b)),
                Scalar::Time(t) => write_timestamp(&mut plain, *t),
            }
            escape_into(out, *escape, &plain);
        }
        Value::Metadata(map) => {
            java_collection(out, '{', '}', map.iter().map(|(k, v)| (k, Some(v))))
        }
        Value::Entries(map) => {
            java_collection(out, '[', ']', map.iter().map(|(k, v)| (k, Some(v))))
        }
        Value::Keys(map) => java_collection(out, '[', ']', map.keys().map(|k| (k, None))),
        Value::Values(map) => java_collection(out, '[', ']', map.values().map(|v| (v, None))),
        Value::Entry(k, v) => {
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        Value::Float(x) => write_float(out, *x),
        Value::Attachments(list) => {
            out.push('[');
            for (i, attachment) in list.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_attachment(out, attachment);
            }
            out.push(']');
        }
        Value::Attachment(attachment) => write_attachment(out, attachment),
        Value::Null | Value::Loop(_) | Value::Esc => {}
    }
}

/// An attachment printed whole. What the platform's attachment object prints is unknowable
/// from here; this is the harness's choice (.ci/velocity/Render.java), kept in step with it.
fn write_attachment(out: &mut String, attachment: &EventAttachment) {
    out.push_str("{contentType=");
    out.push_str(&attachment.content_type);
    out.push_str(", originalName=");
    out.push_str(&attachment.original_name);
    out.push('}');
}

/// A float as Java's `Double.toString` writes the values the parser accepts (plain
/// notation; a whole number keeps its `.0`).
fn write_float(out: &mut String, x: f64) {
    let start = out.len();
    let _ = write!(out, "{x}");
    if !out
        .get(start..)
        .unwrap_or_default()
        .contains(['.', 'e', 'N', 'i'])
    {
        out.push_str(".0");
    }
}

/// `{a=1, b=2}` / `[a, b]`, as Java prints maps and collections.
fn java_collection<'m>(
    out: &mut String,
    open: char,
    close: char,
    items: impl Iterator<Item = (&'m String, Option<&'m String>)>,
) {
    out.push(open);
    for (i, (first, second)) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(first);
        if let Some(second) = second {
            out.push('=');
            out.push_str(second);
        }
    }
    out.push(close);
}

/// `2016-12-07T08:43:00.850Z`: UTC, milliseconds, as the platform renders timestamps.
pub(crate) fn write_timestamp(out: &mut String, at: OffsetDateTime) {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    let year = at.year();
    if (0..=9999).contains(&year) {
        let year = year.unsigned_abs();
        digits(out, year / 100, 2);
        digits(out, year % 100, 2);
    } else {
        let _ = write!(out, "{year:+}");
    }
    out.push('-');
    digits(out, u32::from(u8::from(at.month())), 2);
    out.push('-');
    digits(out, u32::from(at.day()), 2);
    out.push('T');
    digits(out, u32::from(at.hour()), 2);
    out.push(':');
    digits(out, u32::from(at.minute()), 2);
    out.push(':');
    digits(out, u32::from(at.second()), 2);
    out.push('.');
    digits(out, u32::from(at.millisecond()), 3);
    out.push('Z');
}

fn digits(out: &mut String, value: u32, width: u32) {
    for power in (0..width).rev() {
        let digit = (value / 10u32.pow(power)) % 10;
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn timestamps_render_in_utc_with_milliseconds() {
        let mut out = String::new();
        write_timestamp(&mut out, datetime!(2016-12-07 18:43:00.850123 +10:00));
        assert_eq!(out, "2016-12-07T08:43:00.850Z");
        out.clear();
        write_timestamp(&mut out, datetime!(0999-01-02 03:04:05 UTC));
        assert_eq!(out, "0999-01-02T03:04:05.000Z");
    }
}
