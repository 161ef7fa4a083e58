//! The floor a pingora-based gateway stands on, for the load bench (benches/load.sh): pingora
//! 0.9 with nothing of ours on the request path, one worker thread, no log.
//!
//! ```sh
//! bare_pingora fixed 127.0.0.1:PORT            # answers a fixed camel user from request_filter
//! bare_pingora proxy 127.0.0.1:PORT BACKEND    # plain proxy_pass to BACKEND (ip:port), no hooks
//! ```
//!
//! `fixed` is the least a cache hit can cost on pingora (read a request, write a response);
//! `proxy` the least a translated GET can cost (one pooled upstream exchange, bytes passed on).

use async_trait::async_trait;
use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;
use std::net::SocketAddr;

const USER: &str = r#"{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"john.doe@company.com","firstName":"John","lastName":"Doe","status":"active","type":"member","roles":[{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","name":"billing_manager","description":"Manages billing, invoices and payment methods"}],"createdAt":"2024-01-15T10:30:00Z","updatedAt":"2024-01-15T10:30:00Z","isService":false}"#;

struct Fixed;

#[async_trait]
impl ProxyHttp for Fixed {
    type CTX = ();
    fn new_ctx(&self) {}

    async fn request_filter(&self, session: &mut Session, _ctx: &mut ()) -> Result<bool> {
        let mut resp = ResponseHeader::build(200, Some(2))?;
        resp.insert_header("content-type", "application/json")?;
        resp.insert_header("content-length", USER.len())?;
        session.write_response_header(Box::new(resp), false).await?;
        session
            .write_response_body(Some(Bytes::from_static(USER.as_bytes())), true)
            .await?;
        Ok(true)
    }

    async fn upstream_peer(&self, _s: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Error::e_explain(InternalError, "every request is answered in request_filter")
    }
}

struct Proxy(SocketAddr);

#[async_trait]
impl ProxyHttp for Proxy {
    type CTX = ();
    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _s: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.0, false, String::new())))
    }
}

fn serve<P>(proxy: P, listen: &str) -> !
where
    P: ProxyHttp + Send + Sync + 'static,
    P::CTX: Send + Sync,
{
    let conf = ServerConf {
        threads: 1,
        // Stop at once on SIGTERM (pingora's default grace is a minute): the bench stops it
        // right after its rows.
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut service = http_proxy_service(&server.configuration, proxy);
    service.add_tcp(listen);
    service.threads = Some(1);
    server.add_service(service);
    server.run_forever()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fixed", listen] => serve(Fixed, listen),
        ["proxy", listen, backend] => match backend.parse() {
            Ok(addr) => serve(Proxy(addr), listen),
            Err(e) => {
                eprintln!("bare_pingora: backend {backend}: {e}");
                std::process::exit(2)
            }
        },
        _ => {
            eprintln!("usage: bare_pingora fixed LISTEN | bare_pingora proxy LISTEN BACKEND");
            std::process::exit(2)
        }
    }
}
