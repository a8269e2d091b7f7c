//! Seats and places as the store hands them out, parsed once at its boundary.

use chrono::{DateTime, Utc};

use crate::{GroupId, MembershipId, UserId, WaitlistEntryId};

/// Where a membership stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipStatus {
    /// The client holds a seat.
    Seated,
    /// The client left the group.
    Left,
    /// The client moved to another group.
    Switched,
}

impl MembershipStatus {
    pub const ALL: [MembershipStatus; 3] = [Self::Seated, Self::Left, Self::Switched];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seated => "seated",
            Self::Left => "left",
            Self::Switched => "switched",
        }
    }

    /// The stored form back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Where a waitlist entry stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitlistStatus {
    /// In line.
    Waiting,
    /// A seat is held for the client until the offer expires.
    Offered,
    Accepted,
    Declined,
    Expired,
    Withdrawn,
}

impl WaitlistStatus {
    pub const ALL: [WaitlistStatus; 6] = [
        Self::Waiting,
        Self::Offered,
        Self::Accepted,
        Self::Declined,
        Self::Expired,
        Self::Withdrawn,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Offered => "offered",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// The stored form back; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The entry still stands in line or holds a seat (the client has a place).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Waiting | Self::Offered)
    }
}

/// A client's place in a group's waitlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitlistPlace {
    pub entry: WaitlistEntryId,
    /// `Waiting` or `Offered`.
    pub status: WaitlistStatus,
    /// 1 for the first in line; an offered seat counts as position 0.
    pub position: i64,
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// A membership as a client or the care team sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    pub id: MembershipId,
    pub group_id: GroupId,
    pub client_id: UserId,
    pub status: MembershipStatus,
    pub joined_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}
