//! Logging with `tracing`: text or JSON per `log.format`, filtered by `log.level`, on standard error (standard
//! output is kept for what the CLI prints).

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

pub fn init(config: &LogConfig) {
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, never escape codes in a file or a log collector.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // A second init (tests) keeps the first subscriber.
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        // One object per line; the request's span (cid, route, tenant) as `span`.
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
    };
}
