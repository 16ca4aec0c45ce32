//! `webhooks-sandbox`: run the emulator from the command line.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use webhooks_sandbox::{DEFAULT_CREDENTIALS, DigestType, Sandbox};

/// A local emulator of the MessageMedia Webhooks API that also delivers callbacks.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// An API key to accept (repeat with --api-secret for several pairs).
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
    /// The secret of the API key in the same position.
    #[arg(long = "api-secret")]
    api_secrets: Vec<String>,
    /// Keep webhooks in this file across restarts.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Sign every callback with an RSA key generated at start (public key at
    /// GET /sandbox/v1/signature-key).
    #[arg(long)]
    sign_callbacks: bool,
    /// The digest of callback signatures: SHA224, SHA256 or SHA512.
    #[arg(long, default_value = "SHA256", requires = "sign_callbacks")]
    signature_digest: DigestType,
}

/// Prints a line to stdout, ignoring a closed stdout (`webhooks-sandbox | head -n 1` must not
/// bring the server down).
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    if args.api_keys.len() != args.api_secrets.len() {
        eprintln!("error: give one --api-secret for each --api-key");
        return std::process::ExitCode::from(2);
    }
    let mut builder = Sandbox::builder()
        .listen(args.listen)
        .sign_callbacks(args.sign_callbacks)
        .signature_digest(args.signature_digest);
    for (key, secret) in args.api_keys.iter().zip(&args.api_secrets) {
        builder = builder.credentials(key, secret);
    }
    if let Some(state) = &args.state {
        builder = builder.state_file(state);
    }
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("error: could not start the sandbox: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    say!("webhooks-sandbox listening on {}", sandbox.base_url());
    if let Some(key) = sandbox.signature_key() {
        say!(
            "signing callbacks with RSA/{} key {} (public key at {}/sandbox/v1/signature-key)",
            key.digest,
            key.key_id,
            sandbox.base_url()
        );
    }
    if args.api_keys.is_empty() {
        say!(
            "credentials: api key `{}`, secret `{}`",
            DEFAULT_CREDENTIALS.0,
            DEFAULT_CREDENTIALS.1
        );
    }
    let stop = async {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(_) => return,
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    stop.await;
    say!("shutting down");
    sandbox.shutdown().await;
    std::process::ExitCode::SUCCESS
}
