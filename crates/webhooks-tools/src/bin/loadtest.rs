//! The benchmarks that need a server: client overhead, concurrency, sandbox throughput and
//! callback delivery, each against an in-process sandbox on loopback. See `BENCHMARKS.md`.
//!
//! ```text
//! cargo run --release -p webhooks-tools --bin loadtest             # every figure
//! cargo run --release -p webhooks-tools --bin loadtest -- overhead # one figure
//! cargo run --release -p webhooks-tools --bin loadtest -- --help
//! ```
//!
//! The `count` mode runs one client kind alone, for instruction counts under callgrind
//! (`crates/webhooks-tools/overhead_instructions.py` drives it).
//!
//! Every phase starts its own sandbox, so one phase's state and connections never leak into
//! another's figures. Client and server share this process's Tokio runtime and the machine's
//! cores: the figures are what a user running both on one box would see.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::Path;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::{Parser, Subcommand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use webhooks_ergonomic::auth::{Credentials, HmacAlgorithm, HmacSigner};
use webhooks_ergonomic::{AuthMode, CallbackMethod, Client, Encoding, Event, wire};
use webhooks_sandbox::{Sandbox, SandboxHandle, SimulatedEvent};
use webhooks_tools::cpu_model;

type Failure = Box<dyn std::error::Error + Send + Sync>;

const API_KEY: &str = "loadtest-key";
const API_SECRET: &str = "loadtest-secret";
/// The user agent and timeouts of the ergonomic client's own `reqwest::Client`, so the bare
/// client differs only in the layer under test.
const USER_AGENT: &str = webhooks_ergonomic::USER_AGENT;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The ergonomic list's default page size, sent explicitly by the bare client too.
const PAGE_SIZE: u32 = 100;

#[derive(Parser, Debug)]
#[command(about = "Benchmarks against an in-process webhooks-sandbox on loopback")]
struct Args {
    /// Webhooks stored before any list is measured (the size of every list answer).
    #[arg(long, default_value_t = 10, global = true)]
    stored: usize,
    #[command(subcommand)]
    figure: Option<Figure>,
}

#[derive(Subcommand, Debug, Clone, Copy)]
enum Figure {
    /// Every figure, one after the other (the default).
    All,
    /// Sequential list and create+delete: ergonomic (Basic, HMAC) against bare reqwest.
    Overhead {
        /// Measured operations per client and operation.
        #[arg(long, default_value_t = 2_000)]
        operations: usize,
        /// Operations per turn before the next client takes over (interleaving).
        #[arg(long, default_value_t = 50)]
        turn: usize,
        /// Unmeasured operations per client and operation first.
        #[arg(long, default_value_t = 300)]
        warmup: usize,
        /// Add a diagnostic row: the bare client inside the ergonomic client's two timeouts.
        #[arg(long)]
        diagnose: bool,
    },
    /// List calls with many in flight through one ergonomic client; connections it opened.
    Concurrency {
        /// Calls in all.
        #[arg(long, default_value_t = 10_000)]
        calls: usize,
        /// Calls in flight at once.
        #[arg(long, default_value_t = 64)]
        in_flight: usize,
    },
    /// Sandbox requests/s at many concurrent keep-alive connections (raw HTTP/1.1 generator).
    Throughput {
        /// Connections, one task each.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Measured list requests.
        #[arg(long, default_value_t = 100_000)]
        lists: usize,
        /// Measured create requests.
        #[arg(long, default_value_t = 20_000)]
        creates: usize,
        /// Unmeasured list requests first.
        #[arg(long, default_value_t = 10_000)]
        warmup: usize,
    },
    /// One client kind making `calls` sequential calls of one operation, alone in its process
    /// and on one thread: what `overhead_instructions.py` counts instructions of under callgrind.
    Count {
        /// The client making the calls.
        #[arg(long, value_enum)]
        client: Kind,
        /// The operation it repeats.
        #[arg(long, value_enum)]
        operation: Operation,
        /// Measured calls.
        #[arg(long)]
        calls: usize,
        /// Calls made first, so connections and caches are warm before the measured ones.
        #[arg(long, default_value_t = 20)]
        warmup: usize,
        /// A sandbox already listening there (`webhooks-sandbox --listen ADDR`), so this process
        /// holds only the client; without it, one runs in this process.
        #[arg(long)]
        server: Option<SocketAddr>,
    },
    /// Event -> receiver latency of simulated events fanned out to several webhooks.
    Callbacks {
        /// Events, triggered one after the other.
        #[arg(long, default_value_t = 1_000)]
        events: usize,
        /// Webhooks subscribed to each event.
        #[arg(long, default_value_t = 10)]
        webhooks: usize,
        /// Unmeasured events first.
        #[arg(long, default_value_t = 100)]
        warmup: usize,
    },
}

const OVERHEAD: Figure = Figure::Overhead {
    operations: 2_000,
    turn: 50,
    warmup: 300,
    diagnose: false,
};
const CONCURRENCY: Figure = Figure::Concurrency {
    calls: 10_000,
    in_flight: 64,
};
const THROUGHPUT: Figure = Figure::Throughput {
    connections: 64,
    lists: 100_000,
    creates: 20_000,
    warmup: 10_000,
};
const CALLBACKS: Figure = Figure::Callbacks {
    events: 1_000,
    webhooks: 10,
    warmup: 100,
};

fn main() -> Result<(), Failure> {
    let args = Args::parse();
    // `count` runs on one thread, so its instruction count has no scheduler spinning or
    // work stealing in it, whose amount would vary from run to run.
    let mut runtime = match args.figure {
        Some(Figure::Count { .. }) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> Result<(), Failure> {
    let figures = match args.figure {
        None | Some(Figure::All) => vec![OVERHEAD, CONCURRENCY, THROUGHPUT, CALLBACKS],
        Some(figure) => vec![figure],
    };
    if !matches!(figures[..], [Figure::Count { .. }]) {
        print_header(args.stored);
    }
    for figure in figures {
        match figure {
            Figure::Overhead {
                operations,
                turn,
                warmup,
                diagnose,
            } => overhead(args.stored, operations, turn.max(1), warmup, diagnose).await?,
            Figure::Concurrency { calls, in_flight } => {
                concurrency(args.stored, calls, in_flight.max(1)).await?
            }
            Figure::Throughput {
                connections,
                lists,
                creates,
                warmup,
            } => throughput(args.stored, connections.max(1), lists, creates, warmup).await?,
            Figure::Callbacks {
                events,
                webhooks,
                warmup,
            } => callbacks(events, webhooks, warmup).await?,
            Figure::Count {
                client,
                operation,
                calls,
                warmup,
                server,
            } => count(args.stored, client, operation, calls, warmup, server).await?,
            Figure::All => {}
        }
    }
    Ok(())
}

fn print_header(stored: usize) {
    println!(
        "loadtest: {} cores ({}), {} tokio worker threads shared by client and server, {stored} stored webhooks per list",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model(),
        tokio::runtime::Handle::current().metrics().num_workers(),
    );
}

// ---------------------------------------------------------------------------------------------
// Statistics.

/// Latencies of one series, in nanoseconds.
#[derive(Debug, Default, Clone)]
struct Series(Vec<u64>);

impl Series {
    fn push(&mut self, elapsed: Duration) {
        self.0
            .push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    fn extend(&mut self, other: Series) {
        self.0.extend(other.0);
    }

    fn sorted(&self) -> Vec<u64> {
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        sorted
    }

    fn mean_us(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.iter().map(|&ns| ns as f64).sum::<f64>() / self.0.len() as f64 / 1_000.0
    }

    /// The nearest-rank percentile, in microseconds.
    fn percentile_us(&self, percent: f64) -> f64 {
        let sorted = self.sorted();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1_000.0
    }
}

/// A table under its title (the shared `print_table`, with a blank line and the title first).
fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n{title}");
    webhooks_tools::print_table(header, rows);
}

fn us(value: f64) -> String {
    format!("{value:.1} us")
}

// ---------------------------------------------------------------------------------------------
// Setup shared by the phases.

async fn start_sandbox() -> Result<SandboxHandle, Failure> {
    Ok(Sandbox::builder()
        .credentials(API_KEY, API_SECRET)
        .start()
        .await?)
}

fn ergonomic(sandbox: &SandboxHandle, auth: AuthMode) -> Result<Client, Failure> {
    ergonomic_at(sandbox.base_url(), auth)
}

fn ergonomic_at(base_url: String, auth: AuthMode) -> Result<Client, Failure> {
    Ok(Client::builder()
        .base_url(base_url)
        .credentials(API_KEY, API_SECRET)
        .auth(auth)
        .build()?)
}

/// Stores `count` webhooks, so list answers have a realistic size.
async fn store_webhooks(client: &Client, count: usize) -> Result<(), Failure> {
    for i in 0..count {
        typical_create(client, format!("https://example.com/hooks/stored/{i}"))
            .send()
            .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Client overhead.

/// A client making the ergonomic client's requests by hand: the same `reqwest` settings,
/// headers, query, body and decoding into the same wire types; nothing else.
struct Bare {
    http: reqwest::Client,
    base_url: String,
    auth: BareAuth,
}

enum BareAuth {
    Basic(reqwest::header::HeaderValue),
    Hmac(HmacSigner),
}

impl Bare {
    fn new(base_url: String, hmac: bool) -> Result<Bare, Failure> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()?;
        let auth = if hmac {
            BareAuth::Hmac(HmacSigner::new(
                Credentials::new(API_KEY, API_SECRET),
                HmacAlgorithm::Sha1,
            )?)
        } else {
            let token = BASE64.encode(format!("{API_KEY}:{API_SECRET}"));
            BareAuth::Basic(format!("Basic {token}").parse()?)
        };
        Ok(Bare {
            http,
            base_url,
            auth,
        })
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        expect: u16,
    ) -> Result<reqwest::Response, Failure> {
        let mut request = request
            .header(reqwest::header::ACCEPT, "application/json")
            .build()?;
        match &self.auth {
            BareAuth::Basic(value) => {
                request
                    .headers_mut()
                    .insert(reqwest::header::AUTHORIZATION, value.clone());
            }
            BareAuth::Hmac(signer) => signer.sign_request(&mut request)?,
        }
        let response = self.http.execute(request).await?;
        if response.status().as_u16() != expect {
            return Err(format!("expected {expect}, got {}", response.status()).into());
        }
        Ok(response)
    }

    async fn list(&self) -> Result<usize, Failure> {
        let request = self
            .http
            .get(format!("{}/v1/webhooks/messages", self.base_url))
            .query(&[("page", 0), ("page_size", PAGE_SIZE)]);
        let bytes = self.send(request, 200).await?.bytes().await?;
        let page: wire::WebhookPage = serde_json::from_slice(&bytes)?;
        Ok(page.page_data.len())
    }

    async fn create(&self, body: &wire::CreateWebhookRequest) -> Result<wire::Webhook, Failure> {
        let request = self
            .http
            .post(format!("{}/v1/webhooks/messages", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body)?);
        let bytes = self.send(request, 201).await?.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    async fn delete(&self, created: wire::Webhook) -> Result<(), Failure> {
        let request = self.http.delete(format!(
            "{}/v1/webhooks/messages/{}",
            self.base_url, created.id
        ));
        self.send(request, 204).await?.bytes().await?;
        Ok(())
    }

    async fn create_delete(&self, body: &wire::CreateWebhookRequest) -> Result<(), Failure> {
        let created = self.create(body).await?;
        self.delete(created).await
    }
}

/// One of the four clients compared.
enum Contender {
    Ergonomic(Client),
    Bare(Bare),
    /// The bare client inside the two `tokio::time::timeout`s the ergonomic client wraps each
    /// operation in (per attempt and in total): a diagnostic of where the overhead goes.
    BareTimed(Bare),
    /// The generated client of `webhooks-client` alone (`Client::raw`), with the ergonomic
    /// client's signer and hooks: a diagnostic of what the generated layer costs by itself.
    Raw(Client),
}

impl Contender {
    /// The create body every contender sends (the bare one as the wire type, serialized
    /// per request like the generated client does).
    fn create_url(index: usize) -> String {
        format!("https://example.com/hooks/overhead/{index}")
    }

    async fn list(&self) -> Result<usize, Failure> {
        match self {
            Contender::Ergonomic(client) => Ok(client.webhooks().list().send().await?.items.len()),
            Contender::Bare(bare) => bare.list().await,
            Contender::BareTimed(bare) => timed(bare.list()).await,
            Contender::Raw(client) => Ok(client
                .raw()
                .retrieve_webhooks()
                .page(0)
                .page_size(std::num::NonZeroU32::new(PAGE_SIZE).ok_or("page size 0")?)
                .send()
                .await?
                .into_inner()
                .page_data
                .len()),
        }
    }

    async fn create_delete(
        &self,
        index: usize,
        body: &wire::CreateWebhookRequest,
    ) -> Result<(), Failure> {
        match self {
            Contender::Ergonomic(client) => {
                let webhook = typical_create(client, Contender::create_url(index))
                    .send()
                    .await?;
                client.webhooks().delete(webhook.id).send().await?;
                Ok(())
            }
            Contender::Bare(bare) => bare.create_delete(body).await,
            Contender::BareTimed(bare) => {
                let created = timed(bare.create(body)).await?;
                timed(bare.delete(created)).await
            }
            Contender::Raw(client) => {
                let created = client
                    .raw()
                    .create_webhook()
                    .body(body.clone())
                    .send()
                    .await?
                    .into_inner();
                client
                    .raw()
                    .delete_webhook()
                    .webhook_id(created.id)
                    .send()
                    .await?;
                Ok(())
            }
        }
    }
}

/// `operation` under the ergonomic client's default timeouts: 30 s per attempt inside 120 s in all.
async fn timed<T>(
    operation: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    let attempt = async {
        tokio::time::timeout(Duration::from_secs(30), operation)
            .await
            .map_err(|_| Failure::from("attempt timed out"))?
    };
    tokio::time::timeout(Duration::from_secs(120), attempt)
        .await
        .map_err(|_| Failure::from("operation timed out"))?
}

/// The create every phase makes through the ergonomic client: a realistic subscription
/// (three events, a custom header, retries) at `url`.
fn typical_create(client: &Client, url: String) -> webhooks_ergonomic::CreateWebhook<'_> {
    client
        .webhooks()
        .create()
        .url(url)
        .method(CallbackMethod::Post)
        .encoding(Encoding::Json)
        .events([Event::ReceivedSms, Event::DeliveredDr, Event::FailedDr])
        .header("X-Receiver-Key", "abc123")
        .retries(3)
        .retry_delay(30)
}

/// The wire body of the ergonomic create above.
fn wire_create(index: usize) -> Result<wire::CreateWebhookRequest, Failure> {
    let headers = [("X-Receiver-Key".to_owned(), "abc123".parse()?)]
        .into_iter()
        .collect();
    Ok(wire::CreateWebhookRequest {
        url: Contender::create_url(index).parse()?,
        method: wire::HttpMethod::Post,
        encoding: wire::Encoding::Json,
        events: vec![
            wire::Event::ReceivedSms.into(),
            wire::Event::DeliveredDr.into(),
            wire::Event::FailedDr.into(),
        ],
        headers: Some(wire::CallbackHeaders(headers)),
        template: None,
        read_timeout: None,
        retries: Some(3),
        retry_delay: Some(30),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, clap::ValueEnum)]
enum Operation {
    /// A list of the stored webhooks.
    List,
    /// A create, then a delete of what it created.
    CreateDelete,
}

async fn overhead(
    stored: usize,
    operations: usize,
    turn: usize,
    warmup: usize,
    diagnose: bool,
) -> Result<(), Failure> {
    let sandbox = start_sandbox().await?;
    // (label, client, the row its ratio is taken against)
    let mut contenders = vec![
        (
            "ergonomic, Basic",
            Contender::Ergonomic(ergonomic(&sandbox, AuthMode::Basic)?),
            Some(1),
        ),
        (
            "bare reqwest, Basic",
            Contender::Bare(Bare::new(sandbox.base_url(), false)?),
            None,
        ),
        (
            "ergonomic, HMAC-SHA1",
            Contender::Ergonomic(ergonomic(&sandbox, AuthMode::Hmac(HmacAlgorithm::Sha1))?),
            Some(3),
        ),
        (
            "bare reqwest + HmacSigner",
            Contender::Bare(Bare::new(sandbox.base_url(), true)?),
            None,
        ),
    ];
    if diagnose {
        contenders.push((
            "bare reqwest, Basic, in 2 timeouts",
            Contender::BareTimed(Bare::new(sandbox.base_url(), false)?),
            Some(1),
        ));
    }
    if let Contender::Ergonomic(client) = &contenders[0].1 {
        store_webhooks(client, stored).await?;
    }
    let bodies: Vec<wire::CreateWebhookRequest> = (0..contenders.len())
        .map(wire_create)
        .collect::<Result<_, _>>()?;

    let mut results = Vec::new();
    for operation in [Operation::List, Operation::CreateDelete] {
        // Warm every client up (connections, allocator, branch predictors) first.
        for (index, (_, contender, _)) in contenders.iter().enumerate() {
            for _ in 0..warmup {
                run_once(contender, operation, index, &bodies[index], stored).await?;
            }
        }
        // Then take turns: `turn` operations each, the order rotating every round, so noise
        // from the rest of the machine falls on every client alike.
        let mut series = vec![Series::default(); contenders.len()];
        let rounds = operations.div_ceil(turn);
        for round in 0..rounds {
            let count = turn.min(operations - round * turn);
            for offset in 0..contenders.len() {
                let index = (round + offset) % contenders.len();
                let contender = &contenders[index].1;
                for _ in 0..count {
                    let started = Instant::now();
                    run_once(contender, operation, index, &bodies[index], stored).await?;
                    series[index].push(started.elapsed());
                }
            }
        }
        results.push((operation, series));
    }
    sandbox.shutdown().await;

    let mut rows = Vec::new();
    for (operation, series) in &results {
        let name = match operation {
            Operation::List => "list",
            Operation::CreateDelete => "create+delete",
        };
        for (index, (label, _, baseline)) in contenders.iter().enumerate() {
            let ratio = match baseline {
                Some(baseline) => {
                    let bare = &series[*baseline];
                    format!(
                        "{:.3} / {:.3}",
                        series[index].mean_us() / bare.mean_us(),
                        series[index].percentile_us(50.0) / bare.percentile_us(50.0)
                    )
                }
                None => String::new(),
            };
            rows.push(vec![
                format!("{name}: {label}"),
                series[index].0.len().to_string(),
                us(series[index].mean_us()),
                us(series[index].percentile_us(50.0)),
                us(series[index].percentile_us(99.0)),
                ratio,
            ]);
        }
    }
    print_table(
        &format!(
            "Client overhead: sequential, one connection reused, {stored} webhooks per list, turns of {turn} interleaved"
        ),
        &[
            "operation: client",
            "n",
            "mean",
            "p50",
            "p99",
            "ratio to bare: mean / p50",
        ],
        &rows,
    );
    Ok(())
}

async fn run_once(
    contender: &Contender,
    operation: Operation,
    index: usize,
    body: &wire::CreateWebhookRequest,
    stored: usize,
) -> Result<(), Failure> {
    match operation {
        Operation::List => {
            let items = contender.list().await?;
            if items != stored.min(PAGE_SIZE as usize) {
                return Err(format!("listed {items} webhooks, expected {stored}").into());
            }
            Ok(())
        }
        Operation::CreateDelete => contender.create_delete(index, body).await,
    }
}

// ---------------------------------------------------------------------------------------------
// One client kind alone, for instruction counts.

/// The four clients of the overhead figure.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// The ergonomic `Client`, Basic auth.
    ErgonomicBasic,
    /// The ergonomic `Client`, HMAC-SHA1.
    ErgonomicHmac,
    /// A bare `reqwest::Client`, Basic auth.
    BareBasic,
    /// A bare `reqwest::Client` signing with `HmacSigner::sign_request`.
    BareHmac,
    /// The generated client alone (`Client::raw`), Basic auth: what the generated layer costs.
    RawBasic,
}

async fn count(
    stored: usize,
    kind: Kind,
    operation: Operation,
    calls: usize,
    warmup: usize,
    server: Option<SocketAddr>,
) -> Result<(), Failure> {
    let sandbox = match server {
        Some(_) => None,
        None => Some(start_sandbox().await?),
    };
    let base_url = match (&sandbox, server) {
        (Some(sandbox), _) => sandbox.base_url(),
        (None, Some(addr)) => format!("http://{addr}"),
        (None, None) => unreachable!("a sandbox was started above"),
    };
    let setup = ergonomic_at(base_url.clone(), AuthMode::Basic)?;
    // An outside sandbox may already hold the webhooks from an earlier run.
    let present = setup.webhooks().list().send().await?.items.len();
    store_webhooks(&setup, stored.saturating_sub(present)).await?;
    let contender = match kind {
        Kind::ErgonomicBasic => Contender::Ergonomic(ergonomic_at(base_url, AuthMode::Basic)?),
        Kind::ErgonomicHmac => {
            Contender::Ergonomic(ergonomic_at(base_url, AuthMode::Hmac(HmacAlgorithm::Sha1))?)
        }
        Kind::BareBasic => Contender::Bare(Bare::new(base_url, false)?),
        Kind::BareHmac => Contender::Bare(Bare::new(base_url, true)?),
        Kind::RawBasic => Contender::Raw(ergonomic_at(base_url, AuthMode::Basic)?),
    };
    // Index 0: one URL, free again once its delete is done.
    let unused = wire_create(0)?;
    for _ in 0..warmup + calls {
        // The bare client builds its create body per call, as the ergonomic one builds its own
        // from the builder per call: a user's creates differ.
        let fresh;
        let body = match (&contender, operation) {
            (Contender::Bare(_) | Contender::Raw(_), Operation::CreateDelete) => {
                fresh = wire_create(0)?;
                &fresh
            }
            _ => &unused,
        };
        run_once(&contender, operation, 0, body, stored).await?;
    }
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    println!("{kind:?} {operation:?}: {warmup} warm-up and {calls} measured calls done");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Concurrency through one client.

async fn concurrency(stored: usize, calls: usize, in_flight: usize) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for (label, auth) in [
        ("ergonomic, Basic", Some(AuthMode::Basic)),
        (
            "ergonomic, HMAC-SHA1",
            Some(AuthMode::Hmac(HmacAlgorithm::Sha1)),
        ),
        ("bare reqwest, Basic", None),
    ] {
        // A sandbox of its own: every connection to its port is this client's.
        let sandbox = start_sandbox().await?;
        store_webhooks(&ergonomic(&sandbox, AuthMode::Basic)?, stored).await?;
        let before = connections_to(sandbox.addr())?;
        let contender = Arc::new(match auth {
            Some(auth) => Contender::Ergonomic(ergonomic(&sandbox, auth)?),
            None => Contender::Bare(Bare::new(sandbox.base_url(), false)?),
        });
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..in_flight)
            .map(|_| {
                let contender = Arc::clone(&contender);
                let next = Arc::clone(&next);
                tokio::spawn(async move {
                    let mut series = Series::default();
                    while next.fetch_add(1, Ordering::Relaxed) < calls {
                        let call = Instant::now();
                        contender.list().await?;
                        series.push(call.elapsed());
                    }
                    Ok::<_, Failure>(series)
                })
            })
            .collect();
        let mut series = Series::default();
        for worker in workers {
            series.extend(worker.await??);
        }
        let elapsed = started.elapsed();
        let after = connections_to(sandbox.addr())?;
        sandbox.shutdown().await;
        rows.push(vec![
            label.to_owned(),
            series.0.len().to_string(),
            format!("{:.0}", series.0.len() as f64 / elapsed.as_secs_f64()),
            us(series.percentile_us(50.0)),
            us(series.percentile_us(99.0)),
            (after.opened - before.opened).to_string(),
            (after.open - before.open).to_string(),
        ]);
    }
    print_table(
        &format!(
            "Concurrency: {calls} list calls, {in_flight} in flight, one client; TCP connections it opened to the sandbox (kernel socket table) and how many are still open after"
        ),
        &[
            "client",
            "calls",
            "calls/s",
            "p50",
            "p99",
            "connections opened",
            "still open",
        ],
        &rows,
    );
    Ok(())
}

/// Connections to the sandbox, counted from the kernel's socket table.
#[derive(Debug, Clone, Copy)]
struct Connections {
    /// Every connection opened since the sandbox started (closed ones included).
    opened: usize,
    /// Those still established.
    open: usize,
}

/// The TCP connections to `server`: the distinct client ports of every socket to or from its
/// port in `/proc/net/tcp{,6}`. A connection closed by either side stays listed in TIME_WAIT
/// for 60 s, so within a phase shorter than that every connection ever opened is counted.
fn connections_to(server: SocketAddr) -> Result<Connections, Failure> {
    const ESTABLISHED: &str = "01";
    let port = server.port();
    let mut opened = HashSet::new();
    let mut open = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state)) =
                (fields.get(1), fields.get(2), fields.get(3))
            else {
                continue;
            };
            let port_of = |address: &str| {
                address
                    .rsplit_once(':')
                    .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok())
            };
            let (Some(local_port), Some(remote_port)) = (port_of(local), port_of(remote)) else {
                continue;
            };
            if remote_port == 0 {
                continue; // the listening socket
            }
            if local_port == port {
                opened.insert(remote_port);
            } else if remote_port == port {
                opened.insert(local_port);
                if *state == ESTABLISHED {
                    open.insert(local_port);
                }
            }
        }
    }
    Ok(Connections {
        opened: opened.len(),
        open: open.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// Sandbox throughput, with a minimal HTTP/1.1 load generator.

/// One keep-alive HTTP/1.1 connection that sends a request and reads its answer.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, Failure> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` and returns the answer's status once its whole body is read.
    async fn exchange(&mut self, request: &[u8]) -> Result<u16, Failure> {
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let mut head_end = None;
        loop {
            if let Some(end) = head_end {
                let (status, length) = parse_head(&self.buffer[..end])?;
                while self.buffer.len() < end + length {
                    self.read_more().await?;
                }
                if self.buffer.len() > end + length {
                    return Err("the server sent more than one answer".into());
                }
                return Ok(status);
            }
            self.read_more().await?;
            head_end = self
                .buffer
                .windows(4)
                .position(|window| window == b"\r\n\r\n")
                .map(|at| at + 4);
        }
    }

    async fn read_more(&mut self) -> Result<(), Failure> {
        let mut chunk = [0u8; 16 * 1024];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err("the server closed the connection".into());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

/// The status and `Content-Length` of an answer's head.
fn parse_head(head: &[u8]) -> Result<(u16, usize), Failure> {
    let head = std::str::from_utf8(head)?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or("no status line")?;
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.trim().parse::<usize>())
        .transpose()?
        .ok_or("no Content-Length")?;
    Ok((status, length))
}

#[derive(Clone, Copy)]
enum Load {
    List,
    Create,
}

/// Runs `requests` requests of `load` over `connections` connections; returns the elapsed
/// time and the latencies.
async fn load(
    addr: SocketAddr,
    connections: usize,
    requests: usize,
    load: Load,
) -> Result<(Duration, Series), Failure> {
    let authorization = format!("Basic {}", BASE64.encode(format!("{API_KEY}:{API_SECRET}")));
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(Connection::open(addr).await?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = opened
        .into_iter()
        .map(|mut connection| {
            let next = Arc::clone(&next);
            let authorization = authorization.clone();
            let list = format!(
                "GET /v1/webhooks/messages?page=0&page_size={PAGE_SIZE} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nAuthorization: {authorization}\r\n\r\n"
            )
            .into_bytes();
            tokio::spawn(async move {
                let mut series = Series::default();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= requests {
                        return Ok::<_, Failure>(series);
                    }
                    let call = Instant::now();
                    let (status, expected) = match load {
                        Load::List => (connection.exchange(&list).await?, 200),
                        Load::Create => {
                            let body = format!(
                                r#"{{"url":"https://example.com/hooks/load/{index}","method":"POST","encoding":"JSON","events":["RECEIVED_SMS","DELIVERED_DR"],"headers":{{"X-Receiver-Key":"abc123"}},"retries":3,"retry_delay":30}}"#
                            );
                            let request = format!(
                                "POST /v1/webhooks/messages HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: {authorization}\r\n\r\n{body}",
                                body.len()
                            );
                            (connection.exchange(request.as_bytes()).await?, 201)
                        }
                    };
                    series.push(call.elapsed());
                    if status != expected {
                        return Err(format!("expected {expected}, got {status}").into());
                    }
                }
            })
        })
        .collect();
    let mut series = Series::default();
    for task in tasks {
        series.extend(task.await??);
    }
    Ok((started.elapsed(), series))
}

async fn throughput(
    stored: usize,
    connections: usize,
    lists: usize,
    creates: usize,
    warmup: usize,
) -> Result<(), Failure> {
    let sandbox = start_sandbox().await?;
    store_webhooks(&ergonomic(&sandbox, AuthMode::Basic)?, stored).await?;
    load(sandbox.addr(), connections, warmup, Load::List).await?;
    let mut rows = Vec::new();
    for (label, kind, requests) in [
        (format!("list ({stored} webhooks)"), Load::List, lists),
        ("create".to_owned(), Load::Create, creates),
    ] {
        let (elapsed, series) = load(sandbox.addr(), connections, requests, kind).await?;
        rows.push(vec![
            label,
            series.0.len().to_string(),
            format!("{:.0}", series.0.len() as f64 / elapsed.as_secs_f64()),
            us(series.percentile_us(50.0)),
            us(series.percentile_us(99.0)),
        ]);
    }
    sandbox.shutdown().await;
    print_table(
        &format!(
            "Sandbox throughput: {connections} keep-alive connections, Basic auth, raw HTTP/1.1 generator in the same process (it shares the cores with the server)"
        ),
        &["request", "requests", "req/s", "p50", "p99"],
        &rows,
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Callback delivery.

/// Arrivals at the receiver: (event sequence number, when).
type Arrivals = Arc<Mutex<Vec<(usize, Instant)>>>;

async fn callbacks(events: usize, webhooks: usize, warmup: usize) -> Result<(), Failure> {
    let sandbox = start_sandbox().await?;
    let arrivals: Arrivals = Arc::default();
    let record = Arc::clone(&arrivals);
    let receiver = axum::Router::new().route(
        "/callbacks/{webhook}",
        axum::routing::post(move |Path(_webhook): Path<usize>, body: Bytes| {
            let arrived = Instant::now();
            let record = Arc::clone(&record);
            async move {
                let seq = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|payload| payload["metadata"]["seq"].as_str()?.parse::<usize>().ok());
                match seq {
                    Some(seq) => {
                        if let Ok(mut arrivals) = record.lock() {
                            arrivals.push((seq, arrived));
                        }
                        axum::http::StatusCode::OK
                    }
                    None => axum::http::StatusCode::BAD_REQUEST,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, receiver).await });

    let client = ergonomic(&sandbox, AuthMode::Basic)?;
    for webhook in 0..webhooks {
        client
            .webhooks()
            .create()
            .url(format!("http://{receiver_addr}/callbacks/{webhook}"))
            .method(CallbackMethod::Post)
            .encoding(Encoding::Json)
            .events([Event::ReceivedSms])
            .send()
            .await?;
    }

    let mut triggered = Vec::with_capacity(warmup + events);
    for seq in 0..warmup + events {
        let mut data = serde_json::Map::new();
        data.insert("content".into(), "loadtest".into());
        data.insert(
            "metadata".into(),
            serde_json::json!({ "seq": seq.to_string() }),
        );
        let at = Instant::now();
        let called = sandbox
            .trigger_event(SimulatedEvent {
                account: None,
                event: Event::ReceivedSms,
                data,
            })
            .await?;
        triggered.push(at);
        if called != webhooks {
            return Err(format!("event {seq} called {called} webhooks, not {webhooks}").into());
        }
    }
    let failed = sandbox
        .deliveries()
        .iter()
        .filter(|attempt| attempt.error.is_some())
        .count();
    sandbox.shutdown().await;
    server.abort();

    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut series = Series::default();
    for (seq, arrived) in arrivals {
        if seq >= warmup {
            let sent = triggered.get(seq).ok_or("an arrival of an unknown event")?;
            series.push(arrived.duration_since(*sent));
        }
    }
    if series.0.len() != events * webhooks || failed != 0 {
        return Err(format!(
            "{} of {} deliveries arrived, {failed} attempts failed",
            series.0.len(),
            events * webhooks
        )
        .into());
    }
    print_table(
        &format!(
            "Callback delivery: {events} events, one after the other, each fanned out to {webhooks} webhooks (JSON, POST) on a local axum receiver"
        ),
        &["deliveries", "mean", "p50", "p99", "max"],
        &[vec![
            series.0.len().to_string(),
            us(series.mean_us()),
            us(series.percentile_us(50.0)),
            us(series.percentile_us(99.0)),
            us(series.percentile_us(100.0)),
        ]],
    );
    Ok(())
}
