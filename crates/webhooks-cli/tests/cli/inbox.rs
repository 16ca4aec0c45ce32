//! `mm-webhooks listen --inbox` and `mm-webhooks inbox`: signed callbacks from the sandbox
//! stored before they are answered, forwarded until the app accepts them, a repeat absorbed,
//! and the inbox looked at, replayed and purged from the command line.

use crate::support;

use support::inbox::{Store, listen, signing_sandbox};

#[tokio::test]
async fn a_stored_callback_is_answered_200_at_once_and_forwarded_until_the_app_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    support::inbox::answered_at_once_forwarded_until_accepted_and_operated(Store::File(
        dir.path().join("inbox.db"),
    ))
    .await;
}

#[tokio::test]
async fn the_inbox_commands_say_what_is_missing_and_refuse_what_is_not_an_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.db");
    let run = support::run(
        support::bare(),
        &["inbox", "stats", "--inbox", missing.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("no such inbox"), "{run:?}");

    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "shopping: milk, eggs").unwrap();
    let run = support::run(
        support::bare(),
        &["inbox", "list", "--inbox", garbage.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("notes.txt") && run.stderr.contains("untouched"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&garbage).unwrap(),
        "shopping: milk, eggs"
    );

    let empty = dir.path().join("empty.db");
    let sandbox = signing_sandbox().await;
    let (mut child, _) = listen(&sandbox, &Store::File(empty.clone()), &[]).await;
    let run = support::run(
        support::bare(),
        &["inbox", "show", "7", "--inbox", empty.to_str().unwrap()],
    )
    .await;
    run.assert_code(1);
    assert!(run.stderr.contains("no callback #7"), "{run:?}");
    let run = support::run(
        support::bare(),
        &["inbox", "replay", "--inbox", empty.to_str().unwrap()],
    )
    .await;
    run.assert_code(2);
    let _ = child.start_kill();
    sandbox.shutdown().await;
}
