//! One pass over a JSON object: its members as names and raw JSON text (and the members of the
//! objects its caller chooses among their values), every value checked the way serde_json
//! checks it, nothing decoded and nothing allocated (a name with escapes aside).
//!
//! The reader is never laxer than serde_json, only sometimes stricter: what it refuses, the
//! caller reads with serde_json, which then says what is wrong, or reads it after all when the
//! reader was only cautious. It refuses, although they are valid JSON:
//! - a `\u` escape of a surrogate (serde_json checks that they pair; they are rare in
//!   callbacks);
//! - a number with an exponent, or longer than [`MAX_NUMBER`] bytes, so every number it
//!   passes fits an `f64` and decodes (serde_json refuses `1e400`);
//! - arrays and objects nested deeper than [`MAX_DEPTH`] (serde_json reads 127 levels into
//!   `Value`s).
//!
//! Time is linear in the input, and the stack is bounded by [`MAX_DEPTH`].

use std::borrow::Cow;

/// Not read here: the caller reads it with serde_json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// The deepest nesting of arrays and objects read, the outer object counted.
pub(crate) const MAX_DEPTH: usize = 64;

/// The longest number read, in bytes.
const MAX_NUMBER: usize = 300;

/// Tells `each` the name (decoded) and the value (as the body has it) of every member of the
/// JSON object `json`, in order, as [`Member::Outer`]; `json` must be the object alone, with
/// whitespace around it at most. The members of the objects that are the values of members
/// chosen by `nested` (which numbers them) come in the same pass: for such a member, `each` is
/// told [`Member::Enter`], then [`Member::Inner`] for each member of the object, then the
/// member itself as [`Member::Outer`] with the object's JSON text. So a caller reads a nested
/// object without scanning it again.
pub(crate) fn members_nested<'a>(
    json: &'a str,
    nested: fn(&str) -> Option<usize>,
    mut each: impl FnMut(Member<'a>) -> Result<(), Refused>,
) -> Result<(), Refused> {
    whole(json, |reader| {
        reader.object(1, |reader, name| {
            let name = name.decode()?;
            let chosen = nested(&name).filter(|_| reader.peek() == Some(b'{'));
            let Some(index) = chosen else {
                let value = reader.value(1)?;
                return each(Member::Outer(name, value));
            };
            let start = reader.at;
            each(Member::Enter(index))?;
            reader.object(2, |reader, inner| {
                let value = reader.value(2)?;
                each(Member::Inner(index, inner.decode()?, value))
            })?;
            each(Member::Outer(
                name,
                Text::Json(&reader.json[start..reader.at]),
            ))
        })
    })
}

/// `json` read by `read`, which must read one value: whitespace around it only.
fn whole<'a>(
    json: &'a str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<(), Refused>,
) -> Result<(), Refused> {
    let mut reader = Reader { json, at: 0 };
    reader.space();
    read(&mut reader)?;
    reader.space();
    if reader.at == json.len() {
        Ok(())
    } else {
        Err(Refused)
    }
}

/// What [`members_nested`] tells, in the order of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Member<'a> {
    /// A member of the object: its name and value.
    Outer(Cow<'a, str>, Text<'a>),
    /// The value of the next [`Outer`](Member::Outer) member is an object its caller chose
    /// (numbered so): its members follow.
    Enter(usize),
    /// A member of the object chosen (its number), before the [`Outer`](Member::Outer) member
    /// that holds it.
    Inner(usize, Cow<'a, str>, Text<'a>),
}

/// A value as the body has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text<'a> {
    /// A string without escapes: its content, the quotes off (decoding changes nothing).
    Plain(&'a str),
    /// Any other value (a string with escapes included): its JSON text, valid.
    Json(&'a str),
}

/// A name as it is written: the JSON string, quotes included, and whether it has escapes.
struct Name<'a> {
    quoted: &'a str,
    escaped: bool,
}

impl<'a> Name<'a> {
    /// The name, borrowed unless it has escapes.
    fn decode(self) -> Result<Cow<'a, str>, Refused> {
        if self.escaped {
            serde_json::from_str(self.quoted)
                .map(Cow::Owned)
                .map_err(|_| Refused)
        } else {
            Ok(Cow::Borrowed(&self.quoted[1..self.quoted.len() - 1]))
        }
    }
}

struct Reader<'a> {
    json: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.json.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), Refused> {
        if self.eat(byte) { Ok(()) } else { Err(Refused) }
    }

    /// JSON's whitespace: space, tab, line feed, carriage return.
    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// An object at `depth`, from `{` past `}`: `member` is given each member's name, with
    /// the reader at its value, which it must read.
    fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, Name<'a>) -> Result<(), Refused>,
    ) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Err(Refused);
        }
        self.expect(b'{')?;
        self.space();
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let start = self.at;
            let escaped = self.string()?;
            let name = Name {
                quoted: &self.json[start..self.at],
                escaped,
            };
            self.space();
            self.expect(b':')?;
            self.space();
            member(self, name)?;
            self.space();
            if !self.eat(b',') {
                return self.expect(b'}');
            }
            self.space();
        }
    }

    /// An array at `depth`, from `[` past `]`.
    fn array(&mut self, depth: usize) -> Result<(), Refused> {
        if depth > MAX_DEPTH {
            return Err(Refused);
        }
        self.expect(b'[')?;
        self.space();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.space();
            if !self.eat(b',') {
                return self.expect(b']');
            }
            self.space();
        }
    }

    /// A value inside a container at `depth`.
    fn value(&mut self, depth: usize) -> Result<Text<'a>, Refused> {
        let start = self.at;
        match self.peek().ok_or(Refused)? {
            b'"' => {
                if !self.string()? {
                    return Ok(Text::Plain(&self.json[start + 1..self.at - 1]));
                }
            }
            b'{' => self.object(depth + 1, |reader, _| reader.value(depth + 1).map(drop))?,
            b'[' => self.array(depth + 1)?,
            b't' => self.word("true")?,
            b'f' => self.word("false")?,
            b'n' => self.word("null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(Refused),
        }
        Ok(Text::Json(&self.json[start..self.at]))
    }

    fn word(&mut self, word: &str) -> Result<(), Refused> {
        if self.json[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Refused)
        }
    }

    /// A string, from its opening quote past its closing one: whether it has escapes.
    fn string(&mut self) -> Result<bool, Refused> {
        self.expect(b'"')?;
        let bytes = self.json.as_bytes();
        let mut escaped = false;
        loop {
            // Eight bytes at a time to the next quote, backslash or control character.
            while let Some(chunk) = bytes.get(self.at..).and_then(<[u8]>::first_chunk::<8>) {
                let stops = stops(u64::from_le_bytes(*chunk));
                if stops != 0 {
                    self.at += (stops.trailing_zeros() / 8) as usize;
                    break;
                }
                self.at += 8;
            }
            let byte = *bytes.get(self.at).ok_or(Refused)?;
            self.at += 1;
            match byte {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                // serde_json refuses control characters in strings.
                0..=0x1f => return Err(Refused),
                _ => {}
            }
        }
    }

    /// What follows a backslash.
    fn escape(&mut self) -> Result<(), Refused> {
        match self.peek().ok_or(Refused)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.at += 1;
                Ok(())
            }
            b'u' => {
                let hex = self
                    .json
                    .as_bytes()
                    .get(self.at + 1..self.at + 5)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                    .ok_or(Refused)?;
                // Surrogates must pair; serde_json checks that.
                if matches!(hex[0], b'd' | b'D')
                    && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                {
                    return Err(Refused);
                }
                self.at += 5;
                Ok(())
            }
            _ => Err(Refused),
        }
    }

    /// A number without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
    fn number(&mut self) -> Result<(), Refused> {
        let start = self.at;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Refused),
        }
        if self.eat(b'.') {
            if !self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
                return Err(Refused);
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.at - start > MAX_NUMBER {
            return Err(Refused);
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.at += 1;
        }
    }
}

/// The bytes of `word` (eight bytes, the first in the lowest) that stop a run of plain text
/// in a string: `"`, `\\` and control characters. Each such byte gets its high bit set; the
/// lowest set bit is always exact (a byte above a stop may be marked falsely, by a borrow).
fn stops(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | below_space
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;

    /// Each member of the object `json` (none nested).
    fn members<'a>(
        json: &'a str,
        mut each: impl FnMut(Cow<'a, str>, Text<'a>) -> Result<(), Refused>,
    ) -> Result<(), Refused> {
        members_nested(
            json,
            |_| None,
            |member| match member {
                Member::Outer(name, value) => each(name, value),
                other => panic!("nothing was chosen, yet {other:?}"),
            },
        )
    }

    /// The members as a map, values decoded by serde_json.
    fn read(json: &str) -> Result<Map<String, Value>, Refused> {
        let mut map = Map::new();
        members(json, |name, value| {
            let value = match value {
                Text::Plain(text) => Value::String(text.to_owned()),
                Text::Json(json) => serde_json::from_str(json).expect("a value passed decodes"),
            };
            map.insert(name.into_owned(), value);
            Ok(())
        })?;
        Ok(map)
    }

    /// Never laxer than serde_json: what is read, serde_json reads the same.
    #[track_caller]
    fn agrees(json: &str) -> bool {
        let ours = read(json);
        let theirs = serde_json::from_str::<Value>(json);
        if let Ok(ours) = &ours {
            assert_eq!(
                theirs.as_ref().ok(),
                Some(&Value::Object(ours.clone())),
                "read {json:?}"
            );
        }
        ours.is_ok()
    }

    #[test]
    fn objects_serde_json_reads_are_read_the_same() {
        for json in [
            r#"{}"#,
            " \t\r\n{ } \n",
            r#"{"a":"b","c":-0.5,"d":[1,[2,{}],"x"],"e":{"f":null},"g":true,"h":false}"#,
            r#"{"a":"b","a":"c"}"#,
            r#"{"es\u0063aped":"\"\\\/\b\f\n\r\t\u00e9\u20AC","":0}"#,
            r#"{"n":123456789012345678901234567890,"z":0,"m":-0,"f":10.25}"#,
            "{\"text\":\"caf\u{e9} \u{1F600}\"}",
        ] {
            assert!(agrees(json), "{json:?} is read");
        }
    }

    #[test]
    fn what_serde_json_refuses_is_refused() {
        for json in [
            "",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{,"a":1}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a":1}x"#,
            r#"{"a":1}{}"#,
            r#"{'a':1}"#,
            r#"{a:1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":-}"#,
            r#"{"a":--1}"#,
            r#"{"a":tru}"#,
            r#"{"a":nulll}"#,
            r#"{"a":NaN}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\"}"#,
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"nul\u{0}\"}",
            "{\"a\"\u{0c}:1}",
            "\u{feff}{}",
            r#"{"a":1e400}"#,
            r#"{"a":"\ud800"}"#,
        ] {
            assert!(
                serde_json::from_str::<Value>(json).is_err(),
                "{json:?} is not JSON"
            );
            assert_eq!(read(json), Err(Refused), "{json:?} is refused");
        }
    }

    #[test]
    fn json_that_is_not_an_object_is_refused() {
        for json in ["[]", r#""a""#, "1", "null", r#"[{"a":1}]"#] {
            assert_eq!(read(json), Err(Refused), "{json:?}");
        }
    }

    #[test]
    fn valid_json_it_is_cautious_about_is_refused_for_serde_json_to_read() {
        for json in [
            r#"{"a":1e3}"#,
            r#"{"a":1.5E-2}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            &format!(r#"{{"a":{}}}"#, "9".repeat(MAX_NUMBER + 1)),
        ] {
            assert!(serde_json::from_str::<Value>(json).is_ok(), "{json:?}");
            assert_eq!(read(json), Err(Refused), "{json:?}");
        }
    }

    #[test]
    fn nesting_is_read_to_its_limit_and_refused_beyond() {
        let nested =
            |depth: usize| format!(r#"{{"a":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        assert!(agrees(&nested(MAX_DEPTH - 1)));
        assert_eq!(read(&nested(MAX_DEPTH)), Err(Refused));
        assert_eq!(read(&nested(100_000)), Err(Refused), "no stack overflow");
    }

    #[test]
    fn strings_without_escapes_are_their_content_and_other_values_their_json_text() {
        let mut seen = Vec::new();
        members(
            r#"{ "a" : "x y" , "b":[1, 2] ,"c":{"d":null},"e":"","f":"\"q\"","g":-1.5}"#,
            |name, value| {
                seen.push((name.into_owned(), value));
                Ok(())
            },
        )
        .unwrap();
        let seen: Vec<_> = seen
            .iter()
            .map(|(name, value)| (name.as_str(), *value))
            .collect();
        assert_eq!(
            seen,
            [
                ("a", Text::Plain("x y")),
                ("b", Text::Json("[1, 2]")),
                ("c", Text::Json(r#"{"d":null}"#)),
                ("e", Text::Plain("")),
                ("f", Text::Json(r#""\"q\"""#)),
                ("g", Text::Json("-1.5")),
            ]
        );
    }

    #[test]
    fn the_first_stop_in_eight_bytes_is_found_whatever_surrounds_it() {
        let first_stop = |bytes: [u8; 8]| {
            let stops = stops(u64::from_le_bytes(bytes));
            (stops != 0).then(|| stops.trailing_zeros() as usize / 8)
        };
        let plain = *b"ab\x7f\x80\xffz~ ";
        assert_eq!(first_stop(plain), None);
        for at in 0..8 {
            for stop in [b'"', b'\\', 0, 0x1f, b'\n'] {
                for filler in [b'a', 0x80, 0xff, b' ', 0x21] {
                    let mut bytes = [filler; 8];
                    bytes[at] = stop;
                    if let Some(later) = bytes.get_mut(at + 3) {
                        *later = b'"';
                    }
                    assert_eq!(first_stop(bytes), Some(at), "{bytes:?}");
                }
            }
        }
        for byte in 0..=u8::MAX {
            let stop = byte < 0x20 || byte == b'"' || byte == b'\\';
            assert_eq!(first_stop([byte; 8]).is_some(), stop, "{byte:#x}");
        }
    }

    #[test]
    fn a_refusal_from_the_caller_stops_the_reading() {
        let mut calls = 0;
        let read = members(r#"{"a":1,"b":2}"#, |_, _| {
            calls += 1;
            Err(Refused)
        });
        assert_eq!((read, calls), (Err(Refused), 1));
    }

    #[test]
    fn chosen_objects_are_read_member_by_member_in_the_same_pass() {
        let json = r#"{"a":{"x":1,"y":{"z":[2]}},"b":{"q":"r"},"a":"s","c":[{"x":3}],"\u0061":{}}"#;
        let mut told = Vec::new();
        members_nested(
            json,
            |name| (name == "a").then_some(7),
            |member| {
                told.push(member);
                Ok(())
            },
        )
        .unwrap();
        let outer =
            |name: &'static str, json: &'static str| Member::Outer(name.into(), Text::Json(json));
        assert_eq!(
            told,
            [
                Member::Enter(7),
                Member::Inner(7, "x".into(), Text::Json("1")),
                Member::Inner(7, "y".into(), Text::Json(r#"{"z":[2]}"#)),
                outer("a", r#"{"x":1,"y":{"z":[2]}}"#),
                // Not chosen: read, not told member by member.
                outer("b", r#"{"q":"r"}"#),
                // Chosen, but not an object.
                Member::Outer("a".into(), Text::Plain("s")),
                outer("c", r#"[{"x":3}]"#),
                // The name as decoded is what is chosen.
                Member::Enter(7),
                outer("a", "{}"),
            ]
        );
    }

    #[test]
    fn a_chosen_object_is_checked_as_any_other() {
        for json in [
            r#"{"a":{"x":01}}"#,
            r#"{"a":{"x":1,}}"#,
            r#"{"a":{"x" 1}}"#,
            r#"{"a":{"x":"\ud800"}}"#,
            r#"{"a":{"x":1}"#,
            r#"{"a":{"x":1}}}"#,
        ] {
            let result = members_nested(json, |_| Some(0), |_| Ok(()));
            assert_eq!(result, Err(Refused), "{json}");
        }
        let deep = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH - 2),
            "]".repeat(MAX_DEPTH - 2)
        );
        assert_eq!(
            members_nested(&deep, |_| Some(0), |_| Ok(())),
            Ok(()),
            "an array is not chosen"
        );
        let deep = format!(
            "{{\"a\":{{\"b\":{}{}}}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(
            members_nested(&deep, |_| Some(0), |_| Ok(())),
            Err(Refused),
            "depth counts"
        );
    }
}
