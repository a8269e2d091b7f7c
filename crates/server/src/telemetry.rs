use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

/// Logs go to stderr (stdout carries the `listening on` line and the demo's logins), in
/// colour only when stderr is a terminal: a file or a log collector gets plain text.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second call (tests start many apps in one process) keeps the first subscriber.
    let _ = if settings.json { builder.json().try_init() } else { builder.try_init() };
}
