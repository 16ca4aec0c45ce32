//! [`TemplateBuilder`]: templates written from typed variables, escaped for their encoding.

use std::fmt::Write as _;

use super::escape::escape_into;
use super::syntax::Escape;
use super::variable::Variable;
use super::{SyntaxError, Template};
use webhooks_vocabulary::Encoding;

/// A value of a field written by a [`TemplateBuilder`]: a platform [`Variable`] (a
/// `Variable` converts into one, so `.field("id", Variable::MessageId)` reads as it should), one
/// metadata value, or a fixed text.
///
/// `Variable::Metadata` writes the whole metadata map (a JSON object, `name[key]=value` pairs
/// in a form, `<entry key="..">..</entry>` elements in XML) and `Variable::Attachments` the MMS
/// attachments (each with `content_type`, `content` (base64) and `original_name`: a JSON array,
/// `name[0][content_type]=..` pairs in a form, `<attachment>` elements in XML).
///
/// ```
/// use webhooks_template::{Var, Variable};
///
/// let fields: [Var; 4] = [
///     Variable::MessageId.into(),
///     Var::Metadata("order"),
///     Variable::Metadata.into(),
///     Var::Text("0"),
/// ];
/// assert_eq!(fields[0].variable(), Some(Variable::MessageId));
/// assert_eq!(fields[1].variable(), Some(Variable::Metadata));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Var<'a> {
    /// A platform variable, as the event provides it.
    Variable(Variable),
    /// One metadata value, `$metadata.get('key')`.
    Metadata(&'a str),
    /// A fixed text.
    Text(&'a str),
}

impl Var<'_> {
    /// The platform variable this reads (the map for `Metadata(..)`), if any.
    pub fn variable(&self) -> Option<Variable> {
        match self {
            Var::Variable(variable) => Some(*variable),
            Var::Metadata(_) => Some(Variable::Metadata),
            Var::Text(_) => None,
        }
    }
}

impl From<Variable> for Var<'_> {
    fn from(variable: Variable) -> Self {
        Var::Variable(variable)
    }
}

/// Why a [`TemplateBuilder`] could not build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template field `{field}`: {reason}")]
pub struct BuildError {
    /// The field (`outer.inner` when nested).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Variable(Variable),
    Metadata(String),
    MetadataMap,
    Attachments,
    Text(String),
    Object(Vec<Field>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    part: Part,
    optional: bool,
}

/// Writes a template from typed variables, escaped for its encoding, so nobody hand-escapes
/// JSON inside JSON. Field names are yours; values are [`Var`]s.
///
/// - `JSON`: one object; text values go through `$esc.json`, so any content stays valid JSON.
/// - `FORM_ENCODED`: `name=value` pairs joined by `&`, values through `$esc.url`; nested
///   fields are named `outer[inner]` (percent-encoded).
/// - `XML`: a declaration and one root element (default `callback`, see
///   [`TemplateBuilder::root`]) with one element per field, values through `$esc.xml`.
///
/// A value the event does not provide renders empty; an [`optional_field`]
/// (`TemplateBuilder::optional_field`) is left out instead.
///
/// [`optional_field`]: TemplateBuilder::optional_field
///
/// ```
/// use webhooks_template::{Encoding, Event, EventData, Template, Variable};
///
/// let template = Template::builder(Encoding::FormEncoded)
///     .field("id", Variable::ReportId)
///     .field("status", Variable::Status)
///     .object("account", |account| account.field("vendor", Variable::VendorId))
///     .build()?;
/// let mut data = EventData::sample(Event::DeliveredDr, "acct");
/// data.report_id = Some("r 1".into());
/// assert_eq!(
///     template.render(&data)?,
///     "id=r+1&status=delivered&account%5Bvendor%5D=MessageMedia"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TemplateBuilder {
    encoding: Encoding,
    root: String,
    fields: Vec<Field>,
}

impl TemplateBuilder {
    /// A builder for `encoding`; also [`Template::builder`].
    pub fn new(encoding: Encoding) -> TemplateBuilder {
        TemplateBuilder {
            encoding,
            root: "callback".to_owned(),
            fields: Vec::new(),
        }
    }

    /// The root element of an XML template (default `callback`); ignored by other encodings.
    pub fn root(mut self, name: impl Into<String>) -> Self {
        self.root = name.into();
        self
    }

    /// Adds a field `name` holding `value` (a [`Var`], or a [`Variable`]).
    pub fn field<'v>(self, name: impl Into<String>, value: impl Into<Var<'v>>) -> Self {
        self.push(name.into(), value.into(), false)
    }

    /// Adds a field left out entirely when its value is missing or empty (not the first
    /// field of its level: the separators of the fields before it carry it).
    pub fn optional_field<'v>(self, name: impl Into<String>, value: impl Into<Var<'v>>) -> Self {
        self.push(name.into(), value.into(), true)
    }

    fn push(mut self, name: String, value: Var<'_>, optional: bool) -> Self {
        let part = match value {
            Var::Variable(Variable::Metadata) => Part::MetadataMap,
            Var::Variable(Variable::Attachments) => Part::Attachments,
            Var::Variable(variable) => Part::Variable(variable),
            Var::Metadata(key) => Part::Metadata(key.to_owned()),
            Var::Text(text) => Part::Text(text.to_owned()),
        };
        self.fields.push(Field {
            name,
            part,
            optional,
        });
        self
    }

    /// Adds a nested group `name` (a JSON object, an XML element, `name[..]` form fields),
    /// whose fields `build` adds.
    pub fn object(
        mut self,
        name: impl Into<String>,
        build: impl FnOnce(TemplateBuilder) -> TemplateBuilder,
    ) -> Self {
        let inner = build(TemplateBuilder::new(self.encoding));
        self.fields.push(Field {
            name: name.into(),
            part: Part::Object(inner.fields),
            optional: false,
        });
        self
    }

    /// The template's source, or why it cannot be written (an empty or repeated name, a name
    /// XML does not allow, an optional field first, a metadata key with a `'`).
    pub fn source(&self) -> Result<String, BuildError> {
        check_fields(&self.fields, "", self.encoding)?;
        let mut out = String::new();
        match self.encoding {
            Encoding::FormEncoded => form_fields(&mut out, &self.fields, "", false),
            Encoding::Xml => {
                check_xml_name(&self.root, &self.root)?;
                out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                let _ = write!(out, "<{}>", self.root);
                xml_fields(&mut out, &self.fields);
                let _ = write!(out, "</{}>", self.root);
            }
            _ => json_object(&mut out, &self.fields),
        }
        Ok(out)
    }

    /// Builds the template.
    pub fn build(&self) -> Result<Template, BuildError> {
        let source = self.source()?;
        Template::parse(&source).map_err(|err: SyntaxError| BuildError {
            field: String::new(),
            reason: format!("the written template does not parse ({err})"),
        })
    }
}

fn check_fields(fields: &[Field], prefix: &str, encoding: Encoding) -> Result<(), BuildError> {
    for (i, field) in fields.iter().enumerate() {
        let path = format!("{prefix}{}", field.name);
        let error = |reason: &str| BuildError {
            field: path.clone(),
            reason: reason.to_owned(),
        };
        if field.name.is_empty() {
            return Err(error("a field needs a name"));
        }
        if fields[..i].iter().any(|other| other.name == field.name) {
            return Err(error("the name is used twice"));
        }
        if field.optional && i == 0 {
            return Err(error("an optional field cannot come first"));
        }
        if encoding == Encoding::Xml {
            check_xml_name(&field.name, &path)?;
        }
        match &field.part {
            Part::Metadata(key) if key.contains('\'') => {
                return Err(error("metadata keys with `'` are not supported"));
            }
            Part::Object(inner) => check_fields(inner, &format!("{path}."), encoding)?,
            _ => {}
        }
    }
    Ok(())
}

/// Element names: ASCII letters, digits, `_`, `-`, `.`, not starting with a digit, `-`, `.`.
fn check_xml_name(name: &str, path: &str) -> Result<(), BuildError> {
    let mut bytes = name.bytes();
    let valid = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(BuildError {
            field: path.to_owned(),
            reason:
                "not an XML element name (letters, digits, `_`, `-`, `.`; a letter or `_` first)"
                    .to_owned(),
        })
    }
}

/// The reference reading a scalar part, escaped with `escape` (`$!esc.json($!messageId)`),
/// or plainly for values that never need escaping (`$!retryCount`).
fn value_reference(out: &mut String, part: &Part, escape: &str) {
    let (inner, plain) = match part {
        Part::Variable(variable) => (
            format!("${}", variable.name()),
            matches!(
                variable,
                Variable::SubmittedTimestamp
                    | Variable::ReceivedTimestamp
                    | Variable::StatusCode
                    | Variable::RetryCount
                    | Variable::BillingUnits
            ),
        ),
        Part::Metadata(key) => (format!("$metadata.get('{key}')"), false),
        _ => return,
    };
    if plain {
        let _ = write!(out, "$!{{{}}}", inner.trim_start_matches('$'));
    } else {
        let _ = write!(out, "$!esc.{escape}($!{})", inner.trim_start_matches('$'));
    }
}

/// The `#if` condition of an optional field.
fn presence(part: &Part) -> String {
    match part {
        Part::Variable(variable) => format!("${}", variable.name()),
        Part::Metadata(key) => format!("$metadata.get('{key}')"),
        Part::MetadataMap => "$metadata".to_owned(),
        Part::Attachments => "$attachments".to_owned(),
        Part::Text(_) | Part::Object(_) => "true".to_owned(),
    }
}

/// Text a template copies as is: `$` and `#` are replaced by `dollar` and `hash` so Velocity
/// never reads them.
fn inert(out: &mut String, text: &str, dollar: &str, hash: &str) {
    for ch in text.chars() {
        match ch {
            '$' => out.push_str(dollar),
            '#' => out.push_str(hash),
            ch => out.push(ch),
        }
    }
}

fn json_string(out: &mut String, text: &str) {
    let mut escaped = String::with_capacity(text.len());
    escape_into(&mut escaped, Escape::Json, text);
    out.push('"');
    inert(out, &escaped, "\\u0024", "\\u0023");
    out.push('"');
}

fn json_object(out: &mut String, fields: &[Field]) {
    out.push('{');
    for (i, field) in fields.iter().enumerate() {
        if field.optional {
            let _ = write!(out, "#if({})", presence(&field.part));
        }
        if i > 0 {
            out.push_str(", ");
        }
        json_string(out, &field.name);
        out.push_str(": ");
        match &field.part {
            Part::Variable(_) | Part::Metadata(_) => {
                out.push('"');
                value_reference(out, &field.part, "json");
                out.push('"');
            }
            Part::Text(text) => json_string(out, text),
            Part::MetadataMap => out.push_str(
                "{#foreach($entry in $metadata.entrySet())\"$esc.json($entry.key)\": \
                 \"$esc.json($entry.value)\"#if($foreach.hasNext), #end#end}",
            ),
            Part::Attachments => out.push_str(
                "[#foreach($attachment in $attachments){\"content_type\": \
                 \"$esc.json($attachment.contentType)\", \"content\": \
                 \"$esc.json($attachment.base64)\", \"original_name\": \
                 \"$esc.json($attachment.originalName)\"}#if($foreach.hasNext), #end#end]",
            ),
            Part::Object(inner) => json_object(out, inner),
        }
        if field.optional {
            out.push_str("#end");
        }
    }
    out.push('}');
}

fn form_name(out: &mut String, prefix: &str, name: &str) {
    out.push_str(prefix);
    if prefix.is_empty() {
        escape_into(out, Escape::Url, name);
    } else {
        out.push_str("%5B");
        escape_into(out, Escape::Url, name);
        out.push_str("%5D");
    }
}

/// Form pairs. `preceded`: whether a pair certainly comes before these fields, so the first
/// of them needs a `&`.
fn form_fields(out: &mut String, fields: &[Field], prefix: &str, preceded: bool) {
    for (i, field) in fields.iter().enumerate() {
        let preceded = preceded || i > 0;
        if field.optional {
            let _ = write!(out, "#if({})", presence(&field.part));
        }
        let mut name = String::new();
        form_name(&mut name, prefix, &field.name);
        // A loop writes its own separators: one per entry.
        let separator = match (&field.part, preceded) {
            (Part::MetadataMap | Part::Attachments, true) => "&",
            (Part::MetadataMap | Part::Attachments, false) => "#if($foreach.index > 0)&#end",
            (Part::Object(_), _) | (_, false) => "",
            (_, true) => "&",
        };
        match &field.part {
            Part::Variable(_) | Part::Metadata(_) => {
                let _ = write!(out, "{separator}{name}=");
                value_reference(out, &field.part, "url");
            }
            Part::Text(text) => {
                let _ = write!(out, "{separator}{name}=");
                escape_into(out, Escape::Url, text);
            }
            Part::MetadataMap => {
                let _ = write!(
                    out,
                    "#foreach($entry in $metadata.entrySet()){separator}\
                     {name}%5B$esc.url($entry.key)%5D=$esc.url($entry.value)#end"
                );
            }
            Part::Attachments => {
                let _ = write!(
                    out,
                    "#foreach($attachment in $attachments){separator}\
                     {name}%5B$foreach.index%5D%5Bcontent_type%5D=$esc.url($attachment.contentType)&\
                     {name}%5B$foreach.index%5D%5Bcontent%5D=$esc.url($attachment.base64)&\
                     {name}%5B$foreach.index%5D%5Boriginal_name%5D=$esc.url($attachment.originalName)#end"
                );
            }
            Part::Object(inner) => form_fields(out, inner, &name, preceded),
        }
        if field.optional {
            out.push_str("#end");
        }
    }
}

/// Literal text in XML: `$` and `#` as character references first (so the engine leaves them
/// alone), then the rest escaped; escaping first would turn the `#` of `&#233;` inert too.
fn xml_text(out: &mut String, text: &str) {
    let mut run = 0;
    for (i, ch) in text.char_indices() {
        let inert = match ch {
            '$' => "&#36;",
            '#' => "&#35;",
            _ => continue,
        };
        escape_into(out, Escape::Xml, text.get(run..i).unwrap_or_default());
        out.push_str(inert);
        run = i + 1;
    }
    escape_into(out, Escape::Xml, text.get(run..).unwrap_or_default());
}

fn xml_fields(out: &mut String, fields: &[Field]) {
    for field in fields {
        if field.optional {
            let _ = write!(out, "#if({})", presence(&field.part));
        }
        let name = &field.name;
        let _ = write!(out, "<{name}>");
        match &field.part {
            Part::Variable(_) | Part::Metadata(_) => value_reference(out, &field.part, "xml"),
            Part::Text(text) => xml_text(out, text),
            Part::MetadataMap => out.push_str(
                "#foreach($entry in $metadata.entrySet())<entry key=\"$esc.xml($entry.key)\">\
                 $esc.xml($entry.value)</entry>#end",
            ),
            Part::Attachments => out.push_str(
                "#foreach($attachment in $attachments)<attachment>\
                 <content_type>$esc.xml($attachment.contentType)</content_type>\
                 <content>$esc.xml($attachment.base64)</content>\
                 <original_name>$esc.xml($attachment.originalName)</original_name>\
                 </attachment>#end",
            ),
            Part::Object(inner) => xml_fields(out, inner),
        }
        let _ = write!(out, "</{name}>");
        if field.optional {
            out.push_str("#end");
        }
    }
}
