//! Hand-written cases for series, their exceptions, and shift notices.

use super::*;
use crate::TimeZone;
use chrono::{DateTime, Datelike as _, Duration, NaiveDate, NaiveTime, Utc, Weekday};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    date(y, m, d).and_hms_opt(h, min, 0).expect("valid time").and_utc()
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("known zone")
}

fn slot(weekday: &str, at: &str, zone_name: &str) -> WeeklySlot {
    WeeklySlot::parse(weekday, at, zone(zone_name), "").expect("valid slot")
}

/// A New York group on Thursdays at 13:00 from the start of 2026.
fn thursday_group() -> Series {
    Series::new(slot("thu", "13:00", "America/New_York"), date(2026, 1, 1), None)
        .expect("valid series")
}

fn dates(found: &[SeriesOccurrence]) -> Vec<NaiveDate> {
    found.iter().map(|o| o.original_local_date).collect()
}

#[test]
fn a_series_yields_each_weekly_meeting_in_the_window_in_order() {
    let found = thursday_group().occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 3, 20, 0, 0));
    assert_eq!(dates(&found), [date(2026, 3, 5), date(2026, 3, 12), date(2026, 3, 19)]);
    // 13:00 EST, then 13:00 EDT after 8 March.
    assert_eq!(found[0].occurrence.starts_at, utc(2026, 3, 5, 18, 0));
    assert_eq!(found[1].occurrence.starts_at, utc(2026, 3, 12, 17, 0));
    assert!(found.iter().all(|o| o.status == OccurrenceStatus::Scheduled));
}

#[test]
fn the_window_includes_its_start_and_excludes_its_end() {
    let group = thursday_group();
    let meeting = utc(2026, 3, 5, 18, 0);
    assert_eq!(group.occurrences(meeting, meeting + Duration::minutes(1)).len(), 1);
    assert!(group.occurrences(meeting - Duration::days(7), meeting).len() == 1);
    assert!(group.occurrences(meeting, meeting).is_empty());
}

#[test]
fn cancelling_one_meeting_marks_it_and_leaves_the_others_untouched() {
    let mut group = thursday_group();
    let window = (utc(2026, 3, 1, 0, 0), utc(2026, 3, 20, 0, 0));
    let before = group.occurrences(window.0, window.1);
    group.cancel(date(2026, 3, 12)).expect("a meeting date");
    let after = group.occurrences(window.0, window.1);
    assert_eq!(after[1].status, OccurrenceStatus::Cancelled);
    assert_eq!(after[1].occurrence, before[1].occurrence);
    assert_eq!([after[0], after[2]], [before[0], before[2]]);
}

#[test]
fn moving_one_meeting_changes_only_that_meeting_and_follows_it_to_its_new_week() {
    let mut group = thursday_group();
    let new_start = utc(2026, 3, 24, 15, 0);
    group.move_occurrence(date(2026, 3, 12), new_start).expect("a meeting date");

    let march = group.occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 3, 20, 0, 0));
    assert_eq!(dates(&march), [date(2026, 3, 5), date(2026, 3, 19)]);
    assert!(march.iter().all(|o| o.status == OccurrenceStatus::Scheduled));

    let later = group.occurrences(utc(2026, 3, 20, 0, 0), utc(2026, 3, 31, 0, 0));
    assert_eq!(dates(&later), [date(2026, 3, 12), date(2026, 3, 26)]);
    let moved = later[0];
    assert_eq!(moved.original_local_date, date(2026, 3, 12));
    assert_eq!(moved.status, OccurrenceStatus::Moved);
    assert_eq!(moved.occurrence.starts_at, new_start);
    assert_eq!(moved.occurrence.ends_at, new_start + Duration::minutes(60));
    assert_eq!(moved.occurrence.local_date, date(2026, 3, 24));
}

#[test]
fn restoring_a_meeting_undoes_its_move() {
    let mut group = thursday_group();
    let window = (utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0));
    let plain = group.occurrences(window.0, window.1);
    group.move_occurrence(date(2026, 3, 12), utc(2026, 3, 24, 15, 0)).expect("a meeting date");
    group.cancel(date(2026, 3, 19)).expect("a meeting date");
    group.restore(date(2026, 3, 12));
    group.restore(date(2026, 3, 19));
    assert_eq!(group.occurrences(window.0, window.1), plain);
    assert_eq!(group.exceptions().count(), 0);
}

#[test]
fn exceptions_are_refused_on_dates_the_group_does_not_meet() {
    let mut group = Series::new(
        slot("thu", "13:00", "America/New_York"),
        date(2026, 1, 1),
        Some(date(2026, 6, 30)),
    )
    .expect("valid series");
    let friday = date(2026, 3, 13);
    assert_eq!(group.cancel(friday), Err(SeriesError::NoMeetingOn));
    assert_eq!(group.cancel(date(2025, 12, 25)), Err(SeriesError::NoMeetingOn));
    assert_eq!(group.cancel(date(2026, 7, 2)), Err(SeriesError::NoMeetingOn));
    assert_eq!(
        Series::new(*group.slot_on(friday), date(2026, 2, 1), Some(date(2026, 1, 1))),
        Err(SeriesError::EndsBeforeStart)
    );
}

#[test]
fn changing_the_slot_from_a_date_splits_the_series_there() {
    let mut group = thursday_group();
    group.cancel(date(2026, 4, 16)).expect("a meeting date");
    group.cancel(date(2026, 3, 26)).expect("a meeting date");
    let evening = slot("wed", "19:00", "America/New_York");
    group.change_from(date(2026, 4, 1), evening).expect("within the series");

    let found = group.occurrences(utc(2026, 3, 15, 0, 0), utc(2026, 4, 16, 0, 0));
    let expected = [(3, 19), (3, 26), (4, 1), (4, 8), (4, 15)].map(|(m, d)| date(2026, m, d));
    assert_eq!(dates(&found), expected);
    assert_eq!(found[0].occurrence.starts_at, utc(2026, 3, 19, 17, 0));
    assert_eq!(found[2].occurrence.starts_at, utc(2026, 4, 1, 23, 0));
    // The cancellation before the change stands; the Thursday after it no longer exists.
    assert_eq!(found[1].status, OccurrenceStatus::Cancelled);
    assert_eq!(
        group.exceptions().collect::<Vec<_>>(),
        [(date(2026, 3, 26), OccurrenceException::Cancelled)]
    );
    assert_eq!(group.slot_on(date(2026, 3, 31)).weekday(), Weekday::Thu);
    assert_eq!(group.slot_on(date(2026, 4, 1)).weekday(), Weekday::Wed);
    assert_eq!(group.revisions().count(), 2);
}

#[test]
fn a_later_change_replaces_revisions_after_its_date() {
    let mut group = thursday_group();
    group.change_from(date(2026, 6, 1), slot("wed", "19:00", "America/New_York")).expect("ok");
    group.change_from(date(2026, 3, 1), slot("mon", "09:00", "America/New_York")).expect("ok");
    let slots: Vec<_> = group.revisions().map(|(from, s)| (from, s.weekday())).collect();
    assert_eq!(slots, [(date(2026, 1, 1), Weekday::Thu), (date(2026, 3, 1), Weekday::Mon)]);
}

#[test]
fn a_series_ends_with_its_last_date_included() {
    let mut group = Series::new(
        slot("thu", "13:00", "America/New_York"),
        date(2026, 1, 1),
        Some(date(2026, 3, 12)),
    )
    .expect("valid series");
    let found = group.occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
    assert_eq!(found.len(), 11);
    assert_eq!(found.first().map(|o| o.original_local_date), Some(date(2026, 1, 1)));
    assert_eq!(found.last().map(|o| o.original_local_date), Some(date(2026, 3, 12)));
    let later = slot("fri", "13:00", "America/New_York");
    assert_eq!(group.change_from(date(2026, 3, 13), later), Err(SeriesError::AfterEnd));
}

#[test]
fn the_last_meeting_before_an_instant_skips_cancelled_ones() {
    let mut group = thursday_group();
    group.cancel(date(2026, 3, 12)).expect("a meeting date");
    let last = group.last_meeting_before(utc(2026, 3, 13, 0, 0)).expect("an earlier meeting");
    assert_eq!(last.original_local_date, date(2026, 3, 5));
    assert_eq!(group.last_meeting_before(utc(2026, 1, 1, 18, 0)), None);
}

#[test]
fn the_last_meeting_of_a_long_ended_series_is_found_quickly() {
    let group = Series::new(
        slot("thu", "13:00", "America/New_York"),
        date(2026, 1, 1),
        Some(date(2026, 3, 12)),
    )
    .expect("valid series");
    let last = group.last_meeting_before(utc(9000, 1, 1, 0, 0)).expect("a meeting");
    assert_eq!(last.original_local_date, date(2026, 3, 12));
}

#[test]
fn in_zone_shows_an_instant_on_the_viewer_clock() {
    let london = in_zone(utc(2026, 7, 1, 12, 0), zone("Europe/London"));
    assert_eq!(london.time(), time(13, 0));
}

#[test]
fn a_london_member_of_a_new_york_group_is_told_when_march_shifts_their_meeting() {
    let group = thursday_group();
    let notices =
        upcoming_shifts(&group, zone("Europe/London"), utc(2026, 3, 1, 0, 0), Duration::weeks(6));
    // The US changes on 8 March and the UK on 29 March: 18:00, then 17:00, then 18:00 again.
    let expected = [
        (date(2026, 3, 12), time(18, 0), time(17, 0)),
        (date(2026, 4, 2), time(17, 0), time(18, 0)),
    ];
    let seen: Vec<_> =
        notices.iter().map(|n| (n.local_date_of_meeting, n.before, n.after)).collect();
    assert_eq!(seen, expected);
    assert_eq!(notices[0].starts_at, utc(2026, 3, 12, 17, 0));
}

#[test]
fn a_shift_on_the_first_meeting_in_the_window_is_noticed() {
    let notices = upcoming_shifts(
        &thursday_group(),
        zone("Europe/London"),
        utc(2026, 3, 10, 0, 0),
        Duration::days(7),
    );
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].local_date_of_meeting, date(2026, 3, 12));
}

#[test]
fn cancelled_meetings_are_passed_over_when_comparing_times() {
    let mut group = thursday_group();
    group.cancel(date(2026, 3, 12)).expect("a meeting date");
    let notices =
        upcoming_shifts(&group, zone("Europe/London"), utc(2026, 3, 10, 0, 0), Duration::weeks(2));
    let seen: Vec<_> = notices.iter().map(|n| (n.local_date_of_meeting, n.before)).collect();
    assert_eq!(seen, [(date(2026, 3, 19), time(18, 0))]);
}

#[test]
fn a_member_in_the_group_zone_gets_no_shift_notices() {
    let notices = upcoming_shifts(
        &thursday_group(),
        zone("America/New_York"),
        utc(2026, 1, 1, 0, 0),
        Duration::weeks(52),
    );
    assert!(notices.is_empty(), "{notices:?}");
}

/// The Thursday group with its 12 March meeting moved to Monday 9 March, 12:31 New York.
fn thursday_group_with_a_moved_meeting() -> Series {
    let mut group = thursday_group();
    group.move_occurrence(date(2026, 3, 12), utc(2026, 3, 9, 16, 31)).expect("a meeting date");
    group
}

#[test]
fn a_moved_meeting_knows_where_the_series_had_put_it() {
    let group = thursday_group_with_a_moved_meeting();
    let found = group.occurrences(utc(2026, 3, 9, 0, 0), utc(2026, 3, 10, 0, 0));
    assert_eq!(found.len(), 1);
    let moved = found[0];
    assert!(!moved.is_regular());
    assert_eq!(moved.original_local_date, date(2026, 3, 12));
    let planned = moved.moved_from.expect("where it was");
    assert_eq!(
        (planned.local_date, planned.starts_at),
        (date(2026, 3, 12), utc(2026, 3, 12, 17, 0))
    );
    let regular = group.occurrences(utc(2026, 3, 19, 0, 0), utc(2026, 3, 20, 0, 0));
    assert!(regular[0].is_regular() && regular[0].moved_from.is_none());
}

#[test]
fn the_next_meeting_on_the_slot_passes_over_a_meeting_moved_before_it() {
    let group = thursday_group_with_a_moved_meeting();
    // The first meeting after 6 March is the moved one, on a Monday at 12:31...
    let first = group.occurrences(utc(2026, 3, 6, 0, 0), utc(2026, 3, 31, 0, 0))[0];
    assert_eq!(first.status, OccurrenceStatus::Moved);
    // ...but the group still meets on Thursdays at 13:00.
    let next = group.next_on_slot(utc(2026, 3, 6, 0, 0)).expect("a regular meeting");
    assert_eq!(next.original_local_date, date(2026, 3, 19));
    assert_eq!(next.occurrence.local_date.weekday(), Weekday::Thu);
    let local = in_zone(next.occurrence.starts_at, zone("America/New_York"));
    assert_eq!(local.time(), time(13, 0));
    assert_eq!(
        group.next_on_slot(utc(2026, 3, 6, 0, 0)),
        thursday_group().next_on_slot(utc(2026, 3, 13, 0, 0))
    );
}

#[test]
fn the_next_meeting_on_the_slot_skips_cancelled_ones_and_ends_with_the_series() {
    let mut group = Series::new(
        slot("thu", "13:00", "America/New_York"),
        date(2026, 1, 1),
        Some(date(2026, 3, 26)),
    )
    .expect("valid series");
    // Every meeting for ten weeks is cancelled or moved: the search goes on past them.
    for week in 0..10 {
        let day = date(2026, 1, 1) + Duration::weeks(week);
        group.cancel(day).expect("a meeting date");
    }
    group.move_occurrence(date(2026, 3, 19), utc(2026, 3, 16, 15, 0)).expect("a meeting date");
    let next = group.next_on_slot(utc(2025, 12, 1, 0, 0)).expect("one left");
    assert_eq!(next.original_local_date, date(2026, 3, 12));
    assert_eq!(
        group.next_on_slot(utc(2026, 3, 13, 0, 0)).map(|o| o.original_local_date),
        Some(date(2026, 3, 26))
    );
    assert_eq!(group.next_on_slot(utc(2026, 3, 27, 0, 0)), None);
    assert_eq!(group.next_on_slot(utc(9000, 1, 1, 0, 0)), None);
}

#[test]
fn the_last_regular_meeting_passes_over_moved_and_cancelled_ones() {
    let mut group = thursday_group_with_a_moved_meeting();
    group.cancel(date(2026, 3, 5)).expect("a meeting date");
    let before = utc(2026, 3, 10, 0, 0);
    let last = group.last_meeting_before(before).expect("the moved meeting");
    assert_eq!(last.status, OccurrenceStatus::Moved);
    let regular = group.last_regular_meeting_before(before).expect("an earlier meeting");
    assert_eq!(regular.original_local_date, date(2026, 2, 26));
}

#[test]
fn a_moved_meeting_gives_no_shift_notice_in_the_group_zone() {
    let group = thursday_group_with_a_moved_meeting();
    let new_york = zone("America/New_York");
    for now in [utc(2026, 3, 1, 0, 0), utc(2026, 3, 10, 0, 0)] {
        let notices = upcoming_shifts(&group, new_york, now, Duration::weeks(4));
        assert!(notices.is_empty(), "from {now}: {notices:?}");
    }
}

#[test]
fn a_moved_meeting_leaves_the_real_clock_change_notices_of_a_london_member_alone() {
    let mut group = thursday_group();
    // The 19 March meeting moves to Monday 16 March at 12:31 New York.
    group.move_occurrence(date(2026, 3, 19), utc(2026, 3, 16, 16, 31)).expect("a meeting date");
    let london = zone("Europe/London");
    let notices = upcoming_shifts(&group, london, utc(2026, 3, 1, 0, 0), Duration::weeks(6));
    let seen: Vec<_> =
        notices.iter().map(|n| (n.local_date_of_meeting, n.before, n.after)).collect();
    let expected = [
        (date(2026, 3, 12), time(18, 0), time(17, 0)),
        (date(2026, 4, 2), time(17, 0), time(18, 0)),
    ];
    assert_eq!(seen, expected);
}

#[test]
fn a_meeting_moved_across_a_clock_change_gives_no_notice_of_its_own() {
    let mut group = thursday_group();
    // Moved from 5 March (before the US change) to 9 March (after it): the member's clock
    // shows 12:31 New York time as 16:31 London time, which is no clock change.
    group.move_occurrence(date(2026, 3, 5), utc(2026, 3, 9, 16, 31)).expect("a meeting date");
    let london = zone("Europe/London");
    let notices = upcoming_shifts(&group, london, utc(2026, 3, 1, 0, 0), Duration::weeks(3));
    let seen: Vec<_> =
        notices.iter().map(|n| (n.local_date_of_meeting, n.before, n.after)).collect();
    // 26 February at 18:00 London is compared with 12 March at 17:00: the US change, once.
    assert_eq!(seen, [(date(2026, 3, 12), time(18, 0), time(17, 0))]);
}

#[test]
fn a_change_of_the_series_is_not_announced_as_a_clock_change() {
    let mut group = thursday_group();
    group.change_from(date(2026, 6, 1), slot("thu", "15:00", "America/New_York")).expect("ok");
    let notices = upcoming_shifts(
        &group,
        zone("America/New_York"),
        utc(2026, 5, 20, 0, 0),
        Duration::weeks(4),
    );
    assert!(notices.is_empty(), "{notices:?}");
}
