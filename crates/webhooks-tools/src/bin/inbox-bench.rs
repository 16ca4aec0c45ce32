//! The durable inbox, measured: how fast it acknowledges signed callbacks with each one on
//! disk before its 200, against the disk's own fsync rate, and what a large backlog costs in
//! memory. See `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p webhooks-tools --bin inbox-bench                      # every phase, 5 runs
//! cargo run --release -p webhooks-tools --bin inbox-bench -- --runs 3 throughput
//! cargo run --release -p webhooks-tools --bin inbox-bench -- backlog           # 1,000,000 callbacks
//! cargo run --release -p webhooks-tools --bin inbox-bench -- --help
//! ```
//!
//! Every figure but the backlog's is taken in each of `--runs` runs; the table gives
//! the median over runs and the spread (min-max). Each run and phase prints `/proc/loadavg`:
//! the machine is shared, and a figure means little without the load it was taken under.
//! The inbox files live in a fresh directory under `--dir` (default: the system's temporary
//! directory), which must be on a real disk (tmpfs is refused: its fsync reaches no disk), and
//! is removed at the end. Each measurement opens a fresh inbox file, so every callback sent is
//! new to it and the table starts empty.
//!
//! - **fsync** (the ceiling of one commit per callback): 4 KiB written and `File::sync_data`
//!   in a loop for `--fsync-seconds`, in the inbox's directory; once overwriting the same
//!   block, once appending (as a WAL grows). The loop's thread's `schedstat` splits each
//!   fsync into time on a CPU, runnable but waiting for one (the machine's other load), and
//!   the rest, blocked: the disk's own share.
//! - **throughput**: `Inbox::builder().sqlite(..)` (WAL, `synchronous = FULL`), no workers,
//!   `inbox.router()` served on 127.0.0.1, and a hyper HTTP/1.1 load generator in the same
//!   process and Tokio runtime (as `receive-bench`) keeping `--connections` keep-alive
//!   connections busy with distinct pre-signed SHA-256 delivery reports (fresh message ids,
//!   so none is a duplicate; each is sent once per inbox): acknowledgements (200 `stored`)
//!   per second, latency, process CPU per callback. With group commit and with
//!   `group_commit(false)`. Besides, without touching the library: the SQLite commits in the
//!   window (the WAL index header's change counter, `iChange`, read from the `-shm` file), so
//!   callbacks per commit; the `inbox-writer` thread's CPU time and run-queue wait
//!   (`/proc/self/task/<tid>/schedstat`), so how busy the one writer is; and the same summed
//!   over this process's threads, so how much CPU it got and how long it waited for more.
//! - **latency**: open loop at `--rate` callbacks a second for `--rate-seconds`: request `k` is
//!   due at `k / rate` s, sent by connection `k mod --connections` (not waiting for anything
//!   but that connection being free), and its latency counted from when it was due, so a
//!   stall counts for every request it delays.
//! - **backlog**: `--backlog` callbacks (default 1,000,000 for the `backlog` phase alone,
//!   100,000 in a plain run) through `inbox.receive` directly (verification included, no
//!   HTTP), 64 at a time, no workers; the process's RSS (`VmRSS`) every tenth of the way, and
//!   then `inbox.stats()` and `inbox.list(..)`, timed. Signing a million callbacks would take
//!   longer than storing them, so 1,024 signed callbacks are sent over and over, each time
//!   under a new dedup key (`InboxBuilder::dedup_key` with a counter, shaped and sized like
//!   `dr:<message id>:delivered`): every one is stored as a new row.
//! - **JetStream** (phase `nats`, and in a plain run unless `--no-nats`): the throughput
//!   measurement against `Inbox::builder().nats(url)` on a `nats-server -js -a 127.0.0.1 -p
//!   <free port> -sd <in the temporary directory>` started for each run and killed after it
//!   (`NATS_SERVER`, else `nats-server` on the `PATH`, else /usr/sbin/nats-server), with the
//!   server's own CPU time (its threads' `schedstat`) beside this process's. No target: with
//!   one replica and the server's defaults, JetStream acknowledges before its data is synced
//!   to disk (every two minutes), so the figure is not one of the same durability.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use clap::{Parser, Subcommand};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use webhooks_callbacks::inbox::{Inbox, ListFilter, Receipt, State};
use webhooks_callbacks::{Digest, Verifier};
use webhooks_sandbox::signing::CallbackSigner;
use webhooks_tools::{
    Figures, Prepared, Unit, command_line, cpu_model, load_range, loadavg, percentile, print_table,
    process_cpu_ns, sign_pool,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The name of the SQLite inbox's writer thread.
const WRITER_THREAD: &str = "inbox-writer";
/// Signed callbacks the backlog phase sends over and over (under fresh dedup keys).
const BACKLOG_POOL: usize = 1024;
/// Callbacks the backlog phase has in flight at once.
const BACKLOG_CONCURRENCY: usize = 64;

#[derive(Parser, Debug)]
#[command(
    about = "Benchmarks of the durable inbox: fsync ceiling, acknowledged throughput with and without group commit, open-loop latency, memory with a large backlog"
)]
struct Args {
    /// Runs of the fsync, throughput and latency phases; each figure is reported as the
    /// median and min-max over runs. The backlog phase runs once.
    #[arg(long, default_value_t = 5, global = true)]
    runs: usize,
    /// Keep-alive HTTP/1.1 connections of the load generator.
    #[arg(long, default_value_t = 64, global = true)]
    connections: usize,
    /// Measured seconds of each throughput measurement.
    #[arg(long, default_value_t = 2.5, global = true)]
    seconds: f64,
    /// Unmeasured seconds of load before each measurement (throughput and latency).
    #[arg(long, default_value_t = 0.5, global = true)]
    warmup_seconds: f64,
    /// Distinct signed callbacks for the throughput and latency phases; each is sent at most
    /// once per inbox, and a measurement that uses them all up ends early (and says so).
    #[arg(long, default_value_t = 32_000, global = true)]
    pool: usize,
    /// Seconds of each fsync loop (overwrite, append).
    #[arg(long, default_value_t = 2.0, global = true)]
    fsync_seconds: f64,
    /// Callbacks a second of the open-loop latency phase.
    #[arg(long, default_value_t = 1000.0, global = true)]
    rate: f64,
    /// Measured seconds of the open-loop latency phase.
    #[arg(long, default_value_t = 5.0, global = true)]
    rate_seconds: f64,
    /// Callbacks ingested by the backlog phase [default: 1000000 for `backlog`, 100000 in a
    /// plain run].
    #[arg(long, global = true)]
    backlog: Option<u64>,
    /// Where the temporary directory of the inbox files is made (a real disk, not tmpfs)
    /// [default: the system's temporary directory].
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    /// Leave the JetStream backend out of a plain run.
    #[arg(long, global = true)]
    no_nats: bool,
    #[command(subcommand)]
    phase: Option<Phase>,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// fsync, throughput (SQLite, then JetStream when a nats-server is found) and latency in
    /// every run, then a backlog of 100,000 (the default).
    All,
    /// The disk's own fsync rate.
    Fsync,
    /// Acknowledged callbacks a second over HTTP, with and without group commit (and the
    /// fsync rate beside it).
    Throughput,
    /// Latency at a fixed rate, open loop.
    Latency,
    /// Memory while a backlog of `--backlog` callbacks (default 1,000,000) builds up.
    Backlog,
    /// Acknowledged callbacks a second over HTTP against the NATS JetStream backend, on a
    /// `nats-server -js` the benchmark starts (`NATS_SERVER`, else `nats-server` on the
    /// `PATH`, else /usr/sbin/nats-server).
    Nats,
}

fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let phase = args.phase.unwrap_or(Phase::All);
    let fsync = matches!(phase, Phase::All | Phase::Fsync | Phase::Throughput);
    let throughput = matches!(phase, Phase::All | Phase::Throughput);
    let latency = matches!(phase, Phase::All | Phase::Latency);
    let nats = match phase {
        Phase::Nats => Some(nats_server_binary().ok_or(NO_NATS_SERVER)?),
        Phase::All if !args.no_nats => {
            let binary = nats_server_binary();
            if binary.is_none() {
                println!("JetStream: not measured, {NO_NATS_SERVER}");
            }
            binary
        }
        _ => None,
    };
    let backlog = match (phase, args.backlog) {
        (Phase::All | Phase::Backlog, Some(n)) => Some(n.max(1)),
        (Phase::All, None) => Some(100_000),
        (Phase::Backlog, None) => Some(1_000_000),
        _ => None,
    };
    let runs = args.runs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let scratch = Scratch::new(args.dir.clone().unwrap_or_else(std::env::temp_dir))?;

    println!(
        "inbox-bench: {} cores ({}), {} tokio worker threads shared by load generator and server; {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model(),
        runtime.metrics().num_workers(),
        if fsync || throughput || latency || nats.is_some() {
            format!("{runs} runs")
        } else {
            "one backlog".to_owned()
        },
    );
    println!(
        "inbox files in {} ({})",
        scratch.path.display(),
        scratch.filesystem
    );
    println!("load average at start: {}", loadavg());

    // Keys and pre-signed callbacks, made once: signing is not what is measured.
    let setup = Instant::now();
    let signed_at = SystemTime::now();
    let now = signed_at + Duration::from_secs(30);
    let signer = CallbackSigner::generate(Digest::Sha256)?;
    let key = signer.key();
    // The freshness window stays on (the default 5 minutes) and passes: the verifier's clock
    // stands 30 s after the callbacks' `Date`, however long the benchmark runs.
    let verifier = Verifier::new()
        .with_key(&key.key_id.to_string(), &key.public_key)?
        .clock(move || now);
    if let Some(binary) = &nats {
        println!("JetStream: {} -js, a fresh one per run", binary.display());
    }
    let count = if throughput || latency || nats.is_some() {
        args.pool.max(1)
    } else {
        BACKLOG_POOL
    };
    let pool = Arc::new(sign_pool(&signer, count, signed_at)?);
    println!(
        "setup: a 2048-bit SHA-256 key, {} distinct delivery reports signed ({} bytes of body each); {:.1} s",
        pool.len(),
        pool.first().map_or(0, |p| p.body.len()),
        setup.elapsed().as_secs_f64()
    );

    let mut figures = Figures::default();
    let mut loads = Vec::new();
    if fsync || throughput || latency || nats.is_some() {
        for run in 1..=runs {
            let load = loadavg();
            println!("\nrun {run}/{runs}: load average {load}");
            loads.push(load);
            if fsync {
                fsync_figures(&args, &scratch, &mut figures)?;
            }
            if throughput {
                runtime.block_on(throughput_figures(
                    &args,
                    &scratch,
                    &verifier,
                    &pool,
                    run,
                    &mut figures,
                ))?;
            }
            if let Some(binary) = &nats {
                runtime.block_on(nats_figures(
                    &args,
                    &scratch,
                    binary,
                    &verifier,
                    &pool,
                    &mut figures,
                ))?;
            }
            if latency {
                runtime.block_on(latency_figures(
                    &args,
                    &scratch,
                    &verifier,
                    &pool,
                    &mut figures,
                ))?;
            }
        }
    }
    let backlog = match backlog {
        Some(n) => {
            let pool = Arc::new(pool[..pool.len().min(BACKLOG_POOL)].to_vec());
            Some(runtime.block_on(backlog_figures(&scratch, &verifier, &pool, n))?)
        }
        None => None,
    };
    print_summary(&figures, &loads, backlog.as_ref(), &scratch);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Pre-signed callbacks.

// ---------------------------------------------------------------------------------------------
// The directory of the inbox files.

/// A fresh directory for the inbox files on a real disk, removed when dropped.
struct Scratch {
    path: PathBuf,
    /// Its file system type and device, from `/proc/self/mountinfo`.
    filesystem: String,
    files: AtomicUsize,
}

impl Scratch {
    fn new(parent: PathBuf) -> Result<Scratch, Failure> {
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let path = parent.join(format!("inbox-bench.{}.{stamp}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        let path = path.canonicalize()?;
        let (fs_type, source) = filesystem(&path);
        let scratch = Scratch {
            filesystem: format!("{fs_type} on {source}"),
            path,
            files: AtomicUsize::new(0),
        };
        if matches!(fs_type.as_str(), "tmpfs" | "ramfs") {
            return Err(format!(
                "{} is on {fs_type}: its fsync reaches no disk; pass --dir on a real disk",
                scratch.path.display()
            )
            .into());
        }
        Ok(scratch)
    }

    /// A new file name in the directory.
    fn file(&self, what: &str) -> PathBuf {
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        self.path.join(format!("{n:03}-{what}"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.path) {
            eprintln!("could not remove {}: {err}", self.path.display());
        }
    }
}

/// Removes an inbox file and its `-wal` and `-shm` files.
fn remove_inbox(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(file));
    }
}

/// The file system type and source of the mount holding `path` (the longest mount point that
/// is a prefix of it).
fn filesystem(path: &Path) -> (String, String) {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut best: Option<(usize, String, String)> = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(dash) = fields.iter().position(|field| *field == "-") else {
            continue;
        };
        let (Some(mount), Some(fs_type), Some(source)) =
            (fields.get(4), fields.get(dash + 1), fields.get(dash + 2))
        else {
            continue;
        };
        let mount = mount.replace("\\040", " ");
        if path.starts_with(&mount) && best.as_ref().is_none_or(|(len, ..)| mount.len() >= *len) {
            best = Some((mount.len(), (*fs_type).to_owned(), (*source).to_owned()));
        }
    }
    best.map_or_else(
        || ("unknown".to_owned(), "unknown".to_owned()),
        |(_, fs_type, source)| (fs_type, source),
    )
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the disk's own fsync rate.

struct FsyncOutcome {
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
    /// Per write + fsync, mean: on a CPU, runnable but waiting for one, and the rest, blocked
    /// (on the disk).
    run_us: f64,
    wait_us: f64,
    blocked_us: f64,
}

/// 4 KiB written and `sync_data`, in a loop for `seconds`: overwriting the same block, or
/// appending.
fn fsync_loop(path: &Path, seconds: f64, append: bool) -> std::io::Result<FsyncOutcome> {
    let mut file = File::options()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)?;
    let block = [0x5au8; 4096];
    // The block to overwrite exists, and the file's creation is on disk, before timing.
    file.write_all(&block)?;
    file.sync_all()?;
    let mut times = Vec::new();
    let sched_start = schedstat("/proc/thread-self/schedstat");
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds.max(0.1));
    loop {
        let at = Instant::now();
        if at >= until {
            break;
        }
        if append {
            file.write_all(&block)?;
        } else {
            file.write_all_at(&block, 0)?;
        }
        file.sync_data()?;
        times.push(u64::try_from(at.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    let elapsed = started.elapsed();
    let sched = sched_start
        .zip(schedstat("/proc/thread-self/schedstat"))
        .map(|(start, end)| end.since(start))
        .unwrap_or_default();
    drop(file);
    std::fs::remove_file(path)?;
    times.sort_unstable();
    let n = times.len().max(1) as f64;
    let per_op = |ns: u64| ns as f64 / n / 1_000.0;
    Ok(FsyncOutcome {
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50_us: percentile(&times, 50.0) / 1_000.0,
        p99_us: percentile(&times, 99.0) / 1_000.0,
        run_us: per_op(sched.run_ns),
        wait_us: per_op(sched.wait_ns),
        blocked_us: per_op(
            u64::try_from(elapsed.as_nanos())
                .unwrap_or(u64::MAX)
                .saturating_sub(sched.run_ns + sched.wait_ns),
        ),
    })
}

fn fsync_figures(args: &Args, scratch: &Scratch, figures: &mut Figures) -> Result<(), Failure> {
    for (append, name) in [(false, "overwrite"), (true, "append")] {
        let load = loadavg();
        let outcome = fsync_loop(&scratch.file("fsync"), args.fsync_seconds, append)?;
        println!(
            "  fsync, 4 KiB {name} + sync_data (load {load}): {:.0} /s, p50 {:.0} us, p99 {:.0} us; per fsync {:.0} us blocked (the disk), {:.0} us waiting for a CPU, {:.0} us on one",
            outcome.per_second,
            outcome.p50_us,
            outcome.p99_us,
            outcome.blocked_us,
            outcome.wait_us,
            outcome.run_us
        );
        figures.record(
            &format!("fsync: 4 KiB {name} + sync_data"),
            Unit::PerSecond,
            "-",
            outcome.per_second,
        );
        figures.record(
            &format!("fsync: 4 KiB {name}: blocked per fsync (the disk)"),
            Unit::Us,
            "-",
            outcome.blocked_us,
        );
        figures.record(
            &format!("fsync: 4 KiB {name}: waiting for a CPU per fsync"),
            Unit::Us,
            "-",
            outcome.wait_us,
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What is observed of the inbox without changing it: its commits and its writer thread.

/// An inbox under test, and where to look at it.
struct Bench {
    inbox: Inbox,
    /// The SQLite file.
    path: Option<PathBuf>,
    /// The `inbox-writer` thread of this inbox, when it could be told apart.
    writer: Option<u32>,
    /// The `nats-server` process behind it.
    server: Option<u32>,
}

impl Bench {
    async fn sqlite(
        path: PathBuf,
        verifier: &Verifier,
        group_commit: bool,
        counter_keys: bool,
    ) -> Result<Bench, Failure> {
        let before = writer_threads();
        let mut builder = Inbox::builder()
            .sqlite(&path)
            .verifier(verifier.clone())
            .group_commit(group_commit)
            .max_backlog(u64::MAX);
        if counter_keys {
            // The backlog's keys: a counter, shaped like `dr:<message id>:delivered`.
            let counter = AtomicU64::new(0);
            builder = builder.dedup_key(move |_| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                Some(format!(
                    "dr:{:08x}-0000-4000-8000-{:012x}:delivered",
                    n >> 48,
                    n & 0xffff_ffff_ffff
                ))
            });
        }
        let inbox = builder.open().await?;
        // The writer names itself once it runs, which may be a moment after `open` returns.
        let mut writer = None;
        for _ in 0..100 {
            let new: Vec<u32> = writer_threads()
                .into_iter()
                .filter(|tid| !before.contains(tid))
                .collect();
            if let [tid] = new.as_slice() {
                writer = Some(*tid);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Bench {
            inbox,
            path: Some(path),
            writer,
            server: None,
        })
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            cpu_ns: process_cpu_ns(),
            commits: self.path.as_deref().and_then(commit_counter),
            writer: self.writer.and_then(thread_times),
            threads: all_thread_times("self"),
            server: self
                .server
                .map(|pid| sum(all_thread_times(&pid.to_string()).into_values())),
        }
    }

    /// Bytes of the inbox file and its WAL.
    fn file_bytes(&self) -> (u64, u64) {
        let Some(path) = &self.path else {
            return (0, 0);
        };
        let size = |suffix: &str| {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            std::fs::metadata(PathBuf::from(file)).map_or(0, |meta| meta.len())
        };
        (size(""), size("-wal"))
    }

    fn close(self) {
        let Bench { inbox, path, .. } = self;
        drop(inbox);
        if let Some(path) = path {
            remove_inbox(&path);
        }
    }
}

#[derive(Clone)]
struct Snapshot {
    at: Instant,
    cpu_ns: u128,
    commits: Option<u32>,
    writer: Option<ThreadTimes>,
    /// Every thread of this process.
    threads: HashMap<u32, ThreadTimes>,
    /// The `nats-server`'s threads, summed.
    server: Option<ThreadTimes>,
}

#[derive(Clone, Copy, Default)]
struct ThreadTimes {
    /// On a CPU.
    run_ns: u64,
    /// Runnable, waiting for a CPU.
    wait_ns: u64,
}

impl ThreadTimes {
    fn since(self, start: ThreadTimes) -> ThreadTimes {
        ThreadTimes {
            run_ns: self.run_ns.saturating_sub(start.run_ns),
            wait_ns: self.wait_ns.saturating_sub(start.wait_ns),
        }
    }
}

/// Between two snapshots.
struct Delta {
    wall: Duration,
    cpu_ns: u128,
    commits: Option<u64>,
    writer: Option<ThreadTimes>,
    /// The threads alive at both snapshots, summed: time on a CPU, and runnable but waiting
    /// for one (the machine's other load).
    threads: ThreadTimes,
    /// The `nats-server`'s threads.
    server: Option<ThreadTimes>,
}

impl Delta {
    fn between(start: &Snapshot, end: &Snapshot) -> Delta {
        Delta {
            wall: end.at.saturating_duration_since(start.at),
            cpu_ns: end.cpu_ns.saturating_sub(start.cpu_ns),
            commits: start
                .commits
                .zip(end.commits)
                .map(|(start, end)| u64::from(end.wrapping_sub(start))),
            writer: start
                .writer
                .zip(end.writer)
                .map(|(start, end)| end.since(start)),
            threads: sum(end
                .threads
                .iter()
                .filter_map(|(tid, end)| Some(end.since(*start.threads.get(tid)?)))),
            server: start
                .server
                .zip(end.server)
                .map(|(start, end)| end.since(start)),
        }
    }

    /// Cores' worth of `ns` over the window.
    fn cores(&self, ns: u64) -> f64 {
        ns as f64 / self.wall.as_nanos().max(1) as f64
    }

    fn share(&self, ns: u64) -> f64 {
        ns as f64 / self.wall.as_nanos().max(1) as f64 * 100.0
    }

    /// What it says of the commits, the threads and the writer, for `callbacks` stored in it.
    fn describe(&self, callbacks: usize) -> String {
        let per_callback = |ns: u64| ns as f64 / callbacks.max(1) as f64 / 1_000.0;
        let mut parts = Vec::new();
        if let Some(commits) = self.commits {
            parts.push(format!(
                "{commits} commits ({:.1} callbacks each, one every {:.2} ms)",
                callbacks as f64 / commits.max(1) as f64,
                self.wall.as_secs_f64() * 1_000.0 / commits.max(1) as f64
            ));
        }
        parts.push(format!(
            "this process's threads on a CPU {:.2} cores, runnable but waiting for one {:.2} cores' worth",
            self.cores(self.threads.run_ns),
            self.cores(self.threads.wait_ns)
        ));
        if let Some(server) = self.server {
            parts.push(format!(
                "nats-server on a CPU {:.2} cores ({:.0} us per callback), waiting for one {:.2} cores' worth",
                self.cores(server.run_ns),
                per_callback(server.run_ns),
                self.cores(server.wait_ns)
            ));
        }
        if let Some(writer) = self.writer {
            parts.push(format!(
                "the writer thread on a CPU {:.0} % of the time ({:.1} us per callback), waiting for one {:.0} %, blocked {:.0} %",
                self.share(writer.run_ns),
                per_callback(writer.run_ns),
                self.share(writer.wait_ns),
                (100.0 - self.share(writer.run_ns) - self.share(writer.wait_ns)).max(0.0)
            ));
        }
        parts.join("; ")
    }
}

/// The WAL index header's change counter (`iChange`, "incremented each transaction"), at byte
/// 8 of the `-shm` file in native byte order: SQLite maps that file shared, so reading it sees
/// what the writer connection wrote. Commits of every connection on the file.
fn commit_counter(db: &Path) -> Option<u32> {
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let file = File::open(PathBuf::from(shm)).ok()?;
    let mut header = [0u8; 16];
    file.read_exact_at(&mut header, 0).ok()?;
    // `isInit`, byte 12, is 1 once the header was written.
    (header[12] == 1).then(|| u32::from_ne_bytes([header[8], header[9], header[10], header[11]]))
}

/// This process's threads named `inbox-writer`.
fn writer_threads() -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let task = task.ok()?;
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            (comm.trim() == WRITER_THREAD)
                .then(|| task.file_name().to_str()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// A thread's time on a CPU and waiting for one (`schedstat`: nanoseconds).
fn thread_times(tid: u32) -> Option<ThreadTimes> {
    schedstat(&format!("/proc/self/task/{tid}/schedstat"))
}

fn schedstat(path: &str) -> Option<ThreadTimes> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    Some(ThreadTimes {
        run_ns: fields.next()?.ok()?,
        wait_ns: fields.next()?.ok()?,
    })
}

/// Every thread of process `pid` (or `self`), by id.
fn all_thread_times(pid: &str) -> HashMap<u32, ThreadTimes> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return HashMap::new();
    };
    tasks
        .filter_map(|task| {
            let tid: u32 = task.ok()?.file_name().to_str()?.parse().ok()?;
            Some((
                tid,
                schedstat(&format!("/proc/{pid}/task/{tid}/schedstat"))?,
            ))
        })
        .collect()
}

fn sum(times: impl IntoIterator<Item = ThreadTimes>) -> ThreadTimes {
    times
        .into_iter()
        .fold(ThreadTimes::default(), |sum, times| ThreadTimes {
            run_ns: sum.run_ns + times.run_ns,
            wait_ns: sum.wait_ns + times.wait_ns,
        })
}

// ---------------------------------------------------------------------------------------------
// Phase 2: acknowledged throughput over HTTP, with and without group commit.

struct HttpOutcome {
    /// Callbacks acknowledged (200, stored) inside the measured window.
    requests: usize,
    /// Their latencies, send to whole answer read, nanoseconds, sorted.
    latencies: Vec<u64>,
    delta: Delta,
    /// Every callback acknowledged as stored, warm-up included.
    acknowledged: usize,
    /// The pool ran out before the window's end, which then came early.
    exhausted: bool,
    /// What the inbox's stats say it holds afterwards.
    stored: u64,
}

impl HttpOutcome {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.delta.wall.as_secs_f64().max(1e-9)
    }

    fn cpu_us_per_request(&self) -> f64 {
        self.delta.cpu_ns as f64 / self.requests.max(1) as f64 / 1_000.0
    }

    fn cores_used(&self) -> f64 {
        self.delta.cpu_ns as f64 / self.delta.wall.as_nanos().max(1) as f64
    }
}

async fn throughput_figures(
    args: &Args,
    scratch: &Scratch,
    verifier: &Verifier,
    pool: &Arc<Vec<Prepared>>,
    run: usize,
    figures: &mut Figures,
) -> Result<(), Failure> {
    // Alternate which goes first, so a trend in the machine's load favours neither.
    let order = if run % 2 == 1 {
        [true, false]
    } else {
        [false, true]
    };
    for group_commit in order {
        let label = if group_commit {
            "group commit"
        } else {
            "group_commit(false)"
        };
        let load = loadavg();
        let bench = Bench::sqlite(scratch.file("inbox.db"), verifier, group_commit, false).await?;
        let outcome = http_measurement(label, &bench, args, pool).await?;
        report_http(
            label,
            &load,
            &outcome,
            if group_commit { ">= 5,000" } else { "-" },
            figures,
        );
        bench.close();
    }
    Ok(())
}

/// The JetStream backend, on a `nats-server` of its own.
async fn nats_figures(
    args: &Args,
    scratch: &Scratch,
    binary: &Path,
    verifier: &Verifier,
    pool: &Arc<Vec<Prepared>>,
    figures: &mut Figures,
) -> Result<(), Failure> {
    let load = loadavg();
    let server = NatsServer::start(binary, scratch)?;
    let inbox = Inbox::builder()
        .nats(server.url())
        .verifier(verifier.clone())
        .max_backlog(u64::MAX)
        .open()
        .await?;
    let bench = Bench {
        inbox,
        path: None,
        writer: None,
        server: Some(server.pid()),
    };
    let outcome = http_measurement("JetStream", &bench, args, pool).await;
    bench.close();
    drop(server);
    report_http("JetStream", &load, &outcome?, "-", figures);
    Ok(())
}

const NO_NATS_SERVER: &str = "nats-server was not found (Debian: apt-get install nats-server; or set NATS_SERVER to its path)";

/// `NATS_SERVER`, else `nats-server` on the `PATH`, else Debian's `/usr/sbin/nats-server`.
fn nats_server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"))
        .chain([PathBuf::from("/usr/sbin/nats-server")])
        .find(|candidate| candidate.is_file())
}

/// A `nats-server -js` of the benchmark's own: a free loopback port, a store in the scratch
/// directory, killed when dropped.
struct NatsServer {
    child: std::process::Child,
    port: u16,
}

impl NatsServer {
    fn start(binary: &Path, scratch: &Scratch) -> Result<NatsServer, Failure> {
        let dir = scratch.file("nats");
        std::fs::create_dir_all(&dir)?;
        let mut last = String::new();
        // Another process may take the free port first: try a few.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let log_path = dir.join(format!("server-{port}.log"));
            let mut child = std::process::Command::new(binary)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                .arg(dir.join("jetstream"))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(File::create(&log_path)?)
                .spawn()
                .map_err(|err| format!("cannot run {}: {err}", binary.display()))?;
            let started = Instant::now();
            loop {
                if let Some(status) = child.try_wait()? {
                    last = format!(
                        "it exited ({status}): {}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(NatsServer { child, port });
                }
                if started.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = format!("no connection on port {port} within 10 s");
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Err(format!("nats-server did not start: {last}").into())
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `bench`'s router on 127.0.0.1 and loads it; checks that the inbox holds every
/// callback acknowledged, and none twice.
async fn http_measurement(
    label: &str,
    bench: &Bench,
    args: &Args,
    pool: &Arc<Vec<Prepared>>,
) -> Result<HttpOutcome, Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = bench.inbox.router();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let outcome = closed_loop(bench, addr, args, pool).await;
    server.abort();
    let _ = server.await;
    let mut outcome = outcome?;
    let stats = bench.inbox.stats().await?;
    if stats.depth != outcome.acknowledged as u64 || stats.duplicates != 0 {
        return Err(format!(
            "{label}: {} callbacks acknowledged as stored, but the inbox holds {} open ({} duplicates)",
            outcome.acknowledged, stats.depth, stats.duplicates
        )
        .into());
    }
    outcome.stored = stats.depth;
    Ok(outcome)
}

fn report_http(
    label: &str,
    load: &str,
    outcome: &HttpOutcome,
    target: &'static str,
    figures: &mut Figures,
) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "  HTTP, {label} (load {load}): {:.0} acknowledged/s, p50 {:.2} ms, p99 {:.2} ms, {:.0} us CPU per callback (this process: client + server, {:.2} cores){}",
        outcome.per_second(),
        percentile(&outcome.latencies, 50.0) / 1e6,
        percentile(&outcome.latencies, 99.0) / 1e6,
        outcome.cpu_us_per_request(),
        outcome.cores_used(),
        if outcome.exhausted {
            " [the pool ran out: the window ended early; raise --pool]"
        } else {
            ""
        }
    );
    println!(
        "    {}; {} stored in all, as many as acknowledged",
        outcome.delta.describe(outcome.requests),
        outcome.stored
    );
    let name = |what: &str| format!("HTTP {label}: {what}");
    figures.record(
        &name("acknowledged/s"),
        Unit::PerSecond,
        target,
        outcome.per_second(),
    );
    figures.record(
        &name("p50"),
        Unit::Ms,
        "-",
        percentile(&outcome.latencies, 50.0) / 1e6,
    );
    figures.record(
        &name("p99"),
        Unit::Ms,
        "-",
        percentile(&outcome.latencies, 99.0) / 1e6,
    );
    figures.record(
        &name("CPU per callback (this process)"),
        Unit::Us,
        "-",
        outcome.cpu_us_per_request(),
    );
    figures.record(
        &name(&format!("cores used by this process (of {cores})")),
        Unit::Ratio,
        "-",
        outcome.cores_used(),
    );
    figures.record(
        &name("its threads waiting for a CPU (cores' worth)"),
        Unit::Ratio,
        "-",
        outcome.delta.cores(outcome.delta.threads.wait_ns),
    );
    if let Some(commits) = outcome.delta.commits {
        figures.record(
            &name("callbacks per commit"),
            Unit::Ratio,
            "-",
            outcome.requests as f64 / commits.max(1) as f64,
        );
    }
    if let Some(writer) = outcome.delta.writer {
        figures.record(
            &name("writer thread: on a CPU"),
            Unit::Percent,
            "-",
            outcome.delta.share(writer.run_ns),
        );
        figures.record(
            &name("writer thread: waiting for a CPU"),
            Unit::Percent,
            "-",
            outcome.delta.share(writer.wait_ns),
        );
        figures.record(
            &name("writer thread: CPU per callback"),
            Unit::Us,
            "-",
            writer.run_ns as f64 / outcome.requests.max(1) as f64 / 1_000.0,
        );
    }
    if let Some(server) = outcome.delta.server {
        figures.record(
            &name("nats-server CPU per callback"),
            Unit::Us,
            "-",
            server.run_ns as f64 / outcome.requests.max(1) as f64 / 1_000.0,
        );
    }
}

/// One keep-alive HTTP/1.1 connection per task, each sending the next unsent callback of the
/// pool as soon as its previous one is answered, for the warm-up and the window.
async fn closed_loop(
    bench: &Bench,
    addr: SocketAddr,
    args: &Args,
    pool: &Arc<Vec<Prepared>>,
) -> Result<HttpOutcome, Failure> {
    let senders = connect(addr, args.connections.max(1)).await?;
    let started = Instant::now();
    let window_start = started + Duration::from_secs_f64(args.warmup_seconds.max(0.0));
    let window_end = window_start + Duration::from_secs_f64(args.seconds.max(0.1));
    let next = Arc::new(AtomicUsize::new(0));
    let ran_out = Arc::new(tokio::sync::Notify::new());
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|mut sender| {
            let pool = Arc::clone(pool);
            let next = Arc::clone(&next);
            let ran_out = Arc::clone(&ran_out);
            tokio::spawn(async move {
                // (answered at, latency) of what was answered in the window.
                let mut answered = Vec::new();
                let mut acknowledged = 0;
                loop {
                    let sent = Instant::now();
                    if sent >= window_end {
                        break;
                    }
                    let Some(prepared) = pool.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        ran_out.notify_one();
                        break;
                    };
                    send(&mut sender, prepared).await?;
                    acknowledged += 1;
                    let done = Instant::now();
                    if done >= window_start {
                        answered.push((done, done - sent));
                    }
                }
                Ok::<_, Failure>((answered, acknowledged))
            })
        })
        .collect();
    tokio::time::sleep_until(window_start.into()).await;
    let start = bench.snapshot();
    let exhausted = tokio::select! {
        () = tokio::time::sleep_until(window_end.into()) => false,
        () = ran_out.notified() => true,
    };
    let end = bench.snapshot();
    let mut latencies = Vec::new();
    let mut acknowledged = 0;
    for task in tasks {
        let (answered, count) = task.await??;
        acknowledged += count;
        latencies.extend(
            answered
                .into_iter()
                .filter(|(done, _)| *done <= end.at)
                .map(|(_, latency)| u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX)),
        );
    }
    if exhausted && end.at <= start.at + Duration::from_millis(100) {
        return Err("the pool of signed callbacks ran out in the warm-up: raise --pool".into());
    }
    latencies.sort_unstable();
    Ok(HttpOutcome {
        requests: latencies.len(),
        latencies,
        delta: Delta::between(&start, &end),
        acknowledged,
        exhausted,
        stored: 0,
    })
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr, connections: usize) -> Result<Vec<Sender>, Failure> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        senders.push(sender);
    }
    Ok(senders)
}

/// Sends one callback and reads the whole answer, which must say it was stored.
async fn send(sender: &mut Sender, prepared: &Prepared) -> Result<(), Failure> {
    let mut request = Request::new(Full::new(prepared.body.clone()));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = prepared.uri.clone();
    *request.headers_mut() = prepared.headers.clone();
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    if status != StatusCode::OK || !answer.starts_with(b"stored ") {
        return Err(format!(
            "expected 200 `stored`, got {status}: {}",
            String::from_utf8_lossy(&answer).trim()
        )
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Phase 3: latency at a fixed rate, open loop.

async fn latency_figures(
    args: &Args,
    scratch: &Scratch,
    verifier: &Verifier,
    pool: &Arc<Vec<Prepared>>,
    figures: &mut Figures,
) -> Result<(), Failure> {
    let rate = args.rate.max(1.0);
    let warmup = args.warmup_seconds.max(0.0);
    let seconds = args.rate_seconds.max(0.1);
    let total = ((warmup + seconds) * rate).ceil() as usize;
    if total > pool.len() {
        return Err(format!(
            "{total} callbacks are needed at {rate}/s for {} s, the pool has {}: raise --pool",
            warmup + seconds,
            pool.len()
        )
        .into());
    }
    let load = loadavg();
    let bench = Bench::sqlite(scratch.file("inbox.db"), verifier, true, false).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = bench.inbox.router();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let connections = args.connections.max(1);
    let outcome = async {
        let senders = connect(addr, connections).await?;
        let begin = Instant::now() + Duration::from_millis(50);
        let due = move |k: usize| begin + Duration::from_secs_f64(k as f64 / rate);
        let window_start = due((warmup * rate).ceil() as usize);
        let tasks: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(connection, mut sender)| {
                let pool = Arc::clone(pool);
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for k in (connection..total).step_by(connections) {
                        let due = due(k);
                        tokio::time::sleep_until(due.into()).await;
                        send(&mut sender, &pool[k]).await?;
                        if due >= window_start {
                            latencies
                                .push(u64::try_from(due.elapsed().as_nanos()).unwrap_or(u64::MAX));
                        }
                    }
                    Ok::<_, Failure>(latencies)
                })
            })
            .collect();
        tokio::time::sleep_until(window_start.into()).await;
        let start = bench.snapshot();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let end = bench.snapshot();
        latencies.sort_unstable();
        Ok::<_, Failure>((latencies, Delta::between(&start, &end)))
    }
    .await;
    server.abort();
    let _ = server.await;
    let (latencies, delta) = outcome?;
    let stats = bench.inbox.stats().await?;
    if stats.depth != total as u64 {
        return Err(format!(
            "latency: {total} callbacks acknowledged as stored, the inbox holds {}",
            stats.depth
        )
        .into());
    }
    let measured = latencies.len();
    let ms = |percent: f64| percentile(&latencies, percent) / 1e6;
    let max = latencies.last().map_or(0.0, |&ns| ns as f64 / 1e6);
    println!(
        "  open loop, {rate:.0}/s for {seconds} s (load {load}): {measured} callbacks, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {max:.2} ms (from when each was due), {:.0} us CPU per callback",
        ms(50.0),
        ms(99.0),
        ms(99.9),
        delta.cpu_ns as f64 / measured.max(1) as f64 / 1_000.0
    );
    println!("    {}", delta.describe(measured));
    let name = |what: &str| format!("open loop {rate:.0}/s: {what}");
    figures.record(&name("p50"), Unit::Ms, "-", ms(50.0));
    figures.record(&name("p99"), Unit::Ms, "< 20 ms", ms(99.0));
    figures.record(&name("max"), Unit::Ms, "-", max);
    figures.record(
        &name("CPU per callback (this process)"),
        Unit::Us,
        "-",
        delta.cpu_ns as f64 / measured.max(1) as f64 / 1_000.0,
    );
    if let Some(commits) = delta.commits {
        figures.record(
            &name("callbacks per commit"),
            Unit::Ratio,
            "-",
            measured as f64 / commits.max(1) as f64,
        );
    }
    bench.close();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Phase 4: memory with a large backlog.

struct Sample {
    stored: u64,
    seconds: f64,
    rss_kib: u64,
    db_bytes: u64,
    wal_bytes: u64,
    load: String,
}

struct BacklogOutcome {
    callbacks: u64,
    samples: Vec<Sample>,
    seconds: f64,
    peak_rss_kib: u64,
    delta: Delta,
    stats_ms: f64,
    list_ms: f64,
    list_pending_ms: f64,
    depth: u64,
}

async fn backlog_figures(
    scratch: &Scratch,
    verifier: &Verifier,
    pool: &Arc<Vec<Prepared>>,
    callbacks: u64,
) -> Result<BacklogOutcome, Failure> {
    println!(
        "\nbacklog: {callbacks} callbacks through inbox.receive, {BACKLOG_CONCURRENCY} at a time, no workers (load {})",
        loadavg()
    );
    let bench = Arc::new(Bench::sqlite(scratch.file("backlog.db"), verifier, true, true).await?);
    let step = (callbacks / 10).max(1);
    let started = Instant::now();
    let samples = Arc::new(Mutex::new(vec![take_sample(&bench, started, 0)]));
    let start = bench.snapshot();
    let issued = Arc::new(AtomicU64::new(0));
    let stored = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..BACKLOG_CONCURRENCY)
        .map(|task| {
            let (bench, pool) = (Arc::clone(&bench), Arc::clone(pool));
            let (issued, stored, samples) = (
                Arc::clone(&issued),
                Arc::clone(&stored),
                Arc::clone(&samples),
            );
            tokio::spawn(async move {
                let mut next = task;
                while issued.fetch_add(1, Ordering::Relaxed) < callbacks {
                    let prepared = &pool[next % pool.len()];
                    next += BACKLOG_CONCURRENCY;
                    let receipt = bench
                        .inbox
                        .receive(
                            &Method::POST,
                            &prepared.uri,
                            &prepared.headers,
                            prepared.body.clone(),
                        )
                        .await;
                    if !matches!(receipt, Receipt::Stored(_)) {
                        return Err(Failure::from(format!("expected stored, got: {receipt}")));
                    }
                    let count = stored.fetch_add(1, Ordering::Relaxed) + 1;
                    if count.is_multiple_of(step) {
                        let sample = take_sample(&bench, started, count);
                        samples
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push(sample);
                    }
                }
                Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let end = bench.snapshot();
    let seconds = started.elapsed().as_secs_f64();
    let delta = Delta::between(&start, &end);
    println!(
        "  ingested {callbacks} in {seconds:.1} s: {:.0}/s, {:.0} us CPU per callback ({:.2} cores)",
        callbacks as f64 / seconds,
        delta.cpu_ns as f64 / callbacks as f64 / 1_000.0,
        delta.cpu_ns as f64 / delta.wall.as_nanos().max(1) as f64
    );
    println!("    {}", delta.describe(callbacks as usize));

    let timed = Instant::now();
    let stats = bench.inbox.stats().await?;
    let stats_ms = timed.elapsed().as_secs_f64() * 1e3;
    let timed = Instant::now();
    let newest = bench.inbox.list(ListFilter::new()).await?;
    let list_ms = timed.elapsed().as_secs_f64() * 1e3;
    let timed = Instant::now();
    let pending = bench
        .inbox
        .list(ListFilter::new().state(State::Pending).limit(1000))
        .await?;
    let list_pending_ms = timed.elapsed().as_secs_f64() * 1e3;
    println!(
        "  inbox.stats() {stats_ms:.1} ms: depth {}, leased {}, done {}, dead {}, duplicates {}, oldest {:?} s (load {})",
        stats.depth,
        stats.leased,
        stats.done,
        stats.dead,
        stats.duplicates,
        stats.oldest_age_secs,
        loadavg()
    );
    println!(
        "  inbox.list(ListFilter::new()) {list_ms:.2} ms: {} entries, newest #{}; list(pending, limit 1000) {list_pending_ms:.2} ms: {} entries",
        newest.len(),
        newest.first().map_or(0, |entry| entry.id.0),
        pending.len()
    );
    if stats.depth != callbacks || stats.duplicates != 0 {
        return Err(format!(
            "backlog: {callbacks} stored, but stats say depth {} with {} duplicates",
            stats.depth, stats.duplicates
        )
        .into());
    }
    let peak_rss_kib = proc_status_kib("VmHWM");
    let samples = std::mem::take(
        &mut *samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    match Arc::try_unwrap(bench) {
        Ok(bench) => bench.close(),
        Err(_) => return Err("the backlog's inbox is still in use".into()),
    }
    Ok(BacklogOutcome {
        callbacks,
        samples,
        seconds,
        peak_rss_kib,
        delta,
        stats_ms,
        list_ms,
        list_pending_ms,
        depth: stats.depth,
    })
}

/// The RSS and file sizes now, printed.
fn take_sample(bench: &Bench, started: Instant, stored: u64) -> Sample {
    let (db_bytes, wal_bytes) = bench.file_bytes();
    let sample = Sample {
        stored,
        seconds: started.elapsed().as_secs_f64(),
        rss_kib: proc_status_kib("VmRSS"),
        db_bytes,
        wal_bytes,
        load: loadavg(),
    };
    println!(
        "  {:>9} stored, {:6.1} s: RSS {:.1} MiB ({} KiB), file {:.0} MiB + WAL {:.1} MiB (load {})",
        sample.stored,
        sample.seconds,
        sample.rss_kib as f64 / 1024.0,
        sample.rss_kib,
        sample.db_bytes as f64 / 1048576.0,
        sample.wal_bytes as f64 / 1048576.0,
        sample.load
    );
    sample
}

fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.split_whitespace().next()?.parse().ok()
            })
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The summary over runs.

fn print_summary(
    figures: &Figures,
    loads: &[String],
    backlog: Option<&BacklogOutcome>,
    scratch: &Scratch,
) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "\nSummary ({}, {cores} cores, {})",
        cpu_model(),
        scratch.filesystem
    );
    if !figures.is_empty() {
        let (low, high) = load_range(loads);
        println!(
            "Median and spread (min-max) over {} runs; 1-minute load average at the runs' starts {low:.2}-{high:.2}:\n",
            loads.len()
        );
        figures.print_summary();
    }
    if let Some(backlog) = backlog {
        println!(
            "\nBacklog of {} callbacks through inbox.receive ({} at a time, no workers): {:.1} s, {:.0}/s, {:.0} us CPU per callback; RSS every {}:\n",
            backlog.callbacks,
            BACKLOG_CONCURRENCY,
            backlog.seconds,
            backlog.callbacks as f64 / backlog.seconds,
            backlog.delta.cpu_ns as f64 / backlog.callbacks as f64 / 1_000.0,
            (backlog.callbacks / 10).max(1)
        );
        let rows: Vec<Vec<String>> = backlog
            .samples
            .iter()
            .map(|sample| {
                vec![
                    sample.stored.to_string(),
                    format!("{:.1} s", sample.seconds),
                    format!(
                        "{:.1} MiB ({} KiB)",
                        sample.rss_kib as f64 / 1024.0,
                        sample.rss_kib
                    ),
                    format!(
                        "{:.0} MiB + {:.1} MiB",
                        sample.db_bytes as f64 / 1048576.0,
                        sample.wal_bytes as f64 / 1048576.0
                    ),
                    sample.load.clone(),
                ]
            })
            .collect();
        print_table(
            &["Stored", "Elapsed", "RSS", "File + WAL", "Load average"],
            &rows,
        );
        let after_first: Vec<u64> = backlog
            .samples
            .iter()
            .skip(1)
            .map(|sample| sample.rss_kib)
            .collect();
        if let (Some(low), Some(high)) = (after_first.iter().min(), after_first.iter().max()) {
            println!(
                "\nRSS from the first tenth on: {:.1}-{:.1} MiB ({:+} KiB from the first tenth to the end); peak (VmHWM) {:.1} MiB",
                *low as f64 / 1024.0,
                *high as f64 / 1024.0,
                after_first[after_first.len() - 1] as i64 - after_first[0] as i64,
                backlog.peak_rss_kib as f64 / 1024.0
            );
        }
        println!(
            "At {} open callbacks: inbox.stats() {:.1} ms, inbox.list(ListFilter::new()) (100 newest) {:.2} ms, list(pending, limit 1000) {:.2} ms",
            backlog.depth, backlog.stats_ms, backlog.list_ms, backlog.list_pending_ms
        );
    }
    println!("\nCommand: {}", command_line("inbox-bench"));
}
