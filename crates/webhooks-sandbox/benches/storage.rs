//! Storage cost against the number stored: create, get, update and delete in an account that
//! already holds 100, 1,000, 10,000 or 100,000 webhooks, with state on (SQLite, one durable
//! transaction per change) and in memory. Prints the median of each operation per size, the
//! 100,000/100 ratio, and the load average, for each of `RUNS` runs, then the median and
//! spread of the ratios. `cargo bench -p webhooks-sandbox --bench storage`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use uuid::Uuid;
use webhooks_ergonomic::{CallbackMethod, Encoding, Event};
use webhooks_sandbox::store::{Store, StoredWebhook};

const SIZES: [usize; 4] = [100, 1_000, 10_000, 100_000];
const RUNS: usize = 5;
/// Timed operations of each kind per size and run.
const SAMPLES: usize = 100;
const OPERATIONS: [&str; 4] = ["create", "get", "update", "delete"];

fn webhook(url: String) -> StoredWebhook {
    StoredWebhook {
        id: Uuid::new_v4(),
        url,
        method: CallbackMethod::Post,
        encoding: Encoding::Json,
        headers: BTreeMap::from([("X-Token".to_owned(), "abc".to_owned())]),
        events: vec![Event::ReceivedSms, Event::DeliveredDr],
        template: Some("{\"id\":\"$moId\"}".to_owned()),
        read_timeout: None,
        retries: 1,
        retry_delay: None,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median cost of each operation in a store already holding `size` webhooks.
async fn measure(store: &Store, size: usize) -> [Duration; 4] {
    let mut stored = Vec::with_capacity(size);
    for chunk in (0..size).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|n| webhook(format!("https://example.com/{size}/{n}")))
            .collect();
        stored.extend(batch.iter().map(|w| w.id));
        store.create_many("bench", batch).await.expect("prefill");
    }
    let mut times: [Vec<Duration>; 4] = Default::default();
    let mut created = Vec::new();
    for n in 0..SAMPLES {
        let new = webhook(format!("https://example.com/new/{size}/{n}"));
        created.push(new.clone());
        let start = Instant::now();
        store.create("bench", new).await.expect("create");
        times[0].push(start.elapsed());

        let id = stored[(n * 7919) % stored.len()];
        let start = Instant::now();
        let mut found = store.get("bench", id).expect("get");
        times[1].push(start.elapsed());

        found.url = format!("https://example.com/changed/{size}/{n}");
        let start = Instant::now();
        store.update("bench", found).await.expect("update");
        times[2].push(start.elapsed());
    }
    for new in created {
        let start = Instant::now();
        store.delete("bench", new.id).await.expect("delete");
        times[3].push(start.elapsed());
    }
    times.map(median)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// One run in one mode: the medians per size, and the 100,000/100 ratio of each operation.
async fn run(state: bool) -> [f64; 4] {
    let mut by_size = Vec::new();
    for size in SIZES {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary dir");
        let store = if state {
            Store::open(&dir.path().join("state.db"), 100)
                .await
                .expect("a store")
        } else {
            Store::in_memory(100)
        };
        let medians = measure(&store, size).await;
        let shown: Vec<String> = OPERATIONS
            .iter()
            .zip(&medians)
            .map(|(op, d)| format!("{op} {:.1} us", d.as_secs_f64() * 1e6))
            .collect();
        println!("  {size:>7} stored: {}", shown.join(", "));
        by_size.push(medians);
    }
    let (first, last) = (by_size[0], by_size[SIZES.len() - 1]);
    std::array::from_fn(|i| last[i].as_secs_f64() / first[i].as_secs_f64().max(1e-9))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for state in [true, false] {
        let mode = if state {
            "state on (SQLite, synchronous=FULL)"
        } else {
            "in memory"
        };
        let mut ratios: Vec<[f64; 4]> = Vec::new();
        for number in 1..=RUNS {
            println!("{mode}, run {number}, load average {}", load_average());
            let ratio = runtime.block_on(run(state));
            println!("  ratio 100,000/100: {ratio:.2?}");
            ratios.push(ratio);
        }
        for (i, op) in OPERATIONS.iter().enumerate() {
            let mut of_op: Vec<f64> = ratios.iter().map(|r| r[i]).collect();
            of_op.sort_by(f64::total_cmp);
            println!(
                "{mode}: {op} ratio 100,000/100 median {:.2} (spread {:.2}-{:.2})",
                of_op[RUNS / 2],
                of_op[0],
                of_op[RUNS - 1]
            );
        }
    }
}
