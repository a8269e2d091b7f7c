//! Moving seats along: leaving, offers held, accepted, declined, withdrawn and expired.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{
    GroupId, MembershipId, MembershipStatus, PlaceRelease, UserId, WaitlistEntryId, WaitlistStatus,
    offer_is_live,
};

use super::{lock_order, waitlist_status};
use crate::audit::audited;
use crate::db::on_pool;
use crate::{AuditRecord, Db, StoreError, StoreResult};

impl Db {
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
            end_membership!(tx, membership, MembershipStatus::Left, now, hold);
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
        self.release_place(group, client, now, hold, PlaceRelease::Withdraw, record).await
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
        self.release_place(group, client, now, hold, PlaceRelease::Decline, record).await
    }

    async fn release_place(
        &self,
        group: GroupId,
        client: UserId,
        now: DateTime<Utc>,
        hold: Duration,
        release: PlaceRelease,
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
            let status = waitlist_status(&status)?;
            let Some(ends) = release.ends(status) else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("UPDATE waitlist_entries SET status = $1, resolved_at = $2 WHERE id = $3")
                .bind(ends.as_str())
                .bind(now)
                .bind(entry)
                .execute(&mut *tx)
                .await?;
            if status == WaitlistStatus::Offered {
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
            let entry: Option<(i64, Option<i64>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT id, replaces_membership_id, offer_expires_at FROM waitlist_entries \
                 WHERE group_id = $1 AND client_id = $2 AND status = 'offered'",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((entry, replaces, Some(expires))) = entry else {
                return Err(StoreError::NotFound);
            };
            if !offer_is_live(expires, now) {
                return Err(StoreError::NotFound);
            }
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
    /// already waiting, or the client is already a member or waiting there
    /// ([`hearth_domain::may_offer_directly`]). `record` commits with the answer.
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
            let facts = seat_facts!(tx, g, c).ok_or(StoreError::NotFound)?;
            let free = hearth_domain::may_offer_directly(&facts);
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
            let offer: Option<(String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT status, offer_expires_at FROM waitlist_entries WHERE id = $1",
            )
            .bind(entry)
            .fetch_optional(&mut *tx)
            .await?;
            let due = match offer {
                Some((status, Some(expires))) => {
                    waitlist_status(&status)? == WaitlistStatus::Offered
                        && !offer_is_live(expires, now)
                }
                _ => false,
            };
            if due {
                sqlx::query(
                    "UPDATE waitlist_entries SET status = 'expired', resolved_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(entry)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE groups SET seats_taken = seats_taken - 1 WHERE id = $1")
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                offer_free_seats!(tx, group, now, hold);
            }
            due
        }));
        Ok(expired)
    }
}
