//! The inbox over HTTP (feature `axum`): a [`Router`] to mount, and a one-call
//! [`serve`](Inbox::serve).

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, OriginalUri, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method};

use super::{Handler, Inbox, InboxError};

/// The largest callback accepted (413 beyond): MMS media arrives base64 in the body; axum's
/// own default, which the vendor's largest MMS fits.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// How long [`Inbox::serve`] lets running handlers finish when it is told to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Inbox {
    /// A router that receives a callback at any path, with any method, through
    /// [`Inbox::receive`]: verify, store, then 200 (or 401, 503 with the reason in plain
    /// text; 413 over [`BODY_LIMIT`]). Mount it where the webhook's URL points; nested routes
    /// keep the original path for verification.
    ///
    /// ```no_run
    /// # fn app(inbox: webhooks_callbacks::inbox::Inbox) -> axum::Router {
    /// axum::Router::new().nest("/hooks/messagemedia", inbox.router())
    /// # }
    /// ```
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(receive)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(self.clone())
    }

    /// Receives on `address` with [`router`](Self::router) and hands every callback to
    /// `handler` with [`start`](Self::start), until Ctrl-C or SIGTERM; then stops receiving,
    /// lets running handlers finish for up to [`SHUTDOWN_GRACE`], and returns.
    pub async fn serve(
        &self,
        address: impl tokio::net::ToSocketAddrs,
        handler: impl Handler,
    ) -> Result<(), InboxError> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|err| InboxError::Configuration(format!("cannot listen: {err}")))?;
        let workers = self.start(handler);
        let served = axum::serve(listener, self.router())
            .with_graceful_shutdown(stop_signal())
            .await;
        workers.shutdown(SHUTDOWN_GRACE).await;
        served.map_err(InboxError::unavailable)
    }
}

async fn receive(
    State(inbox): State<Inbox>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    match body {
        Ok(body) => inbox
            .receive(&method, &uri, &headers, body)
            .await
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
