//! A group's slot over time: its dates, its revisions, and one-off changes to single meetings.

use super::occurrence::{Occurrence, Placement};
use super::slot::WeeklySlot;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// Slack between a meeting's local date and its UTC date: real offsets stay well under a
/// day, so a meeting's UTC date is at most one day either side of its local date; two
/// leaves room to spare.
const DATE_MARGIN: Days = Days::new(2);
/// How far each step looks for the meeting before or after a given instant.
const LOOK_STEP: chrono::Duration = chrono::Duration::weeks(8);
/// Past its last exception, a series meets on its slot within a week and a day of any date
/// (a revision starts meeting within a week of its first date): three weeks leave room.
const REGULAR_WITHIN: Days = Days::new(21);

/// Why a change to a series was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SeriesError {
    #[error("the last meeting date cannot be before the first")]
    EndsBeforeStart,
    #[error("the group does not meet on this date")]
    NoMeetingOn,
    #[error("the group has ended before this date")]
    AfterEnd,
}

/// A one-off change to a single meeting, keyed by the meeting's original local date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OccurrenceException {
    Cancelled,
    /// The meeting happens at `to` instead; its length stays the slot's.
    Moved {
        to: DateTime<Utc>,
    },
}

/// Whether a meeting of the series happens as planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OccurrenceStatus {
    Scheduled,
    Cancelled,
    Moved,
}

/// A meeting of a series, as a calendar shows it.
///
/// Its identity is [`SeriesOccurrence::original_local_date`], the date the series gave it,
/// not the day it is held: a moved meeting keeps its exception, room and attendance sheet
/// under that date, while [`SeriesOccurrence::occurrence`] says when it really happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeriesOccurrence {
    /// Where and when it happens; for a moved meeting, the new time (placed [`Placement::Exact`]).
    pub occurrence: Occurrence,
    /// The local date the series gave this meeting: its identity, which keys its exception
    /// (and the app's room and attendance), and stays the same when the meeting is moved.
    pub original_local_date: NaiveDate,
    pub status: OccurrenceStatus,
    /// For a moved meeting, where the series had put it (`None` for every other meeting).
    pub moved_from: Option<Occurrence>,
}

impl SeriesOccurrence {
    /// Whether the meeting happens on the series' own slot: neither moved nor cancelled.
    /// Only such meetings say when the group meets.
    pub fn is_regular(&self) -> bool {
        self.status == OccurrenceStatus::Scheduled
    }
}

/// A group's weekly meetings from `starts_on` to `ends_on` (inclusive, or open-ended).
///
/// The slot can be revised from a date on, and single meetings cancelled or moved; meetings
/// are always computed, so a query touches only the weeks it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    /// Sorted by date, strictly increasing, never empty; the first starts on `starts_on`.
    revisions: Vec<(NaiveDate, WeeklySlot)>,
    exceptions: BTreeMap<NaiveDate, OccurrenceException>,
    /// Moved meetings by new start, so a query finds meetings moved into its window.
    moved: BTreeSet<(DateTime<Utc>, NaiveDate)>,
}

impl Series {
    /// A series meeting on `slot` from `starts_on`; `ends_on` is the last possible date.
    pub fn new(
        slot: WeeklySlot,
        starts_on: NaiveDate,
        ends_on: Option<NaiveDate>,
    ) -> Result<Self, SeriesError> {
        if ends_on.is_some_and(|end| end < starts_on) {
            return Err(SeriesError::EndsBeforeStart);
        }
        Ok(Self {
            starts_on,
            ends_on,
            revisions: vec![(starts_on, slot)],
            exceptions: BTreeMap::new(),
            moved: BTreeSet::new(),
        })
    }

    pub fn starts_on(&self) -> NaiveDate {
        self.starts_on
    }

    pub fn ends_on(&self) -> Option<NaiveDate> {
        self.ends_on
    }

    /// Each slot with the first local date it applies to, oldest first.
    pub fn revisions(&self) -> impl Iterator<Item = (NaiveDate, &WeeklySlot)> {
        self.revisions.iter().map(|(from, slot)| (*from, slot))
    }

    /// The one-off changes, by the original local date of the meeting they change.
    pub fn exceptions(&self) -> impl Iterator<Item = (NaiveDate, OccurrenceException)> + '_ {
        self.exceptions.iter().map(|(date, exception)| (*date, *exception))
    }

    /// The slot in force on `local_date` (the first slot for dates before the series).
    pub fn slot_on(&self, local_date: NaiveDate) -> &WeeklySlot {
        let index = self.revisions.partition_point(|(from, _)| *from <= local_date);
        &self.revisions[index.saturating_sub(1)].1
    }

    /// Uses `slot` for meetings on or after `from` (a local date); earlier meetings keep
    /// theirs. Later revisions are replaced, and one-off changes to dates on which the
    /// group no longer meets are dropped.
    pub fn change_from(&mut self, from: NaiveDate, slot: WeeklySlot) -> Result<(), SeriesError> {
        if self.ends_on.is_some_and(|end| from > end) {
            return Err(SeriesError::AfterEnd);
        }
        let from = from.max(self.starts_on);
        self.revisions.retain(|(start, _)| *start < from);
        self.revisions.push((from, slot));
        let orphaned: Vec<NaiveDate> = self
            .exceptions
            .range(from..)
            .map(|(date, _)| *date)
            .filter(|date| !self.meets_on(*date))
            .collect();
        for date in orphaned {
            self.clear_exception(date);
        }
        Ok(())
    }

    /// Cancels the meeting originally on `local_date`, replacing any move of it.
    pub fn cancel(&mut self, local_date: NaiveDate) -> Result<(), SeriesError> {
        self.set_exception(local_date, OccurrenceException::Cancelled)
    }

    /// Moves the single meeting originally on `local_date` to start at `new_start`.
    pub fn move_occurrence(
        &mut self,
        local_date: NaiveDate,
        new_start: DateTime<Utc>,
    ) -> Result<(), SeriesError> {
        self.set_exception(local_date, OccurrenceException::Moved { to: new_start })
    }

    /// Undoes a cancellation or move, putting the meeting back on the series' time.
    pub fn restore(&mut self, local_date: NaiveDate) {
        self.clear_exception(local_date);
    }

    /// Whether the series has a meeting originally on `local_date`.
    pub fn meets_on(&self, local_date: NaiveDate) -> bool {
        local_date >= self.starts_on
            && self.ends_on.is_none_or(|end| local_date <= end)
            && self.slot_on(local_date).weekday() == local_date.weekday()
    }

    /// Every meeting whose (possibly moved) start is in `[from, to)`, ordered by start.
    /// Cancelled meetings are included and marked, so calendars can show them.
    pub fn occurrences(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<SeriesOccurrence> {
        let mut found = Vec::new();
        if from >= to {
            return found;
        }
        let first_date = from.date_naive().checked_sub_days(DATE_MARGIN).unwrap_or(NaiveDate::MIN);
        let last_date = to.date_naive().checked_add_days(DATE_MARGIN).unwrap_or(NaiveDate::MAX);
        for (index, (revision_start, slot)) in self.revisions.iter().enumerate() {
            let next_revision = self.revisions.get(index + 1).and_then(|(next, _)| next.pred_opt());
            let end =
                [next_revision, self.ends_on].into_iter().flatten().fold(last_date, NaiveDate::min);
            let start = (*revision_start).max(first_date);
            if start > end {
                continue;
            }
            // Jump straight to the first meeting date instead of walking from the start.
            let mut date = next_weekday_from(start, slot.weekday());
            while let Some(day) = date.filter(|day| *day <= end) {
                let exception = self.exceptions.get(&day);
                // Moved meetings are found by their new start, below.
                let is_moved = matches!(exception, Some(OccurrenceException::Moved { .. }));
                if let Some(occurrence) = slot.occurrence_on(day).filter(|_| !is_moved)
                    && (from..to).contains(&occurrence.starts_at)
                {
                    let status = match exception {
                        Some(OccurrenceException::Cancelled) => OccurrenceStatus::Cancelled,
                        _ => OccurrenceStatus::Scheduled,
                    };
                    found.push(SeriesOccurrence {
                        occurrence,
                        original_local_date: day,
                        status,
                        moved_from: None,
                    });
                }
                date = day.checked_add_days(Days::new(7));
            }
        }
        let window = (from, NaiveDate::MIN)..(to, NaiveDate::MIN);
        found.extend(self.moved.range(window).map(|(to, day)| self.moved_to(*day, *to)));
        found.sort_by_key(|o| (o.occurrence.starts_at, o.original_local_date));
        found
    }

    /// The last meeting that is not cancelled and starts before `before`, if any.
    pub fn last_meeting_before(&self, before: DateTime<Utc>) -> Option<SeriesOccurrence> {
        self.last_before(before, |o| o.status != OccurrenceStatus::Cancelled)
    }

    /// The last meeting on the series' own slot (neither moved nor cancelled) that starts
    /// before `before`, if any.
    pub fn last_regular_meeting_before(&self, before: DateTime<Utc>) -> Option<SeriesOccurrence> {
        self.last_before(before, SeriesOccurrence::is_regular)
    }

    /// The first meeting on the series' own slot (neither moved nor cancelled) that starts at
    /// or after `from`: the one that says when the group meets, since a single moved meeting
    /// does not change that.
    pub fn next_on_slot(&self, from: DateTime<Utc>) -> Option<SeriesOccurrence> {
        let mut beyond = from.date_naive().max(self.starts_on);
        if let Some((last_exception, _)) = self.exceptions.last_key_value() {
            beyond = beyond.max(*last_exception);
        }
        let mut stop = beyond.checked_add_days(REGULAR_WITHIN).unwrap_or(NaiveDate::MAX);
        if let Some(end) = self.ends_on {
            stop = stop.min(end.checked_add_days(DATE_MARGIN).unwrap_or(NaiveDate::MAX));
        }
        let stop = midnight(stop);
        let mut lo = from;
        while lo < stop {
            let hi = lo.checked_add_signed(LOOK_STEP).map_or(stop, |hi| hi.min(stop));
            let next = self.occurrences(lo, hi).into_iter().find(SeriesOccurrence::is_regular);
            if next.is_some() {
                return next;
            }
            lo = hi;
        }
        None
    }

    /// The last meeting starting before `before` that `keep` accepts.
    fn last_before(
        &self,
        before: DateTime<Utc>,
        keep: impl Fn(&SeriesOccurrence) -> bool,
    ) -> Option<SeriesOccurrence> {
        // Regular meetings start within DATE_MARGIN of their dates; moved ones may be anywhere.
        let first_regular =
            self.starts_on.checked_sub_days(DATE_MARGIN).map_or(DateTime::<Utc>::MIN_UTC, midnight);
        let floor = self.moved.first().map_or(first_regular, |(to, _)| first_regular.min(*to));
        let mut hi = before;
        if let Some(end) = self.ends_on {
            let after_regular =
                end.checked_add_days(DATE_MARGIN).map_or(DateTime::<Utc>::MAX_UTC, midnight);
            let after_moved = self.moved.last().map(|(to, _)| {
                to.checked_add_signed(chrono::Duration::seconds(1))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            });
            // Nothing to find after the last possible meeting: skip straight to it.
            hi = hi.min(after_moved.map_or(after_regular, |moved| after_regular.max(moved)));
        }
        while hi > floor {
            let lo = hi.checked_sub_signed(LOOK_STEP).map_or(floor, |lo| lo.max(floor));
            let last = self.occurrences(lo, hi).into_iter().rev().find(|o| keep(o));
            if last.is_some() {
                return last;
            }
            hi = lo;
        }
        None
    }

    fn moved_to(&self, original: NaiveDate, to: DateTime<Utc>) -> SeriesOccurrence {
        let slot = self.slot_on(original);
        let ends_at = to.checked_add_signed(slot.duration()).unwrap_or(DateTime::<Utc>::MAX_UTC);
        SeriesOccurrence {
            occurrence: Occurrence {
                local_date: to.with_timezone(&slot.zone().tz()).date_naive(),
                starts_at: to,
                ends_at,
                placement: Placement::Exact,
            },
            original_local_date: original,
            status: OccurrenceStatus::Moved,
            moved_from: slot.occurrence_on(original),
        }
    }

    fn set_exception(
        &mut self,
        date: NaiveDate,
        exception: OccurrenceException,
    ) -> Result<(), SeriesError> {
        if !self.meets_on(date) {
            return Err(SeriesError::NoMeetingOn);
        }
        self.clear_exception(date);
        if let OccurrenceException::Moved { to } = exception {
            self.moved.insert((to, date));
        }
        self.exceptions.insert(date, exception);
        Ok(())
    }

    fn clear_exception(&mut self, date: NaiveDate) {
        if let Some(OccurrenceException::Moved { to }) = self.exceptions.remove(&date) {
            self.moved.remove(&(to, date));
        }
    }
}

/// The first instant of `date` read as a UTC date.
fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The first date on or after `date` falling on `weekday`.
fn next_weekday_from(date: NaiveDate, weekday: chrono::Weekday) -> Option<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date.checked_add_days(Days::new(u64::from(ahead)))
}
