//! `tracing` output on Workers: each event becomes one console line at its level
//! (`console.error`, `warn`, `info`, …), which `wrangler tail` and the dashboard show. No
//! timestamps: the platform adds its own.

pub fn init() {
    let _ = tracing_subscriber::fmt()
        .with_writer(tracing_web::MakeWebConsoleWriter::new())
        .without_time()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
