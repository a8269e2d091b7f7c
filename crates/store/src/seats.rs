//! Seats and waitlists. Every change locks the group's row first (an UPDATE, which takes
//! SQLite's write lock or a PostgreSQL row lock), so capacity holds under any concurrency;
//! the `seats_taken <= capacity` check in the schema is the last line of defence.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{GroupId, MembershipId, UserId, WaitlistEntryId};

use crate::audit::{AppendAudit as _, audited};
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// What a request for a seat came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatOutcome {
    Seated { membership: MembershipId },
    Waitlisted { entry: WaitlistEntryId, position: i64 },
    AlreadySeated,
    AlreadyWaiting { position: i64 },
    Closed,
}

/// A client's place in a group's waitlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitlistPlace {
    pub entry: WaitlistEntryId,
    /// 1 for the first in line; an offered seat counts as position 0.
    pub position: i64,
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// A membership as a client or the care team sees it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MembershipRow {
    pub id: i64,
    pub group_id: i64,
    pub client_id: i64,
    pub status: String,
    pub joined_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Locks the group's row for the rest of the transaction.
macro_rules! lock_group {
    ($tx:expr, $group:expr) => {
        sqlx::query("UPDATE groups SET seats_taken = seats_taken WHERE id = $1")
            .bind($group)
            .execute(&mut *$tx)
            .await?
    };
}

/// Offers every free seat of a locked group to the first people waiting, holding each seat
/// until the offer expires.
macro_rules! offer_free_seats {
    ($tx:expr, $group:expr, $now:expr, $hold:expr) => {
        loop {
            let (capacity, taken): (i32, i32) =
                sqlx::query_as("SELECT capacity, seats_taken FROM groups WHERE id = $1")
                    .bind($group)
                    .fetch_one(&mut *$tx)
                    .await?;
            if taken >= capacity {
                break;
            }
            let next: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting' \
                 ORDER BY id LIMIT 1",
            )
            .bind($group)
            .fetch_optional(&mut *$tx)
            .await?;
            let Some(entry) = next else { break };
            sqlx::query(
                "UPDATE waitlist_entries SET status = 'offered', offered_at = $1, offer_expires_at = $2 \
                 WHERE id = $3",
            )
            .bind($now)
            .bind($now + $hold)
            .bind(entry)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("UPDATE groups SET seats_taken = seats_taken + 1 WHERE id = $1")
                .bind($group)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Ends a seated membership, frees its seat and offers it on.
macro_rules! end_membership {
    ($tx:expr, $membership:expr, $status:expr, $now:expr, $hold:expr) => {{
        let group: Option<i64> = sqlx::query_scalar(
            "UPDATE memberships SET status = $1, ended_at = $2 WHERE id = $3 AND status = 'seated' \
             RETURNING group_id",
        )
        .bind($status)
        .bind($now)
        .bind($membership)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(group) = group {
            sqlx::query("UPDATE groups SET seats_taken = seats_taken - 1 WHERE id = $1")
                .bind(group)
                .execute(&mut *$tx)
                .await?;
            offer_free_seats!($tx, group, $now, $hold);
        }
    }};
}

/// Seats a client whose seat is already counted in `groups.seats_taken`, ending as
/// "switched" the membership (an `i64` id) the seat replaces. Yields the new membership.
macro_rules! seat_member {
    ($tx:expr, $group:expr, $client:expr, $now:expr, $replaces:expr, $hold:expr) => {{
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO memberships (group_id, client_id, status, joined_at) \
             VALUES ($1, $2, 'seated', $3) RETURNING id",
        )
        .bind($group)
        .bind($client)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        if let Some(old) = $replaces {
            end_membership!($tx, old, "switched", $now, $hold);
        }
        MembershipId::new(id)
    }};
}

/// The client's position among those waiting or holding an offer.
macro_rules! position_of {
    ($tx:expr, $group:expr, $entry:expr) => {{
        let position: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting' AND id <= $2",
        )
        .bind($group)
        .bind($entry)
        .fetch_one(&mut *$tx)
        .await?;
        position
    }};
}

/// The groups to lock, in id order so two transactions never wait on each other.
fn lock_order(a: i64, b: Option<i64>) -> Vec<i64> {
    let mut ids = vec![a];
    ids.extend(b.filter(|b| *b != a));
    ids.sort_unstable();
    ids
}

/// `hearth_reserve_seat` on PostgreSQL, inside the caller's transaction; `None` when the
/// general path must decide (a free seat is owed to people already waiting), having written
/// nothing.
async fn reserve_in_function(
    conn: &mut sqlx::PgConnection,
    group: GroupId,
    client: UserId,
    now: DateTime<Utc>,
) -> StoreResult<Option<SeatOutcome>> {
    let (outcome, id, position): (String, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT outcome, id, pos FROM hearth_reserve_seat($1, $2, $3)")
            .bind(group.get())
            .bind(client.get())
            .bind(now)
            .fetch_one(conn)
            .await?;
    let id = || id.ok_or_else(|| StoreError::corrupt("a seat outcome without its id"));
    Ok(Some(match outcome.as_str() {
        "seated" => SeatOutcome::Seated { membership: MembershipId::new(id()?) },
        "waitlisted" => SeatOutcome::Waitlisted {
            entry: WaitlistEntryId::new(id()?),
            position: position.unwrap_or(0),
        },
        "already_seated" => SeatOutcome::AlreadySeated,
        "already_waiting" => SeatOutcome::AlreadyWaiting { position: position.unwrap_or(0) },
        "closed" => SeatOutcome::Closed,
        "missing" => return Err(StoreError::NotFound),
        _ => return Ok(None),
    }))
}

impl Db {
    /// Seats `client` in `group` when a seat is free and nobody waits; otherwise puts them at
    /// the end of the waitlist. `replaces` is a membership in another group that ends when
    /// this seat is confirmed (a switch), now or when an offer is accepted. `record` commits
    /// with the outcome.
    pub async fn reserve_seat(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        replaces: Option<MembershipId>,
        hold: Duration,
        record: AuditRecord<'_, SeatOutcome>,
    ) -> StoreResult<SeatOutcome> {
        // On PostgreSQL the common case is one call to a function doing the same decision
        // under the same lock (migration 0011): the lock is held far shorter. The audit rows
        // follow in the same transaction.
        if let (Db::Postgres(pool), None) = (self, replaces) {
            let mut tx = pool.begin().await?;
            if let Some(outcome) = reserve_in_function(&mut tx, group, client, now).await? {
                tx.append_record(record, &outcome).await?;
                tx.commit().await?;
                return Ok(outcome);
            }
            tx.rollback().await?;
        }
        let old_group = match replaces {
            Some(m) => Some(self.membership_group(m).await?),
            None => None,
        };
        let (g, c) = (group.get(), client.get());
        let outcome = on_pool!(self, |pool| audited!(pool, record, |tx| {
            // Lock (and read) the group rows in id order; the target's row comes back with
            // what the decision needs, saving a round trip.
            let mut target: Option<(i32, i32, String)> = None;
            for id in lock_order(g, old_group) {
                if id == g {
                    target = sqlx::query_as(
                        "UPDATE groups SET seats_taken = seats_taken WHERE id = $1 \
                         RETURNING capacity, seats_taken, status",
                    )
                    .bind(g)
                    .fetch_optional(&mut *tx)
                    .await?;
                } else {
                    lock_group!(tx, id);
                }
            }
            let (capacity, taken, status) = target.ok_or(StoreError::NotFound)?;
            // Everything else the decision needs, in one statement.
            let (seated, waiting, queue, waiting_count): (i64, Option<i64>, i64, i64) = sqlx::query_as(
                "SELECT \
                   (SELECT COUNT(*) FROM memberships WHERE group_id = $1 AND client_id = $2 AND status = 'seated'), \
                   (SELECT MIN(id) FROM waitlist_entries WHERE group_id = $1 AND client_id = $2 \
                      AND status IN ('waiting', 'offered')), \
                   (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status IN ('waiting', 'offered')), \
                   (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting')",
            )
            .bind(g)
            .bind(c)
            .fetch_one(&mut *tx)
            .await?;
            if seated > 0 {
                SeatOutcome::AlreadySeated
            } else if let Some(entry) = waiting {
                SeatOutcome::AlreadyWaiting { position: position_of!(tx, g, entry) }
            } else if status != "open" {
                SeatOutcome::Closed
            } else if taken < capacity && queue == 0 {
                sqlx::query("UPDATE groups SET seats_taken = seats_taken + 1 WHERE id = $1")
                    .bind(g)
                    .execute(&mut *tx)
                    .await?;
                let replaces = replaces.map(MembershipId::get);
                let membership = seat_member!(tx, g, c, now, replaces, hold);
                SeatOutcome::Seated { membership }
            } else {
                let entry: i64 = sqlx::query_scalar(
                    "INSERT INTO waitlist_entries (group_id, client_id, status, created_at, replaces_membership_id) \
                     VALUES ($1, $2, 'waiting', $3, $4) RETURNING id",
                )
                .bind(g)
                .bind(c)
                .bind(now)
                .bind(replaces.map(MembershipId::get))
                .fetch_one(&mut *tx)
                .await?;
                if taken < capacity {
                    // A seat is free with people already waiting (capacity was raised, say):
                    // offer it to the first of them.
                    offer_free_seats!(tx, g, now, hold);
                    SeatOutcome::Waitlisted {
                        entry: WaitlistEntryId::new(entry),
                        position: position_of!(tx, g, entry),
                    }
                } else {
                    // Appended under the lock: everyone waiting is ahead.
                    SeatOutcome::Waitlisted {
                        entry: WaitlistEntryId::new(entry),
                        position: waiting_count + 1,
                    }
                }
            }
        }));
        Ok(outcome)
    }

    async fn membership_group(&self, membership: MembershipId) -> StoreResult<i64> {
        let group: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT group_id FROM memberships WHERE id = $1")
                .bind(membership.get())
                .fetch_optional(pool)
                .await
        })?;
        group.ok_or(StoreError::NotFound)
    }

    /// Ends the client's seat in the group; the seat is offered to the first person waiting.
    /// `NotFound` when they hold no seat there.
    pub async fn leave_group(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        let (g, c) = (group.get(), client.get());
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            lock_group!(tx, g);
            let membership: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM memberships WHERE group_id = $1 AND client_id = $2 AND status = 'seated'",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(membership) = membership else {
                return Err(StoreError::NotFound);
            };
            end_membership!(tx, membership, "left", now, hold);
        }));
        Ok(())
    }

    /// Takes the client off the group's waitlist (declining an offer if they hold one).
    pub async fn withdraw_from_waitlist(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        self.resolve_place(group, client, now, hold, "withdrawn", record).await
    }

    /// Declines a held offer; the seat goes to the next person waiting.
    pub async fn decline_offer(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        self.resolve_place(group, client, now, hold, "declined", record).await
    }

    async fn resolve_place(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        outcome: &str,
        record: AuditRecord<'_, ()>,
    ) -> StoreResult<()> {
        let (g, c) = (group.get(), client.get());
        on_pool!(self, |pool| audited!(pool, record, |tx| {
            lock_group!(tx, g);
            let entry: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, status FROM waitlist_entries WHERE group_id = $1 AND client_id = $2 \
                 AND status IN ('waiting', 'offered')",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((entry, status)) = entry else {
                return Err(StoreError::NotFound);
            };
            if outcome == "declined" && status != "offered" {
                return Err(StoreError::NotFound);
            }
            sqlx::query("UPDATE waitlist_entries SET status = $1, resolved_at = $2 WHERE id = $3")
                .bind(outcome)
                .bind(now)
                .bind(entry)
                .execute(&mut *tx)
                .await?;
            if status == "offered" {
                sqlx::query("UPDATE groups SET seats_taken = seats_taken - 1 WHERE id = $1")
                    .bind(g)
                    .execute(&mut *tx)
                    .await?;
                offer_free_seats!(tx, g, now, hold);
            }
        }));
        Ok(())
    }

    /// Accepts a live offer: the held seat becomes a membership, and a seat it replaces
    /// (a switch) ends in the same transaction. `NotFound` when there is no live offer.
    pub async fn accept_offer(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, MembershipId>,
    ) -> StoreResult<MembershipId> {
        let (g, c) = (group.get(), client.get());
        let replaces: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT replaces_membership_id FROM waitlist_entries WHERE group_id = $1 AND client_id = $2 \
                 AND status = 'offered'",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(pool)
            .await
        })?
        .flatten();
        let old_group = match replaces {
            Some(m) => Some(self.membership_group(MembershipId::new(m)).await?),
            None => None,
        };
        let membership = on_pool!(self, |pool| audited!(pool, record, |tx| {
            for id in lock_order(g, old_group) {
                lock_group!(tx, id);
            }
            let entry: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT id, replaces_membership_id FROM waitlist_entries WHERE group_id = $1 \
                 AND client_id = $2 AND status = 'offered' AND offer_expires_at > $3",
            )
            .bind(g)
            .bind(c)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((entry, replaces)) = entry else {
                return Err(StoreError::NotFound);
            };
            sqlx::query(
                "UPDATE waitlist_entries SET status = 'accepted', resolved_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(entry)
            .execute(&mut *tx)
            .await?;
            seat_member!(tx, g, c, now, replaces, hold)
        }));
        Ok(membership)
    }

    /// Offers `client` a free seat in `group` directly (a confirmed batch placement): the
    /// seat is held like any waitlist offer. Returns false when no seat is free, someone is
    /// already waiting, or the client is already a member or waiting there. `record`
    /// commits with the answer.
    pub async fn offer_free_seat(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let (g, c) = (group.get(), client.get());
        let offered = on_pool!(self, |pool| audited!(pool, record, |tx| {
            let target: Option<(i32, i32, String)> = sqlx::query_as(
                "UPDATE groups SET seats_taken = seats_taken WHERE id = $1 RETURNING capacity, seats_taken, status",
            )
            .bind(g)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((capacity, taken, status)) = target else { return Err(StoreError::NotFound) };
            let (seated, waiting, queue): (i64, i64, i64) = sqlx::query_as(
                "SELECT \
                   (SELECT COUNT(*) FROM memberships WHERE group_id = $1 AND client_id = $2 AND status = 'seated'), \
                   (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND client_id = $2 AND status IN ('waiting', 'offered')), \
                   (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting')",
            )
            .bind(g)
            .bind(c)
            .fetch_one(&mut *tx)
            .await?;
            let free =
                status == "open" && taken < capacity && seated == 0 && waiting == 0 && queue == 0;
            if free {
                sqlx::query(
                    "INSERT INTO waitlist_entries (group_id, client_id, status, created_at, offered_at, offer_expires_at) \
                     VALUES ($1, $2, 'offered', $3, $3, $4)",
                )
                .bind(g)
                .bind(c)
                .bind(now)
                .bind(now + hold)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE groups SET seats_taken = seats_taken + 1 WHERE id = $1")
                    .bind(g)
                    .execute(&mut *tx)
                    .await?;
            }
            free
        }));
        Ok(offered)
    }

    /// Offers not taken in time, oldest first: (waitlist entry, group).
    pub async fn list_due_offers(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(WaitlistEntryId, GroupId)>> {
        let due: Vec<(i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id FROM waitlist_entries WHERE status = 'offered' AND offer_expires_at <= $1 \
                 ORDER BY id",
            )
            .bind(now)
            .fetch_all(pool)
            .await
        })?;
        Ok(due.into_iter().map(|(e, g)| (WaitlistEntryId::new(e), GroupId::new(g))).collect())
    }

    /// Expires one offer not taken in time (from [`Db::list_due_offers`]) and offers its seat
    /// on. `false` when it was no longer due (accepted meanwhile, say); `record` commits with
    /// the answer.
    pub async fn expire_offer(
        &self,
        entry: WaitlistEntryId,
        group: GroupId,
        now: DateTime<Utc>,
        hold: Duration,
        record: AuditRecord<'_, bool>,
    ) -> StoreResult<bool> {
        let (entry, group) = (entry.get(), group.get());
        let expired = on_pool!(self, |pool| audited!(pool, record, |tx| {
            lock_group!(tx, group);
            // Re-checked under the lock: the client may have accepted meanwhile.
            let done = sqlx::query(
                "UPDATE waitlist_entries SET status = 'expired', resolved_at = $1 \
                 WHERE id = $2 AND status = 'offered' AND offer_expires_at <= $1",
            )
            .bind(now)
            .bind(entry)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                sqlx::query("UPDATE groups SET seats_taken = seats_taken - 1 WHERE id = $1")
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                offer_free_seats!(tx, group, now, hold);
            }
            done == 1
        }));
        Ok(expired)
    }

    /// The client's place in the group's waitlist, if they are on it.
    pub async fn find_waitlist_place(
        &self,
        group: GroupId,
        client: UserId,
    ) -> StoreResult<Option<WaitlistPlace>> {
        let (g, c) = (group.get(), client.get());
        let place = on_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            let entry: Option<(i64, String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT id, status, offer_expires_at FROM waitlist_entries WHERE group_id = $1 \
                 AND client_id = $2 AND status IN ('waiting', 'offered')",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(&mut *conn)
            .await?;
            match entry {
                None => None,
                Some((id, status, expires)) => {
                    let position = if status == "offered" { 0 } else { position_of!(conn, g, id) };
                    Some(WaitlistPlace {
                        entry: WaitlistEntryId::new(id),
                        position,
                        offer_expires_at: expires,
                    })
                }
            }
        });
        Ok(place)
    }

    /// Every membership of a client, current and past, newest first.
    pub async fn list_client_memberships(&self, client: UserId) -> StoreResult<Vec<MembershipRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE client_id = $1 ORDER BY joined_at DESC, id DESC",
            )
            .bind(client.get())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// The seats these clients hold now, one statement per 500 clients.
    pub async fn list_seated_memberships(
        &self,
        clients: &[UserId],
    ) -> StoreResult<Vec<MembershipRow>> {
        let mut out = Vec::new();
        for chunk in clients.chunks(crate::db::IN_CHUNK) {
            let sql = format!(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE status = 'seated' AND client_id IN ({})",
                crate::db::in_list(1, chunk.len())
            );
            let rows: Vec<MembershipRow> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The current members of a group, in joining order.
    pub async fn list_group_members(&self, group: GroupId) -> StoreResult<Vec<MembershipRow>> {
        let rows = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE group_id = $1 AND status = 'seated' ORDER BY joined_at, id",
            )
            .bind(group.get())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows)
    }

    /// Groups where the client waits or holds an offer: (group, place).
    pub async fn list_client_waitlists(
        &self,
        client: UserId,
    ) -> StoreResult<Vec<(GroupId, WaitlistPlace)>> {
        let groups: Vec<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT group_id FROM waitlist_entries WHERE client_id = $1 AND status IN ('waiting', 'offered') \
                 ORDER BY id",
            )
            .bind(client.get())
            .fetch_all(pool)
            .await
        })?;
        let mut places = Vec::with_capacity(groups.len());
        for g in groups {
            let group = GroupId::new(g);
            if let Some(place) = self.find_waitlist_place(group, client).await? {
                places.push((group, place));
            }
        }
        Ok(places)
    }
}
