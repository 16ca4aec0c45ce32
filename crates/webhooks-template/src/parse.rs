//! The parser: template source to [`Node`]s, every name resolved on the way, or a
//! [`SyntaxError`] with its line and column.

use std::fmt;
use std::ops::Range;

use super::limits::MAX_NESTING as MAX_DEPTH;
use super::syntax::{
    Comparison, Escape, Expr, Member, MemberKind, Node, Operand, Reference, Target,
};
use super::variable::Variable;

/// Directives of Apache Velocity this engine does not run; they render as text, and
/// [`lint`](super::lint()) reports them.
const UNSUPPORTED: [&str; 7] = [
    "macro", "parse", "include", "evaluate", "define", "break", "stop",
];

/// The directives this engine runs.
const RUN: [&str; 6] = ["if", "elseif", "else", "end", "foreach", "set"];

/// A template that cannot be parsed: where, and why.
///
/// ```
/// use webhooks_template::Template;
///
/// let err = Template::parse("{\n  #if($status)\"a\": 1\n}").unwrap_err();
/// assert_eq!((err.line(), err.column()), (2, 3));
/// assert_eq!(err.to_string(), "line 2, column 3: #if is never closed: add #end");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    line: usize,
    column: usize,
    offset: usize,
    message: String,
}

impl SyntaxError {
    fn new(src: &str, offset: usize, message: impl Into<String>) -> SyntaxError {
        let (line, column) = line_column(src, offset);
        SyntaxError {
            line,
            column,
            offset,
            message: message.into(),
        }
    }

    /// The line, from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column, from 1, in characters.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The byte offset in the template.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for SyntaxError {}

/// The line and column (both from 1, column in characters) of a byte offset.
pub(crate) fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = src.get(..offset).unwrap_or_default();
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub nodes: Vec<Node>,
    /// How many local slots (`#foreach` items, `#set` variables) rendering needs.
    pub slots: usize,
    /// How many loops.
    pub loops: usize,
    /// Unsupported directives (`#macro`, ...), left as text.
    pub unsupported: Vec<Range<usize>>,
    /// The text of string literals with doubled quotes ([`Operand::Unescaped`]).
    pub strings: Vec<String>,
}

/// Parses `src`.
pub(crate) fn parse(src: &str) -> Result<Parsed, SyntaxError> {
    let mut parser = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        locals: Vec::new(),
        loops: Vec::new(),
        slots: 0,
        loop_count: 0,
        depth: 0,
        unsupported: Vec::new(),
        strings: Vec::new(),
    };
    parser.declare_set_variables();
    let (nodes, end) = parser.block()?;
    match end {
        Closer::Eof => Ok(Parsed {
            nodes,
            slots: parser.slots,
            loops: parser.loop_count,
            unsupported: parser.unsupported,
            strings: parser.strings,
        }),
        Closer::End(at) => Err(parser.error(at, "#end without a matching #if or #foreach")),
        Closer::Else(at) => Err(parser.error(at, "#else without a matching #if")),
        Closer::ElseIf(at, _) => Err(parser.error(at, "#elseif without a matching #if")),
    }
}

/// How a block ended.
enum Closer {
    Eof,
    End(usize),
    Else(usize),
    ElseIf(usize, Expr),
}

/// A directive's header, parsed.
enum Head {
    /// Not a directive: `#` is text.
    Literal,
    Comment,
    Unparsed(Range<usize>),
    If(Expr),
    ElseIf(Expr),
    Else,
    End,
    Foreach {
        name: Range<usize>,
        /// `None` for a literal, which never iterates.
        iterable: Option<Reference>,
    },
    Set {
        name: Range<usize>,
        value: Operand,
    },
}

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    /// Names of `#foreach` items and `#set` variables, with their slots; later ones shadow.
    locals: Vec<(&'s str, usize)>,
    /// The ids of the open loops, innermost last.
    loops: Vec<usize>,
    slots: usize,
    loop_count: usize,
    depth: usize,
    unsupported: Vec<Range<usize>>,
    strings: Vec<String>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'s> Parser<'s> {
    fn error(&self, at: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(self.src, at, message)
    }

    /// Whether the template ends `width` bytes from here.
    fn dangling(&self, width: usize) -> bool {
        self.pos + width == self.b.len()
    }

    fn ends_in(&self, what: &str) -> SyntaxError {
        self.error(
            self.pos,
            format!("the template ends in `{what}`, which Velocity 1.7 rejects: remove it"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    fn text(&self, range: Range<usize>) -> &'s str {
        self.src.get(range).unwrap_or_default()
    }

    fn enter(&mut self, at: usize) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(at, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Nodes up to the end of the input or to a `#else`, `#elseif` or `#end`.
    fn block(&mut self) -> Result<(Vec<Node>, Closer), SyntaxError> {
        let mut nodes = Vec::new();
        let mut text_start = self.pos;
        // Where the last #set ended: a `{` right after it or a reference starts a token.
        let mut set_end = None;
        while let Some(b) = self.peek() {
            match b {
                b'$' if self.b.get(self.pos..self.pos + 3) == Some(b"$!!") => {
                    // 1.7 writes `$!!` as `$!`.
                    push_text(&mut nodes, text_start..self.pos + 2);
                    self.pos += 3;
                    text_start = self.pos;
                }
                b'$' if self.dangling(1) => return Err(self.ends_in("$")),
                b'$' if self.peek_at(self.pos + 1) == Some(b'!') && self.dangling(2) => {
                    return Err(self.ends_in("$!"));
                }
                b'$' => {
                    let start = self.pos;
                    match self.reference(0)? {
                        Some(reference) => {
                            push_text(&mut nodes, text_start..start);
                            nodes.push(Node::Reference(reference));
                            text_start = self.pos;
                        }
                        None => self.pos += 1,
                    }
                }
                b'\\' => {
                    let start = self.pos;
                    let mut at = start;
                    while self.peek_at(at) == Some(b'\\') {
                        at += 1;
                    }
                    self.pos = at;
                    match self.peek() {
                        Some(b'$') if self.dangling(1) => return Err(self.ends_in("\\$")),
                        Some(b'#') if self.dangling(1) => return Err(self.ends_in("\\#")),
                        _ => {}
                    }
                    if self.peek() == Some(b'$') {
                        match self.reference(at - start)? {
                            Some(reference) => {
                                push_text(&mut nodes, text_start..start);
                                nodes.push(Node::Reference(reference));
                                text_start = self.pos;
                            }
                            None => self.pos += 1,
                        }
                    } else if let Some(name_end) = self.escaped_directive() {
                        // `\#if`: pairs of backslashes write one each; an odd one left writes
                        // the directive's name as text.
                        let escapes = at - start;
                        push_text(&mut nodes, text_start..start + escapes / 2);
                        if escapes % 2 == 1 {
                            push_text(&mut nodes, at..name_end);
                            self.pos = name_end;
                            text_start = self.pos;
                        } else {
                            text_start = at;
                        }
                    }
                }
                b'#' if self.dangling(1) => return Err(self.ends_in("#")),
                b'#' => {
                    let start = self.pos;
                    let head = self.directive()?;
                    match &head {
                        Head::Literal => {
                            self.pos = start + 1;
                            continue;
                        }
                        Head::Unparsed(_) | Head::Comment => {}
                        _ => self.gobble_line_break(),
                    }
                    // 1.7's #set takes the blanks before it when they start a token: at the
                    // start, right after a directive or a reference, or after a `{` there.
                    let glued = set_end == Some(text_start)
                        || matches!(nodes.last(), Some(Node::Reference(r)) if r.span.end == text_start);
                    let token_start = match self.peek_at(text_start) {
                        Some(b'{') if glued => text_start + 1,
                        _ => text_start,
                    };
                    let blanks_only = self
                        .b
                        .get(token_start..start)
                        .is_some_and(|run| run.iter().all(|&b| b == b' ' || b == b'\t'));
                    if matches!(head, Head::Set { .. }) && blanks_only {
                        push_text(&mut nodes, text_start..token_start);
                    } else {
                        push_text(&mut nodes, text_start..start);
                    }
                    match head {
                        Head::Literal | Head::Comment => {}
                        Head::Unparsed(range) => push_text(&mut nodes, range),
                        Head::If(condition) => nodes.push(self.if_rest(start, condition)?),
                        Head::Foreach { name, iterable } => {
                            let node = self.foreach_rest(start, name, iterable)?;
                            nodes.extend(node);
                        }
                        Head::Set { name, value } => {
                            let name = self.text(name);
                            let slot = match self.local(name) {
                                Some(slot) => slot,
                                None => {
                                    let slot = self.slots;
                                    self.slots += 1;
                                    self.locals.push((name, slot));
                                    slot
                                }
                            };
                            nodes.push(Node::Set { slot, value });
                            set_end = Some(self.pos);
                        }
                        Head::Else => return Ok((nodes, Closer::Else(start))),
                        Head::End => return Ok((nodes, Closer::End(start))),
                        Head::ElseIf(condition) => {
                            return Ok((nodes, Closer::ElseIf(start, condition)));
                        }
                    }
                    text_start = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        push_text(&mut nodes, text_start..self.pos);
        Ok((nodes, Closer::Eof))
    }

    /// Velocity 1.7's space gobbling: a directive takes the blanks and the line break right
    /// after it (only when a line break follows the blanks), wherever it sits; the indentation
    /// before it stays. Moves past what is taken.
    fn gobble_line_break(&mut self) {
        let mut at = self.pos;
        while matches!(self.peek_at(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        match self.peek_at(at) {
            Some(b'\n') => self.pos = at + 1,
            Some(b'\r') if self.peek_at(at + 1) == Some(b'\n') => self.pos = at + 2,
            Some(b'\r') => self.pos = at + 1,
            _ => {}
        }
    }

    /// The rest of an `#if` whose condition is parsed: bodies up to `#end`.
    fn if_rest(&mut self, start: usize, condition: Expr) -> Result<Node, SyntaxError> {
        self.enter(start)?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut condition = condition;
        loop {
            let (body, end) = self.block()?;
            branches.push((condition, body));
            match end {
                Closer::End(_) => break,
                Closer::ElseIf(_, next) => condition = next,
                Closer::Else(_) => {
                    let (body, end) = self.block()?;
                    otherwise = Some(body);
                    match end {
                        Closer::End(_) => break,
                        Closer::Else(at) => return Err(self.error(at, "a second #else in one #if")),
                        Closer::ElseIf(at, _) => {
                            return Err(self.error(at, "#elseif after #else"));
                        }
                        Closer::Eof => {
                            return Err(self.error(start, "#if is never closed: add #end"));
                        }
                    }
                }
                Closer::Eof => return Err(self.error(start, "#if is never closed: add #end")),
            }
        }
        self.leave();
        Ok(Node::If {
            branches,
            otherwise,
        })
    }

    /// The body of a `#foreach` whose header is parsed.
    fn foreach_rest(
        &mut self,
        start: usize,
        name: Range<usize>,
        iterable: Option<Reference>,
    ) -> Result<Option<Node>, SyntaxError> {
        self.enter(start)?;
        let slot = self.slots;
        self.slots += 1;
        let loop_id = self.loop_count;
        self.loop_count += 1;
        self.locals.push((self.text(name), slot));
        self.loops.push(loop_id);
        let (body, end) = self.block()?;
        self.loops.pop();
        self.locals.retain(|&(_, s)| s != slot);
        self.leave();
        match end {
            Closer::End(_) => Ok(iterable.map(|iterable| Node::Foreach {
                slot,
                loop_id,
                iterable,
                body,
                position: start,
            })),
            Closer::Else(at) => Err(self.error(at, "#else inside #foreach without an #if")),
            Closer::ElseIf(at, _) => Err(self.error(at, "#elseif inside #foreach without an #if")),
            Closer::Eof => Err(self.error(start, "#foreach is never closed: add #end")),
        }
    }

    /// Gives every `#set` variable its slot before parsing: Velocity's variables live in one
    /// context, so a `$x` before its `#set` (in a loop's second round) sees the value.
    fn declare_set_variables(&mut self) {
        let mut from = 0;
        while let Some(found) = self.src.get(from..).and_then(|rest| rest.find("set")) {
            let at = from + found;
            from = at + 3;
            let directive = match at.checked_sub(1).and_then(|i| self.peek_at(i)) {
                Some(b'#') => true,
                Some(b'{') => at >= 2 && self.peek_at(at - 2) == Some(b'#'),
                _ => false,
            };
            if !directive {
                continue;
            }
            let mut i = from + usize::from(self.peek_at(from) == Some(b'}'));
            while self.peek_at(i).is_some_and(|b| b.is_ascii_whitespace()) {
                i += 1;
            }
            if self.peek_at(i) != Some(b'(') {
                continue;
            }
            i += 1;
            while self.peek_at(i).is_some_and(|b| b.is_ascii_whitespace()) {
                i += 1;
            }
            if self.peek_at(i) != Some(b'$') || !self.peek_at(i + 1).is_some_and(is_ident_start) {
                continue;
            }
            let mut end = i + 1;
            while self.peek_at(end).is_some_and(is_ident) {
                end += 1;
            }
            let name = self.text(i + 1..end);
            // A platform variable keeps its value until the #set runs: declared there.
            let platform = Variable::from_name(name).is_some() || name == "esc";
            if !platform && self.local(name).is_none() {
                self.locals.push((name, self.slots));
                self.slots += 1;
            }
        }
    }

    /// At `#` after backslashes: the end of `#name` / `#{name}` when `name` is a directive
    /// this engine runs.
    fn escaped_directive(&self) -> Option<usize> {
        if self.peek() != Some(b'#') {
            return None;
        }
        let braced = self.peek_at(self.pos + 1) == Some(b'{');
        let name_start = self.pos + 1 + usize::from(braced);
        let mut end = name_start;
        while self.peek_at(end).is_some_and(is_ident) {
            end += 1;
        }
        if !RUN.contains(&self.text(name_start..end)) {
            return None;
        }
        match braced {
            false => Some(end),
            true if self.peek_at(end) == Some(b'}') => Some(end + 1),
            true => None,
        }
    }

    /// The slot of a local name.
    fn local(&self, name: &str) -> Option<usize> {
        self.locals
            .iter()
            .rev()
            .find(|(local, _)| *local == name)
            .map(|&(_, slot)| slot)
    }

    /// A directive's header at `#`; `Head::Literal` when the `#` starts none.
    fn directive(&mut self) -> Result<Head, SyntaxError> {
        let start = self.pos;
        match self.peek_at(start + 1) {
            Some(b'#') => return Ok(self.line_comment(start)),
            Some(b'*') => return self.block_comment(start),
            Some(b'[') if self.peek_at(start + 2) == Some(b'[') => return self.unparsed(start),
            _ => {}
        }
        let braced = self.peek_at(start + 1) == Some(b'{');
        let name_start = start + 1 + usize::from(braced);
        let mut name_end = name_start;
        while self.peek_at(name_end).is_some_and(is_ident) {
            name_end += 1;
        }
        if name_end == name_start || !self.b.get(name_start).copied().is_some_and(is_ident_start) {
            return Ok(Head::Literal);
        }
        let name = self.text(name_start..name_end);
        if !RUN.contains(&name) {
            if UNSUPPORTED.contains(&name) {
                self.unsupported.push(start..name_end);
            }
            return Ok(Head::Literal);
        }
        self.pos = name_end;
        if braced {
            if self.peek() != Some(b'}') {
                return Ok(Head::Literal);
            }
            self.pos += 1;
        }
        match name {
            "else" => Ok(Head::Else),
            "end" => Ok(Head::End),
            "if" => Ok(Head::If(self.condition_head(start, name)?)),
            "elseif" => Ok(Head::ElseIf(self.condition_head(start, name)?)),
            "foreach" => self.foreach_head(start),
            _ => self.set_head(start),
        }
    }

    /// `## ..` up to and with the line break.
    fn line_comment(&mut self, start: usize) -> Head {
        self.pos = self
            .b
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.b.len(), |i| start + i + 1);
        Head::Comment
    }

    /// `#* .. *#`.
    fn block_comment(&mut self, start: usize) -> Result<Head, SyntaxError> {
        let end = self
            .src
            .get(start + 2..)
            .and_then(|rest| rest.find("*#"))
            .ok_or_else(|| self.error(start, "#* comment is never closed: add *#"))?;
        self.pos = start + 2 + end + 2;
        Ok(Head::Comment)
    }

    /// `#[[ .. ]]#`: text as it stands.
    fn unparsed(&mut self, start: usize) -> Result<Head, SyntaxError> {
        let inner = start + 3;
        let end = self
            .src
            .get(inner..)
            .and_then(|rest| rest.find("]]#"))
            .ok_or_else(|| self.error(start, "#[[ is never closed: add ]]#"))?;
        self.pos = inner + end + 3;
        Ok(Head::Unparsed(inner..inner + end))
    }

    /// `(condition)` of `#if` and `#elseif`.
    fn condition_head(&mut self, start: usize, name: &str) -> Result<Expr, SyntaxError> {
        self.open_paren(start, name)?;
        let condition = self.expr_or()?;
        self.close_paren(start, name)?;
        Ok(condition)
    }

    /// `($item in $iterable)` of `#foreach`.
    fn foreach_head(&mut self, start: usize) -> Result<Head, SyntaxError> {
        self.open_paren(start, "foreach")?;
        self.skip_ws();
        let name = self
            .plain_variable()
            .ok_or_else(|| self.error(self.pos, "#foreach needs a `$name` to loop with"))?;
        self.skip_ws();
        if !self.word("in") {
            return Err(self.error(self.pos, "expected `in` in #foreach($item in $list)"));
        }
        self.skip_ws();
        let at = self.pos;
        let iterable = match self.peek() {
            Some(b'$') => self.reference(0)?,
            Some(b'\'' | b'"' | b'-' | b'0'..=b'9') => {
                // A literal: Velocity 1.7 finds no iterator and never runs the body.
                self.operand()?;
                None
            }
            _ => {
                return Err(self.error(at, "#foreach iterates over a reference, like $attachments"));
            }
        };
        self.close_paren(start, "foreach")?;
        Ok(Head::Foreach { name, iterable })
    }

    /// `($name = value)` of `#set`.
    fn set_head(&mut self, start: usize) -> Result<Head, SyntaxError> {
        self.open_paren(start, "set")?;
        self.skip_ws();
        let name = self
            .plain_variable()
            .ok_or_else(|| self.error(self.pos, "#set needs a `$name` to assign"))?;
        self.skip_ws();
        if self.peek() != Some(b'=') {
            return Err(self.error(self.pos, "expected `=` in #set($name = value)"));
        }
        self.pos += 1;
        let value = self.operand()?;
        self.close_paren(start, "set")?;
        Ok(Head::Set { name, value })
    }

    fn open_paren(&mut self, start: usize, name: &str) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(self.error(self.pos, format!("expected `(` after #{name}")));
        }
        self.pos += 1;
        self.enter(start)
    }

    fn close_paren(&mut self, start: usize, name: &str) -> Result<(), SyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some(b')') => {
                self.pos += 1;
                self.leave();
                Ok(())
            }
            None => Err(self.error(start, format!("#{name}( is never closed: add `)`"))),
            Some(_) => Err(self.error(
                self.pos,
                format!("unexpected `{}` in #{name}(..)", self.char_at(self.pos)),
            )),
        }
    }

    fn char_at(&self, at: usize) -> char {
        self.src
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or(' ')
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// `word` as a whole word; consumed when there.
    fn word(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let there = self.b.get(self.pos..end) == Some(word.as_bytes())
            && !self.peek_at(end).is_some_and(is_ident);
        if there {
            self.pos = end;
        }
        there
    }

    /// `$name` with nothing after it: the name.
    fn plain_variable(&mut self) -> Option<Range<usize>> {
        if self.peek() != Some(b'$') || !self.peek_at(self.pos + 1).is_some_and(is_ident_start) {
            return None;
        }
        let start = self.pos + 1;
        let mut end = start;
        while self.peek_at(end).is_some_and(is_ident) {
            end += 1;
        }
        self.pos = end;
        Some(start..end)
    }

    /// A reference at `$`, or `None` (and nothing consumed) when the `$` starts none.
    fn reference(&mut self, escapes: usize) -> Result<Option<Reference>, SyntaxError> {
        let start = self.pos;
        let mut at = start + 1;
        let quiet = self.peek_at(at) == Some(b'!');
        at += usize::from(quiet);
        let formal = self.peek_at(at) == Some(b'{');
        at += usize::from(formal);
        if !self.peek_at(at).is_some_and(is_ident_start) {
            return Ok(None);
        }
        let name_start = at;
        while self.peek_at(at).is_some_and(is_ident) {
            at += 1;
        }
        let name = name_start..at;
        self.pos = at;
        let target = self.resolve(self.text(name.clone()));
        let mut members = Vec::new();
        while self.peek() == Some(b'.') && self.peek_at(self.pos + 1).is_some_and(is_ident_start) {
            let member_start = self.pos + 1;
            let mut end = member_start;
            while self.peek_at(end).is_some_and(is_ident) {
                end += 1;
            }
            self.pos = end;
            let call = self.peek() == Some(b'(');
            let args = if call { self.arguments()? } else { Vec::new() };
            let kind = member_kind(self.text(member_start..end), call, args);
            members.push(Member {
                kind,
                name: member_start..end,
                call,
            });
        }
        if formal {
            if self.peek() != Some(b'}') {
                return Err(self.error(start, "`${` is never closed: add `}`"));
            }
            self.pos += 1;
        } else if self.peek() == Some(b'{') && self.name_follows(self.after_braces(self.pos)) {
            return Err(self.error(
                self.pos,
                "Velocity 1.7 rejects `{` between a reference and a name: write `${name}{` or \
                 add a space",
            ));
        }
        Ok(Some(Reference {
            quiet,
            escapes,
            target,
            members,
            span: start..self.pos,
            name,
        }))
    }

    /// Where a run of `{` from `at` ends.
    fn after_braces(&self, mut at: usize) -> usize {
        while self.peek_at(at) == Some(b'{') {
            at += 1;
        }
        at
    }

    /// Whether a name or a reference (`x`, `$x`, `$!x`, `\\$x`) starts at `at`.
    fn name_follows(&self, at: usize) -> bool {
        match self.peek_at(at) {
            Some(b'$') => {
                let at = at + 1 + usize::from(self.peek_at(at + 1) == Some(b'!'));
                self.peek_at(at).is_some_and(is_ident_start)
            }
            Some(b'\\') => {
                let mut at = at;
                while self.peek_at(at) == Some(b'\\') {
                    at += 1;
                }
                self.peek_at(at) == Some(b'$')
            }
            Some(b) => is_ident(b),
            None => false,
        }
    }

    /// What a name refers to here.
    fn resolve(&self, name: &str) -> Target {
        if let Some(slot) = self.local(name) {
            return Target::Local(slot);
        }
        if let Some(&innermost) = self.loops.last() {
            match name {
                "foreach" => return Target::Loop(innermost),
                "velocityHasNext" => return Target::LoopHasNext(innermost),
                "velocityCount" => return Target::LoopCount(innermost),
                _ => {}
            }
        }
        if name == "esc" {
            return Target::Esc;
        }
        Variable::from_name(name).map_or(Target::Unknown, Target::Event)
    }

    /// `(a, b, ..)` of a method call, at `(`.
    fn arguments(&mut self) -> Result<Vec<Operand>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        self.enter(open)?;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            self.leave();
            return Ok(args);
        }
        loop {
            args.push(self.operand()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    self.leave();
                    return Ok(args);
                }
                None => return Err(self.error(open, "`(` of a method call is never closed")),
                Some(_) => {
                    return Err(self.error(
                        self.pos,
                        format!(
                            "unexpected `{}` in method arguments",
                            self.char_at(self.pos)
                        ),
                    ));
                }
            }
        }
    }

    /// A reference, a string, an integer or a boolean.
    fn operand(&mut self) -> Result<Operand, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'$') => match self.reference(0)? {
                Some(reference) => Ok(Operand::Reference(reference)),
                None => Err(self.error(start, "`$` must be followed by a name")),
            },
            Some(quote @ (b'\'' | b'"')) => self.string(quote),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.word("true") => Ok(Operand::Boolean(true)),
            _ if self.word("false") => Ok(Operand::Boolean(false)),
            None => Err(self.error(start, "expected a value, found the end of the template")),
            Some(_) => Err(self.error(
                start,
                format!("expected a value, found `{}`", self.char_at(start)),
            )),
        }
    }

    /// A string literal at its quote; a doubled quote inside is one quote. `"..."` holding
    /// `$` or `#` would be interpolated by Velocity, which this engine does not do.
    fn string(&mut self, quote: u8) -> Result<Operand, SyntaxError> {
        let start = self.pos;
        let inner = start + 1;
        let mut at = inner;
        let mut doubled = false;
        loop {
            match self.peek_at(at) {
                None => return Err(self.error(start, "string is never closed")),
                Some(b) if b == quote && self.peek_at(at + 1) == Some(quote) => {
                    doubled = true;
                    at += 2;
                }
                Some(b) if b == quote => break,
                Some(b'$' | b'#') if quote == b'"' => {
                    return Err(self.error(
                        at,
                        "`$` and `#` in a \"..\" string are interpolated by Velocity, which this \
                         engine does not do: use '..' for plain text",
                    ));
                }
                Some(_) => at += 1,
            }
        }
        self.pos = at + 1;
        if !doubled {
            return Ok(Operand::Text(inner..at));
        }
        let quote = char::from(quote);
        let text = self
            .text(inner..at)
            .replace(&format!("{quote}{quote}"), &quote.to_string());
        self.strings.push(text);
        Ok(Operand::Unescaped(self.strings.len() - 1))
    }

    /// An integer, or a float like `220.0` (plain notation, as this engine prints floats the
    /// way Java does only there).
    fn number(&mut self) -> Result<Operand, SyntaxError> {
        let start = self.pos;
        let digits = |parser: &Self, mut end: usize| {
            while parser.peek_at(end).is_some_and(|b| b.is_ascii_digit()) {
                end += 1;
            }
            end
        };
        let end = digits(self, start + 1);
        let fraction = self.peek_at(end) == Some(b'.')
            && self.peek_at(end + 1).is_some_and(|b| b.is_ascii_digit());
        if !fraction {
            let number = self
                .text(start..end)
                .parse::<i64>()
                .map_err(|_| self.error(start, "not an integer in range"))?;
            self.pos = end;
            return Ok(Operand::Integer(number));
        }
        let end = digits(self, end + 1);
        let number = self
            .text(start..end)
            .parse::<f64>()
            .ok()
            .filter(|x| *x == 0.0 || (1e-3..1e7).contains(&x.abs()))
            .ok_or_else(|| self.error(start, "floats from 0.001 to 9999999 only"))?;
        self.pos = end;
        Ok(Operand::Float(number))
    }

    fn expr_or(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.expr_and()?;
        loop {
            self.skip_ws();
            if self.symbol("||") || self.word("or") {
                let right = self.expr_and()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn expr_and(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.expr_compare()?;
        loop {
            self.skip_ws();
            if self.symbol("&&") || self.word("and") {
                let right = self.expr_compare()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn expr_compare(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.expr_unary()?;
        loop {
            self.skip_ws();
            let Some(op) = self.comparison() else {
                return Ok(left);
            };
            let right = self.expr_unary()?;
            left = Expr::Compare(op, Box::new(left), Box::new(right));
        }
    }

    fn comparison(&mut self) -> Option<Comparison> {
        const OPERATORS: [(&str, &str, Comparison); 6] = [
            ("==", "eq", Comparison::Equal),
            ("!=", "ne", Comparison::NotEqual),
            ("<=", "le", Comparison::LessOrEqual),
            (">=", "ge", Comparison::GreaterOrEqual),
            ("<", "lt", Comparison::Less),
            (">", "gt", Comparison::Greater),
        ];
        OPERATORS
            .iter()
            .find(|(symbol, word, _)| self.symbol(symbol) || self.word(word))
            .map(|&(_, _, op)| op)
    }

    fn symbol(&mut self, symbol: &str) -> bool {
        let end = self.pos + symbol.len();
        let there = self.b.get(self.pos..end) == Some(symbol.as_bytes());
        if there {
            self.pos = end;
        }
        there
    }

    fn expr_unary(&mut self) -> Result<Expr, SyntaxError> {
        self.skip_ws();
        let start = self.pos;
        if (self.peek() == Some(b'!') && self.peek_at(start + 1) != Some(b'=')) || self.word("not")
        {
            if self.peek() == Some(b'!') {
                self.pos += 1;
            }
            self.enter(start)?;
            let inner = self.expr_unary()?;
            self.leave();
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            self.enter(start)?;
            let inner = self.expr_or()?;
            self.skip_ws();
            if self.peek() != Some(b')') {
                return Err(self.error(start, "`(` in a condition is never closed"));
            }
            self.pos += 1;
            self.leave();
            return Ok(inner);
        }
        let operand = self.operand()?;
        self.skip_ws();
        if let Some(op @ (b'+' | b'-' | b'*' | b'/' | b'%')) = self.peek() {
            return Err(self.error(
                self.pos,
                format!(
                    "arithmetic (`{}`) is not supported in conditions",
                    op as char
                ),
            ));
        }
        Ok(Expr::Operand(operand))
    }
}

/// Appends the text `range` unless it is empty.
fn push_text(nodes: &mut Vec<Node>, range: Range<usize>) {
    if range.start < range.end {
        nodes.push(Node::Text(range));
    }
}

/// What a member name means; `args` are the call's arguments.
fn member_kind(name: &str, call: bool, args: Vec<Operand>) -> MemberKind {
    let mut args = args.into_iter();
    let (first, more) = (args.next(), args.next().is_some());
    let getter = |property: &str, getter: &str| {
        (!call && name == property) || (call && first.is_none() && name == getter)
    };
    if getter("key", "getKey") {
        return MemberKind::Key;
    }
    if getter("value", "getValue") {
        return MemberKind::Value;
    }
    if getter("contentType", "getContentType") {
        return MemberKind::ContentType;
    }
    if getter("base64", "getBase64") {
        return MemberKind::Base64;
    }
    if getter("originalName", "getOriginalName") {
        return MemberKind::OriginalName;
    }
    if getter("hasNext", "hasNext") || getter("hasNext", "getHasNext") {
        return MemberKind::HasNext;
    }
    if getter("count", "getCount") {
        return MemberKind::Count;
    }
    if getter("index", "getIndex") {
        return MemberKind::Index;
    }
    if getter("first", "isFirst") {
        return MemberKind::First;
    }
    if getter("last", "isLast") {
        return MemberKind::Last;
    }
    if getter("empty", "isEmpty") {
        return MemberKind::IsEmpty;
    }
    if !call {
        return MemberKind::Property;
    }
    match (name, first, more) {
        ("keySet", None, _) => MemberKind::KeySet,
        ("entrySet", None, _) => MemberKind::EntrySet,
        ("values", None, _) => MemberKind::Values,
        ("size", None, _) => MemberKind::Size,
        ("get", Some(arg), false) => MemberKind::Get(Box::new(arg)),
        ("containsKey", Some(arg), false) => MemberKind::ContainsKey(Box::new(arg)),
        (name, Some(arg), false) => match Escape::from_name(name) {
            Some(escape) => MemberKind::Escape(escape, Box::new(arg)),
            None => MemberKind::Unknown,
        },
        _ => MemberKind::Unknown,
    }
}
