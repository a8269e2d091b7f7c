//! The password policy (NIST SP 800-63B §5.1.1): length, not composition; no known-breached
//! or common passwords.

use std::fmt;

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password that meets the policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("use at least {PASSWORD_MIN_CHARS} characters; a few words strung together work well")]
    TooShort,
    #[error("use at most {PASSWORD_MAX_CHARS} characters")]
    TooLong,
    #[error("this password is on a list of common or breached passwords; choose another")]
    Common,
    #[error("this password repeats a single character; choose another")]
    Repetitive,
    #[error("a password should not contain your email address")]
    ContainsEmail,
}

impl Password {
    /// Checks a new password. `email` is the account's, so a password that merely repeats it
    /// is refused.
    pub fn parse_new(raw: &str, email: Option<&str>) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        let lowered = raw.to_lowercase();
        if is_common(raw) || is_common(&lowered) {
            return Err(PasswordError::Common);
        }
        let mut distinct = raw.chars().collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= 2 {
            return Err(PasswordError::Repetitive);
        }
        if let Some(email) = email {
            let email = email.trim().to_lowercase();
            let local = email.split('@').next().unwrap_or_default();
            if !email.is_empty()
                && (lowered.contains(&email) || (local.len() >= 4 && lowered == local))
            {
                return Err(PasswordError::ContainsEmail);
            }
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password typed at login: only bounded, never checked against the policy (the policy
    /// may have changed since it was set).
    pub fn for_login(raw: &str) -> Option<Self> {
        (raw.chars().count() <= PASSWORD_MAX_CHARS * 4).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether `candidate` is on the bundled list of about 100,000 common and breached passwords.
pub fn is_common(candidate: &str) -> bool {
    passwords::analyzer::is_common_password(candidate)
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused_and_long_ones_allowed_up_to_128() {
        assert_eq!(Password::parse_new("short pass", None).err(), Some(PasswordError::TooShort));
        let longest: String = "correct horse battery staple ".repeat(5).chars().take(128).collect();
        assert!(Password::parse_new(&longest, None).is_ok());
        let too_long = format!("{longest}x");
        assert_eq!(Password::parse_new(&too_long, None).err(), Some(PasswordError::TooLong));
    }

    #[test]
    fn no_composition_rules_apply() {
        assert!(Password::parse_new("lantern orchard violet", None).is_ok());
    }

    #[test]
    fn common_and_breached_passwords_are_refused_in_any_case() {
        for common in ["123456789012", "1q2w3e4r5t6y", "PASSWORD1234", "passwordpassword"] {
            assert_eq!(
                Password::parse_new(common, None).err(),
                Some(PasswordError::Common),
                "{common} should be refused"
            );
        }
    }

    #[test]
    fn the_bundled_list_is_large() {
        // Spot checks across the list, so a build without the list fails loudly.
        for common in ["password", "letmein", "iloveyou", "sunshine", "dragon"] {
            assert!(is_common(common), "{common}");
        }
    }

    #[test]
    fn repetitive_or_email_passwords_are_refused() {
        assert_eq!(
            Password::parse_new("abababababab", None).err(),
            Some(PasswordError::Repetitive)
        );
        assert_eq!(
            Password::parse_new("my ana.lopez@example.org", Some("Ana.Lopez@example.org")).err(),
            Some(PasswordError::ContainsEmail)
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = Password::parse_new("lantern orchard violet", None).expect("valid");
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }
}
