//! Meeting times as a member sees them, in their own zone, and warnings when those shift.

use super::series::{Series, SeriesOccurrence};
use crate::TimeZone;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// `at` on the viewer's wall clock.
pub fn in_zone(at: DateTime<Utc>, viewer: TimeZone) -> DateTime<chrono_tz::Tz> {
    at.with_timezone(&viewer.tz())
}

/// A meeting that starts at a different time on the viewer's clock than the one before it,
/// typically because the group's zone and the viewer's change clocks on different dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShiftNotice {
    /// The meeting's date in the viewer's zone.
    pub local_date_of_meeting: NaiveDate,
    /// The previous meeting's start on the viewer's clock.
    pub before: NaiveTime,
    /// This meeting's start on the viewer's clock.
    pub after: NaiveTime,
    pub starts_at: DateTime<Utc>,
}

/// Meetings starting in `[now, now + horizon)` whose start on the viewer's clock differs
/// from the meeting before them (which may precede `now`), oldest first.
///
/// Only meetings on the series' own slot are compared, each with the one before it under the
/// same slot: a cancelled or moved meeting, or a change of the series from a date on, is a
/// decision someone made (shown with the meeting or in the group's schedule), not a clock
/// change, and a notice saying otherwise would be false.
pub fn upcoming_shifts(
    series: &Series,
    viewer: TimeZone,
    now: DateTime<Utc>,
    horizon: Duration,
) -> Vec<ShiftNotice> {
    let until = now.checked_add_signed(horizon).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let viewer_time = |at: DateTime<Utc>| in_zone(at, viewer).time();
    let same_slot = |a: &SeriesOccurrence, b: &SeriesOccurrence| {
        series.slot_on(a.original_local_date) == series.slot_on(b.original_local_date)
    };
    let mut previous = series.last_regular_meeting_before(now);
    let mut notices = Vec::new();
    for meeting in series.occurrences(now, until).into_iter().filter(SeriesOccurrence::is_regular) {
        let starts_at = meeting.occurrence.starts_at;
        let after = viewer_time(starts_at);
        if let Some(before) =
            previous.filter(|p| same_slot(p, &meeting)).map(|p| viewer_time(p.occurrence.starts_at))
            && before != after
        {
            notices.push(ShiftNotice {
                local_date_of_meeting: in_zone(starts_at, viewer).date_naive(),
                before,
                after,
                starts_at,
            });
        }
        previous = Some(meeting);
    }
    notices
}
