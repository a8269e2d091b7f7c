use chrono::{DateTime, Utc};
use hearth_domain::{Session, SessionId, SessionKind, User, UserId};

use crate::audit::audited;
use crate::db::on_pool;
use crate::users::UserRow;
use crate::{AuditRecord, Db, StoreError, StoreResult};

#[derive(Debug)]
pub struct NewSession<'a> {
    pub user_id: UserId,
    pub token_hash: &'a str,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub user_agent: &'a str,
    pub ip: &'a str,
    pub enrol_only: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    kind: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    user_agent: String,
    ip: String,
    enrol_only: bool,
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    id: i64,
    user_id: i64,
    kind: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    user_agent: String,
    ip: String,
    enrol_only: bool,
    email: String,
    password_hash: String,
    role: String,
    display_name: String,
    timezone: String,
    region: Option<String>,
    birth_date_sealed: Option<String>,
    user_created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

const SESSION_COLUMNS: &str = "id, user_id, kind, created_at, last_seen_at, absolute_expires_at, \
     revoked_at, user_agent, ip, enrol_only";

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            id: SessionId::new(row.id),
            user_id: UserId::new(row.user_id),
            kind: SessionKind::parse(&row.kind).map_err(StoreError::corrupt)?,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            absolute_expires_at: row.absolute_expires_at,
            revoked_at: row.revoked_at,
            user_agent: row.user_agent,
            ip: row.ip,
            enrol_only: row.enrol_only,
        })
    }
}

impl Db {
    pub async fn insert_session(
        &self,
        session: &NewSession<'_>,
        record: AuditRecord<'_, SessionId>,
    ) -> StoreResult<SessionId> {
        let sql = "INSERT INTO sessions (user_id, token_hash, kind, created_at, last_seen_at, \
                   absolute_expires_at, user_agent, ip, enrol_only) \
                   VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING id";
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(sql)
                .bind(session.user_id.get())
                .bind(session.token_hash)
                .bind(session.kind.as_str())
                .bind(session.created_at)
                .bind(session.absolute_expires_at)
                .bind(session.user_agent)
                .bind(session.ip)
                .bind(session.enrol_only)
                .fetch_one(&mut *tx)
                .await?;
            SessionId::new(id)
        }));
        Ok(id)
    }

    /// The session with this token hash and its user, in one round trip (this runs on every
    /// authenticated request).
    pub async fn find_session_by_token_hash(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, User)>> {
        let sql = "SELECT s.id, s.user_id, s.kind, s.created_at, s.last_seen_at, \
                   s.absolute_expires_at, s.revoked_at, s.user_agent, s.ip, s.enrol_only, \
                   u.email, u.password_hash, u.role, u.display_name, u.timezone, u.region, \
                   u.birth_date_sealed, u.created_at AS user_created_at, u.disabled_at \
                   FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
        let row: Option<SessionUserRow> =
            on_pool!(self, |pool| sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await)?;
        let Some(row) = row else { return Ok(None) };
        let user = User::try_from(UserRow {
            id: row.user_id,
            email: row.email,
            password_hash: row.password_hash,
            role: row.role,
            display_name: row.display_name,
            timezone: row.timezone,
            region: row.region,
            birth_date_sealed: row.birth_date_sealed,
            created_at: row.user_created_at,
            disabled_at: row.disabled_at,
        })?;
        let session = Session::try_from(SessionRow {
            id: row.id,
            user_id: row.user_id,
            kind: row.kind,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            absolute_expires_at: row.absolute_expires_at,
            revoked_at: row.revoked_at,
            user_agent: row.user_agent,
            ip: row.ip,
            enrol_only: row.enrol_only,
        })?;
        Ok(Some((session, user)))
    }

    /// Records activity, so the idle timeout starts again.
    pub async fn touch_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id.get())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Lifts a session's enrol-only mark once its person has a second factor.
    pub async fn end_enrol_only(&self, id: SessionId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET enrol_only = FALSE WHERE id = $1")
                .bind(id.get())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Revokes one of `user_id`'s sessions. `NotFound` when it is not theirs or already ended.
    pub async fn revoke_session(
        &self,
        user_id: UserId,
        id: SessionId,
        now: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query(
                "UPDATE sessions SET revoked_at = $1 \
                 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.get())
            .bind(user_id.get())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    /// Revokes every live session of a user (after a password change, say).
    pub async fn revoke_all_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(user_id.get())
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(done)
    }

    /// A user's sessions that have not been revoked and have not passed their absolute expiry,
    /// newest first. Idle expiry is judged by the caller, which knows the policy.
    pub async fn list_live_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND absolute_expires_at > $2 \
             ORDER BY last_seen_at DESC, id DESC"
        );
        let rows: Vec<SessionRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(user_id.get()).bind(now).fetch_all(pool).await
        })?;
        rows.into_iter().map(Session::try_from).collect()
    }
}
