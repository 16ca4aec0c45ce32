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
