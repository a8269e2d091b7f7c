//! The facts the access policy (`hearth_domain::access`) needs about an actor and clients,
//! care-team assignments, and break-the-glass grants.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hearth_domain::{Region, UserId};

use crate::audit::audited;
use crate::db::{IN_CHUNK, in_list, on_pool};
use crate::{AuditRecord, Db, StoreResult};

/// How one actor stands to one client, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessFacts {
    /// The actor treats the client: the client holds a seat in one of the actor's groups.
    pub treats: bool,
    /// The client holds a seat in some group, so has a treating therapist.
    pub has_therapist: bool,
    /// The client's assigned coordinator, if any.
    pub coordinator: Option<UserId>,
    /// The actor holds an unexpired break-the-glass grant for the client.
    pub glass_broken: bool,
}

/// A client on the risk queue: how the actor stands to them, their name and region, and
/// their treating therapist (the one with the lowest id when several) to call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlaggedClient {
    pub facts: AccessFacts,
    pub name: String,
    pub region: Option<Region>,
    /// The therapist's display name and email.
    pub therapist: Option<(String, String)>,
}

/// (id, is a client, name, region, treated by the actor, coordinator, glass broken,
/// therapist's name, therapist's email).
type FlaggedRow =
    (i64, bool, String, Option<String>, bool, Option<i64>, bool, Option<String>, Option<String>);

/// A break-the-glass grant, with its reason still sealed.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct BreakGlassRow {
    pub id: i64,
    pub actor_id: i64,
    pub client_id: i64,
    pub reason_sealed: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// (id, is a client, treated by the actor, has a therapist, coordinator, glass broken).
type FactsRow = (i64, bool, bool, bool, Option<i64>, bool);

impl Db {
    /// The clients `coordinator` coordinates, by id: those assigned to them, and those in a
    /// group who have no coordinator yet (any coordinator may act for them, as the access
    /// policy says).
    pub async fn list_coordinated_clients(&self, coordinator: UserId) -> StoreResult<Vec<UserId>> {
        let ids: Vec<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT client_id FROM care_assignments WHERE coordinator_id = $1 \
                 UNION SELECT m.client_id FROM memberships m WHERE m.status = 'seated' \
                   AND NOT EXISTS (SELECT 1 FROM care_assignments a WHERE a.client_id = m.client_id) \
                 ORDER BY 1",
            )
            .bind(coordinator.get())
            .fetch_all(pool)
            .await
        })?;
        Ok(ids.into_iter().map(UserId::new).collect())
    }

    /// The facts about `actor` and each of `clients` that exists as a client account, in a
    /// number of statements that depends only on how many clients are asked about (one per
    /// 500). A client missing from the answer does not exist (or is not a client).
    pub async fn access_facts(
        &self,
        actor: UserId,
        clients: &[UserId],
        now: DateTime<Utc>,
    ) -> StoreResult<HashMap<UserId, AccessFacts>> {
        let mut facts = HashMap::with_capacity(clients.len());
        for chunk in clients.chunks(IN_CHUNK) {
            let placeholders = in_list(3, chunk.len());
            let sql = format!(
                "SELECT u.id, u.role = 'client', \
                   EXISTS (SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id \
                           WHERE m.client_id = u.id AND m.status = 'seated' AND g.therapist_id = $1), \
                   EXISTS (SELECT 1 FROM memberships m WHERE m.client_id = u.id AND m.status = 'seated'), \
                   (SELECT c.coordinator_id FROM care_assignments c WHERE c.client_id = u.id), \
                   EXISTS (SELECT 1 FROM break_glass b \
                           WHERE b.actor_id = $1 AND b.client_id = u.id AND b.expires_at > $2) \
                 FROM users u WHERE u.id IN ({placeholders})"
            );
            // Found by id, the role checked here: with `u.role = 'client'` in the WHERE
            // clause, SQLite walked the index on (role, name) through every client rather
            // than look up the few ids asked about (12 ms at 100,000 clients).
            let rows: Vec<FactsRow> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql).bind(actor.get()).bind(now);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            for (id, is_client, treats, has_therapist, coordinator, glass_broken) in rows {
                if !is_client {
                    continue;
                }
                facts.insert(
                    UserId::new(id),
                    AccessFacts {
                        treats,
                        has_therapist,
                        coordinator: coordinator.map(UserId::new),
                        glass_broken,
                    },
                );
            }
        }
        Ok(facts)
    }

    /// What the risk queue shows about each of `clients` that is a client, with the facts the
    /// policy needs about `actor`, in one statement per 500 clients (the facts, the names and
    /// the therapists were three statements and twice the rows).
    pub async fn flagged_clients(
        &self,
        actor: UserId,
        clients: &[UserId],
        now: DateTime<Utc>,
    ) -> StoreResult<HashMap<UserId, FlaggedClient>> {
        let mut found = HashMap::with_capacity(clients.len());
        for chunk in clients.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT u.id, u.role = 'client', u.display_name, u.region, \
                   EXISTS (SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id \
                           WHERE m.client_id = u.id AND m.status = 'seated' AND g.therapist_id = $1), \
                   (SELECT c.coordinator_id FROM care_assignments c WHERE c.client_id = u.id), \
                   EXISTS (SELECT 1 FROM break_glass b \
                           WHERE b.actor_id = $1 AND b.client_id = u.id AND b.expires_at > $2), \
                   t.display_name, t.email \
                 FROM users u LEFT JOIN users t ON t.id = \
                   (SELECT MIN(g.therapist_id) FROM memberships m JOIN groups g ON g.id = m.group_id \
                     WHERE m.client_id = u.id AND m.status = 'seated') \
                 WHERE u.id IN ({})",
                in_list(3, chunk.len())
            );
            let rows: Vec<FlaggedRow> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql).bind(actor.get()).bind(now);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            for (id, is_client, name, region, treats, coordinator, glass_broken, t_name, t_email) in
                rows
            {
                if !is_client {
                    continue;
                }
                let region = region.as_deref().map(Region::parse).transpose();
                let facts = AccessFacts {
                    treats,
                    has_therapist: t_name.is_some(),
                    coordinator: coordinator.map(UserId::new),
                    glass_broken,
                };
                found.insert(
                    UserId::new(id),
                    FlaggedClient {
                        facts,
                        name,
                        region: region.map_err(crate::StoreError::corrupt)?,
                        therapist: t_name.zip(t_email),
                    },
                );
            }
        }
        Ok(found)
    }

    /// Makes `coordinator` the client's coordinator. With `replace` false it does so only
    /// when the client has none (taking a client on); with `replace` true it replaces any
    /// (an admin's change). Answers whether the assignment changed; `record` commits only
    /// then.
    pub async fn assign_coordinator(
        &self,
        client: UserId,
        coordinator: UserId,
        by: UserId,
        at: DateTime<Utc>,
        replace: bool,
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let sql = if replace {
            "INSERT INTO care_assignments (client_id, coordinator_id, assigned_at, assigned_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO UPDATE \
             SET coordinator_id = excluded.coordinator_id, assigned_at = excluded.assigned_at, \
                 assigned_by = excluded.assigned_by \
             WHERE care_assignments.coordinator_id <> excluded.coordinator_id"
        } else {
            "INSERT INTO care_assignments (client_id, coordinator_id, assigned_at, assigned_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (client_id) DO NOTHING"
        };
        let changed = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query(sql)
                .bind(client.get())
                .bind(coordinator.get())
                .bind(at)
                .bind(by.get())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0
        }));
        Ok(changed)
    }

    /// Stores a break-the-glass grant; the reason is sealed by the caller.
    pub async fn insert_break_glass(
        &self,
        actor: UserId,
        client: UserId,
        reason_sealed: &str,
        opened_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        record: AuditRecord<'_, i64>,
    ) -> StoreResult<i64> {
        let id = on_pool!(self, |pool| audited!(pool, record, |tx| {
            sqlx::query_scalar(
                "INSERT INTO break_glass (actor_id, client_id, reason_sealed, opened_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(actor.get())
            .bind(client.get())
            .bind(reason_sealed)
            .bind(opened_at)
            .bind(expires_at)
            .fetch_one(&mut *tx)
            .await?
        }));
        Ok(id)
    }

    /// Break-the-glass grants opened since `since`, newest first.
    pub async fn list_break_glass(&self, since: DateTime<Utc>) -> StoreResult<Vec<BreakGlassRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, actor_id, client_id, reason_sealed, opened_at, expires_at \
                 FROM break_glass WHERE opened_at >= $1 ORDER BY opened_at DESC, id DESC",
            )
            .bind(since)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }
}
