//! The command line as a whole: help, usage errors, exit codes, completions, credentials.

use crate::support;

use base64::Engine;
use support::{KEY, SECRET, against, bare, run, sandbox};

#[tokio::test]
async fn help_lists_every_command_with_examples_and_the_exit_codes() {
    let help = run(bare(), &["--help"]).await;
    help.assert_code(0);
    for text in [
        "webhooks",
        "template",
        "listen",
        "trigger",
        "sandbox",
        "keys",
        "completions",
        "Examples:",
        "Exit codes:",
        "0  success",
        "2  usage",
    ] {
        assert!(
            help.stdout.contains(text),
            "{text} missing: {}",
            help.stdout
        );
    }
}

#[tokio::test]
async fn every_command_has_examples_in_its_help() {
    let commands: &[&[&str]] = &[
        &["webhooks"],
        &["webhooks", "list"],
        &["webhooks", "get"],
        &["webhooks", "create"],
        &["webhooks", "update"],
        &["webhooks", "delete"],
        &["keys"],
        &["keys", "list"],
        &["keys", "get"],
        &["keys", "create"],
        &["keys", "enable"],
        &["keys", "enabled"],
        &["keys", "disable"],
        &["keys", "delete"],
        &["template"],
        &["template", "lint"],
        &["template", "render"],
        &["listen"],
        &["trigger"],
        &["sandbox"],
        &["completions"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let help = run(bare(), &args).await;
        help.assert_code(0);
        assert!(
            help.stdout.contains("Examples:\n  mm-webhooks "),
            "{command:?}: {}",
            help.stdout
        );
    }
}

#[tokio::test]
async fn an_unknown_flag_is_a_usage_error_exiting_2() {
    let run = run(bare(), &["webhooks", "list", "--bogus"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("--bogus"), "{run:?}");
}

#[tokio::test]
async fn an_unknown_event_exits_2_naming_the_valid_ones() {
    let run = run(
        bare(),
        &["template", "lint", "t.vm", "--event", "DELIVERED"],
    )
    .await;
    run.assert_code(2);
    assert!(run.stderr.contains("DELIVERED_DR"), "{run:?}");
}

#[tokio::test]
async fn missing_credentials_exit_2_and_say_which_variables_to_set() {
    let run = run(bare(), &["webhooks", "list"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("MESSAGEMEDIA_API_SECRET"), "{run:?}");
}

#[tokio::test]
async fn completions_for_bash_complete_the_commands() {
    let run = run(bare(), &["completions", "bash"]).await;
    run.assert_code(0);
    for word in ["mm-webhooks", "webhooks", "template", "listen", "--jsonl"] {
        assert!(run.stdout.contains(word), "{word}");
    }
}

#[tokio::test]
async fn help_never_shows_the_secret_from_the_environment() {
    let mut command = bare();
    command.env("MESSAGEMEDIA_API_SECRET", SECRET);
    let help = run(command, &["webhooks", "list", "--help"]).await;
    help.assert_code(0);
    assert!(help.stdout.contains("MESSAGEMEDIA_API_SECRET"));
    assert!(!help.stdout.contains(SECRET), "{}", help.stdout);
}

#[tokio::test]
async fn bad_credentials_exit_1_with_the_apis_message() {
    let sandbox = sandbox().await;
    let mut command = against(&sandbox);
    command.env("MESSAGEMEDIA_API_SECRET", "wrong-secret");
    let run = run(command, &["webhooks", "list"]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("unauthorized"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_secret_never_appears_even_at_the_highest_verbosity() {
    let sandbox = sandbox().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    for auth in ["hmac", "hmac-sha256", "basic"] {
        let ok = run(
            against(&sandbox),
            &["-vv", "--auth", auth, "webhooks", "list", "--json"],
        )
        .await;
        ok.assert_code(0);
        assert!(
            ok.stderr.contains(&sandbox.base_url()),
            "-v names the target: {ok:?}"
        );
        assert!(ok.stderr.contains("secret set, not shown"), "{ok:?}");
        let failed = run(
            against(&sandbox),
            &[
                "-vv",
                "--auth",
                auth,
                "--account",
                "Sub1",
                "webhooks",
                "get",
                "76fa7010-8c1f-4a24-917a-4d62a54e744d",
            ],
        )
        .await;
        failed.assert_code(1);
        for output in [&ok.stdout, &ok.stderr, &failed.stdout, &failed.stderr] {
            assert!(!output.contains(SECRET), "{auth}: {output}");
            assert!(
                !output.contains(&basic),
                "{auth}: Basic credentials leaked: {output}"
            );
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn keys_and_trigger_never_show_the_secret_even_at_the_highest_verbosity() {
    let sandbox = sandbox().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
    let keys = run(against(&sandbox), &["-vv", "keys", "create", "--json"]).await;
    keys.assert_code(0);
    let trigger = run(against(&sandbox), &["-vv", "trigger", "RECEIVED_SMS"]).await;
    trigger.assert_code(0);
    let refused = run(
        against(&sandbox),
        &[
            "-vv",
            "--account",
            "Sub1",
            "keys",
            "get",
            "76fa7010-8c1f-4a24-917a-4d62a54e744d",
        ],
    )
    .await;
    refused.assert_code(1);
    for run in [&keys, &trigger, &refused] {
        for output in [&run.stdout, &run.stderr] {
            assert!(!output.contains(SECRET), "{output}");
            assert!(
                !output.contains(&basic),
                "Basic credentials leaked: {output}"
            );
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn region_and_base_url_together_are_a_usage_error() {
    let run = run(
        bare(),
        &[
            "--region",
            "eu",
            "--base-url",
            "http://127.0.0.1:9",
            "webhooks",
            "list",
        ],
    )
    .await;
    run.assert_code(2);
}

#[tokio::test]
async fn a_base_url_the_library_refuses_is_a_usage_error_exiting_2() {
    let mut command = bare();
    command
        .env("MESSAGEMEDIA_API_KEY", KEY)
        .env("MESSAGEMEDIA_API_SECRET", SECRET);
    let run = run(command, &["--base-url", "not a url", "webhooks", "list"]).await;
    run.assert_code(2);
    assert!(run.stderr.contains("base_url"), "{run:?}");
    assert!(!run.stderr.contains(SECRET), "{run:?}");
}
