//! Who someone is: email, display name, role, time zone, birth date.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest email we accept (RFC 5321's path limit).
const EMAIL_MAX: usize = 254;
const DISPLAY_NAME_MAX: usize = 60;

/// An email address, kept as typed, compared case-insensitively through [`Email::normalized`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("an email address has at most {EMAIL_MAX} characters")]
    TooLong,
    #[error("this is not a valid email address (it should look like name@example.org)")]
    Invalid,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > EMAIL_MAX {
            return Err(EmailError::TooLong);
        }
        let parsed =
            email_address::EmailAddress::from_str(trimmed).map_err(|_| EmailError::Invalid)?;
        // A practice emails these people: demand a domain with a dot, no display-name form.
        let plain = !trimmed.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"')
        });
        if !plain || parsed.as_str() != trimmed || !parsed.domain().contains('.') {
            return Err(EmailError::Invalid);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and look-up: two spellings that differ only in case
    /// are one account.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

// Emails are personal data: keep them out of Debug output that may reach a log.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name other people see: first name or a chosen display name.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DisplayNameError {
    #[error("enter the name you would like others to see")]
    Empty,
    #[error("a display name has at most {DISPLAY_NAME_MAX} characters")]
    TooLong,
    #[error("a display name cannot contain control characters")]
    ControlCharacter,
}

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DisplayNameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if trimmed.chars().count() > DISPLAY_NAME_MAX {
            return Err(DisplayNameError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DisplayNameError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DisplayName(<redacted>)")
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a person may do in Hearth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Therapist,
    Coordinator,
    Admin,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the role must be one of client, therapist, coordinator, admin")]
pub struct RoleError;

impl Role {
    pub const ALL: [Role; 4] = [Role::Client, Role::Therapist, Role::Coordinator, Role::Admin];
    pub const STAFF: [Role; 3] = [Role::Therapist, Role::Coordinator, Role::Admin];

    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "client" => Ok(Role::Client),
            "therapist" => Ok(Role::Therapist),
            "coordinator" => Ok(Role::Coordinator),
            "admin" => Ok(Role::Admin),
            _ => Err(RoleError),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Therapist => "therapist",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    /// Staff are everyone who works for the practice.
    pub fn is_staff(self) -> bool {
        self != Role::Client
    }

    /// A human label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Client => "Member",
            Role::Therapist => "Therapist",
            Role::Coordinator => "Care coordinator",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IANA time zone such as `America/Chicago`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimeZoneError {
    #[error("choose your time zone")]
    Empty,
    #[error("unknown time zone; use an IANA name such as America/Chicago")]
    Unknown,
}

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, TimeZoneError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TimeZoneError::Empty);
        }
        chrono_tz::Tz::from_str(trimmed).map(Self).map_err(|_| TimeZoneError::Unknown)
    }

    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The zones of the United States, named as people know them, for the top of a zone
    /// picker (most of the practice's clients pick one of these).
    pub const COMMON: [(&'static str, &'static str); 9] = [
        ("America/New_York", "Eastern time (New York)"),
        ("America/Chicago", "Central time (Chicago)"),
        ("America/Denver", "Mountain time (Denver)"),
        ("America/Phoenix", "Mountain time without daylight saving (Phoenix)"),
        ("America/Los_Angeles", "Pacific time (Los Angeles)"),
        ("America/Anchorage", "Alaska time (Anchorage)"),
        ("Pacific/Honolulu", "Hawaii time (Honolulu)"),
        ("America/Puerto_Rico", "Atlantic time (Puerto Rico)"),
        ("Pacific/Guam", "Chamorro time (Guam)"),
    ];

    /// Every zone's IANA name, sorted, for the rest of a zone picker.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Completed years between a birth date and `day` (0 before the birth).
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A person's birth date: not in the future and plausible for a living person.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BirthDate(NaiveDate);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BirthDateError {
    #[error("enter a birth date as YYYY-MM-DD")]
    Format,
    #[error("a birth date cannot be in the future")]
    InFuture,
    #[error("a birth date more than 120 years ago is not plausible")]
    TooOld,
    #[error("Hearth serves people aged 13 and over")]
    TooYoung,
}

impl BirthDate {
    /// Youngest age Hearth serves (teen programs start at 13, with guardian consent).
    pub const MIN_AGE: u32 = 13;

    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, BirthDateError> {
        let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| BirthDateError::Format)?;
        Self::new(date, today)
    }

    pub fn new(date: NaiveDate, today: NaiveDate) -> Result<Self, BirthDateError> {
        if date > today {
            return Err(BirthDateError::InFuture);
        }
        let candidate = Self(date);
        let age = candidate.age_on(today);
        if age > 120 {
            return Err(BirthDateError::TooOld);
        }
        if age < Self::MIN_AGE {
            return Err(BirthDateError::TooYoung);
        }
        Ok(candidate)
    }

    /// Completed years on `day`.
    pub fn age_on(self, day: NaiveDate) -> u32 {
        age_on(self.0, day)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// A teen (13–17) needs a guardian's consent before any session.
    pub fn is_minor_on(self, day: NaiveDate) -> bool {
        self.age_on(day) < 18
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_a_picker_offers_parses() {
        for (name, _) in TimeZone::COMMON {
            assert_eq!(TimeZone::parse(name).map(TimeZone::name), Ok(name));
        }
        assert!(TimeZone::all_names().count() > 400);
        assert!(TimeZone::all_names().all(|name| TimeZone::parse(name).is_ok()));
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn emails_keep_their_spelling_but_compare_in_lowercase() {
        let email = Email::parse("  Ana.Lopez@Example.ORG ").expect("valid");
        assert_eq!(email.as_str(), "Ana.Lopez@Example.ORG");
        assert_eq!(email.normalized(), "ana.lopez@example.org");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@localhost",
            "Ana <a@b.org>",
            "ana\u{0}@example.org",
            "ana@exa\u{7}mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(
            Email::parse(&format!("{}@example.org", "a".repeat(250))),
            Err(EmailError::TooLong)
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse(" Sam ").expect("valid").as_str(), "Sam");
        assert_eq!(DisplayName::parse("  "), Err(DisplayNameError::Empty));
        assert_eq!(DisplayName::parse(&"x".repeat(61)), Err(DisplayNameError::TooLong));
        assert_eq!(DisplayName::parse("a\u{0}b"), Err(DisplayNameError::ControlCharacter));
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(TimeZone::parse("America/Chicago").expect("valid").name(), "America/Chicago");
        assert_eq!(TimeZone::parse("Mars/Olympus"), Err(TimeZoneError::Unknown));
        assert_eq!(TimeZone::parse(""), Err(TimeZoneError::Empty));
    }

    #[test]
    fn birth_dates_in_the_future_or_under_thirteen_are_refused() {
        let today = day("2026-11-26");
        assert_eq!(BirthDate::parse("2027-01-01", today), Err(BirthDateError::InFuture));
        assert_eq!(BirthDate::parse("2014-01-01", today), Err(BirthDateError::TooYoung));
        assert_eq!(BirthDate::parse("1890-01-01", today), Err(BirthDateError::TooOld));
        assert_eq!(BirthDate::parse("26/11/1990", today), Err(BirthDateError::Format));
        let teen = BirthDate::parse("2011-11-27", today).expect("fourteen");
        assert_eq!(teen.age_on(today), 14);
        assert!(teen.is_minor_on(today));
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse("Admin"), Ok(Role::Admin));
        assert!(Role::parse("root").is_err());
        assert!(!Role::Client.is_staff());
    }
}
