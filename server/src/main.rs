//! `folio`: serves the site on one machine; `folio import <dir>` uploads a folder to a site;
//! `folio eval <questions.jsonl>` measures search relevance against a site; `folio
//! cloudflare-standin` answers Workers AI and Vectorize for the local Worker. `folio --help`.

use axum::serve::ListenerExt;
use clap::Parser as _;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;

use server::cli::{Cli, Command};
use server::config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A usage error prints clap's message and exits 2; --help prints and exits 0.
    match Cli::parse().command {
        None => serve(),
        // Blocking HTTP, no async runtime: the importer is a plain command-line program.
        Some(Command::Import(args)) => import::main(args),
        Some(Command::Eval(args)) => eval::main(args),
        Some(Command::CloudflareStandin(args)) => server::standin::main(args),
        // Not for people: the server runs each PDF conversion as this child (see child_converter).
        Some(Command::Convert(args)) => server::adapters::child_converter::main(args),
    }
}

/// How long shutdown waits for background tasks once requests are done. Ingest jobs are durable
/// (the next start resumes them from their leases) and enrichment is refreshed when next read, so
/// a task still running then is left rather than holding the process: a 300-page import's work
/// kept a stopped server up for minutes, past any supervisor's patience.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

fn serve() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("folio: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run());
    // A model call left on a blocking thread stops at its next token or slice; it does not
    // hold the exit either.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("folio: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    use anyhow::Context as _;
    let config = config::load()?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log).context("FOLIO_LOG is not a valid filter")?,
        )
        .init();
    // The workspace metadata, with LEPTOS_* environment variables layered on top.
    let leptos_options = leptos::config::get_config_from_str(app::http::WORKSPACE_MANIFEST)
        .context("the Leptos metadata in Cargo.toml is invalid")?;
    let addr = config.addr.unwrap_or(leptos_options.site_addr);
    let native = server::startup::build(&config, leptos_options).await?;
    native.start_sweeps();
    let listener = TcpListener::bind(addr).await.with_context(|| format!("could not listen on {addr}"))?;
    // Without TCP_NODELAY, streamed responses meet Nagle + delayed ACK: ~40 ms per request.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(%err, "could not set TCP_NODELAY");
        }
    });
    tracing::info!("Folio is serving http://{addr} (data in {})", config.data_dir.display());
    // The peer address reaches handlers for sign-in throttling (app::http::security::ClientIpSource).
    let service = native.router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("finishing background tasks (up to {SHUTDOWN_GRACE:?})");
    if tokio::time::timeout(SHUTDOWN_GRACE, native.tasks.wait_idle()).await.is_err() {
        tracing::warn!("background tasks still running are left: their jobs resume at the next start");
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, then background tasks for up
/// to [`SHUTDOWN_GRACE`].
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = async {
        match signal(SignalKind::terminate()) {
            Ok(mut term) => drop(term.recv().await),
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, () = terminate => {} }
}
