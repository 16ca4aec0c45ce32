//! The JSON state file of earlier sandboxes, imported once into an SQLite store at the same
//! path. The JSON is copied aside first and the store replaces it by one rename, so a crash at
//! any point leaves either the untouched JSON or the complete store (and the copy).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::StoredWebhook;
use super::sqlite::{self, beside};

/// The largest JSON state file imported: the old format kept everything in memory too, and a
/// file past this is not one it wrote for any sensible test.
pub const MAX_LEGACY_FILE: u64 = 1 << 30;

/// The old file's shape: every account's webhooks, in creation order.
#[derive(Debug, Deserialize)]
struct LegacyState {
    accounts: BTreeMap<String, Vec<StoredWebhook>>,
}

/// Whether `bytes` (a file's start) look like the old JSON state rather than SQLite.
pub(crate) fn looks_like_json(start: &[u8]) -> bool {
    start
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|&byte| byte == b'{')
}

/// Imports the JSON state at `path`; the note to show the user.
pub(crate) fn import(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|err| err.to_string())?
        .len();
    if size > MAX_LEGACY_FILE {
        return Err(format!(
            "a JSON state file over {MAX_LEGACY_FILE} bytes is not imported"
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| err.to_string())?;
    let state: LegacyState = serde_json::from_slice(&bytes)
        .map_err(|err| format!("it is neither an SQLite store nor a JSON state file ({err})"))?;
    let temp = beside(path, ".importing");
    remove_leftover(&temp)?;
    let count = write_store(&temp, state)?;
    let kept = beside(path, ".before-sqlite.json");
    copy_durably(path, &kept)?;
    std::fs::rename(&temp, path).map_err(|err| err.to_string())?;
    Ok(format!(
        "imported {count} webhooks from the JSON state file {} into an SQLite store at the same \
         path; the JSON is kept at {}",
        path.display(),
        kept.display()
    ))
}

/// A previous import that crashed may have left its temporary store: it is ours, remove it.
fn remove_leftover(temp: &Path) -> Result<(), String> {
    for file in [temp.to_path_buf(), beside(temp, "-journal")] {
        match std::fs::remove_file(&file) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("could not remove {}: {err}", file.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_store(temp: &Path, state: LegacyState) -> Result<usize, String> {
    let mut conn = sqlite::connect(temp)?;
    conn.execute_batch("PRAGMA synchronous = FULL;")
        .map_err(|err| err.to_string())?;
    let mut count = 0;
    for (account, webhooks) in state.accounts {
        sqlite::insert(&mut conn, &account, &webhooks).map_err(|err| err.to_string())?;
        count += webhooks.len();
    }
    conn.close().map_err(|(_, err)| err.to_string())?;
    Ok(count)
}

fn copy_durably(from: &Path, to: &PathBuf) -> Result<(), String> {
    std::fs::copy(from, to).map_err(|err| err.to_string())?;
    std::fs::File::open(to)
        .and_then(|file| file.sync_all())
        .map_err(|err| err.to_string())
}
