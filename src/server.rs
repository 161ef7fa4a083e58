//! Assembles the gateway — the pingora proxy service and the admin service over one
//! config — runs it until told to stop, and runs the demo.
//!
//! Stopping: on SIGINT/SIGTERM (or the handle's `stop`), the gateway waits for requests in
//! progress to finish, for at most `grace_period_secs`, then shuts pingora down. Pingora's
//! own grace period is not used: it always waits its full length, even when idle.

use crate::admin::Admin;
use crate::backends::{Backend, BackendStyle};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::proxy::deadline::HeadDeadline;
use crate::proxy::Gateway;
use async_trait::async_trait;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server, ShutdownSignal, ShutdownSignalWatch};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits for SIGINT/SIGTERM, then for the requests in progress (at most the grace period).
struct Stop {
    inflight: Arc<AtomicUsize>,
    grace: Duration,
}

async fn os_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[async_trait]
impl ShutdownSignalWatch for Stop {
    async fn recv(&self) -> ShutdownSignal {
        os_signal().await;
        tracing::info!(
            "stopping: waiting for requests in progress (at most {:?})",
            self.grace
        );
        let deadline = Instant::now() + self.grace;
        while self.inflight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Not a fast shutdown: that stops the runtimes with pingora's accept loops still
        // running (see `build`). Pingora's own grace period is 0, so this waits no longer.
        ShutdownSignal::GracefulTerminate
    }
}

/// Why the gateway (or the demo) could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("cannot start the gateway thread: {0}")]
    Thread(std::io::Error),
    #[error("the gateway thread died while starting")]
    DiedStarting,
    #[error("cannot listen on {addr}: {error}")]
    Listen { addr: String, error: std::io::Error },
    #[error(transparent)]
    Backend(#[from] crate::backends::BackendError),
}

fn build(config: Arc<Config>, stop: Stop) -> Result<(Server, RunArgs), ServerError> {
    let conf = ServerConf {
        threads: config.threads,
        // Per-thread runtimes (one current-thread tokio runtime per worker; 8-12% faster
        // than work stealing). They once made a stop hang (1 in 4 under load): a quick
        // shutdown stopped the runtimes while pingora's accept loop still ran, and the loop,
        // answered "runtime is being shut down" by every accept, never yielded to let its
        // runtime finish. `Stop` asks for a graceful terminate instead, which has pingora tell
        // every accept loop and kept-alive connection to end before the runtimes stop.
        work_stealing: false,
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        upstream_keepalive_pool_size: 256,
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let metrics = Arc::new(Metrics::new()?);
    let cache = crate::cache::for_config(&config);
    let gateway = Gateway::new(
        config.clone(),
        cache.clone(),
        metrics.clone(),
        stop.inflight.clone(),
    );
    let mut proxy = pingora::proxy::HttpProxy::new(gateway, server.configuration.clone());
    proxy.handle_init_modules();
    let app = HeadDeadline {
        inner: Arc::new(proxy),
        deadline: config.limits.header_timeout,
        max_head: config.limits.max_header_bytes,
    };
    let mut proxy_service = pingora::services::listening::Service::new("dragoman".into(), app);
    proxy_service.add_tcp(&config.listen.to_string());
    proxy_service.threads = Some(config.threads);
    let admin = Admin {
        config: config.clone(),
        metrics,
        cache,
    };
    let mut admin_service =
        pingora::services::listening::Service::new("dragoman-admin".into(), admin);
    admin_service.add_tcp(&config.admin_listen.to_string());
    admin_service.threads = Some(1);
    server.add_service(proxy_service);
    server.add_service(admin_service);
    Ok((
        server,
        RunArgs {
            shutdown_signal: Box::new(stop),
        },
    ))
}

/// Runs the gateway in this thread until SIGINT/SIGTERM.
fn run_until_signal(config: Arc<Config>) -> Result<(), ServerError> {
    let stop = Stop {
        inflight: Arc::new(AtomicUsize::new(0)),
        grace: config.grace_period,
    };
    let (server, args) = build(config, stop)?;
    server.run(args);
    Ok(())
}

/// `dragoman serve --config FILE`.
pub fn run_serve(path: &Path) -> ExitCode {
    let config = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(listen = %config.listen, admin = %config.admin_listen, routes = config.routes.len(), "dragoman serving");
    match run_until_signal(Arc::new(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dragoman serve: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The embedded demo configuration (also `examples/demo.toml`).
pub const DEMO_CONFIG: &str = include_str!("../examples/demo.toml");

/// `dragoman demo`: the three reference backends and the gateway in one process.
pub fn run_demo() -> ExitCode {
    let config = match Config::from_str(
        "examples/demo.toml (embedded)",
        DEMO_CONFIG,
        Path::new("."),
        &|_| None,
    ) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprint!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dragoman demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let backends = rt.block_on(async {
        let mut started = Vec::new();
        for (style, port) in [
            (BackendStyle::Envelope, 9101),
            (BackendStyle::Camel, 9102),
            (BackendStyle::Snake, 9103),
        ] {
            let addr = format!("127.0.0.1:{port}");
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .map_err(|error| ServerError::Listen {
                    addr: addr.clone(),
                    error,
                })?;
            let backend =
                Backend::start(style, listener, style.demo_credential().to_owned()).await?;
            started.push(backend);
        }
        Ok::<_, ServerError>(started)
    });
    let backends = match backends {
        Ok(b) => b,
        Err(e) => {
            eprintln!("dragoman demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", demo_banner(&config));
    let result = run_until_signal(config);
    rt.block_on(async {
        for b in backends {
            b.shutdown().await;
        }
    });
    match result {
        Ok(()) => {
            println!("dragoman demo stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dragoman demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo_banner(config: &Config) -> String {
    let gw = config.listen;
    let admin = config.admin_listen;
    let john = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    format!(
        r#"dragoman demo: gateway on http://{gw}, admin on http://{admin}
backends: envelope http://127.0.0.1:9101, camel http://127.0.0.1:9102, snake http://127.0.0.1:9103

# envelope client -> camel backend
curl -s -H 'Authorization: Bearer in-demo-admin' http://{gw}/v1/users/user_{john}
curl -s -X PUT -H 'Authorization: Bearer in-demo-admin' -H 'Content-Type: application/json' \
  -d '{{"name":"John Smith","status":"active"}}' http://{gw}/v1/users/user_{john}

# camel client -> snake backend
curl -s -H 'Authorization: Bearer in-demo-admin' http://{gw}/api/users/{john}
curl -s -X PUT -H 'Authorization: Bearer in-demo-admin' -H 'Content-Type: application/json' \
  -d '{{"firstName":"Johnny","lastName":"Doe","type":"member"}}' http://{gw}/api/users/{john}

# snake client -> envelope backend
curl -s 'http://{gw}/api/v1/user/{john}?api_key=in-demo-admin'
curl -s -X PUT -H 'Content-Type: application/json' -d '{{"phone":"+14155550199"}}' \
  'http://{gw}/api/v1/user/{john}?api_key=in-demo-reader'      # 403: the reader key cannot write

# the backends directly, with their own credentials
curl -s -H 'Authorization: Bearer demo-camel-backend' http://127.0.0.1:9102/api/users/{john}
curl -s http://127.0.0.1:9103/__stats

# admin
curl -s http://{admin}/healthz ; curl -s http://{admin}/metrics | grep dragoman_requests_total
Press Ctrl-C to stop."#
    )
}
