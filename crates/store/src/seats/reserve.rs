//! Taking a seat or a place in line.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{GroupId, MembershipId, SeatDecision, UserId, WaitlistEntryId};

use super::{SeatOutcome, lock_order};
use crate::audit::{AppendAudit as _, audited};
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

/// `hearth_reserve_seat` on PostgreSQL, inside the caller's transaction: the same
/// [`hearth_domain::decide_reservation`] in one round trip. `None` when the general path
/// must decide (a free seat is owed to people already waiting), having written nothing.
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
    /// the end of the waitlist ([`hearth_domain::decide_reservation`]). `replaces` is a
    /// membership in another group that ends when this seat is confirmed (a switch), now or
    /// when an offer is accepted. `record` commits with the outcome.
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
        self.reserve_seat_in_rust(group, client, now, replaces, hold, record).await
    }

    /// [`Db::reserve_seat`] without PostgreSQL's one-call function: the general path, which
    /// reads the facts, asks the domain and writes. Only for the test that keeps the two
    /// paths equal; production calls `reserve_seat`.
    #[doc(hidden)]
    pub async fn reserve_seat_in_rust(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        replaces: Option<MembershipId>,
        hold: Duration,
        record: AuditRecord<'_, SeatOutcome>,
    ) -> StoreResult<SeatOutcome> {
        let old_group = match replaces {
            Some(m) => Some(self.membership_group(m).await?),
            None => None,
        };
        let (g, c) = (group.get(), client.get());
        let outcome = on_pool!(self, |pool| audited!(pool, record, |tx| {
            // Lock the group rows in id order; the target's lock reads the facts with it.
            let mut facts = None;
            for id in lock_order(g, old_group) {
                if id == g {
                    facts = seat_facts!(tx, g, c);
                } else {
                    lock_group!(tx, id);
                }
            }
            let facts = facts.ok_or(StoreError::NotFound)?;
            match hearth_domain::decide_reservation(&facts) {
                SeatDecision::AlreadySeated => SeatOutcome::AlreadySeated,
                SeatDecision::AlreadyWaiting { entry } => {
                    SeatOutcome::AlreadyWaiting { position: position_of!(tx, g, entry.get()) }
                }
                SeatDecision::Closed => SeatOutcome::Closed,
                SeatDecision::Seat => {
                    sqlx::query("UPDATE groups SET seats_taken = seats_taken + 1 WHERE id = $1")
                        .bind(g)
                        .execute(&mut *tx)
                        .await?;
                    let replaces = replaces.map(MembershipId::get);
                    let membership = seat_member!(tx, g, c, now, replaces, hold);
                    SeatOutcome::Seated { membership }
                }
                SeatDecision::Waitlist { offers, position } => {
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
                    // Seats free with people already waiting (capacity was raised, say) go
                    // to the first of them, the new entry among them when all are offered.
                    offer_seats!(tx, g, offers, now, hold);
                    SeatOutcome::Waitlisted { entry: WaitlistEntryId::new(entry), position }
                }
            }
        }));
        Ok(outcome)
    }

    /// The group a membership belongs to.
    pub(super) async fn membership_group(&self, membership: MembershipId) -> StoreResult<i64> {
        let group: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT group_id FROM memberships WHERE id = $1")
                .bind(membership.get())
                .fetch_optional(pool)
                .await
        })?;
        group.ok_or(StoreError::NotFound)
    }
}
