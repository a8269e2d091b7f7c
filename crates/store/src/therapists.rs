use chrono::NaiveDate;
use hearth_domain::{License, LicenseKind, Region, TherapistProfile, UserId};

use crate::audit::audited;
use crate::db::on_pool;
use crate::users::NewUser;
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
        // Ids are integers we generated, so inlining them is safe and keeps one SQL for both engines.
        let ids = therapists.iter().map(|t| t.get().to_string()).collect::<Vec<_>>().join(",");
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
}
