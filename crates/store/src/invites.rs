use chrono::{DateTime, Utc};
use hearth_domain::{Email, Invite, InviteId, Role, UserId};

use crate::audit::audited;
use crate::db::{on_pool, sql_count};
use crate::users::NewUser;
use crate::{AuditRecord, Db, StoreError, StoreResult};

#[derive(Debug)]
pub struct NewInvite<'a> {
    pub email: &'a Email,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: i64,
    email: String,
    role: String,
    invited_by: i64,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

const INVITE_COLUMNS: &str =
    "id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at";

impl TryFrom<InviteRow> for Invite {
    type Error = StoreError;

    fn try_from(row: InviteRow) -> Result<Self, StoreError> {
        Ok(Invite {
            id: InviteId::new(row.id),
            email: Email::parse(&row.email).map_err(StoreError::corrupt)?,
            role: Role::parse(&row.role).map_err(StoreError::corrupt)?,
            invited_by: UserId::new(row.invited_by),
            created_at: row.created_at,
            expires_at: row.expires_at,
            accepted_at: row.accepted_at,
            revoked_at: row.revoked_at,
        })
    }
}

impl Db {
    pub async fn insert_invite(
        &self,
        invite: &NewInvite<'_>,
        record: AuditRecord<'_, InviteId>,
    ) -> StoreResult<InviteId> {
        let sql = "INSERT INTO invites (email, email_normalized, role, token_hash, invited_by, \
                   created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(sql)
                .bind(invite.email.as_str())
                .bind(invite.email.normalized())
                .bind(invite.role.as_str())
                .bind(invite.token_hash)
                .bind(invite.invited_by.get())
                .bind(invite.created_at)
                .bind(invite.expires_at)
                .fetch_one(&mut *tx)
                .await?;
            InviteId::new(id)
        }));
        Ok(id)
    }

    pub async fn find_invite_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invite>> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM invites WHERE token_hash = $1");
        let row: Option<InviteRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await
        })?;
        row.map(Invite::try_from).transpose()
    }

    /// Invitations not yet accepted or revoked, newest first.
    pub async fn list_open_invites(&self) -> StoreResult<Vec<Invite>> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE accepted_at IS NULL AND revoked_at IS NULL \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<InviteRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(Invite::try_from).collect()
    }

    /// How many invitations are neither accepted nor revoked.
    pub async fn count_open_invites(&self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM invites WHERE accepted_at IS NULL AND revoked_at IS NULL",
            )
            .fetch_one(pool)
            .await
        })?;
        Ok(n)
    }

    /// `limit` open invitations from the `offset`-th, newest first.
    pub async fn list_open_invites_page(
        &self,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<Invite>> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE accepted_at IS NULL AND revoked_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
        );
        let rows: Vec<InviteRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(sql_count(limit))
                .bind(sql_count(offset))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(Invite::try_from).collect()
    }

    pub async fn revoke_invite(
        &self,
        id: InviteId,
        now: DateTime<Utc>,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query(
                "UPDATE invites SET revoked_at = $1 \
                 WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id.get())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    /// Redeems an invitation and creates the account in one transaction: the invitation is
    /// used at most once, and no account exists without it being marked accepted.
    /// `NotFound` when it was already used, revoked or expired.
    pub async fn accept_invite(
        &self,
        id: InviteId,
        user: &NewUser,
        record: AuditRecord<'_, UserId>,
    ) -> StoreResult<UserId> {
        let now = user.created_at;
        let claim = "UPDATE invites SET accepted_at = $1 \
                     WHERE id = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1";
        let insert = "INSERT INTO users (email, email_normalized, password_hash, role, display_name, \
                      timezone, region, created_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let claimed = sqlx::query(claim).bind(now).bind(id.get()).execute(&mut *tx).await?;
            if claimed.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let id: i64 = sqlx::query_scalar(insert)
                .bind(user.email.as_str())
                .bind(user.email.normalized())
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.display_name.as_str())
                .bind(user.timezone.name())
                .bind(user.region.as_ref().map(hearth_domain::Region::as_str))
                .bind(user.created_at)
                .fetch_one(&mut *tx)
                .await?;
            if let Some(seal) = &user.birth_date {
                sqlx::query(crate::users::SET_BIRTH_DATE)
                    .bind(seal.seal(id)?)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            UserId::new(id)
        }));
        Ok(id)
    }
}
