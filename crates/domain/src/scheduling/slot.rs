//! The weekly slot itself: weekday, wall-clock time, zone and length, parsed from form input.

use super::occurrence::{Occurrence, place};
use crate::TimeZone;
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Timelike, Weekday};

/// Meeting length used when the form leaves it blank.
pub const DEFAULT_DURATION_MINUTES: u32 = 60;
/// Shortest meeting a slot may describe.
pub const MIN_DURATION_MINUTES: u32 = 15;
/// Longest meeting a slot may describe (a four-hour workshop).
pub const MAX_DURATION_MINUTES: u32 = 240;

/// Why a weekly slot could not be parsed; each message fits beside the field it names.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SlotError {
    #[error("use a weekday such as mon or tue")]
    Weekday,
    #[error("use a 24-hour time such as 09:30 or 18:00")]
    LocalTime,
    #[error("enter the length in whole minutes, such as 60")]
    DurationFormat,
    #[error("a meeting lasts between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes")]
    DurationOutOfRange,
}

/// Parses a weekday written as `mon`..`sun` or in full (`monday`), in any case.
pub fn parse_weekday(raw: &str) -> Result<Weekday, SlotError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => Ok(Weekday::Mon),
        "tue" | "tuesday" => Ok(Weekday::Tue),
        "wed" | "wednesday" => Ok(Weekday::Wed),
        "thu" | "thursday" => Ok(Weekday::Thu),
        "fri" | "friday" => Ok(Weekday::Fri),
        "sat" | "saturday" => Ok(Weekday::Sat),
        "sun" | "sunday" => Ok(Weekday::Sun),
        _ => Err(SlotError::Weekday),
    }
}

/// The stored and URL form of a weekday: `mon`..`sun`.
pub fn weekday_slug(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Parses a wall-clock time written exactly as `HH:MM` on a 24-hour clock (00:00–23:59).
pub fn parse_local_time(raw: &str) -> Result<NaiveTime, SlotError> {
    let bytes = raw.trim().as_bytes();
    // Exactly two digits each side: `7:5` and `07:30:00` are ambiguous or over-precise.
    let [h1, h2, b':', m1, m2] = bytes else {
        return Err(SlotError::LocalTime);
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let (Some(h1), Some(h2), Some(m1), Some(m2)) = (digit(*h1), digit(*h2), digit(*m1), digit(*m2))
    else {
        return Err(SlotError::LocalTime);
    };
    // from_hms_opt refuses 24:00 and minute 60 and above.
    NaiveTime::from_hms_opt(h1 * 10 + h2, m1 * 10 + m2, 0).ok_or(SlotError::LocalTime)
}

/// When a group meets each week: a weekday and wall-clock time in the therapist's zone.
///
/// Only the wall-clock time is kept; the UTC instant of each meeting is derived per date by
/// the gap and fold rules of [`Placement`](crate::Placement), so meetings never drift across daylight saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeeklySlot {
    weekday: Weekday,
    local_time: NaiveTime,
    zone: TimeZone,
    duration: Duration,
}

impl WeeklySlot {
    /// Builds a slot from typed parts, e.g. when loading a stored group.
    ///
    /// The time must be whole minutes and the length within
    /// [`MIN_DURATION_MINUTES`]..=[`MAX_DURATION_MINUTES`].
    pub fn new(
        weekday: Weekday,
        local_time: NaiveTime,
        zone: TimeZone,
        duration_minutes: u32,
    ) -> Result<Self, SlotError> {
        if local_time.second() != 0 || local_time.nanosecond() != 0 {
            return Err(SlotError::LocalTime);
        }
        if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&duration_minutes) {
            return Err(SlotError::DurationOutOfRange);
        }
        Ok(Self {
            weekday,
            local_time,
            zone,
            duration: Duration::minutes(i64::from(duration_minutes)),
        })
    }

    /// Parses a slot from form input; a blank length means [`DEFAULT_DURATION_MINUTES`].
    pub fn parse(
        weekday: &str,
        local_time: &str,
        zone: TimeZone,
        duration_minutes: &str,
    ) -> Result<Self, SlotError> {
        let weekday = parse_weekday(weekday)?;
        let local_time = parse_local_time(local_time)?;
        let duration = duration_minutes.trim();
        let minutes = if duration.is_empty() {
            DEFAULT_DURATION_MINUTES
        } else {
            duration.parse().map_err(|_| SlotError::DurationFormat)?
        };
        Self::new(weekday, local_time, zone, minutes)
    }

    pub fn weekday(&self) -> Weekday {
        self.weekday
    }

    /// The wall-clock start in [`WeeklySlot::zone`].
    pub fn local_time(&self) -> NaiveTime {
        self.local_time
    }

    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The meeting on `local_date` (a date in the slot's zone), placed by the gap and fold
    /// rules; `None` when the group does not meet that weekday, or for dates so far from
    /// the present that the instant cannot be represented.
    pub fn occurrence_on(&self, local_date: NaiveDate) -> Option<Occurrence> {
        if local_date.weekday() != self.weekday {
            return None;
        }
        let (starts_at, placement) = place(self.zone.tz(), local_date.and_time(self.local_time))?;
        Some(Occurrence {
            local_date,
            starts_at,
            ends_at: starts_at.checked_add_signed(self.duration)?,
            placement,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_york() -> TimeZone {
        TimeZone::parse("America/New_York").expect("known zone")
    }

    #[test]
    fn weekdays_parse_from_short_or_full_names_in_any_case() {
        assert_eq!(parse_weekday("mon"), Ok(Weekday::Mon));
        assert_eq!(parse_weekday(" Tuesday "), Ok(Weekday::Tue));
        assert_eq!(parse_weekday("SUN"), Ok(Weekday::Sun));
        for bad in ["", "mo", "tues", "lundi", "7"] {
            assert_eq!(parse_weekday(bad), Err(SlotError::Weekday), "{bad:?}");
        }
    }

    #[test]
    fn every_weekday_slug_parses_back_to_the_same_weekday() {
        let mut day = Weekday::Mon;
        for _ in 0..7 {
            assert_eq!(parse_weekday(weekday_slug(day)), Ok(day));
            day = day.succ();
        }
    }

    #[test]
    fn local_times_must_be_two_digit_hours_and_minutes_on_a_24_hour_clock() {
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        assert_eq!(parse_local_time("00:00"), Ok(at(0, 0)));
        assert_eq!(parse_local_time(" 23:59 "), Ok(at(23, 59)));
        assert_eq!(parse_local_time("09:05"), Ok(at(9, 5)));
        for bad in ["24:00", "7:5", "07:5", "7:05", "18:60", "18:00:00", "1800", "", "ab:cd"] {
            assert_eq!(parse_local_time(bad), Err(SlotError::LocalTime), "{bad:?}");
        }
    }

    #[test]
    fn a_blank_length_means_an_hour_and_lengths_outside_the_range_are_refused() {
        let slot = WeeklySlot::parse("thu", "18:00", new_york(), " ").expect("valid");
        assert_eq!(slot.duration(), Duration::minutes(60));
        assert_eq!(slot.weekday(), Weekday::Thu);
        let bounds = ["15", "240"].map(|d| WeeklySlot::parse("thu", "18:00", new_york(), d));
        assert!(bounds.iter().all(Result::is_ok));
        for (raw, err) in [
            ("14", SlotError::DurationOutOfRange),
            ("241", SlotError::DurationOutOfRange),
            ("-30", SlotError::DurationFormat),
            ("1.5", SlotError::DurationFormat),
        ] {
            assert_eq!(WeeklySlot::parse("thu", "18:00", new_york(), raw), Err(err));
        }
    }

    #[test]
    fn slot_errors_read_as_field_messages() {
        assert_eq!(SlotError::Weekday.to_string(), "use a weekday such as mon or tue");
        assert_eq!(
            SlotError::DurationOutOfRange.to_string(),
            "a meeting lasts between 15 and 240 minutes"
        );
    }

    #[test]
    fn a_slot_has_no_occurrence_on_other_weekdays() {
        let slot = WeeklySlot::parse("mon", "18:00", new_york(), "").expect("valid");
        let tuesday = NaiveDate::from_ymd_opt(2026, 3, 3).expect("valid date");
        assert_eq!(slot.occurrence_on(tuesday), None);
    }
}
