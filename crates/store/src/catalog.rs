use hearth_domain::{COMPASSION_FATIGUE_PLAN, PROGRAMS, Program, TOPICS, Topic, TopicPlanWeek};

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// A topic row: slug, name, description, active.
type TopicRow = (String, String, String, bool);

fn topic((slug, name, description, active): TopicRow) -> Topic {
    Topic { slug, name, description, active }
}

impl Db {
    /// Inserts the seeded programs, topics and plans that are missing; edits made since are kept.
    pub async fn seed_catalog(&self) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (i, p) in PROGRAMS.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO programs (slug, name, description, position) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (slug) DO NOTHING",
                )
                .bind(p.slug)
                .bind(p.name)
                .bind(p.description)
                .bind(i32::try_from(i).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
            }
            for (i, t) in TOPICS.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO topics (slug, name, description, position, active) \
                     VALUES ($1, $2, $3, $4, TRUE) ON CONFLICT (slug) DO NOTHING",
                )
                .bind(t.slug)
                .bind(t.name)
                .bind(t.description)
                .bind(i32::try_from(i).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
            }
            for w in COMPASSION_FATIGUE_PLAN {
                sqlx::query(
                    "INSERT INTO topic_plan_weeks (topic, week, title, focus) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (topic, week) DO NOTHING",
                )
                .bind("compassion-fatigue")
                .bind(i32::from(w.week))
                .bind(w.title)
                .bind(w.focus)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Active topics in catalog order.
    pub async fn list_topics(&self) -> StoreResult<Vec<Topic>> {
        let rows: Vec<TopicRow> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT slug, name, description, active FROM topics WHERE active ORDER BY position, slug",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.into_iter().map(topic).collect())
    }

    pub async fn find_topic(&self, slug: &str) -> StoreResult<Option<Topic>> {
        let row: Option<TopicRow> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT slug, name, description, active FROM topics WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(topic))
    }

    /// Renames a topic or changes its description (admins).
    pub async fn update_topic(
        &self,
        slug: &str,
        name: &str,
        description: &str,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done = sqlx::query("UPDATE topics SET name = $1, description = $2 WHERE slug = $3")
                .bind(name)
                .bind(description)
                .bind(slug)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    /// Renames a service line or changes its description (admins).
    pub async fn update_program(
        &self,
        slug: &str,
        name: &str,
        description: &str,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done =
                sqlx::query("UPDATE programs SET name = $1, description = $2 WHERE slug = $3")
                    .bind(name)
                    .bind(description)
                    .bind(slug)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    /// How many weeks apart a program's check-ins are due (1: before every weekly session).
    pub async fn program_check_in_cadence(&self, slug: &str) -> StoreResult<i32> {
        let weeks: Option<i32> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT check_in_cadence_weeks FROM programs WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await
        })?;
        Ok(weeks.unwrap_or(1))
    }

    /// Sets a program's check-in cadence (admins).
    pub async fn update_program_cadence(
        &self,
        slug: &str,
        weeks: i32,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            let done =
                sqlx::query("UPDATE programs SET check_in_cadence_weeks = $1 WHERE slug = $2")
                    .bind(weeks)
                    .bind(slug)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        }));
        Ok(())
    }

    pub async fn list_programs(&self) -> StoreResult<Vec<Program>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT slug, name, description FROM programs ORDER BY position, slug")
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(slug, name, description)| Program { slug, name, description })
            .collect())
    }

    /// A topic's session plan, week by week (empty when it has none).
    pub async fn list_plan_weeks(&self, topic: &str) -> StoreResult<Vec<TopicPlanWeek>> {
        let rows: Vec<(i32, String, String)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT week, title, focus FROM topic_plan_weeks WHERE topic = $1 ORDER BY week",
            )
            .bind(topic)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(week, title, focus)| TopicPlanWeek { week, title, focus })
            .collect())
    }
}
