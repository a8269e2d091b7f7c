//! `hearth bench seal`: what sealing and opening one value costs.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_store::Db;
use std::fmt;
use std::time::Instant;

use super::{median, on_scratch};

/// A measure's sealed record as the app writes it (`app/sealed_fields.rs`): a PHQ-9 of 20
/// with item 9 answered.
const SEAL_BENCH_RECORD: &str = r#"{"answers":[3,2,3,1,2,3,1,2,3],"total":20,"severity":"severe","subscales":[],"risk":"self-harm-thoughts"}"#;
/// Operations per timed batch of `hearth bench seal`, and batches (the median is printed).
const SEAL_BENCH_OPS: u32 = 20_000;
const SEAL_BENCH_BATCHES: usize = 11;

/// What `hearth bench seal` measured: nanoseconds per operation, medians over batches.
#[derive(Clone, Debug)]
pub struct SealBench {
    /// The baseline: reading one measure row by id through the pool (SQLite, warm cache).
    pub row_read_ns: f64,
    /// Parsing the plain record, what a read costs with nothing sealed.
    pub parse_ns: f64,
    /// (what, ns per operation).
    pub costs: Vec<(&'static str, f64)>,
}

impl fmt::Display for SealBench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seal: baseline: read one measure row by id {:.2} µs; parse the plain record {:.2} µs",
            self.row_read_ns / 1000.0,
            self.parse_ns / 1000.0
        )?;
        for (what, ns) in &self.costs {
            writeln!(
                f,
                "seal: {what}: {:.2} µs, ratio to the row read {:.2}",
                ns / 1000.0,
                ns / self.row_read_ns
            )?;
        }
        Ok(())
    }
}

/// Times one `op` over [`SEAL_BENCH_OPS`] calls in [`SEAL_BENCH_BATCHES`] batches; ns per call.
fn time_per_op(mut op: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut batches = Vec::with_capacity(SEAL_BENCH_BATCHES);
    for _ in 0..SEAL_BENCH_BATCHES {
        let started = Instant::now();
        for _ in 0..SEAL_BENCH_OPS {
            op()?;
        }
        batches.push(started.elapsed());
    }
    Ok(median(batches).as_secs_f64() * 1e9 / f64::from(SEAL_BENCH_OPS))
}

/// `hearth bench seal`: what sealing and opening one value costs (a measure's record, its
/// total alone, a risk level, a birth date), against reading one row by id from SQLite in
/// the same run.
pub async fn seal() -> anyhow::Result<SealBench> {
    #[derive(serde::Deserialize)]
    struct Total {
        total: Option<i32>,
    }
    let vault =
        hearth_app::Vault::from_config(&[hearth_app::Vault::generate_key("bench")], "bench")
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_record =
        vault.seal(SEAL_BENCH_RECORD, "measure:1").map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_level = vault
        .seal("self_harm_thoughts", "risk_flag_level:1")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sealed_birth =
        vault.seal("1987-11-23", "birth_date:user:1").map_err(|e| anyhow::anyhow!("{e}"))?;
    let open = |sealed: &str, context: &str| {
        vault.open(sealed, context).map_err(|e| anyhow::anyhow!("{e}"))
    };
    let parse_ns = time_per_op(|| {
        let v: serde_json::Value = serde_json::from_str(SEAL_BENCH_RECORD)?;
        std::hint::black_box(v);
        Ok(())
    })?;
    let costs = vec![
        (
            "seal a measure record (JSON, 105 bytes)",
            time_per_op(|| {
                std::hint::black_box(
                    vault
                        .seal(SEAL_BENCH_RECORD, "measure:1")
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            })?,
        ),
        (
            "open a measure record and parse it whole",
            time_per_op(|| {
                let v: serde_json::Value =
                    serde_json::from_str(&open(&sealed_record, "measure:1")?)?;
                std::hint::black_box(v);
                Ok(())
            })?,
        ),
        (
            "open a measure record for its total (the outcome report)",
            time_per_op(|| {
                let t: Total = serde_json::from_str(&open(&sealed_record, "measure:1")?)?;
                std::hint::black_box(t.total);
                Ok(())
            })?,
        ),
        (
            "seal a risk level",
            time_per_op(|| {
                std::hint::black_box(
                    vault
                        .seal("self_harm_thoughts", "risk_flag_level:1")
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                Ok(())
            })?,
        ),
        (
            "open a risk level",
            time_per_op(|| {
                std::hint::black_box(open(&sealed_level, "risk_flag_level:1")?);
                Ok(())
            })?,
        ),
        (
            "open a birth date and parse it",
            time_per_op(|| {
                let day: NaiveDate = open(&sealed_birth, "birth_date:user:1")?.parse()?;
                std::hint::black_box(day);
                Ok(())
            })?,
        ),
    ];
    let row_read_ns = row_read_ns(&sealed_record).await?;
    Ok(SealBench { row_read_ns, parse_ns, costs })
}

/// The baseline of `hearth bench seal`: reading one measure row by id through the pool, on a
/// scratch SQLite file with the page cached; ns per read.
async fn row_read_ns(sealed_record: &str) -> anyhow::Result<f64> {
    let sealed_record = sealed_record.to_owned();
    on_scratch(None, |db| async move {
        db.migrate().await?;
        let Db::Sqlite(pool) = &db else { anyhow::bail!("the scratch database is SQLite") };
        sqlx::query(
            "INSERT INTO users (email, email_normalized, password_hash, role, display_name, timezone, created_at) \
             VALUES ('a@b.example', 'a@b.example', 'x', 'client', 'A', 'UTC', '2027-01-01T00:00:00Z')",
        )
        .execute(pool)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO measures (client_id, instrument, taken_at, sealed) \
             VALUES (1, 'phq9', '2027-01-01T00:00:00Z', $1) RETURNING id",
        )
        .bind(&sealed_record)
        .fetch_one(pool)
        .await?;
        let ops = SEAL_BENCH_OPS / 10;
        let mut batches = Vec::with_capacity(SEAL_BENCH_BATCHES);
        for _ in 0..SEAL_BENCH_BATCHES {
            let started = Instant::now();
            for _ in 0..ops {
                let row: (i64, String, Option<String>, DateTime<Utc>) = sqlx::query_as(
                    "SELECT client_id, instrument, sealed, taken_at FROM measures WHERE id = $1",
                )
                .bind(id)
                .fetch_one(pool)
                .await?;
                std::hint::black_box(row);
            }
            batches.push(started.elapsed());
        }
        Ok(median(batches).as_secs_f64() * 1e9 / f64::from(ops))
    })
    .await
}
