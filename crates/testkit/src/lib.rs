//! What Hearth's tests share: a fresh database per test on SQLite or PostgreSQL, skips that
//! say why (and fail under `HEARTH_REQUIRE_ALL=1`), and a small headless-Chromium driver.

mod browser;
mod database;

use std::io::Write as _;

pub use browser::{Browser, Page};
pub use database::{Engine, TestDatabase};

/// Whether CI asked for every test to run: then a missing dependency is a failure.
pub fn require_all() -> bool {
    std::env::var("HEARTH_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Reports a skipped test, or panics when `HEARTH_REQUIRE_ALL=1` forbids skipping.
pub fn skip(test: &str, reason: &str) {
    assert!(!require_all(), "{test}: cannot be skipped under HEARTH_REQUIRE_ALL=1: {reason}");
    // Written to the stderr handle, not with eprintln!, which the test harness captures and
    // hides for passing tests: a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
