//! Intake: what a client tells the practice before care starts. Weekly availability is in
//! the client's own zone; consent texts are versioned so a signature names what was agreed.

use chrono::{NaiveTime, Weekday};
use std::fmt;

use crate::{parse_local_time, parse_weekday, weekday_slug};

/// The consent texts in force, and their version.
pub const CONSENT_VERSION: &str = "2026-11";

/// Consent to care by video.
pub const TELEHEALTH_CONSENT: &str = "I agree to receive therapy by secure video. I understand that \
    my therapist must know where I am at the start of each session, that video care has limits in an \
    emergency, and that I can stop at any time. In an emergency I will call 911 or 988.";

/// The group confidentiality agreement.
pub const GROUP_CONFIDENTIALITY: &str = "What members share in a group stays in the group. I will not \
    record sessions, share other members' names or stories, or join from a place where others can \
    see or hear the group. I understand that my therapist may have to break confidentiality to keep \
    someone safe.";

/// One weekly window when a client can meet, in their own zone (e.g. `mon 18:00-21:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvailabilityWindow {
    pub weekday: Weekday,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvailabilityError {
    #[error("write a window as a day and two times, such as 'mon 18:00-21:00'")]
    Format,
    #[error("a window ends after it starts")]
    EndsBeforeStart,
}

impl AvailabilityWindow {
    pub fn parse(raw: &str) -> Result<Self, AvailabilityError> {
        let (day, times) =
            raw.trim().split_once(char::is_whitespace).ok_or(AvailabilityError::Format)?;
        let (from, to) = times.trim().split_once('-').ok_or(AvailabilityError::Format)?;
        let weekday = parse_weekday(day).map_err(|_| AvailabilityError::Format)?;
        let from = parse_local_time(from.trim()).map_err(|_| AvailabilityError::Format)?;
        let to = parse_local_time(to.trim()).map_err(|_| AvailabilityError::Format)?;
        if to <= from {
            return Err(AvailabilityError::EndsBeforeStart);
        }
        Ok(Self { weekday, from, to })
    }

    /// Whether a meeting from `start` lasting `minutes` on `weekday` fits inside the window.
    pub fn contains(&self, weekday: Weekday, start: NaiveTime, minutes: i64) -> bool {
        weekday == self.weekday
            && start >= self.from
            && start + chrono::Duration::minutes(minutes) <= self.to
    }
}

impl fmt::Display for AvailabilityWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{}",
            weekday_slug(self.weekday),
            self.from.format("%H:%M"),
            self.to.format("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_and_print_back() {
        let w = AvailabilityWindow::parse(" Mon 18:00-21:00 ").expect("valid");
        assert_eq!(w.to_string(), "mon 18:00-21:00");
        assert_eq!(
            AvailabilityWindow::parse("mon 21:00-18:00"),
            Err(AvailabilityError::EndsBeforeStart)
        );
        assert_eq!(AvailabilityWindow::parse("evenings"), Err(AvailabilityError::Format));
        assert_eq!(
            AvailabilityWindow::parse("someday 10:00-11:00"),
            Err(AvailabilityError::Format)
        );
    }

    #[test]
    fn a_meeting_fits_a_window_only_whole() {
        let w = AvailabilityWindow::parse("wed 17:00-19:00").expect("valid");
        let t = |s| parse_local_time(s).expect("time");
        assert!(w.contains(Weekday::Wed, t("18:00"), 60));
        assert!(!w.contains(Weekday::Wed, t("18:30"), 60));
        assert!(!w.contains(Weekday::Thu, t("18:00"), 60));
    }
}
