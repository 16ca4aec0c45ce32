//! Reading template files, within a bound.

use std::io::Read;
use std::path::Path;

use crate::failure::Failure;

/// The largest template read. A template travels inside a create or update request, and the
/// sandbox takes request bodies up to 256 KiB (the platform documents no limit): a larger
/// template could not be sent anyway.
pub const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

/// The text of a template file, or of stdin for `-`.
pub fn read_template(path: &Path) -> Result<String, Failure> {
    let name = path.display();
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_TEMPLATE_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_TEMPLATE_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|err| Failure::Failed(format!("cannot read {name}: {err}")))?;
    if bytes.len() as u64 > MAX_TEMPLATE_BYTES {
        return Err(Failure::Failed(format!(
            "{name} is larger than {MAX_TEMPLATE_BYTES} bytes, more than a request can carry"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::Failed(format!("{name} is not UTF-8 text")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_over_the_bound_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("at.vm");
        std::fs::write(&at, vec![b'a'; MAX_TEMPLATE_BYTES as usize]).unwrap();
        assert_eq!(
            read_template(&at).unwrap().len(),
            MAX_TEMPLATE_BYTES as usize
        );
        let over = dir.path().join("over.vm");
        std::fs::write(&over, vec![b'a'; MAX_TEMPLATE_BYTES as usize + 1]).unwrap();
        assert!(
            read_template(&over)
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
    }

    #[test]
    fn a_missing_file_is_a_failure_that_names_it() {
        let err = read_template(Path::new("/nonexistent/t.vm")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/t.vm"), "{err}");
    }
}
