//! Starting and stopping a backend: [`Backend::start`] loads what a backend needs once (role
//! table, request schema, seed users) and spawns the accept loop; the loop hands each
//! connection to hyper with the tower service that runs the request pipeline; shutdown stops
//! accepting and lets in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::credential::check_credential;
use super::pipeline::{Api, Dialect};
use super::roles::Roles;
use super::schema::RequestSchema;
use super::{camel, envelope, snake, Backend, BackendError, BackendStyle};

/// How long [`Backend::shutdown`] lets in-flight requests run before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Backend {
    /// Serves on an already-bound listener until `shutdown` is called or the handle is dropped.
    ///
    /// Taking a bound listener (rather than an address) lets tests bind `127.0.0.1:0` and
    /// learn the port before anything is served.
    pub async fn start(
        style: BackendStyle,
        listener: TcpListener,
        credential: String,
    ) -> Result<Backend, BackendError> {
        Self::start_with(style, listener, credential, false).await
    }

    /// [`Self::start`], and with `any_id` every well-formed id that is not a seed user reads
    /// as a seed user under that id (for load benches that fill a cache with many users).
    pub async fn start_with(
        style: BackendStyle,
        listener: TcpListener,
        credential: String,
        any_id: bool,
    ) -> Result<Backend, BackendError> {
        check_credential(style, &credential)?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, stop_rx) = watch::channel(false);
        let roles = Roles::load()?;
        let schema = RequestSchema::load(style)?;
        let task = match style {
            BackendStyle::Envelope => {
                let dialect = envelope::Envelope::new(credential, roles, any_id)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
            BackendStyle::Camel => {
                let dialect = camel::Camel::new(credential, roles, any_id)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
            BackendStyle::Snake => {
                let dialect = snake::Snake::new(credential, roles, any_id)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
        };
        tracing::info!(%style, %addr, "reference backend listening");
        Ok(Backend {
            style,
            addr,
            requests,
            stop,
            task,
        })
    }

    /// The address the backend is listening on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The style this backend speaks.
    pub fn style(&self) -> BackendStyle {
        self.style
    }

    /// User API requests served so far (the number `GET /__stats` reports).
    pub fn stats(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, lets in-flight requests finish (for up to 10 s), then
    /// returns. Idle keep-alive connections are closed at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(style = %self.style, %error, "backend server task failed");
        }
    }
}

/// For the CLI: bind ADDR, serve until Ctrl-C / SIGTERM.
pub async fn run_until_signal(
    style: BackendStyle,
    addr: SocketAddr,
    credential: String,
    any_id: bool,
) -> Result<(), BackendError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| BackendError::Bind { addr, source })?;
    let backend = Backend::start_with(style, listener, credential, any_id).await?;
    wait_for_signal().await?;
    tracing::info!(%style, "signal received, shutting down");
    backend.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

fn spawn_server<D: Dialect>(
    listener: TcpListener,
    api: Api<D>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(serve(listener, Arc::new(api), stop))
}

/// Accepts until `stop` changes or its sender is dropped (the [`Backend`] handle went away),
/// then asks every connection to finish its current request and close.
async fn serve<D: Dialect>(
    listener: TcpListener,
    api: Arc<Api<D>>,
    mut stop: watch::Receiver<bool>,
) {
    let (close, close_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, UserApi { api: api.clone() }, close_rx.clone()));
                }
                Err(error) => {
                    // Usually EMFILE; back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    drop(close);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection<D: Dialect>(
    stream: TcpStream,
    service: UserApi<D>,
    mut close: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let hyper_service = hyper::service::service_fn(move |request| service.clone().oneshot(request));
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), hyper_service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        _ = close.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// The tower service behind every connection; cheap to clone (one `Arc`).
struct UserApi<D> {
    api: Arc<Api<D>>,
}

impl<D> Clone for UserApi<D> {
    fn clone(&self) -> Self {
        Self {
            api: self.api.clone(),
        }
    }
}

impl<D, B> tower::Service<Request<B>> for UserApi<D>
where
    D: Dialect,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let api = self.api.clone();
        Box::pin(async move { Ok(api.handle(request).await) })
    }
}
