//! The one rule for repeating untrusted text in an error or a log.

/// At most `limit` bytes of `text` (lossy UTF-8), trimmed, cut at a character boundary, with
/// `...` when cut: how every crate of the workspace repeats what it did not write (a server's
/// error body, a callback's header, a command-line value), so an error never carries a
/// megabyte of someone else's bytes.
///
/// ```
/// use webhooks_vocabulary::excerpt;
///
/// assert_eq!(excerpt(b"  short  ", 10), "short");
/// assert_eq!(excerpt("\u{e9}\u{e9}\u{e9}".as_bytes(), 3), "\u{e9}...");
/// assert_eq!(excerpt(&[0xff, b'a'], 10), "\u{fffd}a");
/// assert_eq!(excerpt(b"", 10), "");
/// ```
pub fn excerpt(text: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(text);
    let text = text.trim();
    if text.len() <= limit {
        text.to_owned()
    } else {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &text[..end])
    }
}
