use chrono::{DateTime, Utc};
use hearth_domain::UserId;

use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreResult};

/// A care-team note; `body` is sealed by the app's vault.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CareNoteRow {
    pub id: i64,
    pub client_id: i64,
    pub author_id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Clients who finished an intake and hold no seat and no waitlist place yet, longest
    /// waiting first.
    pub async fn list_unplaced_intakes(&self) -> StoreResult<Vec<(i64, DateTime<Utc>)>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                // The seated and the waiting are read once each (both engines hash a NOT IN
                // list), not probed once per intake.
                "SELECT i.client_id, i.submitted_at FROM intakes i \
                 WHERE i.client_id NOT IN (SELECT m.client_id FROM memberships m WHERE m.status = 'seated') \
                 AND i.client_id NOT IN (SELECT w.client_id FROM waitlist_entries w \
                                         WHERE w.status IN ('waiting', 'offered')) \
                 ORDER BY i.submitted_at, i.client_id",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Which of `clients` now hold a seat or a waitlist place (waiting or offered): what a
    /// list of unplaced clients made a moment ago checks before it is shown.
    pub async fn placed_among(&self, clients: &[UserId]) -> StoreResult<Vec<UserId>> {
        if clients.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::db::inline_ids(clients.iter().map(|c| c.get()));
        let sql = format!(
            "SELECT client_id FROM memberships WHERE status = 'seated' AND client_id IN ({list}) \
             UNION SELECT client_id FROM waitlist_entries \
             WHERE status IN ('waiting', 'offered') AND client_id IN ({list})"
        );
        let rows: Vec<i64> = on_pool!(self, |pool| sqlx::query_scalar(&sql).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(UserId::new).collect())
    }

    /// Adds a note; its id and the note id are bound into the sealed body by the caller.
    pub async fn insert_care_note(
        &self,
        client: UserId,
        author: UserId,
        sealed: &str,
        at: DateTime<Utc>,
        record: AuditRecord<'_, i64>,
    ) -> StoreResult<i64> {
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query_scalar(
                "INSERT INTO care_notes (client_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(client.get())
            .bind(author.get())
            .bind(sealed)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?
        }));
        Ok(id)
    }

    /// A client's notes, newest first.
    pub async fn list_care_notes(&self, client: UserId) -> StoreResult<Vec<CareNoteRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, client_id, author_id, body, created_at FROM care_notes WHERE client_id = $1 \
                 ORDER BY created_at DESC, id DESC",
            )
            .bind(client.get())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }
}
