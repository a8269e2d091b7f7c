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
    #[error("unknown country code: use an ISO 3166 code such as CA-ON or GB")]
    UnknownCountry,
}

/// US states, the District of Columbia and the inhabited territories, with their names, in
/// the order a form lists them (by name).
pub const US_STATES: [(&str, &str); 56] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AS", "American Samoa"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("GU", "Guam"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("MP", "Northern Mariana Islands"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("VI", "U.S. Virgin Islands"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// ISO 3166-1 alpha-2: every assigned country code ("XX" and other unassigned codes are
/// refused, so a typo cannot make a client no therapist could ever be licensed for).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
    BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY \
    CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN \
    GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH \
    KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL \
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV \
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN \
    VU WF WS YE YT ZA ZM ZW";

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
        if !COUNTRIES.split_whitespace().any(|known| known == country) {
            return Err(RegionError::UnknownCountry);
        }
        if country == "US" {
            match subdivision {
                Some(state) if US_STATES.iter().any(|(code, _)| *code == state) => {}
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

    #[test]
    fn a_country_code_must_be_a_real_one() {
        assert_eq!(Region::parse("XX"), Err(RegionError::UnknownCountry));
        assert_eq!(Region::parse("ZZ-01"), Err(RegionError::UnknownCountry));
        assert_eq!(COUNTRIES.split_whitespace().count(), 249, "ISO 3166-1 assigns 249 codes");
        let mut codes: Vec<&str> = COUNTRIES.split_whitespace().collect();
        let listed = codes.clone();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes, listed, "sorted, each once");
    }

    #[test]
    fn every_us_state_listed_parses_and_is_listed_once() {
        let mut codes: Vec<&str> = US_STATES.iter().map(|(code, _)| *code).collect();
        for code in &codes {
            assert!(Region::parse(&format!("US-{code}")).is_ok(), "{code}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), US_STATES.len());
    }
}
