//! dragoman — an API compatibility gateway for user-management APIs.
//!
//! # Layout
//! - [`translate`]: the pure translation core (no I/O, no async): rules, canonical user,
//!   schemas, loss report.
//! - [`proxy`]: the data plane, a thin pingora adapter: route, call, respond.
//! - [`auth`]: where a request is authenticated and its scope checked.
//! - [`cache`]: the GET cache (moka).
//! - [`errors`]: every error the gateway answers with, rendered in the client's style.
//! - [`metrics`]: Prometheus metrics.
//! - [`backends`]: the reference legacy backends (hyper), one per shipped style.
//! - [`config`]: the TOML config, parsed and checked once into typed values.
//! - [`cli`]: the `dragoman` subcommands.
//! - [`server`]: assembling and running the gateway (pingora) and the demo.
//! - [`assets`]: the `rules/` and `schemas/` files embedded in the binary.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod backends;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod errors;
pub mod logging;
pub mod metrics;
pub mod proxy;
pub mod server;
pub mod translate;
