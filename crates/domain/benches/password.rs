//! What one strength check (`Password::parse_new`) costs, against baselines measured in the
//! same run: one argon2id hash at the production parameters (19 MiB, t=2, p=1), which every
//! sign-up and login already pays, and the old policy's check alone (the common-list lookup).
//!
//! `cargo bench -p hearth-domain --bench password` prints criterion's timings, then a quick
//! interleaved timing of each against the hash: `password check: ... ratio X`, where X = check
//! / hash, and zxcvbn's time on the worst input without Hearth's cap. Only ratios compare
//! across machines.

use argon2::{Algorithm, Argon2, Params, Version};
use criterion::Criterion;
use hearth_domain::{Password, PasswordContext, is_common};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CONTEXT: PasswordContext<'static> =
    PasswordContext { email: Some("sam.lee@example.org"), display_name: Some("Sam Lee") };
const PASSPHRASE: &str = "otter pancake jupiter";
/// Eight different look-alike characters ("1" and "|" read as i or l, "7" as l or t, ...)
/// between keyboard letters: the slowest input found for the capped check.
const LOOK_ALIKE_MIX: &str = "1!|7+5$9qwerty";
/// Every look-alike zxcvbn knows, then letters: the slowest found for zxcvbn without the cap.
const LOOK_ALIKE_SOUP: &str = "4@8({[<369!1|70$5+%2abcdefghijklmnop";
const SALT: &[u8] = b"sixteen byte salt";
/// Samples per case in the final lines.
const RATIO_SAMPLES: usize = 11;

fn chars_128(unit: &str) -> String {
    unit.repeat(128 / unit.len() + 1).chars().take(128).collect()
}

fn argon2id() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash(hasher: &Argon2<'_>, password: &str) -> [u8; 32] {
    let mut out = [0; 32];
    hasher.hash_password_into(password.as_bytes(), SALT, &mut out).expect("argon2 hashes");
    out
}

fn check(raw: &str) -> bool {
    Password::parse_new(black_box(raw), &CONTEXT).is_ok()
}

fn criterion_benches(c: &mut Criterion, inputs: &[(&str, String)], argon: &Argon2<'_>) {
    let mut group = c.benchmark_group("password_policy");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for (name, raw) in inputs {
        group.bench_function(format!("parse_new/{name}"), |b| b.iter(|| check(raw)));
    }
    group.bench_function("common_list_lookup", |b| b.iter(|| is_common(black_box(PASSPHRASE))));
    group.bench_function("argon2id_19mib_t2_p1", |b| b.iter(|| hash(argon, black_box(PASSPHRASE))));
    group.finish();
}

fn millis(run: impl Fn()) -> f64 {
    let started = Instant::now();
    run();
    started.elapsed().as_secs_f64() * 1000.0
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Each case and the hash sampled alternately, so drifts in machine load hit both alike.
fn ratio_lines(inputs: &[(&str, String)], argon: &Argon2<'_>) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut checks = vec![Vec::new(); inputs.len()];
    let mut lookups = Vec::new();
    for _ in 0..RATIO_SAMPLES {
        hashes.push(millis(|| {
            black_box(hash(argon, PASSPHRASE));
        }));
        for ((_, raw), times) in inputs.iter().zip(&mut checks) {
            times.push(millis(|| {
                black_box(check(raw));
            }));
        }
        // One lookup is far below the clock's grain: time a thousand.
        lookups.push(
            millis(|| (0..1000).for_each(|_| assert!(!is_common(black_box(PASSPHRASE))))) / 1000.0,
        );
    }
    let hash_ms = median(hashes);
    let mut lines = vec![format!(
        "argon2id hash (19 MiB, t=2, p=1): {hash_ms:.2} ms; common-list lookup alone: {:.2} µs",
        median(lookups) * 1000.0
    )];
    for ((name, raw), times) in inputs.iter().zip(checks) {
        let ms = median(times);
        lines.push(format!(
            "password check, {name} ({} chars, {}): {ms:.3} ms, ratio to one hash {:.3}",
            raw.chars().count(),
            if check(raw) { "accepted" } else { "refused" },
            ms / hash_ms
        ));
    }
    for (name, raw) in inputs.iter().filter(|(name, _)| name.contains("look-alike")) {
        let uncapped = millis(|| {
            black_box(zxcvbn::zxcvbn(raw, &[]));
        });
        lines.push(format!(
            "without the cap, one zxcvbn call on the {name} (it reads 100 chars): {uncapped:.0} ms"
        ));
    }
    lines
}

fn main() {
    let passphrase_128: String = chars_128("lantern orchard violet copper kettle meadow ");
    let inputs = [
        ("typical passphrase", PASSPHRASE.to_owned()),
        ("128-char passphrase", passphrase_128),
        ("128-char look-alike mix", chars_128(LOOK_ALIKE_MIX)),
        ("128-char look-alike soup", chars_128(LOOK_ALIKE_SOUP)),
    ];
    let hasher = argon2id();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &inputs, &hasher);
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` runs each routine once, without it.
    if std::env::args().any(|arg| arg == "--bench") {
        for line in ratio_lines(&inputs, &hasher) {
            println!("{line}");
        }
    }
}
