//! Two-factor sign-in: TOTP as authenticator apps speak it (RFC 6238 with HMAC-SHA1, six
//! digits, 30-second steps; a code of the step before or after is accepted for clock skew)
//! and single-use recovery codes. The secret is sealed by the vault; a code's step is
//! recorded when it signs in, so the same code (or an older one) never works twice.

use hearth_domain::{User, UserId};
use hearth_store::{AuditRecord, SecondFactorRow};
use rand::Rng as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::tokens::hash_token;
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Whether staff must have a second factor before they may do anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecondFactorPolicy {
    /// A staff account without one signs in to an enrol-only session.
    #[default]
    Required,
    /// Staff may enrol from their account page (the demo, so every role can be tried at once).
    Optional,
}

/// A pending enrolment: what an authenticator app needs.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// The secret in base32, for typing it in by hand.
    pub secret: String,
    /// `otpauth://totp/…`, the QR code's content.
    pub otpauth_url: String,
}

const ISSUER: &str = "Hearth";
const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
const RECOVERY_CODES: usize = 10;
/// 32 letters and digits without the look-alikes (l, o, 0, 1): 16 of them are 80 bits.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn sealing_context(user: UserId) -> String {
    format!("second_factor:user:{user}")
}

fn throttle_key(user: UserId) -> String {
    format!("second_factor:{user}")
}

fn totp(secret: Vec<u8>, account: &str) -> AppResult<TOTP> {
    // The account name may not hold ':' (it separates the issuer in the label).
    let account = account.replace(':', "");
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, secret, Some(ISSUER.to_owned()), account)
        .map_err(|err| AppError::Unexpected(anyhow::anyhow!("building the TOTP: {err:?}")))
}

/// A base32 secret as typed by an operator: spaces, dashes and padding dropped, any case.
/// At least 128 bits (RFC 4226).
fn parse_secret(base32: &str) -> AppResult<Vec<u8>> {
    let cleaned: String = base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = Secret::Encoded(cleaned)
        .to_bytes()
        .map_err(|_| AppError::invalid("totp_secret", "the secret must be base32 (A–Z, 2–7)"))?;
    if bytes.len() < 16 {
        return Err(AppError::invalid(
            "totp_secret",
            "the secret must be at least 128 bits (26 base32 characters)",
        ));
    }
    Ok(bytes)
}

/// Ten new recovery codes as shown (`abcd-efgh-jkmn-pqrs`) and their hashes as stored.
fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..16)
                .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
                .collect();
            format!("{}-{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12], &raw[12..16])
        })
        .collect();
    let hashes = codes.iter().map(|c| hash_token(&normalise_recovery_code(c))).collect();
    (codes, hashes)
}

fn normalise_recovery_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A six-digit code as typed (spaces allowed), or `None`.
fn six_digits(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

impl App {
    /// Starts enrolment, or shows the one already started: a new secret is made only when
    /// there is none pending, so reloading the page keeps the code the person scanned.
    pub async fn start_second_factor_enrolment(
        &self,
        who: &Authenticated,
        ctx: &AuditContext,
    ) -> AppResult<Enrolment> {
        let user = &who.user;
        let context = sealing_context(user.id);
        if let Some(factor) = self.db.find_second_factor(user.id).await? {
            if factor.confirmed_at.is_some() {
                return Err(AppError::Conflict("two-factor sign-in is already on".to_owned()));
            }
            let secret = self.vault.open(&factor.secret_sealed, &context).map_err(vault_error)?;
            return enrolment(&secret, user);
        }
        let mut bytes = [0_u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
        let sealed = self.vault.seal(&secret, &context).map_err(vault_error)?;
        let subject = format!("user:{}", user.id);
        let record = self.audited_if(ctx, "auth.second_factor.enrolment_started", subject, "");
        if !self.db.upsert_pending_second_factor(user.id, &sealed, self.clock.now(), record).await?
        {
            return Err(AppError::Conflict("two-factor sign-in is already on".to_owned()));
        }
        enrolment(&secret, user)
    }

    /// Confirms a pending enrolment with its first code and returns the recovery codes, to
    /// be shown once. The session that enrolled may do everything from now on.
    pub async fn confirm_second_factor(
        &self,
        who: &Authenticated,
        code: &str,
        ctx: &AuditContext,
    ) -> AppResult<Vec<String>> {
        let user = &who.user;
        let factor = match self.db.find_second_factor(user.id).await? {
            Some(factor) if factor.confirmed_at.is_none() => factor,
            Some(_) => {
                return Err(AppError::Conflict("two-factor sign-in is already on".to_owned()));
            }
            None => {
                return Err(AppError::Conflict(
                    "start setting up two-factor sign-in first".to_owned(),
                ));
            }
        };
        let step = match six_digits(code) {
            Some(code) => self.matching_step(user, &factor, &code)?,
            None => None,
        };
        let Some(step) = step else {
            return Err(AppError::invalid(
                "code",
                "that code is not right; enter the six digits your app shows now",
            ));
        };
        let (codes, hashes) = new_recovery_codes();
        let subject = format!("user:{}", user.id);
        let record = self.audited_if(ctx, "auth.second_factor.enrolled", subject, "");
        let now = self.clock.now();
        if !self.db.confirm_second_factor(user.id, Some(step), now, &hashes, record).await? {
            return Err(AppError::invalid(
                "code",
                "that code was used already; wait for the next one",
            ));
        }
        if who.session.enrol_only {
            self.db.end_enrol_only(who.session.id).await?;
        }
        self.session_cache.forget(who.session.id);
        Ok(codes)
    }

    /// Checks an operator's base32 secret before anything is made with it.
    pub fn check_second_factor_secret(base32: &str) -> AppResult<()> {
        parse_secret(base32).map(|_| ())
    }

    /// Enrols a known secret, confirmed at once (`hearth admin create --totp-secret`);
    /// returns the recovery codes.
    pub async fn enrol_second_factor_secret(
        &self,
        user: UserId,
        base32: &str,
    ) -> AppResult<Vec<String>> {
        let bytes = parse_secret(base32)?;
        let secret = Secret::Raw(bytes).to_encoded().to_string();
        let sealed = self.vault.seal(&secret, &sealing_context(user)).map_err(vault_error)?;
        let now = self.clock.now();
        let (codes, hashes) = new_recovery_codes();
        let operator = AuditContext::anonymous(None);
        let record = self.audited_if(
            &operator,
            "auth.second_factor.enrolled",
            format!("user:{user}"),
            "by=operator",
        );
        // The pending secret is recorded by the confirmation's row that follows at once.
        if !self.db.upsert_pending_second_factor(user, &sealed, now, AuditRecord::none()).await?
            || !self.db.confirm_second_factor(user, None, now, &hashes, record).await?
        {
            return Err(AppError::Conflict("two-factor sign-in is already on".to_owned()));
        }
        Ok(codes)
    }

    /// Whether the person has a confirmed second factor, and how many recovery codes are
    /// left.
    pub async fn second_factor_status(&self, user: UserId) -> AppResult<Option<i64>> {
        match self.db.find_second_factor(user).await? {
            Some(factor) if factor.confirmed_at.is_some() => {
                Ok(Some(self.db.count_unused_recovery_codes(user).await?))
            }
            _ => Ok(None),
        }
    }

    /// The confirmed factor of `user`, if any.
    pub(crate) async fn confirmed_second_factor(
        &self,
        user: UserId,
    ) -> AppResult<Option<SecondFactorRow>> {
        Ok(self.db.find_second_factor(user).await?.filter(|f| f.confirmed_at.is_some()))
    }

    /// Checks a code (or a recovery code) at login, throttled on the account's own key
    /// first: refused guesses cost nothing and are not counted. A right code clears the key
    /// and is used up; a wrong one stays counted.
    pub(crate) async fn check_second_factor(
        &self,
        user: &User,
        factor: &SecondFactorRow,
        code: &str,
        ctx: &AuditContext,
    ) -> AppResult<bool> {
        let now = self.clock.now();
        let key = throttle_key(user.id);
        if let Err(wait) =
            self.db.admit_login_attempt(&[(key.clone(), self.throttle.second_factor)], now).await?
        {
            self.audit(ctx, "auth.login.throttled", format!("user:{}", user.id), "second_factor")
                .await?;
            let retry_after_secs = u64::try_from(wait.num_seconds()).unwrap_or(0).max(1);
            return Err(AppError::TooManyAttempts { retry_after_secs });
        }
        let accepted = if let Some(digits) = six_digits(code) {
            match self.matching_step(user, factor, &digits)? {
                Some(step) => self.db.claim_second_factor_step(user.id, step).await?,
                None => false,
            }
        } else {
            let normalised = normalise_recovery_code(code);
            normalised.len() == 16
                && self.db.use_recovery_code(user.id, &hash_token(&normalised), now).await?
        };
        if accepted {
            self.db.settle_login_success(&[&key], &[]).await?;
        }
        Ok(accepted)
    }

    /// The newest step within the skew window whose code is `digits` and that is later than
    /// the last one used.
    fn matching_step(
        &self,
        user: &User,
        factor: &SecondFactorRow,
        digits: &str,
    ) -> AppResult<Option<i64>> {
        let secret = self
            .vault
            .open(&factor.secret_sealed, &sealing_context(user.id))
            .map_err(vault_error)?;
        let bytes = Secret::Encoded(secret)
            .to_bytes()
            .map_err(|err| AppError::Unexpected(anyhow::anyhow!("stored secret: {err:?}")))?;
        let totp = totp(bytes, user.email.as_str())?;
        let now = u64::try_from(self.clock.now().timestamp()).unwrap_or(0);
        let current = now / STEP_SECONDS;
        let mut matched = None;
        for step in current.saturating_sub(1)..=current + 1 {
            let expected = totp.generate(step * STEP_SECONDS);
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            let fresh = factor.last_used_step.is_none_or(|last| step > last);
            if bool::from(expected.as_bytes().ct_eq(digits.as_bytes())) && fresh {
                matched = Some(step);
            }
        }
        Ok(matched)
    }
}

fn enrolment(secret: &str, user: &User) -> AppResult<Enrolment> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|err| AppError::Unexpected(anyhow::anyhow!("stored secret: {err:?}")))?;
    let totp = totp(bytes, user.email.as_str())?;
    Ok(Enrolment { secret: totp.get_secret_base32(), otpauth_url: totp.get_url() })
}

fn vault_error(err: crate::VaultError) -> AppError {
    AppError::Unexpected(anyhow::Error::new(err).context("opening a second factor's secret"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_80_bit_codes_stored_only_as_hashes() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 19, "{code}");
            assert_ne!(code, hash);
            assert_eq!(hash_token(&normalise_recovery_code(&code.to_uppercase())), *hash);
        }
    }

    #[test]
    fn a_secret_must_be_base32_of_at_least_128_bits() {
        assert!(parse_secret("JBSWY3DPEHPK3PXP").is_err(), "80 bits is too short");
        assert!(parse_secret("not base32!").is_err());
        let ok = parse_secret("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp").expect("160 bits");
        assert_eq!(ok.len(), 20);
    }

    #[test]
    fn codes_match_the_rfc_6238_sha1_test_vectors_cut_to_six_digits() {
        let totp = totp(b"12345678901234567890".to_vec(), "t@example.org").expect("totp");
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1_111_111_109), "081804");
        assert_eq!(totp.generate(2_000_000_000), "279037");
        let url = totp.get_url();
        assert!(url.starts_with("otpauth://totp/Hearth:t%40example.org?secret="), "{url}");
    }

    #[test]
    fn six_digits_accepts_spaces_and_nothing_else() {
        assert_eq!(six_digits("123 456").as_deref(), Some("123456"));
        assert_eq!(six_digits("12345"), None);
        assert_eq!(six_digits("12345a"), None);
    }
}
