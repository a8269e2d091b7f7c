//! One meeting of a slot, and the gap and fold rules that turn a wall-clock time into an instant.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// How a meeting's instant relates to the slot's wall-clock time on its date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// The wall-clock time exists exactly once that day; the meeting is at it.
    Exact,
    /// The wall-clock time fell in a spring-forward gap, so the meeting starts `by` later on
    /// the wall clock (the gap's length): 02:30 on a US spring-forward day becomes 03:30.
    ShiftedForwardInGap {
        /// The length of the gap, which is how far the wall-clock start moved.
        by: Duration,
    },
    /// The wall-clock time occurred twice (autumn fold); the meeting is at the first.
    EarlierOfFold,
}

/// One meeting computed from a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Occurrence {
    /// The meeting's date in the slot's zone.
    pub local_date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub placement: Placement,
}

/// The instant a meeting at wall-clock `local` in `tz` starts, by the module's rules.
///
/// `None` only when the instant lies outside chrono's representable range.
pub(super) fn place(tz: Tz, local: NaiveDateTime) -> Option<(DateTime<Utc>, Placement)> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Some((at.with_timezone(&Utc), Placement::Exact)),
        LocalResult::Ambiguous(a, b) => {
            Some((a.min(b).with_timezone(&Utc), Placement::EarlierOfFold))
        }
        LocalResult::None => {
            let (before, after) = offsets_around_gap(tz, local)?;
            // Reading the wall time with the offset in force before the gap lands exactly
            // `after - before` past the gap's start on the clock: the "shift forward" rule.
            let starts_at = local.checked_sub_signed(Duration::seconds(before))?.and_utc();
            let by = Duration::seconds(after - before);
            Some((starts_at, Placement::ShiftedForwardInGap { by }))
        }
    }
}

/// The zone's UTC offset, in seconds, at the instant `utc_seconds` after the epoch.
fn offset_at(tz: Tz, utc_seconds: i64) -> Option<i64> {
    let utc = DateTime::from_timestamp(utc_seconds, 0)?.naive_utc();
    Some(i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()))
}

/// The offsets (seconds) in force just before and just after the gap that swallows `local`.
///
/// chrono-tz does not expose its transitions, so this bisects for the instant at which the
/// wall clock jumps over `local`. Any such jump is a gap containing `local`, because the wall
/// clock otherwise advances continuously and `local` is never shown.
fn offsets_around_gap(tz: Tz, local: NaiveDateTime) -> Option<(i64, i64)> {
    // Real offsets stay within ±15 hours, so 36 hours either side surely brackets the jump.
    const BRACKET: i64 = 36 * 3600;
    let target = local.and_utc().timestamp();
    let wall = |utc_seconds: i64| offset_at(tz, utc_seconds).map(|off| utc_seconds + off);
    let (mut lo, mut hi) = (target.checked_sub(BRACKET)?, target.checked_add(BRACKET)?);
    // Invariant: the wall clock shows a time before `local` at `lo` and after it at `hi`.
    if wall(lo)? >= target || wall(hi)? <= target {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wall(mid)? < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((offset_at(tz, lo)?, offset_at(tz, hi)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TimeZone as Zone;
    use crate::scheduling::WeeklySlot;
    use chrono::{NaiveTime, Timelike};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        date(y, m, d).and_hms_opt(h, min, 0).expect("valid time").and_utc()
    }

    fn slot(weekday: &str, time: &str, zone: &str) -> WeeklySlot {
        let zone = Zone::parse(zone).expect("known zone");
        WeeklySlot::parse(weekday, time, zone, "60").expect("valid slot")
    }

    #[test]
    fn a_new_york_slot_keeps_its_local_time_across_both_2026_transitions() {
        let monday = slot("mon", "18:00", "America/New_York");
        let starts = |d| monday.occurrence_on(d).expect("a monday").starts_at;
        // EST is UTC-5, EDT UTC-4: the UTC start moves by an hour, the wall clock does not.
        assert_eq!(starts(date(2026, 3, 2)), utc(2026, 3, 2, 23, 0));
        assert_eq!(starts(date(2026, 3, 9)), utc(2026, 3, 9, 22, 0));
        assert_eq!(starts(date(2026, 10, 26)), utc(2026, 10, 26, 22, 0));
        assert_eq!(starts(date(2026, 11, 2)), utc(2026, 11, 2, 23, 0));
        for d in [date(2026, 3, 2), date(2026, 3, 9), date(2026, 10, 26), date(2026, 11, 2)] {
            let occ = monday.occurrence_on(d).expect("a monday");
            assert_eq!(occ.placement, Placement::Exact);
            assert_eq!(occ.ends_at - occ.starts_at, Duration::minutes(60));
            let local = occ.starts_at.with_timezone(&chrono_tz::America::New_York);
            assert_eq!(local.time(), NaiveTime::from_hms_opt(18, 0, 0).expect("valid"));
        }
    }

    #[test]
    fn an_occurrence_in_the_spring_gap_moves_forward_by_the_gap() {
        let occ = slot("sun", "02:30", "America/New_York")
            .occurrence_on(date(2026, 3, 8))
            .expect("a sunday");
        // 03:30 EDT.
        assert_eq!(occ.starts_at, utc(2026, 3, 8, 7, 30));
        let by = Duration::hours(1);
        assert_eq!(occ.placement, Placement::ShiftedForwardInGap { by });
        assert_eq!(occ.local_date, date(2026, 3, 8));
    }

    #[test]
    fn an_occurrence_in_the_autumn_fold_takes_the_earlier_instant() {
        let occ = slot("sun", "01:30", "America/New_York")
            .occurrence_on(date(2026, 11, 1))
            .expect("a sunday");
        // 01:30 EDT (UTC-4), not the second 01:30 an hour later in EST.
        assert_eq!(occ.starts_at, utc(2026, 11, 1, 5, 30));
        assert_eq!(occ.placement, Placement::EarlierOfFold);
    }

    #[test]
    fn a_lord_howe_occurrence_in_the_half_hour_gap_moves_forward_half_an_hour() {
        // Lord Howe goes from UTC+10:30 to UTC+11 at 02:00 on the first Sunday of October.
        let occ = slot("sun", "02:15", "Australia/Lord_Howe")
            .occurrence_on(date(2026, 10, 4))
            .expect("a sunday");
        let by = Duration::minutes(30);
        assert_eq!(occ.placement, Placement::ShiftedForwardInGap { by });
        let local = occ.starts_at.with_timezone(&chrono_tz::Australia::Lord_Howe);
        assert_eq!((local.hour(), local.minute()), (2, 45));
        assert_eq!(occ.starts_at, utc(2026, 10, 3, 15, 45));
    }

    #[test]
    fn a_zone_without_daylight_saving_places_every_occurrence_exactly() {
        let tokyo = slot("wed", "02:30", "Asia/Tokyo");
        let mut day = date(2025, 1, 1);
        while day < date(2028, 1, 1) {
            if let Some(occ) = tokyo.occurrence_on(day) {
                assert_eq!(occ.placement, Placement::Exact, "{day}");
                assert_eq!(
                    occ.starts_at,
                    day.and_hms_opt(2, 30, 0).expect("valid").and_utc() - Duration::hours(9)
                );
            }
            day = day.succ_opt().expect("far from the end of time");
        }
    }

    #[test]
    fn samoa_skipping_a_whole_day_shifts_the_meeting_by_a_day() {
        // Pacific/Apia jumped from UTC-10 to UTC+14 at the end of 29 December 2011.
        let occ = slot("fri", "10:00", "Pacific/Apia")
            .occurrence_on(date(2011, 12, 30))
            .expect("a friday");
        let by = Duration::hours(24);
        assert_eq!(occ.placement, Placement::ShiftedForwardInGap { by });
        assert_eq!(occ.starts_at, utc(2011, 12, 30, 20, 0));
    }
}
