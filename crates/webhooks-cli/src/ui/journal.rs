//! What the inspector remembers beside the inbox, in memory only: requests refused before
//! they were stored, edited replays, how each handler run went, and the numbered changes the
//! page follows (so a page that reconnects resumes where it stopped). All of it is bounded and
//! gone when `listen` stops; the inbox keeps the callbacks themselves.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use time::OffsetDateTime;
use webhooks_callbacks::inbox::EntryId;

/// Refused requests kept (the newest).
pub const REFUSED_KEPT: usize = 200;

/// Bytes of a refused request's body kept: enough to read a tampered callback, bounded so 200
/// refused 2 MiB bodies cannot hold 400 MiB.
pub const REFUSED_BODY_KEPT: usize = 64 * 1024;

/// Edited replays kept (the newest).
pub const EDITED_KEPT: usize = 200;

/// Handler runs remembered (for the newest callbacks).
pub const HANDLED_KEPT: usize = 10_000;

/// Changes a reconnecting page can resume from; one further back gets a fresh list.
pub const CHANGES_KEPT: usize = 4096;

/// A request answered without being stored.
#[derive(Debug, Clone)]
pub struct Refused {
    pub id: u64,
    pub at: OffsetDateTime,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// At most [`REFUSED_BODY_KEPT`] bytes of it.
    pub body: Bytes,
    pub body_len: usize,
    pub status: u16,
    pub reason: String,
}

/// A callback edited on the page and sent to the app: unsigned, never stored in the inbox.
#[derive(Debug, Clone)]
pub struct Edited {
    pub id: u64,
    pub at: OffsetDateTime,
    /// The ref of the callback it was edited from (`c12`, `r3`).
    pub from: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The app's status, or why forwarding failed.
    pub outcome: Result<u16, String>,
    pub duration_ms: u64,
}

/// How the last handler run of a stored callback went.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Handling {
    /// When it ended (RFC 3339).
    pub at: String,
    /// Whether it was forwarded to `--forward-to` (otherwise only printed).
    pub forwarded: bool,
    /// The app's status.
    pub status: Option<u16>,
    /// Why forwarding failed.
    pub error: Option<String>,
    pub duration_ms: u64,
    /// Replays asked for from the page.
    pub replays: u32,
}

impl Handling {
    /// In words, for the list.
    pub fn describe(&self) -> String {
        match (self.forwarded, self.status, &self.error) {
            (false, _, _) => "handled (printed; no --forward-to)".to_owned(),
            (true, Some(status), _) => format!("forwarded: the app answered {status}"),
            (true, None, Some(error)) => format!("forwarding failed: {error}"),
            (true, None, None) => "forwarded".to_owned(),
        }
    }
}

/// One numbered change the page is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A stored callback arrived or changed state.
    Stored(EntryId),
    Refused(u64),
    Edited(u64),
    /// Changes were missed (the inbox's notices overflowed): reload the list.
    Reset,
}

/// Where a page resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// From this change number on.
    From(u64),
    /// From the change after the current one, after reloading the list.
    Reset(u64),
}

#[derive(Debug, Default)]
pub struct Journal {
    seq: u64,
    changes: VecDeque<(u64, Change)>,
    refused: VecDeque<Refused>,
    next_refused: u64,
    edited: VecDeque<Edited>,
    next_edited: u64,
    handled: BTreeMap<u64, Handling>,
}

impl Journal {
    /// The number of the latest change (0 before any).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn push(&mut self, change: Change) -> u64 {
        self.seq += 1;
        self.changes.push_back((self.seq, change));
        while self.changes.len() > CHANGES_KEPT {
            self.changes.pop_front();
        }
        self.seq
    }

    /// Where a page that saw change `last` resumes: after it, when every change since is
    /// still kept; else a reset.
    pub fn resume_after(&self, last: u64) -> Resume {
        let oldest = self.changes.front().map_or(self.seq + 1, |(seq, _)| *seq);
        if last > self.seq || last + 1 < oldest {
            Resume::Reset(self.seq + 1)
        } else {
            Resume::From(last + 1)
        }
    }

    /// The changes numbered `from` on (at most `max`); `None` when some of them are no longer
    /// kept.
    pub fn changes_from(&self, from: u64, max: usize) -> Option<Vec<(u64, Change)>> {
        let oldest = self.changes.front().map_or(self.seq + 1, |(seq, _)| *seq);
        if from < oldest && from <= self.seq {
            return None;
        }
        let skip = usize::try_from(from.saturating_sub(oldest)).unwrap_or(usize::MAX);
        Some(self.changes.iter().skip(skip).take(max).copied().collect())
    }

    pub fn refuse(&mut self, mut refused: Refused) -> u64 {
        self.next_refused += 1;
        refused.id = self.next_refused;
        if refused.body.len() > REFUSED_BODY_KEPT {
            refused.body = refused.body.slice(..REFUSED_BODY_KEPT);
        }
        self.refused.push_back(refused);
        while self.refused.len() > REFUSED_KEPT {
            self.refused.pop_front();
        }
        self.push(Change::Refused(self.next_refused));
        self.next_refused
    }

    pub fn edit(&mut self, mut edited: Edited) -> u64 {
        self.next_edited += 1;
        edited.id = self.next_edited;
        self.edited.push_back(edited);
        while self.edited.len() > EDITED_KEPT {
            self.edited.pop_front();
        }
        self.push(Change::Edited(self.next_edited));
        self.next_edited
    }

    pub fn handled(&mut self, id: EntryId, mut handling: Handling) {
        handling.replays = self.handled.get(&id.0).map_or(0, |old| old.replays);
        self.handled.insert(id.0, handling);
        while self.handled.len() > HANDLED_KEPT {
            self.handled.pop_first();
        }
    }

    pub fn replayed(&mut self, id: EntryId) {
        self.handled.entry(id.0).or_default().replays += 1;
        self.push(Change::Stored(id));
    }

    pub fn handling(&self, id: EntryId) -> Option<&Handling> {
        self.handled.get(&id.0)
    }

    pub fn refused(&self, id: u64) -> Option<&Refused> {
        self.refused.iter().find(|refused| refused.id == id)
    }

    pub fn edited(&self, id: u64) -> Option<&Edited> {
        self.edited.iter().find(|edited| edited.id == id)
    }

    /// Refused requests kept, oldest first.
    pub fn all_refused(&self) -> impl Iterator<Item = &Refused> {
        self.refused.iter()
    }

    /// Edited replays kept, oldest first.
    pub fn all_edited(&self) -> impl Iterator<Item = &Edited> {
        self.edited.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Refused {
        Refused {
            id: 0,
            at: OffsetDateTime::UNIX_EPOCH,
            method: "POST".to_owned(),
            target: "/".to_owned(),
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; REFUSED_BODY_KEPT + 10]),
            body_len: REFUSED_BODY_KEPT + 10,
            status: 401,
            reason: "unsigned".to_owned(),
        }
    }

    #[test]
    fn a_page_resumes_after_its_last_change_or_is_told_to_reload() {
        let mut journal = Journal::default();
        assert_eq!(journal.resume_after(0), Resume::From(1));
        for id in 1..=3 {
            journal.push(Change::Stored(EntryId(id)));
        }
        assert_eq!(journal.resume_after(1), Resume::From(2));
        assert_eq!(
            journal.changes_from(2, 10).unwrap(),
            [
                (2, Change::Stored(EntryId(2))),
                (3, Change::Stored(EntryId(3)))
            ]
        );
        assert_eq!(journal.changes_from(4, 10).unwrap(), []);
        // A change number from the future (another run of listen) resets.
        assert_eq!(journal.resume_after(9), Resume::Reset(4));
        for id in 0..CHANGES_KEPT as u64 {
            journal.push(Change::Stored(EntryId(id)));
        }
        assert_eq!(journal.resume_after(1), Resume::Reset(journal.seq() + 1));
        assert!(journal.changes_from(2, 10).is_none());
        let latest = journal.seq();
        assert_eq!(journal.resume_after(latest - 5), Resume::From(latest - 4));
    }

    #[test]
    fn refused_requests_are_bounded_in_number_and_size() {
        let mut journal = Journal::default();
        for _ in 0..REFUSED_KEPT + 5 {
            journal.refuse(refused());
        }
        assert_eq!(journal.all_refused().count(), REFUSED_KEPT);
        assert!(journal.refused(5).is_none());
        let kept = journal.refused(REFUSED_KEPT as u64 + 5).unwrap();
        assert_eq!(kept.body.len(), REFUSED_BODY_KEPT);
        assert_eq!(kept.body_len, REFUSED_BODY_KEPT + 10);
    }

    #[test]
    fn a_replay_is_counted_across_handler_runs() {
        let mut journal = Journal::default();
        journal.replayed(EntryId(7));
        journal.handled(
            EntryId(7),
            Handling {
                forwarded: true,
                status: Some(200),
                ..Handling::default()
            },
        );
        let handling = journal.handling(EntryId(7)).unwrap();
        assert_eq!((handling.replays, handling.status), (1, Some(200)));
        assert_eq!(handling.describe(), "forwarded: the app answered 200");
    }
}
