//! The escapes of `$esc`, written straight into the output: a run of characters that needs
//! no escaping is copied in one piece, and nothing is allocated.

use super::syntax::Escape;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `text` to `out`, escaped as `escape` says.
pub(crate) fn escape_into(out: &mut String, escape: Escape, text: &str) {
    match escape {
        Escape::Json => backslash(out, text, json),
        Escape::JavaScript => backslash(out, text, javascript),
        Escape::Java => backslash(out, text, java),
        Escape::Xml => markup(out, text, true),
        Escape::Html => markup(out, text, false),
        Escape::Url => url(out, text),
    }
}

/// `$esc.json`, as Apache Commons Text `escapeJson`: `"` `\` `/` and control characters
/// escaped, everything outside printable ASCII as `\uXXXX`.
fn json(b: u8) -> Option<&'static str> {
    match b {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        b'/' => Some("\\/"),
        _ => control(b),
    }
}

/// `$esc.javascript`: like JSON, plus `'`.
fn javascript(b: u8) -> Option<&'static str> {
    match b {
        b'\'' => Some("\\'"),
        _ => json(b),
    }
}

/// `$esc.java`: `"`, `\` and control characters.
fn java(b: u8) -> Option<&'static str> {
    match b {
        b'"' => Some("\\\""),
        b'\\' => Some("\\\\"),
        _ => control(b),
    }
}

fn control(b: u8) -> Option<&'static str> {
    match b {
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        b'\t' => Some("\\t"),
        0x08 => Some("\\b"),
        0x0c => Some("\\f"),
        _ => None,
    }
}

/// The backslash escapes: ASCII by `table`, other control characters and everything beyond
/// ASCII as `\uXXXX` (UTF-16 units, so characters beyond the BMP become surrogate pairs).
fn backslash(out: &mut String, text: &str, table: fn(u8) -> Option<&'static str>) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            let replacement = table(b);
            if replacement.is_none() && b >= 0x20 {
                i += 1;
                continue;
            }
            out.push_str(text.get(run..i).unwrap_or_default());
            match replacement {
                Some(replacement) => out.push_str(replacement),
                None => unicode(out, u16::from(b)),
            }
            i += 1;
        } else {
            out.push_str(text.get(run..i).unwrap_or_default());
            let Some(ch) = text.get(i..).and_then(|rest| rest.chars().next()) else {
                return;
            };
            let mut units = [0u16; 2];
            for &unit in ch.encode_utf16(&mut units).iter() {
                unicode(out, unit);
            }
            i += ch.len_utf8();
        }
        run = i;
    }
    out.push_str(text.get(run..).unwrap_or_default());
}

fn unicode(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

/// `$esc.xml` (`& < > " '`, and control characters XML 1.0 cannot hold are dropped) and
/// `$esc.html` (`& < > "`).
fn markup(out: &mut String, text: &str, xml: bool) {
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' if xml => "&apos;",
            0..=0x1f if xml && !matches!(b, b'\t' | b'\n' | b'\r') => "",
            _ => continue,
        };
        out.push_str(text.get(run..i).unwrap_or_default());
        out.push_str(replacement);
        run = i + 1;
    }
    out.push_str(text.get(run..).unwrap_or_default());
}

/// `$esc.url`, as Java's `URLEncoder` with UTF-8: letters, digits and `.-*_` kept, space as
/// `+`, every other byte as `%XX`.
fn url(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b'_') {
            continue;
        }
        out.push_str(text.get(run..i).unwrap_or_default());
        if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        run = i + 1;
    }
    out.push_str(text.get(run..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(escape: Escape, text: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, escape, text);
        out
    }

    #[test]
    fn json_escapes_like_commons_text() {
        assert_eq!(
            escaped(Escape::Json, "say \"hi\" \\ a/b\n\t\r\u{8}\u{c}\u{1}"),
            r#"say \"hi\" \\ a\/b\n\t\r\b\f\u0001"#
        );
        assert_eq!(
            escaped(Escape::Json, "café ✓ 😀"),
            r"caf\u00E9 \u2713 \uD83D\uDE00"
        );
        assert_eq!(escaped(Escape::Json, "plain text"), "plain text");
        assert_eq!(escaped(Escape::Json, ""), "");
        for text in ["a\"b\\c\n", "ünï\u{7f}\u{0}", "😀\"😀"] {
            let json = format!("\"{}\"", escaped(Escape::Json, text));
            assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
        }
    }

    #[test]
    fn the_other_escapes() {
        assert_eq!(escaped(Escape::JavaScript, "it's"), r"it\'s");
        assert_eq!(escaped(Escape::Java, "a/\"b\""), r#"a/\"b\""#);
        assert_eq!(
            escaped(Escape::Xml, "a<b & 'c' > \"d\"\u{1}é"),
            "a&lt;b &amp; &apos;c&apos; &gt; &quot;d&quot;é"
        );
        assert_eq!(escaped(Escape::Html, "<'&'>"), "&lt;'&amp;'&gt;");
        assert_eq!(
            escaped(Escape::Url, "a b&c=d/é+*._-~"),
            "a+b%26c%3Dd%2F%C3%A9%2B*._-%7E"
        );
    }
}
