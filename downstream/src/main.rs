//! How long a signing sandbox takes to start in a user's debug build: `Sandbox::builder()
//! .sign_callbacks(true).start()`, which generates a 2048-bit RSA key, timed over several
//! starts in one run, each in a fresh runtime, with the load average beside each.
//!
//! ```text
//! cargo run --manifest-path downstream/Cargo.toml [-- RUNS]
//! ```

use std::time::{Duration, Instant};

use webhooks_sandbox::Sandbox;
use webhooks_vocabulary::Digest;

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn start_once(digest: Digest) -> Duration {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let started = Instant::now();
        let sandbox = Sandbox::builder()
            .sign_callbacks(true)
            .signature_digest(digest)
            .start()
            .await
            .expect("the sandbox starts");
        let elapsed = started.elapsed();
        assert!(sandbox.signature_key().is_some(), "it signs");
        sandbox.shutdown().await;
        elapsed
    })
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(5, |runs| runs.parse().expect("RUNS is a number"));
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("signing sandbox start, {profile} build of a downstream crate, {runs} runs");
    for digest in [Digest::Sha256, Digest::Sha224] {
        let mut times: Vec<Duration> = (0..runs)
            .map(|run| {
                let load = load_average();
                let took = start_once(digest);
                println!("  {digest} run {run}: {:>7.1} ms (load {load})", took.as_secs_f64() * 1e3);
                took
            })
            .collect();
        times.sort();
        println!(
            "{digest}: median {:.1} ms, spread {:.1}-{:.1} ms",
            times[runs / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[runs - 1].as_secs_f64() * 1e3
        );
    }
}
