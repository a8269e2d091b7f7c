//! When therapy groups meet: a weekly slot in the therapist's zone, and the meetings it yields.
//!
//! A slot is a weekday, a wall-clock time and an IANA zone. Meetings are computed from it
//! for each date, never stored as UTC instants, so a group that meets at 18:00 keeps
//! meeting at 18:00 on the therapist's clock when daylight saving starts or ends (its UTC
//! time moves by the change instead).
//!
//! # Rules for clock changes
//!
//! Some wall-clock times do not exist on a given day, and some exist twice:
//!
//! - **Gap** (spring forward): if the slot's time does not exist on that date, the meeting
//!   moves forward by the gap's length, to the first valid wall time that keeps its distance
//!   past the gap's start (the slot's time read with the UTC offset in force before the
//!   gap). 02:30 on a US spring-forward Sunday becomes 03:30 EDT, not 03:00; on Lord Howe
//!   Island (a 30-minute change) 02:15 becomes 02:45. The occurrence is placed
//!   [`Placement::ShiftedForwardInGap`] with the gap's length.
//! - **Fold** (autumn back): if the slot's time exists twice that date, the meeting is at
//!   the earlier of the two instants (the first time the clock shows it), placed
//!   [`Placement::EarlierOfFold`]. 01:30 on a US fall-back Sunday is 01:30 EDT.
//!
//! Every other meeting is at exactly the slot's time, placed [`Placement::Exact`]. A meeting
//! always keeps its local date, the date the slot gave it, even when a gap shift moves its
//! start into the next day (as when Samoa skipped 30 December 2011).
//!
//! A [`Series`] is the slot over time: revised from a date on, with single meetings
//! cancelled or moved. A meeting is known by the date the series gave it, even once moved;
//! only meetings on the slot ([`Series::next_on_slot`]) say when the group meets.
//! [`upcoming_shifts`] warns a member whose own clock shows the slot at a new time, such as a
//! New York group seen from London in the weeks of March when only the US has changed clocks.

mod occurrence;
mod series;
mod slot;
mod viewer;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod series_tests;

pub use occurrence::{Occurrence, Placement};
pub use series::{OccurrenceException, OccurrenceStatus, Series, SeriesError, SeriesOccurrence};
pub use slot::{
    DEFAULT_DURATION_MINUTES, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, SlotError, WeeklySlot,
    parse_local_time, parse_weekday, weekday_slug,
};
pub use viewer::{ShiftNotice, in_zone, upcoming_shifts};
