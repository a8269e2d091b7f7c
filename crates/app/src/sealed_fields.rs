//! Clinical and personal fields sealed at rest like free text (ARCHITECTURE.md, "Encryption
//! at rest"): a measure's answers and scores, a risk flag's level, a birth date, a consult
//! call's phone number. Each is sealed for its row (the row's identity is the associated
//! data), opened here on read, and never compared or sorted by the database.
//!
//! Rows an earlier version wrote plain are sealed once at start-up by
//! [`App::seal_plain_fields`], which is idempotent and can be interrupted at any point.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::{Answers, BirthDate, InstrumentId, Risk, RiskLevel, Score, User, UserId};
use hearth_store::{
    AuditRecord, NewMeasure, PlainMeasureRow, SEAL_BATCH, SealForRow, SealedMeasure, StoredMeasure,
    StoredRiskFlag, StoredTotal,
};
use serde::{Deserialize, Serialize};

use crate::{App, AppResult, Vault};

/// A measure as read, its sealed record opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureRow {
    pub id: i64,
    pub client_id: i64,
    pub instrument: InstrumentId,
    /// The answers as given, in item order (JSON array).
    pub answers: String,
    pub total: Option<i32>,
    pub severity: Option<String>,
    /// Subscale scores (JSON array of {slug, score, band}).
    pub subscales: String,
    /// The flag the answers raised, if any.
    pub risk: Option<RiskLevel>,
    pub taken_at: DateTime<Utc>,
}

/// A risk flag as read, its level opened (the disposition stays sealed here; the queue opens
/// it for the people who handle the flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskFlagRow {
    pub id: i64,
    pub client_id: i64,
    pub measure_id: i64,
    pub level: RiskLevel,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Sealed by the vault.
    pub disposition: Option<String>,
}

/// What a measure's sealed value holds: everything answered and scored.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MeasureRecord {
    answers: Vec<u8>,
    total: Option<i32>,
    severity: Option<String>,
    subscales: serde_json::Value,
    risk: String,
}

/// An opened total: (client, instrument, total, taken at).
pub(crate) type OpenedTotal = (i64, String, i32, DateTime<Utc>);

/// Reports open totals on blocking threads, one chunk per core, once there are this many.
const PARALLEL_OPEN_MIN: usize = 4096;

/// How many rows [`App::seal_plain_fields`] sealed, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SealedCounts {
    pub measures: u64,
    pub risk_levels: u64,
    pub birth_dates: u64,
    pub phones: u64,
}

impl SealedCounts {
    pub fn total(&self) -> u64 {
        self.measures + self.risk_levels + self.birth_dates + self.phones
    }
}

fn measure_context(id: i64) -> String {
    format!("measure:{id}")
}

fn measure_total_context(id: i64) -> String {
    format!("measure_total:{id}")
}

pub(crate) fn risk_level_context(flag: i64) -> String {
    format!("risk_flag_level:{flag}")
}

pub(crate) fn birth_date_context(user: i64) -> String {
    format!("birth_date:user:{user}")
}

fn phone_context(client: i64) -> String {
    format!("consult_phone:client:{client}")
}

/// The flag a risk raises, by its stored level.
pub(crate) fn flag_level(risk: Risk) -> Option<&'static str> {
    RiskLevel::of(risk).map(RiskLevel::as_str)
}

pub(crate) fn vault_error(what: &str, err: &crate::VaultError) -> anyhow::Error {
    anyhow::anyhow!("{what}: {err}")
}

/// A measure's sealed record and, when it has one, its total sealed on its own.
pub(crate) fn seal_record(
    vault: &Vault,
    id: i64,
    record: &MeasureRecord,
) -> anyhow::Result<(String, Option<String>)> {
    let json = serde_json::to_string(record)?;
    let sealed = vault
        .seal(&json, &measure_context(id))
        .map_err(|e| vault_error("sealing a measure", &e))?;
    let total = record
        .total
        .map(|total| vault.seal(&total.to_string(), &measure_total_context(id)))
        .transpose()
        .map_err(|e| vault_error("sealing a total", &e))?;
    Ok((sealed, total))
}

/// A client's answers scored, with the record sealed for them.
pub(crate) fn measure_record(answers: &Answers) -> (Score, MeasureRecord) {
    let score = answers.score();
    let subscales: Vec<serde_json::Value> = score
        .subscales
        .iter()
        .map(|s| serde_json::json!({"slug": s.slug, "score": s.score, "band": s.band.slug}))
        .collect();
    let record = MeasureRecord {
        answers: answers.values().to_vec(),
        total: score.total,
        severity: score.band.map(|b| b.slug.to_owned()),
        subscales: subscales.into(),
        risk: score.risk.slug().to_owned(),
    };
    (score, record)
}

/// Opens the totals of `rows`.
fn open_total_chunk(vault: &Vault, rows: Vec<StoredTotal>) -> anyhow::Result<Vec<OpenedTotal>> {
    rows.into_iter()
        .map(|row| {
            let sealed = row.total_sealed.as_deref().ok_or_else(|| {
                anyhow::anyhow!("measure {} has no sealed total (start-up seals it)", row.id)
            })?;
            let total = vault
                .open(sealed, &measure_total_context(row.id))
                .map_err(|e| vault_error("opening a total", &e))?
                .parse()
                .map_err(|e| anyhow::anyhow!("measure {} holds a malformed total: {e}", row.id))?;
            Ok((row.client_id, row.instrument, total, row.taken_at))
        })
        .collect()
}

impl App {
    /// Stores a client's scored answers, sealed: the measure and, when the answers signal
    /// risk, its flag, in one transaction with `record` (given the measure's id and the
    /// flag's). No authorisation: the use case is [`App::submit_measure`]; the demo seed
    /// calls this directly, with no audit row.
    pub async fn record_measure(
        &self,
        client: UserId,
        answers: &Answers,
        taken_at: DateTime<Utc>,
        record: AuditRecord<'_, (i64, Option<i64>)>,
    ) -> AppResult<(Score, i64, Option<i64>)> {
        let (score, sealed_record) = measure_record(answers);
        let level = flag_level(score.risk);
        let measure = NewMeasure {
            client_id: client,
            instrument: score.instrument.slug(),
            taken_at,
            raises_flag: level.is_some(),
        };
        let vault = &self.vault;
        let (id, flag) = self
            .db
            .insert_measure(
                &measure,
                |id, flag| {
                    let flag_level = match (flag, level) {
                        (Some(flag), Some(level)) => Some(
                            vault
                                .seal(level, &risk_level_context(flag))
                                .map_err(|e| vault_error("sealing a risk level", &e))?,
                        ),
                        _ => None,
                    };
                    let (record, total) = seal_record(vault, id, &sealed_record)?;
                    Ok(SealedMeasure { record, total, flag_level })
                },
                record,
            )
            .await?;
        // The staff's lists of missed check-ins may name this client: make them anew.
        self.overdue_cache.clear();
        Ok((score, id, flag))
    }

    /// Opens a stored measure.
    pub(crate) fn open_measure(&self, row: &StoredMeasure) -> AppResult<MeasureRow> {
        let record: MeasureRecord = serde_json::from_str(&self.open_measure_json(row)?)
            .map_err(|e| anyhow::anyhow!("measure {} holds a malformed record: {e}", row.id))?;
        let corrupt = |what: String| anyhow::anyhow!("measure {} holds {what}", row.id);
        Ok(MeasureRow {
            id: row.id,
            client_id: row.client_id,
            instrument: InstrumentId::parse(&row.instrument)
                .ok_or_else(|| corrupt(format!("an unknown instrument {:?}", row.instrument)))?,
            answers: serde_json::to_string(&record.answers).map_err(anyhow::Error::from)?,
            total: record.total,
            severity: record.severity,
            subscales: record.subscales.to_string(),
            risk: RiskLevel::from_risk_slug(&record.risk).map_err(|e| corrupt(e.to_string()))?,
            taken_at: row.taken_at,
        })
    }

    /// Opens the totals of many rows (the outcome report reads every PHQ-9 and GAD-7 in
    /// scope): (client, instrument, total, taken at), in the rows' order. A large batch is
    /// opened on blocking threads, one chunk per core, so it neither holds up the async
    /// workers nor runs on one core (BENCHMARKS.md, "Sealed clinical fields").
    pub(crate) async fn open_totals(
        &self,
        mut rows: Vec<StoredTotal>,
    ) -> AppResult<Vec<OpenedTotal>> {
        if rows.len() < PARALLEL_OPEN_MIN {
            return Ok(open_total_chunk(&self.vault, rows)?);
        }
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let chunk = rows.len().div_ceil(cores).max(PARALLEL_OPEN_MIN);
        let mut tasks = Vec::with_capacity(cores);
        while !rows.is_empty() {
            let rest = rows.split_off(chunk.min(rows.len()));
            let part = std::mem::replace(&mut rows, rest);
            let vault = self.vault.clone();
            tasks.push(tokio::task::spawn_blocking(move || open_total_chunk(&vault, part)));
        }
        let mut opened = Vec::new();
        for task in tasks {
            opened.extend(task.await.map_err(anyhow::Error::from)??);
        }
        Ok(opened)
    }

    fn open_measure_json(&self, row: &StoredMeasure) -> AppResult<String> {
        let sealed = row.sealed.as_deref().ok_or_else(|| {
            anyhow::anyhow!("measure {} is not sealed yet (start-up seals it)", row.id)
        })?;
        Ok(self
            .vault
            .open(sealed, &measure_context(row.id))
            .map_err(|e| vault_error("opening a measure", &e))?)
    }

    /// A client's measures from the store, opened, oldest first (no authorisation).
    pub(crate) async fn opened_measures(
        &self,
        client: UserId,
        instrument: Option<&str>,
    ) -> AppResult<Vec<MeasureRow>> {
        self.db
            .list_measures(client, instrument)
            .await?
            .into_iter()
            .map(|row| self.open_measure(&row))
            .collect()
    }

    /// Opens a stored risk flag's level.
    pub(crate) fn open_risk_flag(&self, row: StoredRiskFlag) -> AppResult<RiskFlagRow> {
        Ok(RiskFlagRow {
            level: self.risk_flag_level(&row)?,
            id: row.id,
            client_id: row.client_id,
            measure_id: row.measure_id,
            raised_at: row.raised_at,
            acknowledged_by: row.acknowledged_by,
            acknowledged_at: row.acknowledged_at,
            disposition: row.disposition,
        })
    }

    /// A stored risk flag's level, opened.
    pub(crate) fn risk_flag_level(&self, row: &StoredRiskFlag) -> AppResult<RiskLevel> {
        let sealed = row.level_sealed.as_deref().ok_or_else(|| {
            anyhow::anyhow!("risk flag {} is not sealed yet (start-up seals it)", row.id)
        })?;
        let level = self
            .vault
            .open(sealed, &risk_level_context(row.id))
            .map_err(|e| vault_error("opening a risk level", &e))?;
        Ok(RiskLevel::parse(&level)
            .map_err(|e| anyhow::anyhow!("risk flag {} holds an {e}", row.id))?)
    }

    /// Seals a new account's birth date once the account's id is known.
    pub fn seal_birth_date(&self, birth_date: BirthDate) -> SealForRow {
        let vault = self.vault.clone();
        let date = birth_date.date().to_string();
        SealForRow::new(move |id| {
            vault
                .seal(&date, &birth_date_context(id))
                .map_err(|e| vault_error("sealing a birth date", &e))
        })
    }

    /// The account's birth date, opened.
    pub(crate) fn birth_date(&self, user: &User) -> AppResult<Option<NaiveDate>> {
        let Some(sealed) = &user.birth_date_sealed else { return Ok(None) };
        let text = self
            .vault
            .open(sealed, &birth_date_context(user.id.get()))
            .map_err(|e| vault_error("opening a birth date", &e))?;
        let date = text.parse().map_err(|e| {
            anyhow::anyhow!("account {} holds a malformed birth date: {e}", user.id)
        })?;
        Ok(Some(date))
    }

    /// Seals a phone number a client gives for a consult call.
    pub(crate) fn seal_phone(&self, client: UserId, phone: &str) -> AppResult<String> {
        Ok(self
            .vault
            .seal(phone, &phone_context(client.get()))
            .map_err(|e| vault_error("sealing a phone number", &e))?)
    }

    /// Opens a consult call's phone number.
    pub(crate) fn open_phone(&self, client: i64, sealed: &str) -> AppResult<String> {
        Ok(self
            .vault
            .open(sealed, &phone_context(client))
            .map_err(|e| vault_error("opening a phone number", &e))?)
    }

    /// Seals every field an earlier version stored plain (answers and scores, risk levels,
    /// birth dates, phone numbers), empties the plain columns, then has the database drop
    /// the old copies it keeps (see [`hearth_store::Db::scrub_after_sealing`]). Runs at
    /// start-up, before anything is served; once done, it costs one indexed look-up per kind.
    /// Each batch commits on its own and skips rows sealed meanwhile, so it can be
    /// interrupted and run again, and two nodes starting at once do not clash.
    pub async fn seal_plain_fields(&self) -> AppResult<SealedCounts> {
        let mut counts = SealedCounts::default();
        let mut after = 0;
        loop {
            let rows = self.db.list_plain_measures(after).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let sealed = rows
                .iter()
                .map(|row| {
                    let (record, total) = seal_record(&self.vault, row.id, &plain_record(row)?)?;
                    Ok((row.id, record, total))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            counts.measures += self.db.seal_plain_measures(&sealed).await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                break;
            }
        }
        after = 0;
        loop {
            let rows = self.db.list_plain_risk_levels(after).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let sealed = rows
                .iter()
                .map(|row| {
                    let level = row.level.as_deref().ok_or_else(|| {
                        anyhow::anyhow!("risk flag {} has no level, plain or sealed", row.id)
                    })?;
                    let sealed = self
                        .vault
                        .seal(level, &risk_level_context(row.id))
                        .map_err(|e| vault_error("sealing a risk level", &e))?;
                    Ok((row.id, sealed))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            counts.risk_levels += self.db.seal_plain_risk_levels(&sealed).await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                break;
            }
        }
        after = 0;
        loop {
            let rows = self.db.list_plain_birth_dates(after).await?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            let sealed = rows
                .iter()
                .map(|(id, date)| {
                    let sealed = self
                        .vault
                        .seal(&date.to_string(), &birth_date_context(*id))
                        .map_err(|e| vault_error("sealing a birth date", &e))?;
                    Ok((*id, sealed))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            counts.birth_dates += self.db.seal_plain_birth_dates(&sealed).await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                break;
            }
        }
        after = 0;
        loop {
            let rows = self.db.list_plain_phones(after).await?;
            let Some((last, _, _)) = rows.last() else { break };
            after = *last;
            let sealed = rows
                .iter()
                .map(|(id, client, phone)| {
                    Ok((*id, phone.clone(), self.seal_phone(UserId::new(*client), phone)?))
                })
                .collect::<AppResult<Vec<_>>>()?;
            counts.phones += self.db.seal_plain_phones(&sealed).await?;
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < SEAL_BATCH {
                break;
            }
        }
        if counts.total() > 0 {
            let tables: Vec<&str> = [
                ("measures", counts.measures),
                ("risk_flags", counts.risk_levels),
                ("users", counts.birth_dates),
                ("consult_calls", counts.phones),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(table, _)| table)
            .collect();
            self.db.scrub_after_sealing(&tables).await?;
            tracing::info!(
                measures = counts.measures,
                risk_levels = counts.risk_levels,
                birth_dates = counts.birth_dates,
                phones = counts.phones,
                "sealed fields an earlier version stored plain"
            );
        }
        Ok(counts)
    }
}

/// A plain row's record, as sealed from now on.
fn plain_record(row: &PlainMeasureRow) -> anyhow::Result<MeasureRecord> {
    let malformed = |what: &str| anyhow::anyhow!("plain measure {} has no valid {what}", row.id);
    let answers = serde_json::from_str(row.answers.as_deref().ok_or_else(|| malformed("answers"))?)
        .map_err(|_| malformed("answers"))?;
    let subscales =
        serde_json::from_str(row.subscales.as_deref().ok_or_else(|| malformed("subscales"))?)
            .map_err(|_| malformed("subscales"))?;
    Ok(MeasureRecord {
        answers,
        total: row.total,
        severity: row.severity.clone(),
        subscales,
        risk: row.risk.clone().ok_or_else(|| malformed("risk"))?,
    })
}
