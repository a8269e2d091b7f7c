//! Check-ins: a PHQ-9 and GAD-7 pair is due before each session (every N weeks, set per
//! program). The client sees when theirs is due; the care team sees who missed one.

use chrono::{DateTime, Duration, Utc};
use hearth_domain::{
    GroupFilter, GroupId, MembershipRow, OccurrenceStatus, Role, Series, User, UserId,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

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

/// A client's check-in status from their seats, their groups' series and when they answered
/// PHQ-9s and GAD-7s (`(instrument, taken at)`). Pure: the use cases gather the facts, for
/// one client or for a whole page at once.
fn status_from(
    now: DateTime<Utc>,
    cadence: Duration,
    seats: &[&MembershipRow],
    series: &HashMap<GroupId, Series>,
    answered: &[(&str, DateTime<Utc>)],
) -> CheckInStatus {
    let mut previous = None;
    let mut next = None;
    for membership in seats {
        let Some(series) = series.get(&membership.group_id) else { continue };
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
    let days = |slug: &str| -> BTreeSet<chrono::NaiveDate> {
        answered.iter().filter(|(i, _)| *i == slug).map(|(_, at)| at.date_naive()).collect()
    };
    let (phq, gad) = (days("phq9"), days("gad7"));
    let last_day = phq.intersection(&gad).max().copied();
    let last = last_day.and_then(|day| {
        answered.iter().filter(|(_, at)| at.date_naive() == day).map(|(_, at)| *at).max()
    });
    let due = next.is_some_and(|n| last.is_none_or(|l| l < n - cadence));
    let overdue = previous.is_some_and(|p| last.is_none_or(|l| l < p - cadence));
    CheckInStatus { last, previous_meeting: previous, next_meeting: next, due, overdue }
}

/// How old the staff's list of missed check-ins may be: it reads every PHQ-9 and GAD-7 of
/// every client it covers, so a dashboard shows a list at most this old (and says when it was
/// made); a client's own check-in clears them from it at once.
pub const OVERDUE_TTL: Duration = Duration::seconds(60);

/// Clients who missed a check-in, with their status.
type OverdueList = Arc<Vec<(User, CheckInStatus)>>;

/// A list with the time it was made.
type Stamped = (DateTime<Utc>, OverdueList);

/// The last list of missed check-ins for each scope (a therapist's clients, or everyone).
#[derive(Debug, Default)]
pub(crate) struct OverdueCache {
    latest: Mutex<HashMap<Option<UserId>, Stamped>>,
    /// Held while a list is made.
    refill: tokio::sync::Mutex<()>,
}

impl OverdueCache {
    /// The list for `scope` if it was made less than [`OVERDUE_TTL`] before `now`.
    fn fresh(
        &self,
        scope: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Option<(OverdueList, DateTime<Utc>)> {
        let latest = self.latest.lock().ok()?;
        let (at, list) = latest.get(&scope)?;
        (now >= *at && now - *at < OVERDUE_TTL).then(|| (Arc::clone(list), *at))
    }

    /// Forgets every list (a client checked in).
    pub(crate) fn clear(&self) {
        if let Ok(mut latest) = self.latest.lock() {
            latest.clear();
        }
    }
}

impl App {
    /// The series of each group the seats are in, by id: the groups in one statement, their
    /// series from the copy of every group's changes kept for display (at most a minute old).
    async fn series_by_group(
        &self,
        seats: &[MembershipRow],
    ) -> AppResult<HashMap<GroupId, Series>> {
        let mut ids: Vec<GroupId> = seats.iter().map(|s| s.group_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let groups =
            self.db.list_groups(&GroupFilter { ids: Some(ids), ..GroupFilter::default() }).await?;
        let changes = self.series_changes().await?;
        groups.iter().map(|g| Ok((g.id, Self::series_from(g, &changes)?))).collect()
    }

    /// The client's check-in status from their groups' meetings and their measures.
    pub async fn check_in_status(&self, client: &User) -> AppResult<CheckInStatus> {
        let statuses = self.check_in_statuses(std::slice::from_ref(&client.id)).await?;
        Ok(statuses.get(&client.id).copied().unwrap_or_default())
    }

    /// The check-in status of each of `clients`, in a number of statements that grows with
    /// the groups they sit in, not with the clients.
    async fn check_in_statuses(
        &self,
        clients: &[UserId],
    ) -> AppResult<HashMap<UserId, CheckInStatus>> {
        let now = self.clock.now();
        let cadence =
            Duration::weeks(i64::from(self.db.program_check_in_cadence("group").await?.max(1)));
        let seats = self.db.list_seated_memberships(clients).await?;
        let series = self.series_by_group(&seats).await?;
        let times = self.db.list_check_in_times(clients).await?;
        let mut seats_of: HashMap<UserId, Vec<&MembershipRow>> = HashMap::new();
        for seat in &seats {
            seats_of.entry(seat.client_id).or_default().push(seat);
        }
        let mut answered: HashMap<i64, Vec<(&str, DateTime<Utc>)>> = HashMap::new();
        for (client, instrument, at) in &times {
            answered.entry(*client).or_default().push((instrument.as_str(), *at));
        }
        Ok(clients
            .iter()
            .map(|client| {
                let seats = seats_of.get(client).map_or(&[][..], Vec::as_slice);
                let answered = answered.get(&client.get()).map_or(&[][..], Vec::as_slice);
                (*client, status_from(now, cadence, seats, &series, answered))
            })
            .collect())
    }

    /// Clients whose previous session went by without a check-in (staff; a therapist sees
    /// their own clients).
    pub async fn overdue_check_ins(
        &self,
        who: &Authenticated,
    ) -> AppResult<Vec<(User, CheckInStatus)>> {
        Ok(self.overdue_check_ins_as_of(who).await?.0.as_ref().clone())
    }

    /// The list of missed check-ins and when it was made: at most [`OVERDUE_TTL`] ago.
    pub async fn overdue_check_ins_as_of(
        &self,
        who: &Authenticated,
    ) -> AppResult<(OverdueList, DateTime<Utc>)> {
        if who.user.role == Role::Client {
            return Err(AppError::Forbidden);
        }
        // A therapist's scope is the members of their groups, a coordinator's the clients
        // assigned to them, an admin's the whole practice.
        let scope = (who.user.role != Role::Admin).then_some(who.user.id);
        if let Some(found) = self.overdue_cache.fresh(scope, self.clock.now()) {
            return Ok(found);
        }
        // One refill at a time: a burst of views after the list expired waits for the first
        // to make it instead of each making its own.
        let _refilling = self.overdue_cache.refill.lock().await;
        let now = self.clock.now();
        if let Some(found) = self.overdue_cache.fresh(scope, now) {
            return Ok(found);
        }
        let clients: Vec<UserId> = match who.user.role {
            Role::Coordinator => self.db.list_coordinated_clients(who.user.id).await?,
            role => self
                .db
                .list_first_memberships(None, (role == Role::Therapist).then_some(who.user.id))
                .await?
                .into_iter()
                .map(|(client, _)| UserId::new(client))
                .collect(),
        };
        let statuses = self.check_in_statuses(&clients).await?;
        let mut people: HashMap<UserId, User> =
            self.db.find_users(&clients).await?.into_iter().map(|u| (u.id, u)).collect();
        let list: Vec<(User, CheckInStatus)> = clients
            .iter()
            .filter_map(|c| {
                let status = statuses.get(c).copied()?;
                status.overdue.then(|| people.remove(c).map(|u| (u, status))).flatten()
            })
            .collect();
        let list = Arc::new(list);
        if let Ok(mut latest) = self.overdue_cache.latest.lock() {
            latest.insert(scope, (now, Arc::clone(&list)));
        }
        Ok((list, now))
    }
}
