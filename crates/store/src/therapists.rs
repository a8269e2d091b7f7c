use chrono::NaiveDate;
use hearth_domain::{License, LicenseKind, Region, TherapistProfile, User, UserId};
use std::collections::HashMap;

use crate::audit::audited;
use crate::db::{in_list, on_pool, sql_count};
use crate::users::{NewUser, USER_COLUMNS, UserRow};
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A therapist to create: the account, the profile, licenses and specialties, in one go.
#[derive(Debug)]
pub struct NewTherapist {
    pub user: NewUser,
    pub license_kind: LicenseKind,
    pub years_of_practice: i32,
    pub bio: String,
    pub licenses: Vec<License>,
    pub specialties: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct LicenseRow {
    therapist_id: i64,
    region: String,
    kind: String,
    number: String,
    expires_on: NaiveDate,
}

impl TryFrom<LicenseRow> for License {
    type Error = StoreError;

    fn try_from(row: LicenseRow) -> Result<Self, StoreError> {
        Ok(License {
            region: Region::parse(&row.region).map_err(StoreError::corrupt)?,
            kind: LicenseKind::parse(&row.kind).map_err(StoreError::corrupt)?,
            number: row.number,
            expires_on: row.expires_on,
        })
    }
}

/// A therapist's account and profile, read together for a page of therapists.
#[derive(sqlx::FromRow)]
struct ProfileRow {
    #[sqlx(flatten)]
    user: UserRow,
    license_kind: String,
    years_of_practice: i32,
    bio: String,
}

impl Db {
    /// Creates a therapist's account with profile, licenses and specialties atomically;
    /// `record` commits with them.
    pub async fn insert_therapist(
        &self,
        therapist: &NewTherapist,
        record: AuditRecord<'_, UserId>,
    ) -> StoreResult<UserId> {
        let u = &therapist.user;
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (email, email_normalized, password_hash, role, display_name, \
                 timezone, region, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(u.email.as_str())
            .bind(u.email.normalized())
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(u.display_name.as_str())
            .bind(u.timezone.name())
            .bind(u.region.as_ref().map(Region::as_str))
            .bind(u.created_at)
            .fetch_one(&mut *tx)
            .await?;
            if let Some(seal) = &u.birth_date {
                sqlx::query(crate::users::SET_BIRTH_DATE)
                    .bind(seal.seal(id)?)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO therapist_profiles (user_id, license_kind, years_of_practice, bio) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(therapist.license_kind.as_str())
            .bind(therapist.years_of_practice)
            .bind(&therapist.bio)
            .execute(&mut *tx)
            .await?;
            for license in &therapist.licenses {
                sqlx::query(
                    "INSERT INTO licenses (therapist_id, region, kind, number, expires_on) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(license.region.as_str())
                .bind(license.kind.as_str())
                .bind(&license.number)
                .bind(license.expires_on)
                .execute(&mut *tx)
                .await?;
            }
            for topic in &therapist.specialties {
                sqlx::query(
                    "INSERT INTO therapist_specialties (therapist_id, topic) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(topic)
                .execute(&mut *tx)
                .await?;
            }
            UserId::new(id)
        }));
        Ok(id)
    }

    /// Adds a license (a new state, or a renewal with a new number or expiry).
    pub async fn insert_license(
        &self,
        therapist: UserId,
        license: &License,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(
                "INSERT INTO licenses (therapist_id, region, kind, number, expires_on) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(therapist.get())
            .bind(license.region.as_str())
            .bind(license.kind.as_str())
            .bind(&license.number)
            .bind(license.expires_on)
            .execute(&mut *tx)
            .await?;
        }));
        Ok(())
    }

    pub async fn find_therapist_profile(
        &self,
        id: UserId,
    ) -> StoreResult<Option<TherapistProfile>> {
        let profile: Option<(String, i32, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT license_kind, years_of_practice, bio FROM therapist_profiles WHERE user_id = $1",
            )
            .bind(id.get())
            .fetch_optional(pool)
            .await
        })?;
        let Some((kind, years, bio)) = profile else {
            return Ok(None);
        };
        let licenses = self.list_licenses(&[id]).await?.into_iter().map(|(_, l)| l).collect();
        let specialties: Vec<String> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT topic FROM therapist_specialties WHERE therapist_id = $1 ORDER BY topic",
            )
            .bind(id.get())
            .fetch_all(pool)
            .await
        })?;
        Ok(Some(TherapistProfile {
            user_id: id,
            license_kind: LicenseKind::parse(&kind).map_err(StoreError::corrupt)?,
            years_of_practice: years,
            bio,
            licenses,
            specialties,
        }))
    }

    /// Every therapist's specialties (topic slugs), in one query.
    pub async fn list_all_specialties(&self) -> StoreResult<Vec<(UserId, String)>> {
        let rows: Vec<(i64, String)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT therapist_id, topic FROM therapist_specialties ORDER BY therapist_id, topic")
                .fetch_all(pool)
                .await
        })?;
        Ok(rows.into_iter().map(|(t, topic)| (UserId::new(t), topic)).collect())
    }

    /// The licenses of several therapists at once, each with its holder.
    pub async fn list_licenses(
        &self,
        therapists: &[UserId],
    ) -> StoreResult<Vec<(UserId, License)>> {
        if therapists.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::db::inline_ids(therapists.iter().map(|t| t.get()));
        let sql = format!(
            "SELECT therapist_id, region, kind, number, expires_on FROM licenses \
             WHERE therapist_id IN ({ids}) ORDER BY therapist_id, region"
        );
        let rows: Vec<LicenseRow> =
            on_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|row| {
                let holder = UserId::new(row.therapist_id);
                License::try_from(row).map(|l| (holder, l))
            })
            .collect()
    }

    /// Licenses that expire on or before `until` (those already expired included), soonest
    /// first, at most `limit`, each with its holder's id and name.
    pub async fn list_licenses_expiring(
        &self,
        until: NaiveDate,
        limit: usize,
    ) -> StoreResult<Vec<(UserId, String, License)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            license: LicenseRow,
            display_name: String,
        }
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT l.therapist_id, l.region, l.kind, l.number, l.expires_on, u.display_name \
                 FROM licenses l JOIN users u ON u.id = l.therapist_id \
                 WHERE l.expires_on <= $1 AND u.disabled_at IS NULL \
                 ORDER BY l.expires_on, u.display_name, l.region LIMIT $2",
            )
            .bind(until)
            .bind(sql_count(limit))
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|row| {
                let holder = UserId::new(row.license.therapist_id);
                License::try_from(row.license).map(|l| (holder, row.display_name, l))
            })
            .collect()
    }

    /// How many therapists have a profile (those invited as staff get one only when an
    /// admin adds them as therapists).
    pub async fn count_therapist_profiles(&self) -> StoreResult<i64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM therapist_profiles").fetch_one(pool).await
        })?;
        Ok(n)
    }

    /// `limit` therapists with a profile from the `offset`-th, by name then id, with their
    /// licenses and specialties: three statements, whatever the page's size. The therapists
    /// are read first, by the index on role and name, as a materialized step: joined directly,
    /// PostgreSQL guessed that three accounts would match and walked all 100,000 by id
    /// (20 ms a view; 0.8 ms this way).
    pub async fn list_therapist_profiles_page(
        &self,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<(User, TherapistProfile)>> {
        let sql = format!(
            "WITH therapists AS MATERIALIZED \
               (SELECT {USER_COLUMNS} FROM users WHERE role = 'therapist') \
             SELECT {USER_COLUMNS}, license_kind, years_of_practice, bio \
             FROM therapists JOIN therapist_profiles ON therapist_profiles.user_id = therapists.id \
             ORDER BY display_name, id LIMIT $1 OFFSET $2"
        );
        let rows: Vec<ProfileRow> = on_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(sql_count(limit))
                .bind(sql_count(offset))
                .fetch_all(pool)
                .await
        })?;
        let ids: Vec<UserId> = rows.iter().map(|r| UserId::new(r.user.id)).collect();
        let mut licenses: HashMap<UserId, Vec<License>> = HashMap::new();
        for (holder, license) in self.list_licenses(&ids).await? {
            licenses.entry(holder).or_default().push(license);
        }
        let mut specialties = self.list_specialties_of(&ids).await?;
        rows.into_iter()
            .map(|row| {
                let user = User::try_from(row.user)?;
                let profile = TherapistProfile {
                    user_id: user.id,
                    license_kind: LicenseKind::parse(&row.license_kind)
                        .map_err(StoreError::corrupt)?,
                    years_of_practice: row.years_of_practice,
                    bio: row.bio,
                    licenses: licenses.remove(&user.id).unwrap_or_default(),
                    specialties: specialties.remove(&user.id).unwrap_or_default(),
                };
                Ok((user, profile))
            })
            .collect()
    }

    /// The specialties (topic slugs, in order) of a few therapists, in one statement.
    async fn list_specialties_of(
        &self,
        therapists: &[UserId],
    ) -> StoreResult<HashMap<UserId, Vec<String>>> {
        if therapists.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT therapist_id, topic FROM therapist_specialties \
             WHERE therapist_id IN ({}) ORDER BY therapist_id, topic",
            in_list(1, therapists.len())
        );
        let rows: Vec<(i64, String)> = on_pool!(self, |pool| {
            let mut query = sqlx::query_as(&sql);
            for id in therapists {
                query = query.bind(id.get());
            }
            query.fetch_all(pool).await
        })?;
        let mut found: HashMap<UserId, Vec<String>> = HashMap::new();
        for (therapist, topic) in rows {
            found.entry(UserId::new(therapist)).or_default().push(topic);
        }
        Ok(found)
    }
}
