use chrono::{DateTime, Utc};
use hearth_domain::{DisplayName, Email, Region, Role, TimeZone, User, UserId};

use crate::audit::audited;
use crate::db::{IN_CHUNK, in_list, on_pool, sql_count};
use crate::{AuditRecord, Db, SealForRow, StoreError, StoreResult};

/// An account to insert. The password is already hashed.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub password_hash: String,
    pub role: Role,
    pub display_name: DisplayName,
    pub timezone: TimeZone,
    pub region: Option<Region>,
    /// Seals the birth date for the new account's id, inside the inserting transaction.
    pub birth_date: Option<SealForRow>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: i64,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) role: String,
    pub(crate) display_name: String,
    pub(crate) timezone: String,
    pub(crate) region: Option<String>,
    pub(crate) birth_date_sealed: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) disabled_at: Option<DateTime<Utc>>,
}

pub(crate) const USER_COLUMNS: &str = "id, email, password_hash, role, display_name, timezone, region, \
                            birth_date_sealed, created_at, disabled_at";

/// Stores a new account's sealed birth date (see [`NewUser::birth_date`]).
pub(crate) const SET_BIRTH_DATE: &str = "UPDATE users SET birth_date_sealed = $1 WHERE id = $2";

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: UserId::new(row.id),
            email: Email::parse(&row.email).map_err(StoreError::corrupt)?,
            password_hash: row.password_hash,
            role: Role::parse(&row.role).map_err(StoreError::corrupt)?,
            display_name: DisplayName::parse(&row.display_name).map_err(StoreError::corrupt)?,
            timezone: TimeZone::parse(&row.timezone).map_err(StoreError::corrupt)?,
            region: row
                .region
                .as_deref()
                .map(Region::parse)
                .transpose()
                .map_err(StoreError::corrupt)?,
            birth_date_sealed: row.birth_date_sealed,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        })
    }
}

impl Db {
    /// Inserts an account. A second account with the same email in any letter case is a
    /// `Conflict` on `users_email_normalized_key`, however many arrive at once.
    /// Inserts `user`; a taken email is `Conflict` on `users_email_normalized_key`. `record`
    /// commits with the new account.
    pub async fn insert_user(
        &self,
        user: &NewUser,
        record: AuditRecord<'_, UserId>,
    ) -> StoreResult<UserId> {
        let record = record.within(|&(id, created): &(UserId, bool)| created.then_some(id));
        match self.insert_user_unless_taken(user, record).await? {
            (id, true) => Ok(id),
            (_, false) => {
                Err(StoreError::Conflict { constraint: "users_email_normalized_key".to_owned() })
            }
        }
    }

    /// Inserts `user` unless its email is taken. Either way an id is drawn from the same
    /// sequence, so the answer to a sign-up cannot tell a new account from a taken email:
    /// `(id, true)` for the new account, `(unused id, false)` when the email was taken.
    /// `record` commits with either answer.
    pub async fn insert_user_unless_taken(
        &self,
        user: &NewUser,
        record: AuditRecord<'_, (UserId, bool)>,
    ) -> StoreResult<(UserId, bool)> {
        let sql = "INSERT INTO users (email, email_normalized, password_hash, role, display_name, \
                   timezone, region, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                   ON CONFLICT (email_normalized) DO NOTHING RETURNING id";
        // PostgreSQL drew the id before it found the conflict; SQLite draws none on a conflict,
        // so one is drawn by hand.
        let burn = match self {
            Db::Postgres(_) => "SELECT currval(pg_get_serial_sequence('users', 'id'))",
            Db::Sqlite(_) => {
                "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'users' RETURNING seq"
            }
        };
        let outcome = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let inserted: Option<i64> = sqlx::query_scalar(sql)
                .bind(user.email.as_str())
                .bind(user.email.normalized())
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.display_name.as_str())
                .bind(user.timezone.name())
                .bind(user.region.as_ref().map(Region::as_str))
                .bind(user.created_at)
                .fetch_optional(&mut *tx)
                .await?;
            match inserted {
                Some(id) => {
                    if let Some(seal) = &user.birth_date {
                        sqlx::query(SET_BIRTH_DATE)
                            .bind(seal.seal(id)?)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    (UserId::new(id), true)
                }
                None => (UserId::new(sqlx::query_scalar(burn).fetch_one(&mut *tx).await?), false),
            }
        }));
        Ok(outcome)
    }

    pub async fn find_user(&self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(id.get()).fetch_optional(pool).await
        })?;
        row.map(User::try_from).transpose()
    }

    /// The accounts with these ids (in no particular order), one statement per 500 ids.
    pub async fn find_users(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let placeholders = in_list(1, chunk.len());
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({placeholders})");
            let rows: Vec<UserRow> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            for row in rows {
                users.push(User::try_from(row)?);
            }
        }
        Ok(users)
    }

    /// The display names of `ids` that exist: two columns, for pages that name people
    /// (reading whole accounts, hashes and sealed birth dates included, cost several times
    /// as much a row).
    pub async fn find_display_names(&self, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
        let mut names = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, display_name FROM users WHERE id IN ({})",
                in_list(1, chunk.len())
            );
            let rows: Vec<(i64, String)> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            names.extend(rows.into_iter().map(|(id, name)| (UserId::new(id), name)));
        }
        Ok(names)
    }

    pub async fn find_user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email_normalized = $1");
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql).bind(email.normalized()).fetch_optional(pool).await
        })?;
        row.map(User::try_from).transpose()
    }

    /// Everyone who works for the practice, by role then name.
    pub async fn list_staff(&self) -> StoreResult<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role IN ('admin', 'coordinator', 'therapist') ORDER BY role, display_name, id"
        );
        let rows: Vec<UserRow> = on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// How many accounts work for the practice (every role but client).
    pub async fn count_staff(&self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role IN ('admin', 'coordinator', 'therapist')",
            )
            .fetch_one(pool)
            .await
        })?;
        Ok(n)
    }

    /// `limit` staff accounts from the `offset`-th, in [`Db::list_staff`]'s order.
    pub async fn list_staff_page(&self, offset: usize, limit: usize) -> StoreResult<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE role IN ('admin', 'coordinator', 'therapist') \
             ORDER BY role, display_name, id LIMIT $1 OFFSET $2"
        );
        let rows: Vec<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(sql_count(limit))
                .bind(sql_count(offset))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(User::try_from).collect()
    }

    pub async fn count_users_by_role(&self, role: Role) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
                .bind(role.as_str())
                .fetch_one(pool)
                .await
        })?;
        Ok(n)
    }

    pub async fn update_password_hash(&self, id: UserId, password_hash: &str) -> StoreResult<()> {
        let done = on_pool!(self, |pool| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id.get())
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
