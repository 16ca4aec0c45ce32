//! Whether a rendered body is well formed for its encoding: JSON parses, a form body is
//! percent-encoded, XML is one well-formed element. Each check returns the byte offset of the
//! first fault and what it is.

use webhooks_vocabulary::Encoding;

/// A fault: its byte offset in the output, and what is wrong.
pub(crate) type Fault = (usize, String);

/// Checks `output` against `encoding`.
pub(crate) fn check(encoding: Encoding, output: &str) -> Result<(), Fault> {
    match encoding {
        Encoding::FormEncoded => form(output),
        Encoding::Xml => Xml {
            b: output.as_bytes(),
            pos: 0,
        }
        .document(),
        _ => json(output),
    }
}

fn json(output: &str) -> Result<(), Fault> {
    serde_json::from_str::<serde::de::IgnoredAny>(output)
        .map(|_| ())
        .map_err(|err| {
            let message = err.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned();
            (offset_of(output, err.line(), err.column()), message)
        })
}

/// The byte offset of a 1-based line and column as serde_json counts them (the column of a
/// fault is that of its last byte read).
fn offset_of(output: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        output
            .match_indices('\n')
            .nth(line - 2)
            .map_or(output.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(output.len())
}

fn form(output: &str) -> Result<(), Fault> {
    let bytes = output.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let fault = match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .is_some_and(|pair| pair.iter().all(u8::is_ascii_hexdigit));
                if hex {
                    continue;
                }
                "`%` not followed by two hex digits"
            }
            b' ' => "a raw space (values need $esc.url)",
            0..=0x1f | 0x7f => "a raw control character (values need $esc.url)",
            0x80.. => "a raw non-ASCII character (values need $esc.url)",
            _ => continue,
        };
        return Err((i, format!("not form-encoded: {fault}")));
    }
    Ok(())
}

/// A small XML well-formedness checker: one root element, matching tags, quoted attributes,
/// known entities; comments, processing instructions, CDATA and a DOCTYPE are skipped.
struct Xml<'o> {
    b: &'o [u8],
    pos: usize,
}

impl<'o> Xml<'o> {
    fn fault<T>(&self, message: impl Into<String>) -> Result<T, Fault> {
        Err((
            self.pos.min(self.b.len()),
            format!("not well-formed XML: {}", message.into()),
        ))
    }

    fn rest(&self) -> &'o [u8] {
        self.b.get(self.pos..).unwrap_or_default()
    }

    fn starts(&self, prefix: &str) -> bool {
        self.rest().starts_with(prefix.as_bytes())
    }

    fn skip_ws(&mut self) {
        while self.rest().first().is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// Moves past `end`, which must come.
    fn past(&mut self, end: &str, what: &str) -> Result<(), Fault> {
        let found = self
            .rest()
            .windows(end.len())
            .position(|window| window == end.as_bytes());
        match found {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => self.fault(format!("{what} is never closed")),
        }
    }

    /// Comments, processing instructions and whitespace; `true` when one was skipped.
    fn misc(&mut self) -> Result<bool, Fault> {
        if self.starts("<!--") {
            self.past("-->", "a comment")?;
        } else if self.starts("<?") {
            self.past("?>", "a processing instruction")?;
        } else if self.rest().first().is_some_and(u8::is_ascii_whitespace) {
            self.skip_ws();
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    fn document(mut self) -> Result<(), Fault> {
        while self.misc()? {}
        if self.starts("<!DOCTYPE") {
            self.past(">", "the DOCTYPE")?;
            while self.misc()? {}
        }
        if self.rest().first() != Some(&b'<') {
            return self.fault("expected the root element");
        }
        self.element()?;
        while self.misc()? {}
        if self.pos < self.b.len() {
            return self.fault("content after the root element");
        }
        Ok(())
    }

    fn name(&mut self) -> Result<&'o [u8], Fault> {
        let start = self.pos;
        let first = self.rest().first().copied();
        if !first.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80) {
            return self.fault("expected a name");
        }
        while self.rest().first().is_some_and(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.') || b >= 0x80
        }) {
            self.pos += 1;
        }
        Ok(self.b.get(start..self.pos).unwrap_or_default())
    }

    /// `&..;` at `&`.
    fn entity(&mut self) -> Result<(), Fault> {
        let rest = self.rest();
        let end = rest.iter().take(12).position(|&b| b == b';');
        let known = end.and_then(|end| rest.get(1..end)).is_some_and(|name| {
            matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos")
                || name
                    .strip_prefix(b"#x")
                    .is_some_and(|hex| !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit))
                || name
                    .strip_prefix(b"#")
                    .is_some_and(|dec| !dec.is_empty() && dec.iter().all(u8::is_ascii_digit))
        });
        match (known, end) {
            (true, Some(end)) => {
                self.pos += end + 1;
                Ok(())
            }
            _ => self.fault("`&` that starts no entity (values need $esc.xml)"),
        }
    }

    /// One element and everything in it, at `<`; open elements are kept on a stack.
    fn element(&mut self) -> Result<(), Fault> {
        let mut open: Vec<&'o [u8]> = Vec::new();
        loop {
            // At `<` of a start tag.
            self.pos += 1;
            let name = self.name()?;
            loop {
                let before = self.pos;
                self.skip_ws();
                match self.rest().first() {
                    Some(b'/') if self.starts("/>") => {
                        self.pos += 2;
                        break;
                    }
                    Some(b'>') => {
                        self.pos += 1;
                        open.push(name);
                        break;
                    }
                    Some(_) if self.pos > before => self.attribute()?,
                    Some(_) => return self.fault("expected `>`, `/>` or an attribute"),
                    None => return self.fault("a tag is never closed"),
                }
            }
            // Content up to the next start tag, or the end of the element.
            loop {
                if open.is_empty() {
                    return Ok(());
                }
                match self.rest().first() {
                    None => return self.fault("an element is never closed"),
                    Some(b'&') => self.entity()?,
                    Some(b'<') if self.starts("</") => {
                        self.pos += 2;
                        let at = self.pos;
                        let name = self.name()?;
                        self.skip_ws();
                        if self.rest().first() != Some(&b'>') {
                            return self.fault("expected `>`");
                        }
                        if open.pop() != Some(name) {
                            self.pos = at;
                            return self.fault("an end tag that does not match its start tag");
                        }
                        self.pos += 1;
                    }
                    Some(b'<') if self.starts("<![CDATA[") => self.past("]]>", "CDATA")?,
                    Some(b'<') if self.starts("<!--") || self.starts("<?") => {
                        self.misc()?;
                    }
                    Some(b'<') => break,
                    Some(_) => self.pos += 1,
                }
            }
        }
    }

    /// `name="value"` or `name='value'`.
    fn attribute(&mut self) -> Result<(), Fault> {
        self.name()?;
        self.skip_ws();
        if self.rest().first() != Some(&b'=') {
            return self.fault("an attribute without `=`");
        }
        self.pos += 1;
        self.skip_ws();
        let quote = match self.rest().first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return self.fault("an attribute value without quotes"),
        };
        self.pos += 1;
        loop {
            match self.rest().first() {
                None => return self.fault("an attribute value is never closed"),
                Some(&b) if b == quote => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'<') => return self.fault("`<` in an attribute value"),
                Some(b'&') => self.entity()?,
                Some(_) => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(encoding: Encoding, output: &str) -> Option<usize> {
        check(encoding, output).err().map(|(offset, _)| offset)
    }

    #[test]
    fn json_faults_point_at_the_offending_byte() {
        assert_eq!(offset(Encoding::Json, r#"{"a": "b"}"#), None);
        assert_eq!(offset(Encoding::Json, r#"{"a": "x"y"}"#), Some(9));
        assert_eq!(offset(Encoding::Json, "{\n  \"a\": 1,\n}"), Some(12));
        // A raw line break in a string: serde_json reports the string's opening quote.
        assert_eq!(offset(Encoding::Json, "{\"a\": \"\n\"}"), Some(6));
    }

    #[test]
    fn form_bodies_must_be_percent_encoded() {
        assert_eq!(offset(Encoding::FormEncoded, "a=1&b=x%20y+z&c="), None);
        assert_eq!(offset(Encoding::FormEncoded, ""), None);
        assert_eq!(offset(Encoding::FormEncoded, "a=x y"), Some(3));
        assert_eq!(offset(Encoding::FormEncoded, "a=%2"), Some(2));
        assert_eq!(offset(Encoding::FormEncoded, "a=é"), Some(2));
    }

    #[test]
    fn xml_must_be_one_well_formed_element() {
        let good = [
            "<a/>",
            "<?xml version=\"1.0\"?>\n<a x='1' y=\"&amp;\"><b>t &lt; &#38; &#x26;</b><!-- c --><![CDATA[<&>]]></a>\n",
            "<!DOCTYPE a><a><b><c/></b></a>",
        ];
        for xml in good {
            assert_eq!(offset(Encoding::Xml, xml), None, "{xml}");
        }
        let bad = [
            ("", 0),
            ("<a>", 3),
            ("<a></b>", 5),
            ("<a>x & y</a>", 5),
            ("<a>x < y</a>", 6),
            ("<a x=1/>", 5),
            ("<a/><b/>", 4),
            ("text", 0),
            ("<a><!-- x </a>", 3),
        ];
        for (xml, at) in bad {
            assert_eq!(offset(Encoding::Xml, xml), Some(at), "{xml}");
        }
    }
}
