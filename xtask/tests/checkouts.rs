//! One xtask binary, two checkouts: each run reads the workspace it is started in, never the
//! one the binary was built from (a shared target directory or CI cache must not mix clones).

use std::path::Path;
use std::process::{Command, Output};

use xtask::{GENERATED_PATH, SPEC_PATH, workspace_root};

/// A minimal checkout: a workspace manifest, the contract (as given) and the generated file.
fn checkout(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    std::fs::create_dir_all(root.join("openapi")).unwrap();
    std::fs::write(root.join(SPEC_PATH), spec).unwrap();
    let generated = root.join(GENERATED_PATH);
    std::fs::create_dir_all(generated.parent().unwrap()).unwrap();
    std::fs::copy(workspace_root().join(GENERATED_PATH), generated).unwrap();
    dir
}

fn xtask(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the xtask binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_same_binary_reads_the_checkout_it_runs_in() {
    let real = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    let marker = "\n  schemas:\n";
    assert!(real.contains(marker), "the contract has a schemas section");
    let broken = real.replacen(
        marker,
        "\n  schemas:\n    OnlyInCheckoutB:\n      type: object\n",
        1,
    );
    let (a, b) = (checkout(&real), checkout(&broken));

    let lint_a = xtask(a.path(), &["lint"]);
    assert!(lint_a.status.success(), "{}", text(&lint_a));
    assert!(text(&lint_a).contains("openapi/webhooks.yaml: lint clean"));

    // Started in a subdirectory of B: the workspace is found upward, B's own spec is linted.
    let lint_b = xtask(&b.path().join("openapi"), &["lint"]);
    assert_eq!(lint_b.status.code(), Some(1), "{}", text(&lint_b));
    assert!(
        text(&lint_b).contains("#/components/schemas/OnlyInCheckoutB/description"),
        "{}",
        text(&lint_b)
    );

    let check_a = xtask(a.path(), &["generate", "--check"]);
    assert!(check_a.status.success(), "{}", text(&check_a));
    let check_b = xtask(b.path(), &["generate", "--check"]);
    assert_eq!(check_b.status.code(), Some(1), "{}", text(&check_b));
    assert!(
        text(&check_b).contains("OnlyInCheckoutB"),
        "{}",
        text(&check_b)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[test]
fn diff_base_compares_with_the_contract_at_a_revision_and_exits_by_what_it_finds() {
    let real = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    let repo = checkout(&real);
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "contract"]);

    let same = xtask(repo.path(), &["diff", "--base", "HEAD"]);
    assert!(same.status.success(), "{}", text(&same));
    assert!(text(&same).contains("no API changes"), "{}", text(&same));

    // The list operation's page is no longer a 200 but a 206: a client expecting 200 breaks.
    let moved = real.replacen("        '200':\n", "        '206':\n", 1);
    assert_ne!(moved, real, "the contract has a quoted 200 response");
    std::fs::write(repo.path().join(SPEC_PATH), moved).unwrap();
    let broken = xtask(repo.path(), &["diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(broken.status.code(), Some(1), "{}", text(&broken));
    let report: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["breaking"] == true
            && c["location"].as_str().unwrap().ends_with("/responses/200")),
        "{report:#}"
    );

    let missing = xtask(repo.path(), &["diff", "--base", "no-such-revision"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("no-such-revision"),
        "{}",
        text(&missing)
    );
}
