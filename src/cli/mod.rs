//! The `dragoman` command line: one binary, six subcommands (README, "Commands"); their
//! names, flags and exit codes are a stable interface that scripts depend on.

pub mod check;
pub mod diff;
pub mod translate;

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "dragoman",
    version,
    about = "An API compatibility gateway for user-management APIs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log line format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormatArg::Text)]
    pub log_format: LogFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Request,
    Response,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the three reference backends and the gateway with the demo configuration.
    Demo,
    /// Run the gateway from a TOML config file.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Load and validate a config with its rules and schemas; print routes and what each loses.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
    /// Translate one JSON document, or NDJSON (one per line), between styles offline.
    Translate(translate::Args),
    /// Read users from two upstreams of a config and compare them on the fields both hold.
    Diff(diff::Args),
    /// Run one reference legacy backend.
    Backend {
        #[arg(long)]
        style: String,
        #[arg(long)]
        listen: SocketAddr,
        /// The credential clients must present; the style's demo credential by default.
        #[arg(long)]
        credential: Option<String>,
        /// Answer every well-formed user id, not only the seed users: an id that is not
        /// stored reads as the first seed user under that id (for load benches).
        #[arg(long)]
        any_id: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = crate::logging::init(cli.log_format == LogFormatArg::Json);
    match cli.command {
        Command::Demo => crate::server::run_demo(),
        Command::Serve { config } => crate::server::run_serve(&config),
        Command::Check { config } => check::run(&config),
        Command::Translate(args) => translate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Backend {
            style,
            listen,
            credential,
            any_id,
        } => run_backend(&style, listen, credential, any_id),
    }
}

fn run_backend(
    style: &str,
    listen: SocketAddr,
    credential: Option<String>,
    any_id: bool,
) -> ExitCode {
    let style: crate::backends::BackendStyle = match style.parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dragoman backend: {e}");
            return ExitCode::from(2);
        }
    };
    let credential = credential.unwrap_or_else(|| style.demo_credential().to_owned());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dragoman backend: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(crate::backends::run_until_signal(
        style, listen, credential, any_id,
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dragoman backend: {e}");
            ExitCode::FAILURE
        }
    }
}
