//! Licensure: a therapist may only see a client located in a region where the therapist
//! holds a license that is active on the session date.

use chrono::NaiveDate;
use std::fmt;

use crate::Region;

/// The kind of license a clinician holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LicenseKind {
    Lcsw,
    Lpc,
    Lmft,
    Lmhc,
    Psyd,
    Phd,
    Md,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the license kind must be one of LCSW, LPC, LMFT, LMHC, PsyD, PhD, MD")]
pub struct LicenseKindError;

impl LicenseKind {
    pub const ALL: [LicenseKind; 7] = [
        LicenseKind::Lcsw,
        LicenseKind::Lpc,
        LicenseKind::Lmft,
        LicenseKind::Lmhc,
        LicenseKind::Psyd,
        LicenseKind::Phd,
        LicenseKind::Md,
    ];

    pub fn parse(raw: &str) -> Result<Self, LicenseKindError> {
        let wanted = raw.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(wanted))
            .ok_or(LicenseKindError)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LicenseKind::Lcsw => "LCSW",
            LicenseKind::Lpc => "LPC",
            LicenseKind::Lmft => "LMFT",
            LicenseKind::Lmhc => "LMHC",
            LicenseKind::Psyd => "PsyD",
            LicenseKind::Phd => "PhD",
            LicenseKind::Md => "MD",
        }
    }
}

impl fmt::Display for LicenseKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One license: where, what, its number, and the last day it is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct License {
    pub region: Region,
    pub kind: LicenseKind,
    pub number: String,
    pub expires_on: NaiveDate,
}

impl License {
    /// Valid through its expiry date, inclusive.
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        day <= self.expires_on
    }
}

/// Whether any of `licenses` lets its holder see a client in `client_region` on `day`.
pub fn may_treat(licenses: &[License], client_region: &Region, day: NaiveDate) -> bool {
    licenses.iter().any(|l| &l.region == client_region && l.is_active_on(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(region: &str, expires: &str) -> License {
        License {
            region: Region::parse(region).expect("region"),
            kind: LicenseKind::Lcsw,
            number: "123".to_owned(),
            expires_on: NaiveDate::parse_from_str(expires, "%Y-%m-%d").expect("date"),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_license_counts_only_in_its_region_and_through_its_expiry_day() {
        let held = [license("US-CA", "2027-06-30"), license("US-OR", "2026-01-31")];
        let ca = Region::parse("US-CA").expect("region");
        let or = Region::parse("US-OR").expect("region");
        let ny = Region::parse("US-NY").expect("region");
        assert!(may_treat(&held, &ca, day("2027-06-30")));
        assert!(!may_treat(&held, &ca, day("2027-07-01")));
        assert!(may_treat(&held, &or, day("2026-01-31")));
        assert!(!may_treat(&held, &or, day("2026-02-01")));
        assert!(!may_treat(&held, &ny, day("2026-01-01")));
    }

    #[test]
    fn license_kinds_parse_case_insensitively() {
        assert_eq!(LicenseKind::parse("lmft"), Ok(LicenseKind::Lmft));
        assert_eq!(LicenseKind::parse("PSYD"), Ok(LicenseKind::Psyd));
        assert!(LicenseKind::parse("guru").is_err());
    }
}
