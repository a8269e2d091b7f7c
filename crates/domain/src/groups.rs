//! A weekly group as the practice runs it: who leads it, when it meets, how full it is.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{AgeBand, GroupId, UserId, WeeklySlot};

/// A weekly group, with how full it is.
#[derive(Clone, Debug)]
pub struct Group {
    pub id: GroupId,
    /// The slug of the group's topic.
    pub topic: String,
    pub therapist_id: UserId,
    /// The slot the group was created with; later changes are kept apart, as slot changes.
    pub slot: WeeklySlot,
    pub capacity: i32,
    pub age_band: AgeBand,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub status: GroupStatus,
    /// Members plus seats held for open offers.
    pub seats_taken: i32,
    /// People waiting or holding an offer.
    pub waitlist: i64,
    pub created_at: DateTime<Utc>,
}

impl Group {
    pub fn seats_left(&self) -> i32 {
        (self.capacity - self.seats_taken).max(0)
    }

    /// Whether the group takes new members (its end date is a separate matter).
    pub fn is_open(&self) -> bool {
        self.status == GroupStatus::Open
    }
}

/// Whether a group takes new members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupStatus {
    Open,
    Closed,
}

/// A group status that is not one of Hearth's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown group status {0:?}")]
pub struct GroupStatusError(String);

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, GroupStatusError> {
        match raw {
            "open" => Ok(GroupStatus::Open),
            "closed" => Ok(GroupStatus::Closed),
            other => Err(GroupStatusError(other.to_owned())),
        }
    }
}

/// Which groups to list; every field left `None` matches all.
#[derive(Clone, Debug, Default)]
pub struct GroupFilter {
    /// A topic's slug.
    pub topic: Option<String>,
    pub therapist: Option<UserId>,
    pub ids: Option<Vec<GroupId>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_statuses_read_back_what_they_write() {
        for status in [GroupStatus::Open, GroupStatus::Closed] {
            assert_eq!(GroupStatus::parse(status.as_str()), Ok(status));
        }
        assert!(GroupStatus::parse("archived").is_err());
    }
}
