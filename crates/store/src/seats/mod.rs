//! Seats and waitlists. Every change locks the group's row first (an UPDATE, which takes
//! SQLite's write lock or a PostgreSQL row lock), reads the facts it needs, asks the rule in
//! `hearth_domain::seats`, and writes what it decided; so capacity holds under any
//! concurrency, and the `seats_taken <= capacity` check in the schema is the last line of
//! defence.
//!
//! `reserve` takes seats, `offers` moves held seats along (accept, decline, withdraw,
//! expire, direct offers, leaving), `queries` reads seats and places.

use chrono::{DateTime, Utc};
use hearth_domain::{
    GroupId, MembershipId, MembershipRow, MembershipStatus, UserId, WaitlistEntryId, WaitlistStatus,
};

use crate::{StoreError, StoreResult};

/// What a request for a seat came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatOutcome {
    Seated { membership: MembershipId },
    Waitlisted { entry: WaitlistEntryId, position: i64 },
    AlreadySeated,
    AlreadyWaiting { position: i64 },
    Closed,
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

/// Locks the group's row and reads the [`hearth_domain::SeatFacts`] about one client:
/// `None` when there is no such group.
macro_rules! seat_facts {
    ($tx:expr, $group:expr, $client:expr) => {{
        let group: Option<(i32, i32, String)> = sqlx::query_as(
            "UPDATE groups SET seats_taken = seats_taken WHERE id = $1 \
             RETURNING capacity, seats_taken, status",
        )
        .bind($group)
        .fetch_optional(&mut *$tx)
        .await?;
        match group {
            None => None,
            Some((capacity, seats_taken, status)) => {
                // A new statement sees everything committed before the lock was granted.
                let (seated, entry, holding, waiting): (i64, Option<i64>, i64, i64) = sqlx::query_as(
                    "SELECT \
                       (SELECT COUNT(*) FROM memberships WHERE group_id = $1 AND client_id = $2 AND status = 'seated'), \
                       (SELECT MIN(id) FROM waitlist_entries WHERE group_id = $1 AND client_id = $2 \
                          AND status IN ('waiting', 'offered')), \
                       (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status IN ('waiting', 'offered')), \
                       (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting')",
                )
                .bind($group)
                .bind($client)
                .fetch_one(&mut *$tx)
                .await?;
                Some(hearth_domain::SeatFacts {
                    capacity: capacity.into(),
                    seats_taken: seats_taken.into(),
                    open: status == "open",
                    seated: seated > 0,
                    entry: entry.map(hearth_domain::WaitlistEntryId::new),
                    holding,
                    waiting,
                })
            }
        }
    }};
}

/// Offers `$count` seats of a locked group to the first people waiting, in the order they
/// joined, holding each seat until the offer expires.
macro_rules! offer_seats {
    ($tx:expr, $group:expr, $count:expr, $now:expr, $hold:expr) => {{
        let count: i64 = $count;
        if count > 0 {
            sqlx::query(
                "UPDATE waitlist_entries SET status = 'offered', offered_at = $1, offer_expires_at = $2 \
                 WHERE id IN (SELECT id FROM waitlist_entries WHERE group_id = $3 AND status = 'waiting' \
                 ORDER BY id LIMIT $4)",
            )
            .bind($now)
            .bind($now + $hold)
            .bind($group)
            .bind(count)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("UPDATE groups SET seats_taken = seats_taken + $1 WHERE id = $2")
                .bind(count)
                .bind($group)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Offers every free seat of a locked group to the first people waiting
/// ([`hearth_domain::seats_to_offer`]).
macro_rules! offer_free_seats {
    ($tx:expr, $group:expr, $now:expr, $hold:expr) => {{
        let (capacity, taken, waiting): (i32, i32, i64) = sqlx::query_as(
            "SELECT capacity, seats_taken, \
               (SELECT COUNT(*) FROM waitlist_entries WHERE group_id = $1 AND status = 'waiting') \
             FROM groups WHERE id = $1",
        )
        .bind($group)
        .fetch_one(&mut *$tx)
        .await?;
        let offers = hearth_domain::seats_to_offer(capacity.into(), taken.into(), waiting);
        offer_seats!($tx, $group, offers, $now, $hold);
    }};
}

/// Ends a seated membership (an `i64` id) with `$status`, frees its seat and offers it on.
macro_rules! end_membership {
    ($tx:expr, $membership:expr, $status:expr, $now:expr, $hold:expr) => {{
        let status: hearth_domain::MembershipStatus = $status;
        let group: Option<i64> = sqlx::query_scalar(
            "UPDATE memberships SET status = $1, ended_at = $2 WHERE id = $3 AND status = 'seated' \
             RETURNING group_id",
        )
        .bind(status.as_str())
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
            end_membership!($tx, old, hearth_domain::MembershipStatus::Switched, $now, $hold);
        }
        hearth_domain::MembershipId::new(id)
    }};
}

/// The client's position among those waiting (an offered entry counts those waiting
/// before it, normally none).
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

mod offers;
mod queries;
mod reserve;

/// The groups to lock, in id order so two transactions never wait on each other.
fn lock_order(a: i64, b: Option<i64>) -> Vec<i64> {
    let mut ids = vec![a];
    ids.extend(b.filter(|b| *b != a));
    ids.sort_unstable();
    ids
}

/// A waitlist status as stored; anything else is corrupt data.
fn waitlist_status(raw: &str) -> StoreResult<WaitlistStatus> {
    WaitlistStatus::parse(raw)
        .ok_or_else(|| StoreError::corrupt(format!("unknown waitlist status {raw:?}")))
}

/// A membership as stored, before its status is parsed.
#[derive(sqlx::FromRow)]
struct StoredMembership {
    id: i64,
    group_id: i64,
    client_id: i64,
    status: String,
    joined_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

impl TryFrom<StoredMembership> for MembershipRow {
    type Error = StoreError;

    fn try_from(row: StoredMembership) -> StoreResult<Self> {
        let status = MembershipStatus::parse(&row.status).ok_or_else(|| {
            StoreError::corrupt(format!("unknown membership status {:?}", row.status))
        })?;
        Ok(MembershipRow {
            id: MembershipId::new(row.id),
            group_id: GroupId::new(row.group_id),
            client_id: UserId::new(row.client_id),
            status,
            joined_at: row.joined_at,
            ended_at: row.ended_at,
        })
    }
}

/// Parses stored memberships at the boundary.
fn memberships(rows: Vec<StoredMembership>) -> StoreResult<Vec<MembershipRow>> {
    rows.into_iter().map(MembershipRow::try_from).collect()
}
