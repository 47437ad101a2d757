//! `tracing` output on Workers: each event becomes one `console.log` line, which `wrangler tail`
//! and the dashboard show. No timestamps: the platform adds its own.

use std::io::Write;

struct ConsoleLine(Vec<u8>);

impl Write for ConsoleLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ConsoleLine {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.0);
        let line = line.trim_end();
        if !line.is_empty() {
            worker::console_log!("{line}");
        }
    }
}

pub fn init() {
    let _ = tracing_subscriber::fmt()
        .with_writer(|| ConsoleLine(Vec::new()))
        .without_time()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
