//! The receiving side, measured against its floor: RSA-2048 verification as `openssl speed`
//! does it, then `Verifier::verify` per digest, the rest of the path (header checks, key
//! lookup, `Callback::parse`), and the whole HTTP receive path through the `VerifiedCallback`
//! axum extractor against a server that only reads the body. See `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p webhooks-tools --bin receive-bench                 # every figure, 5 runs
//! cargo run --release -p webhooks-tools --bin receive-bench -- --runs 3 verify
//! cargo run --release -p webhooks-tools --bin receive-bench -- --help
//! cargo run --release -p webhooks-tools --bin receive-bench --features openssl  # SHA-224 by OpenSSL
//! ```
//!
//! Every figure is taken in each of `--runs` runs; the table gives the median over runs and
//! the spread (min-max). Each run prints `/proc/loadavg` at its start and at each phase: the
//! machine is shared, and a figure means little without the load it was taken under.
//!
//! - **Floor**: `openssl speed -seconds 2 rsa2048`, run as a subprocess in every run; its
//!   verify time per operation. `openssl speed` counts user CPU time (not wall time) and does
//!   not hash: it verifies a fixed 36-byte digest.
//! - **verify**: `Verifier::verify` of pre-signed delivery reports (the default JSON template,
//!   2048-bit keys as the sandbox generates them, a realistic request line, `Date` and header
//!   set). The verifier's clock is stopped 30 s after the `Date`, so the freshness check runs,
//!   as in production, and passes. Timed in this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//!   like openssl's figure, so time taken by other processes on the machine counts on neither
//!   side; wall time per call is printed beside it in each run.
//! - **rest of the path**: `Callback::parse` alone; `verify` of a callback whose key id the
//!   verifier does not hold (every header check and the key lookup, no RSA); and
//!   `verify_and_parse` minus `verify`; and, for scale, the body read into a
//!   `serde_json::Value` alone (what `Callback::parse` did first before it read JSON bodies in
//!   one pass of its own). The kinds are timed in
//!   interleaved batches, so load changes fall on all of them alike.
//! - **HTTP**: an axum server on 127.0.0.1 whose handler takes `VerifiedCallback`, against the
//!   same server whose handler takes the body as `Bytes`; a hyper HTTP/1.1 load generator in
//!   the same process and Tokio runtime (as `loadtest`: client and server share the cores,
//!   which is what one box running both sees) keeps `--connections` keep-alive connections
//!   busy for a fixed time with a pool of distinct pre-signed SHA-256 requests. Besides
//!   requests/s and latency, the process's CPU time per request (client and server) says
//!   where the time goes regardless of what else runs on the machine.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use clap::{Parser, Subcommand};
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use webhooks_callbacks::{Callback, Digest, VerifiedCallback, Verifier, VerifyError};
use webhooks_sandbox::signing::CallbackSigner;
use webhooks_tools::{
    CONTENT_TYPE, Figures, PATH, Prepared, Unit, command_line, cpu_model, load_range, loadavg,
    process_cpu_ns, sign_pool, thread_cpu_ns,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Which implementation verifies SHA-224 signatures in this build.
const SHA224_PATH: &str = if cfg!(feature = "openssl") {
    "the system's OpenSSL (webhooks-callbacks' feature openssl)"
} else {
    "crypto-bigint (the default; --features openssl for OpenSSL's)"
};

/// A key id no verifier holds (version-4 shape, like the platform's).
const UNKNOWN_KEY_ID: &str = "0d3c6a51-5b8e-4c8e-9a0e-3f1b2c4d5e6f";

#[derive(Parser, Debug)]
#[command(
    about = "Benchmarks of the receiving side: signature verification and the axum extractor"
)]
struct Args {
    /// Runs; every figure is taken in each, and reported as the median and min-max over runs.
    #[arg(long, default_value_t = 5, global = true)]
    runs: usize,
    /// `openssl speed -seconds N rsa2048` (it signs for N s, then verifies for N s).
    #[arg(long, default_value_t = 2, global = true)]
    openssl_seconds: u32,
    /// Timed calls per kind (verify of each digest, verify_and_parse of each digest, parse,
    /// unknown key, JSON into a Value) per run.
    #[arg(long, default_value_t = 20_000, global = true)]
    iterations: usize,
    /// Batches per kind per run; the kinds take turns batch by batch.
    #[arg(long, default_value_t = 10, global = true)]
    rounds: usize,
    /// Keep-alive connections of the HTTP load generator.
    #[arg(long, default_value_t = 64, global = true)]
    connections: usize,
    /// Measured seconds per HTTP server and run.
    #[arg(long, default_value_t = 2.5, global = true)]
    seconds: f64,
    /// Unmeasured seconds of load before each HTTP measurement.
    #[arg(long, default_value_t = 0.5, global = true)]
    warmup_seconds: f64,
    /// Distinct pre-signed requests the HTTP load generator cycles through.
    #[arg(long, default_value_t = 1024, global = true)]
    pool: usize,
    #[command(subcommand)]
    figure: Option<Figure>,
}

#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    /// Every figure (the default).
    All,
    /// The openssl floor, verify per digest and the rest of the path: no HTTP.
    Verify,
    /// The HTTP receive path alone: VerifiedCallback against a no-op handler.
    Http,
}

fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let figure = args.figure.unwrap_or(Figure::All);
    let (micro, http) = (figure != Figure::Http, figure != Figure::Verify);
    let runs = args.runs.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    println!(
        "receive-bench: {} cores ({}), {} tokio worker threads shared by load generator and server; {runs} runs",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model(),
        runtime.metrics().num_workers(),
    );
    println!("load average at start: {}", loadavg());
    println!("SHA-224 verified by {SHA224_PATH}");

    // Keys and pre-signed callbacks, made once: signing is not what is measured.
    let setup = Instant::now();
    let signed_at = SystemTime::now();
    let now = signed_at + Duration::from_secs(30);
    let fixtures = Digest::ALL
        .into_iter()
        .map(|digest| Fixture::new(digest, signed_at, now, if micro { 16 } else { 0 }))
        .collect::<Result<Vec<_>, _>>()?;
    let pool = if http {
        let sha256 = fixture(&fixtures, Digest::Sha256)?;
        Arc::new(sign_pool(&sha256.signer, args.pool.max(1), signed_at)?)
    } else {
        Arc::new(Vec::new())
    };
    println!(
        "setup: three 2048-bit keys (SHA-224, SHA-256, SHA-512), {} callbacks signed per digest, {} SHA-256 requests for HTTP, {} bytes of body each; {:.1} s",
        if micro { 16 } else { 0 },
        pool.len(),
        fixtures[0].requests.first().map_or_else(
            || pool.first().map_or(0, |p| p.body.len()),
            |r| r.body.len()
        ),
        setup.elapsed().as_secs_f64()
    );
    if micro {
        // Unmeasured: caches, branch predictors and lazily initialised tables warm.
        for fixture in &fixtures {
            sanity_check(fixture)?;
        }
        measure_micro(&fixtures, 500, 1);
    }

    let mut figures = Figures::default();
    let mut loads = Vec::new();
    let mut openssl_missing = false;
    for run in 1..=runs {
        let load = loadavg();
        println!("\nrun {run}/{runs}: load average {load}");
        loads.push(load);
        if micro {
            println!("  openssl speed (load {}) ...", loadavg());
            let floor = match openssl_floor(args.openssl_seconds) {
                Ok(floor) => {
                    println!(
                        "  floor: openssl rsa2048 verify {:.2} us/op (user CPU time; it got {:.0} % of a core)",
                        floor.us, floor.cpu_share_percent
                    );
                    figures.record(FLOOR, Unit::Us, "-", floor.us);
                    Some(floor.us)
                }
                Err(why) => {
                    if !openssl_missing {
                        println!("  no floor: {why}; ratios are against nothing");
                    }
                    openssl_missing = true;
                    None
                }
            };
            println!("  verify and the rest (load {}) ...", loadavg());
            let micro = measure_micro(&fixtures, args.iterations.max(args.rounds), args.rounds);
            record_micro(&mut figures, &micro, floor);
        }
        if http {
            let outcomes = runtime.block_on(http_figures(&args, &fixtures, &pool, run))?;
            record_http(&mut figures, &outcomes);
        }
    }

    print_summary(&figures, &loads, openssl_missing);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fixtures: keys, verifiers, pre-signed callbacks.

/// One digest's key, a verifier holding it, and callbacks signed with it.
struct Fixture {
    digest: Digest,
    signer: CallbackSigner,
    verifier: Verifier,
    /// Callbacks signed with this fixture's key.
    requests: Vec<Prepared>,
    /// The same callbacks, naming a key id the verifier does not hold.
    unknown_key: Vec<Prepared>,
}

impl Fixture {
    fn new(
        digest: Digest,
        signed_at: SystemTime,
        now: SystemTime,
        count: usize,
    ) -> Result<Fixture, Failure> {
        let signer = CallbackSigner::generate(digest)?;
        let key = signer.key();
        // The freshness window stays on (the default 5 minutes) and passes: the clock stands
        // 30 s after the callbacks' `Date`, however long the benchmark runs.
        let verifier = Verifier::new()
            .with_key(&key.key_id.to_string(), &key.public_key)?
            .clock(move || now);
        let mut fixture = Fixture {
            digest,
            signer,
            verifier,
            requests: Vec::new(),
            unknown_key: Vec::new(),
        };
        fixture.requests = sign_pool(&fixture.signer, count, signed_at)?;
        fixture.unknown_key = fixture
            .requests
            .iter()
            .map(|request| {
                let mut request = request.clone();
                request.headers.insert(
                    webhooks_callbacks::KEY_ID_HEADER,
                    HeaderValue::from_static(UNKNOWN_KEY_ID),
                );
                request
            })
            .collect();
        Ok(fixture)
    }
}

fn fixture(fixtures: &[Fixture], digest: Digest) -> Result<&Fixture, Failure> {
    fixtures
        .iter()
        .find(|fixture| fixture.digest == digest)
        .ok_or_else(|| format!("no {digest} fixture").into())
}

/// What is timed must do what it is timed for: verify, parse, and fail at the key lookup.
fn sanity_check(fixture: &Fixture) -> Result<(), Failure> {
    for (good, unknown) in fixture.requests.iter().zip(&fixture.unknown_key) {
        let verified = fixture.verifier.verify_and_parse(
            &Method::POST,
            &good.uri,
            &good.headers,
            &good.body,
        )?;
        if verified.signature.digest != fixture.digest
            || !matches!(verified.callback, Callback::DeliveryReport(_))
        {
            return Err(format!("{}: not a verified delivery report", fixture.digest).into());
        }
        match fixture
            .verifier
            .verify(&Method::POST, &unknown.uri, &unknown.headers, &unknown.body)
        {
            Err(VerifyError::UnknownKeyId { .. }) => {}
            other => {
                return Err(format!("unknown key id: expected UnknownKeyId, got {other:?}").into());
            }
        }
        let mut tampered = good.body.to_vec();
        tampered[10] ^= 1;
        if fixture
            .verifier
            .verify(&Method::POST, &good.uri, &good.headers, &tampered)
            .is_ok()
        {
            return Err(format!("{}: a tampered body verified", fixture.digest).into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The floor: openssl speed.

struct Floor {
    /// Verify time per operation, user CPU time.
    us: f64,
    /// How much of a core openssl got while verifying (its CPU time over its wall time).
    cpu_share_percent: f64,
}

/// Runs `openssl speed -seconds N rsa2048` and reads its verify rate.
fn openssl_floor(seconds: u32) -> Result<Floor, String> {
    let output = Command::new("openssl")
        .args(["speed", "-seconds", &seconds.to_string(), "rsa2048"])
        .output()
        .map_err(|err| format!("`openssl` could not be run ({err})"))?;
    if !output.status.success() {
        return Err(format!("`openssl speed` failed ({})", output.status));
    }
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The table row: `rsa 2048 bits 0.000715s 0.000019s   1399.0  51556.5`.
    let verify_per_s = text
        .lines()
        .find(|line| line.trim_start().starts_with("rsa 2048 bits"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|rate| rate.parse::<f64>().ok())
        .filter(|rate| *rate > 0.0)
        .ok_or("no `rsa 2048 bits` row in `openssl speed`'s output")?;
    // `Doing 2048 bits public rsa's for 2s: 79397 2048 bits public RSA's in 1.54s`.
    let cpu_seconds = text
        .lines()
        .find(|line| line.contains("public rsa's for"))
        .and_then(|line| line.rsplit_once(" in "))
        .and_then(|(_, time)| time.trim().trim_end_matches('s').parse::<f64>().ok());
    Ok(Floor {
        us: 1e6 / verify_per_s,
        cpu_share_percent: cpu_seconds.map_or(f64::NAN, |cpu| cpu / f64::from(seconds) * 100.0),
    })
}

// ---------------------------------------------------------------------------------------------
// verify and the rest of the path.

/// What a micro-benchmark kind calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Verify(Digest),
    VerifyAndParse(Digest),
    /// `verify` of a SHA-256 callback naming a key id the verifier does not hold.
    UnknownKey,
    /// `Callback::parse` of the body alone.
    Parse,
    /// For scale: the JSON body into a `serde_json::Value` (no callback read from it).
    JsonValue,
}

/// Time per call of one kind in one run, nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
struct Timed {
    cpu_ns: u128,
    wall_ns: u128,
    calls: u128,
}

impl Timed {
    fn cpu_us(&self) -> f64 {
        self.cpu_ns as f64 / self.calls.max(1) as f64 / 1_000.0
    }

    fn wall_us(&self) -> f64 {
        self.wall_ns as f64 / self.calls.max(1) as f64 / 1_000.0
    }
}

fn kinds() -> Vec<Kind> {
    let mut kinds = Vec::new();
    for digest in Digest::ALL {
        kinds.push(Kind::Verify(digest));
        kinds.push(Kind::VerifyAndParse(digest));
    }
    kinds.push(Kind::UnknownKey);
    kinds.push(Kind::Parse);
    kinds.push(Kind::JsonValue);
    kinds
}

/// `iterations` calls of every kind, in `rounds` batches per kind taken in turn.
fn measure_micro(fixtures: &[Fixture], iterations: usize, rounds: usize) -> Vec<(Kind, Timed)> {
    let kinds = kinds();
    let mut timed = vec![Timed::default(); kinds.len()];
    let per_batch = (iterations / rounds.max(1)).max(1);
    for _ in 0..rounds.max(1) {
        for (kind, timed) in kinds.iter().zip(&mut timed) {
            let batch = time_batch(fixtures, *kind, per_batch);
            timed.cpu_ns += batch.cpu_ns;
            timed.wall_ns += batch.wall_ns;
            timed.calls += batch.calls;
        }
    }
    kinds.into_iter().zip(timed).collect()
}

fn time_batch(fixtures: &[Fixture], kind: Kind, calls: usize) -> Timed {
    let digest = match kind {
        Kind::Verify(digest) | Kind::VerifyAndParse(digest) => digest,
        Kind::UnknownKey | Kind::Parse | Kind::JsonValue => Digest::Sha256,
    };
    let Some(fixture) = fixtures.iter().find(|fixture| fixture.digest == digest) else {
        return Timed::default();
    };
    let requests = match kind {
        Kind::UnknownKey => &fixture.unknown_key,
        _ => &fixture.requests,
    };
    if requests.is_empty() {
        return Timed::default();
    }
    let verifier = &fixture.verifier;
    let method = Method::POST;
    let cpu = thread_cpu_ns();
    let wall = Instant::now();
    for i in 0..calls {
        let request = std::hint::black_box(&requests[i % requests.len()]);
        let (uri, headers, body) = (&request.uri, &request.headers, &request.body[..]);
        match kind {
            Kind::Verify(_) | Kind::UnknownKey => {
                std::hint::black_box(verifier.verify(&method, uri, headers, body)).ok();
            }
            Kind::VerifyAndParse(_) => {
                std::hint::black_box(verifier.verify_and_parse(&method, uri, headers, body)).ok();
            }
            Kind::Parse => {
                std::hint::black_box(Callback::parse(CONTENT_TYPE, body)).ok();
            }
            Kind::JsonValue => {
                std::hint::black_box(serde_json::from_slice::<serde_json::Value>(body)).ok();
            }
        }
    }
    Timed {
        wall_ns: wall.elapsed().as_nanos(),
        cpu_ns: thread_cpu_ns().saturating_sub(cpu),
        calls: calls as u128,
    }
}

const FLOOR: &str = "floor: openssl speed rsa2048 verify (no hashing)";

fn record_micro(figures: &mut Figures, micro: &[(Kind, Timed)], floor: Option<f64>) {
    let get = |wanted: Kind| {
        micro
            .iter()
            .find(|(kind, _)| *kind == wanted)
            .map_or(Timed::default(), |(_, timed)| *timed)
    };
    let parse = get(Kind::Parse);
    let json = get(Kind::JsonValue);
    let unknown = get(Kind::UnknownKey);
    let rest = parse.cpu_us() + unknown.cpu_us();
    for digest in Digest::ALL {
        let verify = get(Kind::Verify(digest));
        let both = get(Kind::VerifyAndParse(digest));
        let name = digest.as_str();
        println!(
            "  {name}: verify {:.2} us/call CPU ({:.2} wall), verify_and_parse {:.2} CPU ({:.2} wall)",
            verify.cpu_us(),
            verify.wall_us(),
            both.cpu_us(),
            both.wall_us()
        );
        figures.record(&format!("verify {name}"), Unit::Us, "-", verify.cpu_us());
        if let Some(floor) = floor {
            let target = if digest == Digest::Sha224 && !cfg!(feature = "openssl") {
                "<= 1.3 (~2 expected without --features openssl)"
            } else {
                "<= 1.3"
            };
            figures.record(
                &format!("verify {name} / openssl"),
                Unit::Ratio,
                target,
                verify.cpu_us() / floor,
            );
        }
        figures.record(
            &format!("verify_and_parse - verify, {name}"),
            Unit::Us,
            "-",
            both.cpu_us() - verify.cpu_us(),
        );
        figures.record(
            &format!("parse + header checks + key lookup, % of verify {name}"),
            Unit::Percent,
            "< 10 %",
            rest / verify.cpu_us() * 100.0,
        );
    }
    println!(
        "  Callback::parse {:.2} us/call CPU ({:.2} wall); verify failing at the key lookup {:.2} CPU ({:.2} wall)",
        parse.cpu_us(),
        parse.wall_us(),
        unknown.cpu_us(),
        unknown.wall_us()
    );
    println!(
        "  for scale: serde_json::from_slice::<Value> of the body {:.2} us/call CPU ({:.2} wall)",
        json.cpu_us(),
        json.wall_us()
    );
    figures.record("Callback::parse alone", Unit::Us, "-", parse.cpu_us());
    figures.record(
        "  for scale: the body into serde_json::Value",
        Unit::Us,
        "-",
        json.cpu_us(),
    );
    figures.record(
        "header checks + key lookup (verify, unknown key id)",
        Unit::Us,
        "-",
        unknown.cpu_us(),
    );
}

// ---------------------------------------------------------------------------------------------
// The HTTP receive path.

/// The verifying handler: it runs only for callbacks that verified and parsed.
async fn verified(VerifiedCallback { callback, .. }: VerifiedCallback) -> StatusCode {
    std::hint::black_box(&callback);
    StatusCode::OK
}

/// The no-op handler: reads the body, nothing else.
async fn noop(body: Bytes) -> StatusCode {
    std::hint::black_box(&body);
    StatusCode::OK
}

struct HttpOutcome {
    label: &'static str,
    /// Requests completed inside the measured window.
    requests: usize,
    window: Duration,
    /// Their latencies, send to whole answer read, nanoseconds, sorted.
    latencies: Vec<u64>,
    /// This process's CPU time (load generator and server) in the window.
    cpu_ns: u128,
}

impl HttpOutcome {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64()
    }

    fn percentile_us(&self, percent: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((percent / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1] as f64 / 1_000.0
    }

    fn cpu_us_per_request(&self) -> f64 {
        self.cpu_ns as f64 / self.requests.max(1) as f64 / 1_000.0
    }

    /// Cores' worth of CPU this process used in the window.
    fn cores_used(&self) -> f64 {
        self.cpu_ns as f64 / self.window.as_nanos() as f64
    }
}

async fn http_figures(
    args: &Args,
    fixtures: &[Fixture],
    pool: &Arc<Vec<Prepared>>,
    run: usize,
) -> Result<Vec<HttpOutcome>, Failure> {
    let verifier = fixture(fixtures, Digest::Sha256)?.verifier.clone();
    let verifying = Router::new()
        .route(PATH, post(verified))
        .with_state(verifier);
    let bare = Router::new().route(PATH, post(noop));
    // Alternate which server goes first, so a trend in the machine's load favours neither.
    let order: [(&'static str, Router); 2] = if run % 2 == 1 {
        [("no-op (Bytes)", bare), ("VerifiedCallback", verifying)]
    } else {
        [("VerifiedCallback", verifying), ("no-op (Bytes)", bare)]
    };
    let mut outcomes = Vec::new();
    for (label, app) in order {
        println!("  HTTP {label} (load {}) ...", loadavg());
        let outcome = serve_and_load(label, app, args, pool).await?;
        println!(
            "  HTTP {label}: {:.0} req/s, p50 {:.0} us, p99 {:.0} us, {:.1} us CPU per request (client + server), {:.2} cores used",
            outcome.per_second(),
            outcome.percentile_us(50.0),
            outcome.percentile_us(99.0),
            outcome.cpu_us_per_request(),
            outcome.cores_used()
        );
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn record_http(figures: &mut Figures, outcomes: &[HttpOutcome]) {
    let find = |label: &str| outcomes.iter().find(|outcome| outcome.label == label);
    let (Some(bare), Some(verifying)) = (find("no-op (Bytes)"), find("VerifiedCallback")) else {
        return;
    };
    for outcome in [bare, verifying] {
        let label = outcome.label;
        figures.record(
            &format!("HTTP {label}: req/s"),
            Unit::Rate,
            "-",
            outcome.per_second(),
        );
        figures.record(
            &format!("HTTP {label}: p50"),
            Unit::Us,
            "-",
            outcome.percentile_us(50.0),
        );
        figures.record(
            &format!("HTTP {label}: p99"),
            Unit::Us,
            "-",
            outcome.percentile_us(99.0),
        );
        figures.record(
            &format!("HTTP {label}: CPU per request (client + server)"),
            Unit::Us,
            "-",
            outcome.cpu_us_per_request(),
        );
    }
    figures.record(
        "HTTP VerifiedCallback / no-op, req/s",
        Unit::Ratio,
        "-",
        verifying.per_second() / bare.per_second(),
    );
    figures.record(
        "HTTP VerifiedCallback - no-op, CPU per request",
        Unit::Us,
        "-",
        verifying.cpu_us_per_request() - bare.cpu_us_per_request(),
    );
}

/// Serves `app` on 127.0.0.1 and loads it for the warm-up and the measured window.
async fn serve_and_load(
    label: &'static str,
    app: Router,
    args: &Args,
    pool: &Arc<Vec<Prepared>>,
) -> Result<HttpOutcome, Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let outcome = load(label, addr, args, pool).await;
    server.abort();
    outcome
}

/// One keep-alive HTTP/1.1 connection per task, each sending the pool's requests in turn
/// (from its own offset) for the warm-up and the window; what completed inside the window.
async fn load(
    label: &'static str,
    addr: SocketAddr,
    args: &Args,
    pool: &Arc<Vec<Prepared>>,
) -> Result<HttpOutcome, Failure> {
    let connections = args.connections.max(1);
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        senders.push(sender);
    }
    let started = Instant::now();
    let window_start = started + Duration::from_secs_f64(args.warmup_seconds.max(0.0));
    let window = Duration::from_secs_f64(args.seconds.max(0.1));
    let window_end = window_start + window;
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(task, mut sender)| {
            let pool = Arc::clone(pool);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut next = task * pool.len() / connections;
                loop {
                    let sent = Instant::now();
                    if sent >= window_end {
                        return Ok::<_, Failure>(latencies);
                    }
                    let prepared = &pool[next % pool.len()];
                    next += 1;
                    let mut request = Request::new(Full::new(prepared.body.clone()));
                    *request.method_mut() = Method::POST;
                    *request.uri_mut() = prepared.uri.clone();
                    *request.headers_mut() = prepared.headers.clone();
                    sender.ready().await?;
                    let response = sender.send_request(request).await?;
                    let status = response.status();
                    let answer = response.into_body().collect().await?.to_bytes();
                    let done = Instant::now();
                    if status != StatusCode::OK {
                        return Err(format!(
                            "{label}: expected 200, got {status}: {}",
                            String::from_utf8_lossy(&answer)
                        )
                        .into());
                    }
                    if done >= window_start && done <= window_end {
                        latencies.push(u64::try_from((done - sent).as_nanos()).unwrap_or(u64::MAX));
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep_until(window_start.into()).await;
    let cpu_start = process_cpu_ns();
    tokio::time::sleep_until(window_end.into()).await;
    let cpu_ns = process_cpu_ns().saturating_sub(cpu_start);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort_unstable();
    Ok(HttpOutcome {
        label,
        requests: latencies.len(),
        window,
        latencies,
        cpu_ns,
    })
}

// ---------------------------------------------------------------------------------------------
// The summary over runs.

fn print_summary(figures: &Figures, loads: &[String], openssl_missing: bool) {
    let (low, high) = load_range(loads);
    println!(
        "\nSummary: median and spread (min-max) over {} runs; 1-minute load average at the runs' starts {low:.2}-{high:.2} ({} cores)",
        loads.len(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if openssl_missing {
        println!("`openssl` was not available: no floor, no ratios against it.");
    }
    figures.print_summary();
    println!(
        "\nCPU times: openssl's user time; verify and parse in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID)."
    );
    println!(
        "Command: {}",
        command_line(if cfg!(feature = "openssl") {
            "receive-bench --features openssl"
        } else {
            "receive-bench"
        })
    );
}
