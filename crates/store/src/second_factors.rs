use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

/// A person's TOTP factor as stored: the secret stays sealed here; `app` opens it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SecondFactorRow {
    pub secret_sealed: String,
    pub created_at: DateTime<Utc>,
    /// `None` while enrolment waits for its first valid code.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The time step of the last code accepted; a code of this step or earlier is refused.
    pub last_used_step: Option<i64>,
}

/// A browser login that proved its password and waits for the code.
#[derive(Clone, Debug)]
pub struct LoginChallenge {
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    /// Throttle keys the password step would clear, and forgive, on success.
    pub settle_clear: Vec<String>,
    pub settle_forgive: Vec<String>,
    /// Whether the browser presented a known device token at the password step.
    pub device_known: bool,
}

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    user_id: i64,
    expires_at: DateTime<Utc>,
    settle_clear: String,
    settle_forgive: String,
    device_known: bool,
}

fn split_keys(joined: &str) -> Vec<String> {
    joined.split('\n').filter(|k| !k.is_empty()).map(str::to_owned).collect()
}

impl Db {
    /// Starts (or restarts) enrolment with a new sealed secret. `false` when the person
    /// already has a confirmed factor, which is left alone. `record` commits with the answer.
    pub async fn upsert_pending_second_factor(
        &self,
        user: UserId,
        secret_sealed: &str,
        now: DateTime<Utc>,
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let started = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO second_factors (user_id, secret_sealed, created_at) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, created_at = $3, \
                 last_used_step = NULL WHERE second_factors.confirmed_at IS NULL",
            )
            .bind(user.get())
            .bind(secret_sealed)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }));
        Ok(started)
    }

    pub async fn find_second_factor(&self, user: UserId) -> StoreResult<Option<SecondFactorRow>> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT secret_sealed, created_at, confirmed_at, last_used_step \
                 FROM second_factors WHERE user_id = $1",
            )
            .bind(user.get())
            .fetch_optional(pool)
            .await
        })?;
        Ok(row)
    }

    /// Confirms a pending factor with the step of its first valid code (`None` when an
    /// operator enrolled a known secret) and replaces the person's recovery codes, in one
    /// transaction. `false` when there was no pending factor, or the step was used already.
    /// `record` commits with the answer.
    pub async fn confirm_second_factor(
        &self,
        user: UserId,
        step: Option<i64>,
        now: DateTime<Utc>,
        recovery_hashes: &[String],
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let confirmed = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query(
                "UPDATE second_factors SET confirmed_at = $1, last_used_step = $2 \
                 WHERE user_id = $3 AND confirmed_at IS NULL \
                 AND (last_used_step IS NULL OR last_used_step < $2)",
            )
            .bind(now)
            .bind(step)
            .bind(user.get())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                    .bind(user.get())
                    .execute(&mut *tx)
                    .await?;
                for hash in recovery_hashes {
                    sqlx::query(
                        "INSERT INTO recovery_codes (code_hash, user_id, created_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(hash)
                    .bind(user.get())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            done == 1
        }));
        Ok(confirmed)
    }

    /// Records that a code of `step` signed in, unless that step or a later one already did:
    /// the compare and the write are one statement, so two requests with one code cannot
    /// both pass. `false` means the code was replayed.
    pub async fn claim_second_factor_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE second_factors SET last_used_step = $1 \
                 WHERE user_id = $2 AND confirmed_at IS NOT NULL \
                 AND (last_used_step IS NULL OR last_used_step < $1)",
            )
            .bind(step)
            .bind(user.get())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Uses up one recovery code; `false` when it is not the person's or was used before.
    pub async fn use_recovery_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(code_hash)
            .bind(user.get())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    pub async fn count_unused_recovery_codes(&self, user: UserId) -> StoreResult<i64> {
        let count = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(user.get())
            .fetch_one(pool)
            .await
        })?;
        Ok(count)
    }
}

// Logins waiting for their code.
impl Db {
    pub async fn insert_login_challenge(
        &self,
        token_hash: &str,
        challenge: &LoginChallenge,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let clear = challenge.settle_clear.join("\n");
        let forgive = challenge.settle_forgive.join("\n");
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO login_challenges (token_hash, user_id, created_at, expires_at, \
                 settle_clear, settle_forgive, device_known) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_hash)
            .bind(challenge.user_id.get())
            .bind(now)
            .bind(challenge.expires_at)
            .bind(&clear)
            .bind(&forgive)
            .bind(challenge.device_known)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// The challenge with this token hash, if unused and unexpired at `now`.
    pub async fn find_login_challenge(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<LoginChallenge>> {
        let row: Option<ChallengeRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT user_id, expires_at, settle_clear, settle_forgive, device_known \
                 FROM login_challenges \
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
        })?;
        Ok(row.map(|row| LoginChallenge {
            user_id: UserId::new(row.user_id),
            expires_at: row.expires_at,
            settle_clear: split_keys(&row.settle_clear),
            settle_forgive: split_keys(&row.settle_forgive),
            device_known: row.device_known,
        }))
    }

    /// Uses up a challenge; `false` when it was used already or has expired.
    pub async fn consume_login_challenge(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE login_challenges SET used_at = $1 \
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Forgets challenges that expired before `before` (housekeeping).
    pub async fn delete_stale_login_challenges(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_challenges WHERE expires_at < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }
}
