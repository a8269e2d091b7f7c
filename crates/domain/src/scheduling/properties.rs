//! Property tests: any zone, weekday, time and start date yield one meeting per week, each
//! placed by the gap and fold rules.

use super::*;
use crate::TimeZone;
use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, Months, NaiveDate, NaiveTime, TimeZone as _,
    Utc, Weekday,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// A slot in any zone chrono-tz knows, at any minute, with a start date in 2000–2030.
fn slot_and_start() -> impl Strategy<Value = (WeeklySlot, NaiveDate)> {
    let last_start = NaiveDate::from_ymd_opt(2030, 12, 31).expect("valid date");
    let span = u64::try_from((last_start - first_day()).num_days()).expect("later date");
    let zones = 0..chrono_tz::TZ_VARIANTS.len();
    // Half the draws fall on Sunday small hours, where most clock changes happen.
    let weekdays = prop_oneof![0u8..7, Just(6u8)];
    let minutes = prop_oneof![0u32..24 * 60, 0u32..4 * 60];
    (zones, weekdays, minutes, 0..=span, 15u32..=240).prop_map(
        |(zone, weekday, minute, day, duration)| {
            let zone = TimeZone::parse(chrono_tz::TZ_VARIANTS[zone].name()).expect("known zone");
            let weekday = Weekday::try_from(weekday).expect("0..7 is a weekday");
            let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).expect("in a day");
            let slot = WeeklySlot::new(weekday, time, zone, duration).expect("valid slot");
            (slot, first_day() + Days::new(day))
        },
    )
}

/// Checks a meeting's instant against chrono-tz's own reading of the slot's wall time.
fn follows_the_rules(slot: &WeeklySlot, occ: &Occurrence) -> Result<(), TestCaseError> {
    let tz = slot.zone().tz();
    let local = occ.local_date.and_time(slot.local_time());
    let wall = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local();
    prop_assert_eq!(occ.local_date.weekday(), slot.weekday());
    prop_assert_eq!(occ.ends_at - occ.starts_at, slot.duration());
    match (occ.placement, tz.from_local_datetime(&local)) {
        (Placement::Exact, LocalResult::Single(at)) => {
            prop_assert_eq!(occ.starts_at, at.with_timezone(&Utc));
        }
        (Placement::EarlierOfFold, LocalResult::Ambiguous(a, b)) => {
            prop_assert!(a != b);
            prop_assert_eq!(occ.starts_at, a.min(b).with_timezone(&Utc));
            prop_assert_eq!(wall(occ.starts_at), local);
        }
        (Placement::ShiftedForwardInGap { by }, LocalResult::None) => {
            prop_assert!(by > Duration::zero());
            // On the wall clock the meeting is `by` after the slot's (missing) time...
            prop_assert_eq!(wall(occ.starts_at), local + by);
            // ...and `by` of real time earlier the clock read `by` before it: the clock
            // leapt forward by exactly `by`, over the slot's time, in between.
            prop_assert_eq!(wall(occ.starts_at - by), local - by);
        }
        (placement, reading) => {
            let reading = format!("{reading:?}");
            prop_assert!(false, "{placement:?} for {local} read as {reading}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ten_years_of_a_slot_meet_once_a_week_by_the_gap_and_fold_rules(
        (slot, starts_on) in slot_and_start()
    ) {
        let ends_on = (starts_on + Months::new(120)).pred_opt().expect("far from the start");
        let series = Series::new(slot, starts_on, Some(ends_on)).expect("ends after start");
        let found = series.occurrences(
            midnight(starts_on - Days::new(3)),
            midnight(ends_on + Days::new(3)),
        );

        let expected = starts_on
            .iter_days()
            .take_while(|day| *day <= ends_on)
            .filter(|day| day.weekday() == slot.weekday())
            .count();
        prop_assert_eq!(found.len(), expected);
        for meeting in &found {
            prop_assert_eq!(meeting.status, OccurrenceStatus::Scheduled);
            prop_assert_eq!(meeting.original_local_date, meeting.occurrence.local_date);
            prop_assert!((starts_on..=ends_on).contains(&meeting.original_local_date));
            follows_the_rules(&slot, &meeting.occurrence)?;
        }
        for pair in found.windows(2) {
            let (this, next) = (&pair[0].occurrence, &pair[1].occurrence);
            prop_assert_eq!(next.local_date - this.local_date, Duration::days(7));
            prop_assert!(this.starts_at < next.starts_at);
        }
    }

    #[test]
    fn any_window_holds_exactly_the_meetings_that_start_inside_it(
        (slot, starts_on) in slot_and_start(),
        offset_minutes in 0i64..60 * 24 * 400,
        length_minutes in 1i64..60 * 24 * 60,
    ) {
        let series = Series::new(slot, starts_on, None).expect("open-ended");
        let from = midnight(starts_on) + Duration::minutes(offset_minutes - 60 * 24 * 30);
        let to = from + Duration::minutes(length_minutes);
        let found: Vec<Occurrence> =
            series.occurrences(from, to).iter().map(|o| o.occurrence).collect();

        // Walk every day around the window, the slow way.
        let expected: Vec<Occurrence> = (from.date_naive() - Days::new(3))
            .iter_days()
            .take_while(|day| *day <= to.date_naive() + Days::new(3))
            .filter(|day| *day >= starts_on)
            .filter_map(|day| slot.occurrence_on(day))
            .filter(|occ| (from..to).contains(&occ.starts_at))
            .collect();
        prop_assert_eq!(found, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_moved_meeting_weighs_on_the_schedule_and_shift_notices_no_more_than_a_cancelled_one(
        (slot, starts_on) in slot_and_start(),
        week in 0u64..12,
        moved_by_minutes in -60i64 * 24 * 20..60 * 24 * 20,
        now_offset_days in 0u64..90,
        viewer in 0..chrono_tz::TZ_VARIANTS.len(),
    ) {
        let viewer = TimeZone::parse(chrono_tz::TZ_VARIANTS[viewer].name()).expect("known zone");
        let first = starts_on.iter_days().find(|d| d.weekday() == slot.weekday());
        let day = first.expect("a weekday within a week") + Days::new(7 * week);
        let Some(planned) = slot.occurrence_on(day) else { return Ok(()) };
        let plain = Series::new(slot, starts_on, None).expect("open-ended");
        let (mut moved, mut cancelled) = (plain.clone(), plain.clone());
        let to = planned.starts_at + Duration::minutes(moved_by_minutes);
        moved.move_occurrence(day, to).expect("a meeting date");
        cancelled.cancel(day).expect("a meeting date");

        let now = midnight(starts_on + Days::new(now_offset_days));
        let horizon = Duration::weeks(6);
        prop_assert_eq!(
            upcoming_shifts(&moved, viewer, now, horizon),
            upcoming_shifts(&cancelled, viewer, now, horizon)
        );
        let next = moved.next_on_slot(now);
        prop_assert_eq!(next, cancelled.next_on_slot(now));
        let next = next.expect("an open-ended series meets again");
        prop_assert!(next.is_regular() && next.original_local_date != day);
        prop_assert_eq!(next.occurrence.local_date.weekday(), slot.weekday());
        // It is the first regular meeting from `now`, walked the slow way.
        let walked = moved
            .occurrences(now, now + Duration::weeks(30))
            .into_iter()
            .find(SeriesOccurrence::is_regular);
        prop_assert_eq!(Some(next), walked);
        let before = moved.last_regular_meeting_before(now);
        prop_assert_eq!(before, cancelled.last_regular_meeting_before(now));
    }
}
