//! Bulk loading straight into the tables, for benchmarks and the demo practice at scale:
//! multi-row `INSERT`s of SQL literals, all of one table in one transaction. The values are
//! the loader's own numbers and fixed strings, never input.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hearth_store::Db;

/// Rows per multi-row `INSERT`.
pub(crate) const BATCH_ROWS: usize = 1000;

/// Inserts `count` rows, [`BATCH_ROWS`] to a statement, all in one transaction.
/// `row(i)` gives the parenthesised values of row `i`, as SQL literals; the first error it
/// returns rolls the whole table back.
pub(crate) async fn execute_batches(
    db: &Db,
    insert: &str,
    count: usize,
    row: impl Fn(usize) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let statement = |from: usize| -> anyhow::Result<String> {
        let mut sql = insert.to_owned();
        for i in from..(from + BATCH_ROWS).min(count) {
            if i > from {
                sql.push(',');
            }
            sql.push_str(&row(i)?);
        }
        Ok(sql)
    };
    let mut inserted = 0;
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            for from in (0..count).step_by(BATCH_ROWS) {
                let sql = statement(from)?;
                inserted += sqlx::raw_sql(&sql).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            for from in (0..count).step_by(BATCH_ROWS) {
                let sql = statement(from)?;
                inserted += sqlx::raw_sql(&sql).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
        }
    }
    anyhow::ensure!(
        usize::try_from(inserted).is_ok_and(|n| n == count),
        "inserted {inserted} rows, not {count}"
    );
    Ok(())
}

/// A string as an SQL literal (quotes doubled).
pub(crate) fn text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// An optional string as an SQL literal, or `NULL`.
pub(crate) fn text_or_null(value: Option<&str>) -> String {
    value.map_or_else(|| "NULL".to_owned(), text)
}

/// A time as an SQL literal, written as sqlx writes it to SQLite (RFC 3339; PostgreSQL reads
/// the same text as a `TIMESTAMPTZ`).
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    format!("'{}'", at.to_rfc3339_opts(SecondsFormat::AutoSi, false))
}

/// A date as an SQL literal (`YYYY-MM-DD` on both engines).
pub(crate) fn date(on: NaiveDate) -> String {
    format!("'{}'", on.format("%F"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_as_both_engines_read_them() {
        assert_eq!(text("O'Brien"), "'O''Brien'");
        assert_eq!(text_or_null(None), "NULL");
        let at: DateTime<Utc> = "2025-01-06T15:00:00Z".parse().expect("a time");
        assert_eq!(stamp(at), "'2025-01-06T15:00:00+00:00'");
        assert_eq!(date(at.date_naive()), "'2025-01-06'");
    }
}
