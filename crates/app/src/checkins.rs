//! Check-ins: a PHQ-9 and GAD-7 pair is due before each session (every N weeks, set per
//! program). The client sees when theirs is due; the care team sees who missed one.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{GroupId, OccurrenceStatus, Role, UserId};
use hearth_store::User;
use std::collections::BTreeSet;

use crate::{App, AppError, AppResult, Authenticated};

/// Where a client stands with their check-ins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckInStatus {
    /// The last day with both a PHQ-9 and a GAD-7.
    pub last: Option<DateTime<Utc>>,
    pub previous_meeting: Option<DateTime<Utc>>,
    pub next_meeting: Option<DateTime<Utc>>,
    /// A check-in is expected before the next meeting.
    pub due: bool,
    /// The previous meeting went by without one.
    pub overdue: bool,
}

impl App {
    /// The client's check-in status from their groups' meetings and their measures.
    pub async fn check_in_status(&self, client: &User) -> AppResult<CheckInStatus> {
        let now = self.clock.now();
        let cadence =
            Duration::weeks(i64::from(self.db.program_check_in_cadence("group").await?.max(1)));
        let mut previous = None;
        let mut next = None;
        for membership in self
            .db
            .list_client_memberships(client.id)
            .await?
            .iter()
            .filter(|m| m.status == "seated")
        {
            let group = self.find_group(GroupId::new(membership.group_id)).await?;
            let series = self.series_of(&group).await?;
            for o in series.occurrences(now - Duration::weeks(9), now + Duration::weeks(2)) {
                if o.status == OccurrenceStatus::Cancelled {
                    continue;
                }
                let at = o.occurrence.starts_at;
                if at < now && at >= membership.joined_at {
                    previous = previous.max(Some(at));
                } else if at >= now {
                    next = Some(next.map_or(at, |n: DateTime<Utc>| n.min(at)));
                }
            }
        }
        let measures = self.db.list_measures(client.id, None).await?;
        let days = |slug: &str| -> BTreeSet<chrono::NaiveDate> {
            measures
                .iter()
                .filter(|m| m.instrument == slug)
                .map(|m| m.taken_at.date_naive())
                .collect()
        };
        let (phq, gad) = (days("phq9"), days("gad7"));
        let last_day = phq.intersection(&gad).max().copied();
        let last = last_day.and_then(|day| {
            measures.iter().filter(|m| m.taken_at.date_naive() == day).map(|m| m.taken_at).max()
        });
        let due = next.is_some_and(|n| last.is_none_or(|l| l < n - cadence));
        let overdue = previous.is_some_and(|p| last.is_none_or(|l| l < p - cadence));
        Ok(CheckInStatus { last, previous_meeting: previous, next_meeting: next, due, overdue })
    }

    /// Clients whose previous session went by without a check-in (staff; a therapist sees
    /// their own clients).
    pub async fn overdue_check_ins(
        &self,
        who: &Authenticated,
    ) -> AppResult<Vec<(User, CheckInStatus)>> {
        if who.user.role == Role::Client {
            return Err(AppError::Forbidden);
        }
        let therapist = (who.user.role == Role::Therapist).then_some(who.user.id);
        let mut overdue = Vec::new();
        for (client, _) in self.db.list_first_memberships(None, therapist).await? {
            let Some(user) = self.db.find_user(UserId::new(client)).await? else { continue };
            let status = self.check_in_status(&user).await?;
            if status.overdue {
                overdue.push((user, status));
            }
        }
        Ok(overdue)
    }
}
