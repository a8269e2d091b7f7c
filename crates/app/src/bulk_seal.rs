//! Sealing for bulk loads that write straight to the tables (the demo practice at scale):
//! the values the app's own writes seal, for the same row ids, so the app reads the rows back
//! as if it had written them. The loader picks the row ids itself (sealed values are bound to
//! their row) and seals on any thread: a [`BulkSealer`] is a cheap clone of the vault.

use chrono::NaiveDate;
use hearth_domain::Answers;
use std::sync::Arc;

use crate::intake::intake_context;
use crate::sealed_fields::{
    birth_date_context, flag_level, measure_record, risk_level_context, seal_record, vault_error,
};
use crate::{App, IntakePrivate, Vault};

/// A measure's sealed columns, as the app writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedMeasureColumns {
    /// Answers, total, severity, subscales and risk, as one sealed value (`measures.sealed`).
    pub sealed: String,
    /// The total sealed on its own (`measures.total_sealed`), when the instrument has one.
    pub total_sealed: Option<String>,
    /// The level of the risk flag these answers raise, if any (to seal with the flag's id
    /// through [`BulkSealer::risk_level`]).
    pub flag_level: Option<&'static str>,
}

/// Seals rows for a bulk load with the practice's vault. No authorisation and no audit: only
/// seeding code (the demo at scale, benchmarks) holds one.
#[derive(Clone)]
pub struct BulkSealer {
    vault: Arc<Vault>,
}

impl std::fmt::Debug for BulkSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BulkSealer(..)")
    }
}

impl App {
    /// A sealer for bulk loads (see [`BulkSealer`]).
    pub fn bulk_sealer(&self) -> BulkSealer {
        BulkSealer { vault: self.vault.clone() }
    }
}

impl BulkSealer {
    /// The sealed columns of measure `id` holding `answers`, scored by the instrument's rules.
    pub fn measure(&self, id: i64, answers: &Answers) -> anyhow::Result<SealedMeasureColumns> {
        let (score, record) = measure_record(answers);
        let (sealed, total_sealed) = seal_record(&self.vault, id, &record)?;
        Ok(SealedMeasureColumns { sealed, total_sealed, flag_level: flag_level(score.risk) })
    }

    /// Risk flag `flag`'s level, sealed (`risk_flags.level_sealed`).
    pub fn risk_level(&self, flag: i64, level: &str) -> anyhow::Result<String> {
        self.vault
            .seal(level, &risk_level_context(flag))
            .map_err(|e| vault_error("sealing a risk level", &e))
    }

    /// Account `user`'s birth date, sealed (`users.birth_date_sealed`).
    pub fn birth_date(&self, user: i64, date: NaiveDate) -> anyhow::Result<String> {
        self.vault
            .seal(&date.to_string(), &birth_date_context(user))
            .map_err(|e| vault_error("sealing a birth date", &e))
    }

    /// Client `client`'s intake free text, sealed (`intakes.sealed`).
    pub fn intake(&self, client: i64, private: &IntakePrivate) -> anyhow::Result<String> {
        let json = serde_json::to_string(private)?;
        self.vault
            .seal(&json, &intake_context(client))
            .map_err(|e| vault_error("sealing an intake", &e))
    }
}
