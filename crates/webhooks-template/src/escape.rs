//! The escapes of `$esc`, written straight into the output: a run of characters that needs
//! no escaping is copied in one piece, and nothing is allocated.

use super::syntax::Escape;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `text` to `out`, escaped as `escape` says.
pub(crate) fn escape_into(out: &mut String, escape: Escape, text: &str) {
    match escape {
        // The one place that decides what `$esc.json` is; see `Escape::Json`.
        Escape::Json => backslash(out, text, java),
        Escape::JavaScript => backslash(out, text, javascript),
        Escape::Java => backslash(out, text, java),
        Escape::Xml => markup(out, text, true),
        Escape::Html => markup(out, text, false),
        Escape::Url => url(out, text),
    }
}

/// `$esc.javascript`, as Commons Lang 2.6 `escapeJavaScript`: like Java, plus `'` and `/`.
fn javascript(b: u8) -> Option<&'static str> {
    match b {
        b'\'' => Some("\\'"),
        b'/' => Some("\\/"),
        _ => java(b),
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

/// `$esc.xml` and `$esc.html`, as Apache Commons Lang 2.6 (velocity-tools 2.0's escaper):
/// `& < > "` as entities, `'` too in XML, `$esc.html` names the HTML 4.0 entities
/// (`&eacute;`), and every other character beyond ASCII is `&#N;` of each UTF-16 unit (so a
/// character beyond the BMP is two). Control characters are kept as they are.
fn markup(out: &mut String, text: &str, xml: bool) {
    let mut run = 0;
    for (i, ch) in text.char_indices() {
        let named = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' if xml => "&apos;",
            _ if ch.is_ascii() => continue,
            _ => "",
        };
        out.push_str(text.get(run..i).unwrap_or_default());
        run = i + ch.len_utf8();
        if !named.is_empty() {
            out.push_str(named);
            continue;
        }
        let entity = (!xml)
            .then(|| {
                HTML40
                    .binary_search_by_key(&u32::from(ch), |&(code, _)| code)
                    .ok()
            })
            .flatten()
            .and_then(|index| HTML40.get(index));
        match entity {
            Some((_, name)) => {
                out.push('&');
                out.push_str(name);
                out.push(';');
            }
            None => {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units).iter() {
                    out.push_str("&#");
                    out.push_str(&unit.to_string());
                    out.push(';');
                }
            }
        }
    }
    out.push_str(text.get(run..).unwrap_or_default());
}

/// The HTML 4.0 entities beyond ASCII, by code point (the set `escapeHtml` names).
const HTML40: [(u32, &str); 248] = [
    (160, "nbsp"),
    (161, "iexcl"),
    (162, "cent"),
    (163, "pound"),
    (164, "curren"),
    (165, "yen"),
    (166, "brvbar"),
    (167, "sect"),
    (168, "uml"),
    (169, "copy"),
    (170, "ordf"),
    (171, "laquo"),
    (172, "not"),
    (173, "shy"),
    (174, "reg"),
    (175, "macr"),
    (176, "deg"),
    (177, "plusmn"),
    (178, "sup2"),
    (179, "sup3"),
    (180, "acute"),
    (181, "micro"),
    (182, "para"),
    (183, "middot"),
    (184, "cedil"),
    (185, "sup1"),
    (186, "ordm"),
    (187, "raquo"),
    (188, "frac14"),
    (189, "frac12"),
    (190, "frac34"),
    (191, "iquest"),
    (192, "Agrave"),
    (193, "Aacute"),
    (194, "Acirc"),
    (195, "Atilde"),
    (196, "Auml"),
    (197, "Aring"),
    (198, "AElig"),
    (199, "Ccedil"),
    (200, "Egrave"),
    (201, "Eacute"),
    (202, "Ecirc"),
    (203, "Euml"),
    (204, "Igrave"),
    (205, "Iacute"),
    (206, "Icirc"),
    (207, "Iuml"),
    (208, "ETH"),
    (209, "Ntilde"),
    (210, "Ograve"),
    (211, "Oacute"),
    (212, "Ocirc"),
    (213, "Otilde"),
    (214, "Ouml"),
    (215, "times"),
    (216, "Oslash"),
    (217, "Ugrave"),
    (218, "Uacute"),
    (219, "Ucirc"),
    (220, "Uuml"),
    (221, "Yacute"),
    (222, "THORN"),
    (223, "szlig"),
    (224, "agrave"),
    (225, "aacute"),
    (226, "acirc"),
    (227, "atilde"),
    (228, "auml"),
    (229, "aring"),
    (230, "aelig"),
    (231, "ccedil"),
    (232, "egrave"),
    (233, "eacute"),
    (234, "ecirc"),
    (235, "euml"),
    (236, "igrave"),
    (237, "iacute"),
    (238, "icirc"),
    (239, "iuml"),
    (240, "eth"),
    (241, "ntilde"),
    (242, "ograve"),
    (243, "oacute"),
    (244, "ocirc"),
    (245, "otilde"),
    (246, "ouml"),
    (247, "divide"),
    (248, "oslash"),
    (249, "ugrave"),
    (250, "uacute"),
    (251, "ucirc"),
    (252, "uuml"),
    (253, "yacute"),
    (254, "thorn"),
    (255, "yuml"),
    (338, "OElig"),
    (339, "oelig"),
    (352, "Scaron"),
    (353, "scaron"),
    (376, "Yuml"),
    (402, "fnof"),
    (710, "circ"),
    (732, "tilde"),
    (913, "Alpha"),
    (914, "Beta"),
    (915, "Gamma"),
    (916, "Delta"),
    (917, "Epsilon"),
    (918, "Zeta"),
    (919, "Eta"),
    (920, "Theta"),
    (921, "Iota"),
    (922, "Kappa"),
    (923, "Lambda"),
    (924, "Mu"),
    (925, "Nu"),
    (926, "Xi"),
    (927, "Omicron"),
    (928, "Pi"),
    (929, "Rho"),
    (931, "Sigma"),
    (932, "Tau"),
    (933, "Upsilon"),
    (934, "Phi"),
    (935, "Chi"),
    (936, "Psi"),
    (937, "Omega"),
    (945, "alpha"),
    (946, "beta"),
    (947, "gamma"),
    (948, "delta"),
    (949, "epsilon"),
    (950, "zeta"),
    (951, "eta"),
    (952, "theta"),
    (953, "iota"),
    (954, "kappa"),
    (955, "lambda"),
    (956, "mu"),
    (957, "nu"),
    (958, "xi"),
    (959, "omicron"),
    (960, "pi"),
    (961, "rho"),
    (962, "sigmaf"),
    (963, "sigma"),
    (964, "tau"),
    (965, "upsilon"),
    (966, "phi"),
    (967, "chi"),
    (968, "psi"),
    (969, "omega"),
    (977, "thetasym"),
    (978, "upsih"),
    (982, "piv"),
    (8194, "ensp"),
    (8195, "emsp"),
    (8201, "thinsp"),
    (8204, "zwnj"),
    (8205, "zwj"),
    (8206, "lrm"),
    (8207, "rlm"),
    (8211, "ndash"),
    (8212, "mdash"),
    (8216, "lsquo"),
    (8217, "rsquo"),
    (8218, "sbquo"),
    (8220, "ldquo"),
    (8221, "rdquo"),
    (8222, "bdquo"),
    (8224, "dagger"),
    (8225, "Dagger"),
    (8226, "bull"),
    (8230, "hellip"),
    (8240, "permil"),
    (8242, "prime"),
    (8243, "Prime"),
    (8249, "lsaquo"),
    (8250, "rsaquo"),
    (8254, "oline"),
    (8260, "frasl"),
    (8364, "euro"),
    (8465, "image"),
    (8472, "weierp"),
    (8476, "real"),
    (8482, "trade"),
    (8501, "alefsym"),
    (8592, "larr"),
    (8593, "uarr"),
    (8594, "rarr"),
    (8595, "darr"),
    (8596, "harr"),
    (8629, "crarr"),
    (8656, "lArr"),
    (8657, "uArr"),
    (8658, "rArr"),
    (8659, "dArr"),
    (8660, "hArr"),
    (8704, "forall"),
    (8706, "part"),
    (8707, "exist"),
    (8709, "empty"),
    (8711, "nabla"),
    (8712, "isin"),
    (8713, "notin"),
    (8715, "ni"),
    (8719, "prod"),
    (8721, "sum"),
    (8722, "minus"),
    (8727, "lowast"),
    (8730, "radic"),
    (8733, "prop"),
    (8734, "infin"),
    (8736, "ang"),
    (8743, "and"),
    (8744, "or"),
    (8745, "cap"),
    (8746, "cup"),
    (8747, "int"),
    (8756, "there4"),
    (8764, "sim"),
    (8773, "cong"),
    (8776, "asymp"),
    (8800, "ne"),
    (8801, "equiv"),
    (8804, "le"),
    (8805, "ge"),
    (8834, "sub"),
    (8835, "sup"),
    (8836, "nsub"),
    (8838, "sube"),
    (8839, "supe"),
    (8853, "oplus"),
    (8855, "otimes"),
    (8869, "perp"),
    (8901, "sdot"),
    (8968, "lceil"),
    (8969, "rceil"),
    (8970, "lfloor"),
    (8971, "rfloor"),
    (9001, "lang"),
    (9002, "rang"),
    (9674, "loz"),
    (9824, "spades"),
    (9827, "clubs"),
    (9829, "hearts"),
    (9830, "diams"),
];

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

    /// Quotes, markup, a control character, DEL, Latin-1, beyond the BMP, line breaks, `/`, `\`.
    const NASTY: &str = "a'b\"c<>&\u{1}\u{7f}é😀\n\t/\\ ";

    // The expected strings are Apache Velocity 1.7's output with velocity-tools 2.0's
    // EscapeTool for `$esc.xyz($nasty)` (.ci/velocity/Render.java).
    #[test]
    fn escapes_match_velocity_tools_2() {
        assert_eq!(
            escaped(Escape::Xml, NASTY),
            "a&apos;b&quot;c&lt;&gt;&amp;\u{1}\u{7f}&#233;&#55357;&#56832;\n\t/\\ "
        );
        assert_eq!(
            escaped(Escape::Html, NASTY),
            "a'b&quot;c&lt;&gt;&amp;\u{1}\u{7f}&eacute;&#55357;&#56832;\n\t/\\ "
        );
        let java = "a'b\\\"c<>&\\u0001\u{7f}\\u00E9\\uD83D\\uDE00\\n\\t/\\\\ ";
        assert_eq!(escaped(Escape::Java, NASTY), java);
        assert_eq!(escaped(Escape::Json, NASTY), java, "json is escapeJava");
        assert_eq!(
            escaped(Escape::JavaScript, NASTY),
            "a\\'b\\\"c<>&\\u0001\u{7f}\\u00E9\\uD83D\\uDE00\\n\\t\\/\\\\ "
        );
        assert_eq!(
            escaped(Escape::Url, "a b/é&=+😀"),
            "a+b%2F%C3%A9%26%3D%2B%F0%9F%98%80"
        );
    }

    #[test]
    fn json_output_is_valid_json_string_content() {
        for text in ["a\"b\\c\n", "ünï\u{7f}\u{0}", "😀\"😀", NASTY] {
            let json = format!("\"{}\"", escaped(Escape::Json, text));
            assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
        }
    }

    #[test]
    fn html_names_every_html4_entity_in_code_point_order() {
        assert!(HTML40.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(escaped(Escape::Html, "\u{a0}€Ω"), "&nbsp;&euro;&Omega;");
        assert_eq!(escaped(Escape::Xml, "€"), "&#8364;");
    }
}
