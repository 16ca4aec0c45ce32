//! List throughput: the sandbox's `GET /v1/webhooks/messages` (authenticated, a page of 100
//! stored webhooks) against a bare axum server answering the same page from memory, each
//! under 64 concurrent connections for `WINDOW`. Prints requests per second of both and their
//! ratio per run with the load average, then the median and spread of the ratios.
//! `cargo bench -p webhooks-sandbox --bench list_throughput`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::routing::get;
use base64::Engine;
use serde::Serialize;
use webhooks_sandbox::Sandbox;
use webhooks_sandbox::store::StoredWebhook;

const CONNECTIONS: usize = 64;
const WINDOW: Duration = Duration::from_secs(3);
const RUNS: usize = 5;
const STORED: usize = 100;

#[derive(Serialize)]
struct Page {
    page: u32,
    #[serde(rename = "pageSize")]
    page_size: u32,
    #[serde(rename = "pageData")]
    page_data: Vec<StoredWebhook>,
}

/// Requests per second that `CONNECTIONS` keep-alive clients get from `url` within `WINDOW`.
async fn throughput(url: String, authorization: String) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + WINDOW;
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (url, authorization, done) =
                (url.clone(), authorization.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                while Instant::now() < until {
                    let answer = http
                        .get(&url)
                        .header("Authorization", &authorization)
                        .send()
                        .await;
                    if let Ok(answer) = answer
                        && answer.status().is_success()
                        && answer.bytes().await.is_ok()
                    {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for client in clients {
        let _ = client.await;
    }
    done.load(Ordering::Relaxed) as f64 / WINDOW.as_secs_f64()
}

/// A bare axum server answering `page` as JSON at `/page`.
async fn bare(page: Page) -> SocketAddr {
    let page = Arc::new(page);
    let app = axum::Router::new().route(
        "/page",
        get(move || {
            let page = Arc::clone(&page);
            async move { axum::response::IntoResponse::into_response(axum::Json(&*page)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

async fn bench() {
    let sandbox = Sandbox::builder()
        .credentials("k", "s")
        .start()
        .await
        .unwrap();
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("k:s")
    );
    let http = reqwest::Client::new();
    for n in 0..STORED {
        let body = serde_json::json!({
            "url": format!("https://example.com/hooks/{n}?token=abc"), "method": "POST",
            "encoding": "JSON", "events": ["RECEIVED_SMS", "DELIVERED_DR"],
            "headers": {"X-Token": "abc"}, "template": "{\"id\":\"$moId\"}"
        });
        http.post(format!("{}/v1/webhooks/messages", sandbox.base_url()))
            .header("Authorization", &authorization)
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let listed = format!("{}/v1/webhooks/messages", sandbox.base_url());
    let page: Page = http
        .get(&listed)
        .header("Authorization", &authorization)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .map(|v| Page {
            page: 0,
            page_size: 100,
            page_data: serde_json::from_value(v["pageData"].clone()).unwrap(),
        })
        .unwrap();
    assert_eq!(page.page_data.len(), STORED);
    let bare_url = format!("http://{}/page", bare(page).await);
    let mut ratios = Vec::new();
    for run in 1..=RUNS {
        let load = load_average();
        let sandboxed = throughput(listed.clone(), authorization.clone()).await;
        let plain = throughput(bare_url.clone(), authorization.clone()).await;
        let ratio = sandboxed / plain;
        println!(
            "run {run} (load average {load}): sandbox {sandboxed:.0} req/s, bare axum {plain:.0} req/s, ratio {ratio:.2}"
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "sandbox/bare list throughput at {CONNECTIONS} connections: median {:.2} (spread {:.2}-{:.2})",
        ratios[RUNS / 2],
        ratios[0],
        ratios[RUNS - 1]
    );
    sandbox.shutdown().await;
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}
