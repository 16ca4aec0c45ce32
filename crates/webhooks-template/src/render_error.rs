//! Why a render stopped: a limit ran out, or the template asked for something Velocity 1.7
//! fails on.

use std::fmt;

use super::limits::{MAX_OUTPUT_BYTES, MAX_RENDER_STEPS};
use super::parse::{SyntaxError, line_column};

/// A render that stopped, and where in the template.
///
/// ```
/// use webhooks_template::Event;
/// use webhooks_template::{EventData, RenderErrorKind, Template};
///
/// let template = Template::parse(
///     "#foreach($a in $metadata)#foreach($b in $metadata)$a$b#end#end",
/// )?;
/// let mut data = EventData::sample(Event::ReceivedSms, "acct");
/// for i in 0..5_000 {
///     data.metadata.insert(format!("key{i}"), "value".into());
/// }
/// let err = template.render(&data).unwrap_err();
/// assert_eq!(err.kind(), RenderErrorKind::OutputTooLarge);
/// assert_eq!((err.line(), err.column()), (1, 53)); // `$a`, when the output passed the limit
/// # Ok::<(), webhooks_template::SyntaxError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    kind: RenderErrorKind,
    line: usize,
    column: usize,
    offset: usize,
}

/// What stopped a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RenderErrorKind {
    /// The output passed [`MAX_OUTPUT_BYTES`](super::MAX_OUTPUT_BYTES).
    OutputTooLarge,
    /// The render took more than [`MAX_RENDER_STEPS`](super::MAX_RENDER_STEPS) steps.
    TooManySteps,
    /// A method failed as it does in Velocity 1.7, which then renders nothing at all:
    /// `.get(n)` past the end of a list.
    IndexOutOfBounds,
}

impl RenderError {
    pub(crate) fn new(source: &str, offset: usize, kind: RenderErrorKind) -> RenderError {
        let (line, column) = line_column(source, offset);
        RenderError {
            kind,
            line,
            column,
            offset,
        }
    }

    /// What stopped the render.
    pub fn kind(&self) -> RenderErrorKind {
        self.kind
    }

    /// The line of the template being rendered when it stopped, from 1.
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
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl fmt::Display for RenderErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderErrorKind::OutputTooLarge => write!(
                f,
                "the rendered output passes the limit of {MAX_OUTPUT_BYTES} bytes"
            ),
            RenderErrorKind::TooManySteps => write!(
                f,
                "rendering takes more than {MAX_RENDER_STEPS} steps (loops nested over large \
                 collections?)"
            ),
            RenderErrorKind::IndexOutOfBounds => {
                f.write_str(".get(..) past the end of the list: Velocity fails the whole render")
            }
        }
    }
}

impl std::error::Error for RenderError {}

/// A template that did not parse or did not render, from [`render`](super::render()).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateError {
    /// It does not parse.
    Syntax(SyntaxError),
    /// It parsed, but the render stopped.
    Render(RenderError),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Syntax(err) => err.fmt(f),
            TemplateError::Render(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for TemplateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TemplateError::Syntax(err) => Some(err),
            TemplateError::Render(err) => Some(err),
        }
    }
}

impl From<SyntaxError> for TemplateError {
    fn from(err: SyntaxError) -> TemplateError {
        TemplateError::Syntax(err)
    }
}

impl From<RenderError> for TemplateError {
    fn from(err: RenderError) -> TemplateError {
        TemplateError::Render(err)
    }
}
