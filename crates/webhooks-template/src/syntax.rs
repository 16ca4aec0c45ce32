//! The parsed form of a template: nodes with every name resolved when the template is parsed.
//!
//! Positions are byte offsets into the template source.

use std::ops::Range;

use super::variable::Variable;

/// A piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Source text copied as is.
    Text(Range<usize>),
    /// `$name...`, `$!name...`, `${name...}`.
    Reference(Reference),
    /// `#if(..) .. #elseif(..) .. #else .. #end`.
    If {
        /// Each condition with its body, in order.
        branches: Vec<(Expr, Vec<Node>)>,
        /// The `#else` body.
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($item in $iterable) .. #end`.
    Foreach {
        /// The slot of `$item`.
        slot: usize,
        /// The loop's index in the per-render loop states (`$foreach`, `$velocityHasNext`).
        loop_id: usize,
        /// What is iterated.
        iterable: Reference,
        /// The body.
        body: Vec<Node>,
        /// Where `#foreach` starts.
        position: usize,
    },
    /// `#set($name = value)`.
    Set {
        /// The slot of `$name`.
        slot: usize,
        /// The value.
        value: Operand,
    },
}

/// A reference: a variable and a chain of properties and method calls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reference {
    /// `$!`: render nothing when the value is null.
    pub quiet: bool,
    /// Backslashes written just before the `$`.
    pub escapes: usize,
    /// What the name resolved to.
    pub target: Target,
    /// `.name` and `.name(args)`, in order.
    pub members: Vec<Member>,
    /// The whole reference in the source (without the backslashes): what renders when the
    /// value is null.
    pub span: Range<usize>,
    /// The name (without `$`, `!`, `{`).
    pub name: Range<usize>,
}

/// What the first name of a reference refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A variable of the event.
    Event(Variable),
    /// A `#foreach` item or a `#set` variable.
    Local(usize),
    /// `$foreach` of the loop with this id.
    Loop(usize),
    /// `$velocityHasNext` of the loop with this id.
    LoopHasNext(usize),
    /// `$velocityCount` of the loop with this id.
    LoopCount(usize),
    /// `$esc`, the escape tool.
    Esc,
    /// Nothing: the reference renders as its source text.
    Unknown,
}

/// `.name` or `.name(args)` after a reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    /// What it does.
    pub kind: MemberKind,
    /// The name in the source (a map property reads this key).
    pub name: Range<usize>,
    /// Whether it was written as a call, `name(..)`.
    pub call: bool,
}

/// Properties and methods the engine knows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MemberKind {
    /// `.get(x)`: a map value or a list item.
    Get(Box<Operand>),
    /// `.keySet()`.
    KeySet,
    /// `.entrySet()`.
    EntrySet,
    /// `.values()`.
    Values,
    /// `.size()`.
    Size,
    /// `.isEmpty()` / `.empty`.
    IsEmpty,
    /// `.containsKey(x)`.
    ContainsKey(Box<Operand>),
    /// `.key` / `.getKey()`.
    Key,
    /// `.value` / `.getValue()`.
    Value,
    /// `.contentType` / `.getContentType()`.
    ContentType,
    /// `.base64` / `.getBase64()`.
    Base64,
    /// `.originalName` / `.getOriginalName()`.
    OriginalName,
    /// `.hasNext` / `.hasNext()`.
    HasNext,
    /// `.count` (from 1).
    Count,
    /// `.index` (from 0).
    Index,
    /// `.first`.
    First,
    /// `.last`.
    Last,
    /// `$esc.json(x)` and the other escapes.
    Escape(Escape, Box<Operand>),
    /// Any other property: a map key (`$metadata.myKey`), nothing on other values.
    Property,
    /// Any other method call: nothing.
    Unknown,
}

/// The escapes of `$esc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// `$esc.json`: JSON string content. velocity-tools 2.0's EscapeTool has no `json`, so
    /// what the platform runs is unknowable from here; this engine (and the differential
    /// test's harness) uses Commons Lang 2.6 `escapeJava`, the escaper velocity-tools' own
    /// `$esc.java` uses: valid JSON string content that leaves `/` alone (`escapeJson` would
    /// write `\/`; both decode the same). The one place to change it is `escape::escape_into`.
    Json,
    /// `$esc.javascript`: JavaScript string content.
    JavaScript,
    /// `$esc.java`: Java string content.
    Java,
    /// `$esc.xml`: XML text and attribute content.
    Xml,
    /// `$esc.html`: HTML text.
    Html,
    /// `$esc.url`: `application/x-www-form-urlencoded` (UTF-8).
    Url,
}

impl Escape {
    /// The escape a method of `$esc` names.
    pub(crate) fn from_name(name: &str) -> Option<Escape> {
        Some(match name {
            "json" => Escape::Json,
            "javascript" => Escape::JavaScript,
            "java" => Escape::Java,
            "xml" => Escape::Xml,
            "html" => Escape::Html,
            "url" => Escape::Url,
            _ => return None,
        })
    }
}

/// A value in a condition, a method argument or a `#set`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// A reference.
    Reference(Reference),
    /// `'text'` or `"text"` (the range excludes the quotes).
    Text(Range<usize>),
    /// A string literal with doubled quotes (`'it''s'`): its text, by index in
    /// `Parsed::strings`.
    Unescaped(usize),
    /// An integer.
    Integer(i64),
    /// A float, like `220.0`.
    Float(f64),
    /// `true` / `false`.
    Boolean(bool),
}

/// A condition of `#if` / `#elseif`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// A value: true when not null and not false (a literal alone is false).
    Operand(Operand),
    /// `!x`, `not x`.
    Not(Box<Expr>),
    /// `a && b`, `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a || b`, `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// A comparison.
    Compare(Comparison, Box<Expr>, Box<Expr>),
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// `==`, `eq`.
    Equal,
    /// `!=`, `ne`.
    NotEqual,
    /// `<`, `lt`.
    Less,
    /// `<=`, `le`.
    LessOrEqual,
    /// `>`, `gt`.
    Greater,
    /// `>=`, `ge`.
    GreaterOrEqual,
}

/// Calls `visit` on every reference in `nodes`, in source order, arguments included.
pub(crate) fn each_reference<'n>(nodes: &'n [Node], visit: &mut impl FnMut(&'n Reference)) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Reference(reference) => reference_and_arguments(reference, visit),
            Node::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    expr_references(condition, visit);
                    each_reference(body, visit);
                }
                if let Some(body) = otherwise {
                    each_reference(body, visit);
                }
            }
            Node::Foreach { iterable, body, .. } => {
                reference_and_arguments(iterable, visit);
                each_reference(body, visit);
            }
            Node::Set { value, .. } => operand_references(value, visit),
        }
    }
}

fn reference_and_arguments<'n>(reference: &'n Reference, visit: &mut impl FnMut(&'n Reference)) {
    visit(reference);
    for member in &reference.members {
        match &member.kind {
            MemberKind::Get(arg) | MemberKind::ContainsKey(arg) | MemberKind::Escape(_, arg) => {
                operand_references(arg, visit);
            }
            _ => {}
        }
    }
}

fn operand_references<'n>(operand: &'n Operand, visit: &mut impl FnMut(&'n Reference)) {
    if let Operand::Reference(reference) = operand {
        reference_and_arguments(reference, visit);
    }
}

fn expr_references<'n>(expr: &'n Expr, visit: &mut impl FnMut(&'n Reference)) {
    match expr {
        Expr::Operand(operand) => operand_references(operand, visit),
        Expr::Not(inner) => expr_references(inner, visit),
        Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(_, a, b) => {
            expr_references(a, visit);
            expr_references(b, visit);
        }
    }
}
