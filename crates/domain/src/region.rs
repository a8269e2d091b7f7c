//! Where a client is located: a country, or a country and a subdivision (`US-CA`).
//! Licensure is granted per region, so this must be exact.

use std::fmt;

/// ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision (`US-CA`, `CA-ON`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Region(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegionError {
    #[error("choose the state or region you live in")]
    Empty,
    #[error("use a region code such as US-CA (country, dash, state)")]
    Format,
    #[error("unknown US state code")]
    UnknownUsState,
}

/// US states, the District of Columbia and the inhabited territories.
const US_STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP",
];

impl Region {
    pub fn parse(raw: &str) -> Result<Self, RegionError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(RegionError::Empty);
        }
        let (country, subdivision) = match code.split_once('-') {
            Some((c, s)) => (c, Some(s)),
            None => (code.as_str(), None),
        };
        let alpha2 = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
        let sub_ok = subdivision.is_none_or(|s| {
            (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !alpha2 || !sub_ok {
            return Err(RegionError::Format);
        }
        if country == "US" {
            match subdivision {
                Some(state) if US_STATES.contains(&state) => {}
                Some(_) => return Err(RegionError::UnknownUsState),
                // A US license is per state; "US" alone cannot be matched to one.
                None => return Err(RegionError::Format),
            }
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_regions_need_a_known_state() {
        assert_eq!(Region::parse("us-ca").expect("valid").as_str(), "US-CA");
        assert_eq!(Region::parse("US-ZZ"), Err(RegionError::UnknownUsState));
        assert_eq!(Region::parse("US"), Err(RegionError::Format));
        assert_eq!(Region::parse("California"), Err(RegionError::Format));
    }

    #[test]
    fn other_countries_accept_a_subdivision_or_none() {
        assert!(Region::parse("CA-ON").is_ok());
        assert!(Region::parse("GB").is_ok());
        assert_eq!(Region::parse(""), Err(RegionError::Empty));
    }
}
