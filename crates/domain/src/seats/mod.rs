//! Seats and waitlists: who takes a seat, who waits, and who is offered a freed one.
//!
//! The store reads a group's [`SeatFacts`] under the group's lock, asks these functions, and
//! writes what they decide; no other code decides a seat. On PostgreSQL the common cases of
//! [`decide_reservation`] also run as one SQL function (`hearth_reserve_seat`, migration
//! 0011) to keep the lock short; a differential test in the store drives both with the same
//! random sequences and compares every state.
//!
//! The rules:
//! - A group's seats are its members plus the seats held for open offers; they never exceed
//!   its capacity.
//! - A seat is taken at once only when one is free and nobody else is waiting or holding an
//!   offer; otherwise the client joins the end of the waitlist.
//! - A freed seat goes to the first person waiting (in the order they joined), held for them
//!   as an offer, until the seats are full or nobody waits.
//! - A coordinator may offer a free seat directly only when nobody waits for it.

mod rows;
#[cfg(test)]
mod tests;

pub use rows::{MembershipRow, MembershipStatus, WaitlistPlace, WaitlistStatus};

use chrono::{DateTime, Utc};

use crate::WaitlistEntryId;

/// What the store reads under the group's lock before deciding about one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatFacts {
    pub capacity: i64,
    /// Members plus seats held for open offers.
    pub seats_taken: i64,
    /// The group takes new members (its status is `open`).
    pub open: bool,
    /// The client already holds a seat in this group.
    pub seated: bool,
    /// The client's own entry in this group's waitlist, waiting or holding an offer.
    pub entry: Option<WaitlistEntryId>,
    /// Entries in this group's waitlist that are waiting or hold an offer.
    pub holding: i64,
    /// Entries in this group's waitlist that are waiting.
    pub waiting: i64,
}

impl SeatFacts {
    /// Seats neither taken nor held.
    pub fn free(&self) -> i64 {
        (self.capacity - self.seats_taken).max(0)
    }
}

/// What a request for a seat comes to, for the store to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatDecision {
    /// Nothing to write: the client holds a seat here.
    AlreadySeated,
    /// Nothing to write: the client already waits or holds an offer here.
    AlreadyWaiting { entry: WaitlistEntryId },
    /// Nothing to write: the group takes nobody new.
    Closed,
    /// Take a free seat: a new membership, one more seat taken.
    Seat,
    /// Append the client to the waitlist, then offer `offers` free seats to the first people
    /// waiting (the new entry among them when `position` is 0). `position` is the client's
    /// place in line afterwards.
    Waitlist { offers: i64, position: i64 },
}

/// Decides a client's request for a seat from the facts read under the group's lock.
///
/// A client who already holds a seat or a place is told so, whether or not the group is
/// open; a closed group takes nobody new; a free seat nobody else waits for is taken at
/// once. Everyone else joins the end of the line, and seats that are free (capacity raised,
/// or freed while nobody waited) go to the front of the line.
pub fn decide_reservation(facts: &SeatFacts) -> SeatDecision {
    if facts.seated {
        SeatDecision::AlreadySeated
    } else if let Some(entry) = facts.entry {
        SeatDecision::AlreadyWaiting { entry }
    } else if !facts.open {
        SeatDecision::Closed
    } else if facts.free() > 0 && facts.holding == 0 {
        SeatDecision::Seat
    } else {
        let line = facts.waiting + 1;
        let offers = seats_to_offer(facts.capacity, facts.seats_taken, line);
        // The new entry is the last in line: it is offered a seat only when everyone is.
        SeatDecision::Waitlist { offers, position: line - offers }
    }
}

/// How many of the first people waiting are offered a seat: as many as there are free
/// seats, or everyone waiting when fewer wait. The store offers them in the order they
/// joined and counts each offered seat as taken.
pub fn seats_to_offer(capacity: i64, seats_taken: i64, waiting: i64) -> i64 {
    (capacity - seats_taken).max(0).min(waiting.max(0))
}

/// Whether a coordinator may offer the client a seat directly (a confirmed batch
/// placement): the group is open, a seat is free, the client holds neither a seat nor a
/// place there, and nobody waits (the seat would be theirs first).
pub fn may_offer_directly(facts: &SeatFacts) -> bool {
    facts.open && facts.free() > 0 && !facts.seated && facts.entry.is_none() && facts.waiting == 0
}

/// How a client gives up their place in a waitlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceRelease {
    /// Leave the line, declining an offer if they hold one.
    Withdraw,
    /// Decline a held offer.
    Decline,
}

impl PlaceRelease {
    /// The status the entry ends with, or `None` when an entry in status `current` cannot be
    /// given up this way (declining without an offer, or an entry already resolved). A seat
    /// is freed, and offered on, when `current` held one.
    pub fn ends(self, current: WaitlistStatus) -> Option<WaitlistStatus> {
        match (self, current) {
            (Self::Withdraw, WaitlistStatus::Waiting | WaitlistStatus::Offered) => {
                Some(WaitlistStatus::Withdrawn)
            }
            (Self::Decline, WaitlistStatus::Offered) => Some(WaitlistStatus::Declined),
            _ => None,
        }
    }
}

/// Whether an offer expiring at `expires_at` may still be accepted at `now`.
pub fn offer_is_live(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires_at > now
}
