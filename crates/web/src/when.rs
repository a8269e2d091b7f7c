//! Dates and times as people read them on pages, written one way everywhere: "Wednesday
//! 3 December" (with the year, "Wednesday 3 December 2027", only when it is not this year),
//! times on the clock the reader's language uses ("6:00 pm" or "18:00"), and the two
//! together as "Wednesday 3 December at 6:00 pm". Every page formats through [`When`]; the
//! JSON API keeps RFC 3339 and ISO dates, and form inputs keep the values browsers expect.
//!
//! The clock comes from the first language of the request's `Accept-Language` (see
//! [`Clock::from_accept_language`]); the year is left out when it is the current year in the
//! zone the time is shown in.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Datelike as _, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use std::convert::Infallible;

use crate::AppState;

/// The clock a reader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// "6:00 pm", "12:30 am".
    TwelveHour,
    /// "18:00", "00:30".
    TwentyFourHour,
}

/// Regions whose English (and the US's Spanish) is read on a 12-hour clock.
const TWELVE_HOUR_ENGLISH: [&str; 6] = ["us", "ca", "au", "nz", "ph", "in"];

impl Clock {
    /// The clock of the first language the browser names: 12-hour for English as written in
    /// the US, Canada, Australia, New Zealand, the Philippines and India, for bare `en` (this
    /// is a US practice, and a browser that names no region is most often American), and for
    /// `es-US`; 24-hour for every other language and region (`en-GB`, `fr-CA`, `de`…), and
    /// when the header is missing or unreadable, since a 24-hour time cannot be misread as
    /// morning or evening.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header
            .and_then(|h| h.split(',').next())
            .and_then(|tag| tag.split(';').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let mut parts = first.split(['-', '_']);
        let language = parts.next().unwrap_or_default();
        // The region is the first two-letter subtag after the language (skipping a script
        // such as `Latn`).
        let region = parts.find(|p| p.len() == 2);
        let twelve = match (language, region) {
            ("en", Some(region)) => TWELVE_HOUR_ENGLISH.contains(&region),
            ("en", None) | ("es", Some("us")) => true,
            _ => false,
        };
        if twelve { Clock::TwelveHour } else { Clock::TwentyFourHour }
    }
}

/// How this request's reader has dates and times written: the clock their language uses,
/// and the moment of the request (from the app's clock) to know which year is this year.
#[derive(Clone, Copy, Debug)]
pub struct When {
    pub clock: Clock,
    now: DateTime<Utc>,
}

impl FromRequestParts<AppState> for When {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let language = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(When::new(Clock::from_accept_language(language), state.app.now()))
    }
}

impl When {
    pub fn new(clock: Clock, now: DateTime<Utc>) -> Self {
        Self { clock, now }
    }

    /// A time of day: "6:00 pm" or "18:00".
    pub fn time(&self, t: &impl Timelike) -> String {
        let (hour, minute) = (t.hour(), t.minute());
        match self.clock {
            Clock::TwentyFourHour => format!("{hour:02}:{minute:02}"),
            Clock::TwelveHour => {
                let half = if hour < 12 { "am" } else { "pm" };
                let hour = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                format!("{hour}:{minute:02} {half}")
            }
        }
    }

    /// A reason a group fits, its meeting hour on this reader's clock ("meets Wednesdays at
    /// 6:00 pm your time"); the API keeps the 24-hour wording of [`FitReason::words`].
    pub fn reasons(&self, reasons: &[hearth_domain::FitReason]) -> Vec<String> {
        reasons.iter().map(|r| r.words_with(|at| self.time(&at))).collect()
    }

    /// A day: "Wednesday 3 December", or "Wednesday 3 December 2027" when not this year
    /// (this year as it is in UTC; dates without a zone are far from New Year's night).
    pub fn date(&self, d: NaiveDate) -> String {
        date_in(d, self.now.year())
    }

    /// A moment in the zone it carries: "Wednesday 3 December at 6:00 pm".
    pub fn date_time<Tz: TimeZone>(&self, at: &DateTime<Tz>) -> String {
        format!("{} at {}", self.day_of(at), self.time(at))
    }

    /// The day of a moment, in the zone it carries, with the year when it is not this year
    /// there.
    pub fn day_of<Tz: TimeZone>(&self, at: &DateTime<Tz>) -> String {
        let this_year = self.now.with_timezone(&at.timezone()).year();
        date_in(at.date_naive(), this_year)
    }

    /// A moment shown in `zone`: "Wednesday 3 December at 6:00 pm".
    pub fn at(&self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
        self.date_time(&at.with_timezone(&zone))
    }

    /// The day of a moment shown in `zone`: "Wednesday 3 December".
    pub fn day(&self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
        self.day_of(&at.with_timezone(&zone))
    }

    /// A weekly meeting from its next regular occurrence: "Wednesdays at 6:00 pm".
    pub fn weekly<Tz: TimeZone>(&self, next: Option<&DateTime<Tz>>) -> String {
        match next {
            Some(at) => format!("{}s at {}", weekday_name(at.weekday()), self.time(at)),
            None => "no upcoming meetings".to_owned(),
        }
    }

    /// A day on a chart's axis, where a few characters fit: "3 Dec". The chart's
    /// description and the table beside it write the day in full.
    pub fn axis_day(d: NaiveDate) -> String {
        format!("{} {}", d.day(), &month_name(d.month())[..3])
    }

    /// A month: "December 2026".
    pub fn month(d: NaiveDate) -> String {
        format!("{} {}", month_name(d.month()), d.year())
    }
}

/// "Wednesday 3 December", with the year when it is not `this_year`.
fn date_in(d: NaiveDate, this_year: i32) -> String {
    let day = format!("{} {} {}", weekday_name(d.weekday()), d.day(), month_name(d.month()));
    if d.year() == this_year { day } else { format!("{day} {}", d.year()) }
}

fn weekday_name(day: Weekday) -> &'static str {
    hearth_app::weekday_name(day)
}

fn month_name(month: u32) -> &'static str {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(month).ok().and_then(|m| MONTHS.get(m.wrapping_sub(1))).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn when(clock: Clock) -> When {
        When::new(clock, Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).single().expect("instant"))
    }

    #[test]
    fn the_first_language_decides_the_clock() {
        let twelve = ["en-US", "en-us,en;q=0.9", "en", "en-CA", "en-AU", "es-US", "en-Latn-US"];
        for header in twelve {
            assert_eq!(Clock::from_accept_language(Some(header)), Clock::TwelveHour, "{header}");
        }
        let day = ["en-GB", "en-GB,en-US;q=0.9", "fr-CA", "de", "de-DE", "", "*", "es"];
        for header in day {
            assert_eq!(
                Clock::from_accept_language(Some(header)),
                Clock::TwentyFourHour,
                "{header}"
            );
        }
        assert_eq!(Clock::from_accept_language(None), Clock::TwentyFourHour);
    }

    #[test]
    fn times_read_on_either_clock() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("a time");
        let us = when(Clock::TwelveHour);
        assert_eq!(us.time(&t(18, 0)), "6:00 pm");
        assert_eq!(us.time(&t(0, 30)), "12:30 am");
        assert_eq!(us.time(&t(12, 5)), "12:05 pm");
        assert_eq!(us.time(&t(9, 15)), "9:15 am");
        let uk = when(Clock::TwentyFourHour);
        assert_eq!(uk.time(&t(18, 0)), "18:00");
        assert_eq!(uk.time(&t(0, 30)), "00:30");
    }

    #[test]
    fn dates_leave_out_only_this_year() {
        let w = when(Clock::TwelveHour);
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("a date");
        assert_eq!(w.date(d(2026, 12, 2)), "Wednesday 2 December");
        assert_eq!(w.date(d(2027, 1, 6)), "Wednesday 6 January 2027");
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).single().expect("instant");
        assert_eq!(w.at(at, chrono_tz::America::New_York), "Wednesday 2 December at 7:00 pm");
        assert_eq!(When::month(d(2026, 12, 2)), "December 2026");
        let next = at.with_timezone(&chrono_tz::Europe::London);
        assert_eq!(when(Clock::TwentyFourHour).weekly(Some(&next)), "Thursdays at 00:00");
    }
}
