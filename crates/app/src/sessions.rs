use chrono::{DateTime, Duration, Utc};
use hearth_domain::{Email, Password, SessionId, address_key};
use hearth_domain::{Session, SessionKind, User};
use hearth_store::{LoginChallenge, NewSession};

use crate::second_factor::SecondFactorPolicy;
use crate::tokens::{hash_token, new_token};
use crate::{App, AppError, AppResult, AuditContext};

/// Idle and absolute lifetimes of a session (OWASP ASVS L2: 30 minutes idle, 12 hours in all).
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// Activity is written at most this often, so a busy session is not a write per request.
    pub touch_every: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            touch_every: Duration::seconds(60),
        }
    }
}

/// A short-lived, in-process memo of recent session look-ups, so a busy client does not cost
/// a database query per request. An entry lives [`SessionCache::TTL`] at most; revoking a
/// session forgets it here at once, and on another node within that TTL. Idle and absolute
/// expiry are re-checked on every hit.
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (DateTime<Utc>, Authenticated)>>,
}

impl SessionCache {
    const TTL: Duration = Duration::seconds(2);
    const MAX_ENTRIES: usize = 10_000;

    fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<Authenticated> {
        let entries = self.entries.lock().ok()?;
        let (cached_at, who) = entries.get(token_hash)?;
        (now >= *cached_at && now - *cached_at < Self::TTL).then(|| who.clone())
    }

    fn put(&self, token_hash: String, now: DateTime<Utc>, who: &Authenticated) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES {
                entries.retain(|_, (at, _)| now - *at < Self::TTL);
                if entries.len() >= Self::MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(token_hash, (now, who.clone()));
        }
    }

    pub(crate) fn forget(&self, session: SessionId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (_, who)| who.session.id != session);
        }
    }
}

/// A login as typed.
#[derive(Clone, Debug)]
pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub kind: SessionKind,
    pub user_agent: &'a str,
    pub ip: &'a str,
    /// The device token this browser was given at an earlier login, if any.
    pub device: Option<&'a str>,
    /// A second factor's code or a recovery code, for accounts that have one.
    pub totp: Option<&'a str>,
}

/// Where a browser login stands after its password.
#[derive(Debug)]
pub enum LoginStep {
    SignedIn(SignedIn),
    /// The account has a second factor: the browser keeps `challenge` (in a cookie) and
    /// sends the code with it.
    SecondFactor {
        challenge: String,
    },
}

/// A password proven right, and the throttle keys to settle once the login succeeds.
struct PasswordProof {
    user: User,
    clear: Vec<String>,
    forgive: Vec<String>,
    device_known: bool,
}

/// A new session: the token goes to the person once and is never stored.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    /// A device token for the browser to keep, when it did not present a valid one for this
    /// account (see `hearth_domain::LoginThrottle::known_device`).
    pub device_token: Option<String>,
    pub session_id: SessionId,
    pub user: User,
    /// The session may only enrol a second factor (see `SecondFactorPolicy`).
    pub enrol_only: bool,
}

/// The person behind a request.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session: Session,
    pub user: User,
}

impl App {
    /// Signs someone in. Wrong email and wrong password give the same error after the same
    /// work (one argon2 verification). Before any password is checked the attempt is admitted
    /// by the throttle (see `hearth_domain::LoginThrottle`): refused attempts answer
    /// `TooManyAttempts` at no hashing cost. An account with a second factor also needs its
    /// code (or a recovery code) in `totp`: without it, or with a wrong one, the answer is
    /// `SecondFactorRequired` and the password's strikes are not settled.
    pub async fn log_in(&self, attempt: &LoginAttempt<'_>) -> AppResult<SignedIn> {
        let proof = self.check_password(attempt).await?;
        let has_factor = match self.confirmed_second_factor(proof.user.id).await? {
            Some(factor) => {
                let ctx = AuditContext::anonymous(Some(attempt.ip.to_owned()));
                let code = attempt.totp.map(str::trim).filter(|c| !c.is_empty());
                let Some(code) = code else {
                    return Err(AppError::SecondFactorRequired);
                };
                if !self.check_second_factor(&proof.user, &factor, code, &ctx).await? {
                    self.audit(
                        &ctx,
                        "auth.login.second_factor_failed",
                        format!("user:{}", proof.user.id),
                        "",
                    )
                    .await?;
                    return Err(AppError::SecondFactorRequired);
                }
                true
            }
            None => false,
        };
        self.open_session(proof, has_factor, attempt.kind, attempt.user_agent, attempt.ip).await
    }

    /// The browser's first step: the password. An account with a second factor gets a
    /// challenge (its token goes into a cookie) to finish with [`App::finish_login`].
    pub async fn begin_login(&self, attempt: &LoginAttempt<'_>) -> AppResult<LoginStep> {
        let proof = self.check_password(attempt).await?;
        if self.confirmed_second_factor(proof.user.id).await?.is_none() {
            let signed_in = self
                .open_session(proof, false, attempt.kind, attempt.user_agent, attempt.ip)
                .await?;
            return Ok(LoginStep::SignedIn(signed_in));
        }
        let now = self.clock.now();
        let token = new_token();
        let challenge = LoginChallenge {
            user_id: proof.user.id,
            expires_at: now + Duration::minutes(5),
            settle_clear: proof.clear,
            settle_forgive: proof.forgive,
            device_known: proof.device_known,
        };
        self.db.insert_login_challenge(&hash_token(&token), &challenge, now).await?;
        Ok(LoginStep::SecondFactor { challenge: token })
    }

    /// The browser's second step: the code for a challenge from [`App::begin_login`]. A
    /// wrong code is `SecondFactorRequired` (the challenge stays, until it expires, for
    /// another try); an unknown, used or expired challenge is `Unauthenticated`.
    pub async fn finish_login(
        &self,
        challenge: &str,
        code: &str,
        user_agent: &str,
        ip: &str,
    ) -> AppResult<SignedIn> {
        if challenge.is_empty() || challenge.len() > 100 {
            return Err(AppError::Unauthenticated);
        }
        let now = self.clock.now();
        let token_hash = hash_token(challenge);
        let Some(found) = self.db.find_login_challenge(&token_hash, now).await? else {
            return Err(AppError::Unauthenticated);
        };
        let user = self.db.find_user(found.user_id).await?.filter(|u| u.disabled_at.is_none());
        let Some(user) = user else { return Err(AppError::Unauthenticated) };
        let Some(factor) = self.confirmed_second_factor(user.id).await? else {
            return Err(AppError::Unauthenticated);
        };
        let ctx = AuditContext::anonymous(Some(ip.to_owned()));
        if !self.check_second_factor(&user, &factor, code.trim(), &ctx).await? {
            self.audit(&ctx, "auth.login.second_factor_failed", format!("user:{}", user.id), "")
                .await?;
            return Err(AppError::SecondFactorRequired);
        }
        if !self.db.consume_login_challenge(&token_hash, now).await? {
            return Err(AppError::Unauthenticated);
        }
        let proof = PasswordProof {
            user,
            clear: found.settle_clear,
            forgive: found.settle_forgive,
            device_known: found.device_known,
        };
        self.open_session(proof, true, SessionKind::Browser, user_agent, ip).await
    }

    /// Admits the attempt through the throttle and checks the password.
    async fn check_password(&self, attempt: &LoginAttempt<'_>) -> AppResult<PasswordProof> {
        let now = self.clock.now();
        let ctx = AuditContext::anonymous(Some(attempt.ip.to_owned()));
        let email = Email::parse(attempt.email).ok();
        let account = email.as_ref().map_or_else(
            || attempt.email.trim().to_lowercase().chars().take(320).collect(),
            Email::normalized,
        );
        let user = match &email {
            Some(email) => self.db.find_user_by_email(email).await?,
            None => None,
        };
        let device = self.known_device(attempt.device, user.as_ref(), now).await?;
        let address_key = address_key(attempt.ip);
        let account_key = format!("account:{account}");
        let pair_key = format!("account:{account}|{address_key}");
        let keys = match &device {
            Some(device_key) => vec![(device_key.clone(), self.throttle.known_device)],
            None => vec![
                (pair_key.clone(), self.throttle.account_from_address),
                (account_key.clone(), self.throttle.account),
                (address_key.clone(), self.throttle.address),
            ],
        };
        if let Err(wait) = self.db.admit_login_attempt(&keys, now).await? {
            self.audit(&ctx, "auth.login.throttled", "user:unknown", "").await?;
            let retry_after_secs = u64::try_from(wait.num_seconds()).unwrap_or(0).max(1);
            return Err(AppError::TooManyAttempts { retry_after_secs });
        }
        let password = Password::for_login(attempt.password);
        let verified = match (&user, &password) {
            (Some(user), Some(password)) if user.disabled_at.is_none() => {
                self.hasher.verify(password, &user.password_hash).await?
            }
            _ => {
                // The same one verification as a real check, so timing does not tell
                // whether the account exists.
                let probe = password
                    .or_else(|| Password::for_login("x"))
                    .ok_or_else(|| anyhow::anyhow!("probe"))?;
                let _ = self.hasher.verify(&probe, self.dummy_hash().await?).await?;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            self.audit(&ctx, "auth.login.failed", "user:unknown", "").await?;
            return Err(AppError::Unauthenticated);
        };
        Ok(match device {
            Some(device_key) => PasswordProof {
                user,
                clear: vec![device_key],
                forgive: Vec::new(),
                device_known: true,
            },
            None => PasswordProof {
                user,
                clear: vec![pair_key, account_key],
                forgive: vec![address_key],
                device_known: false,
            },
        })
    }

    /// Settles the password's strikes and starts the session. Staff without a second
    /// factor, where the practice requires one, get a session that may only enrol.
    async fn open_session(
        &self,
        proof: PasswordProof,
        has_factor: bool,
        kind: SessionKind,
        user_agent: &str,
        ip: &str,
    ) -> AppResult<SignedIn> {
        let now = self.clock.now();
        let user = proof.user;
        let clear: Vec<&str> = proof.clear.iter().map(String::as_str).collect();
        let forgive: Vec<&str> = proof.forgive.iter().map(String::as_str).collect();
        self.db.settle_login_success(&clear, &forgive).await?;
        // Only browsers keep a device token (in a cookie); API clients have nowhere.
        let device_token = (!proof.device_known && kind == SessionKind::Browser).then(new_token);
        if let Some(token) = &device_token {
            self.db.insert_login_device(user.id, &hash_token(token), now).await?;
        }
        let enrol_only = user.role.is_staff()
            && !has_factor
            && self.second_factor_policy == SecondFactorPolicy::Required;
        let token = new_token();
        let ctx = AuditContext::by(user.id, Some(ip.to_owned()));
        let record = self.audited_with(|session_id: &SessionId| {
            let detail = format!(
                "session={session_id} kind={} second_factor={has_factor} enrol_only={enrol_only}",
                kind.as_str()
            );
            vec![self.audit_entry(
                &ctx,
                "auth.login.succeeded",
                format!("user:{}", user.id),
                detail,
            )]
        });
        let session_id = self
            .db
            .insert_session(
                &NewSession {
                    user_id: user.id,
                    token_hash: &hash_token(&token),
                    kind,
                    created_at: now,
                    absolute_expires_at: now + self.sessions.absolute,
                    user_agent: &truncate(user_agent, 200),
                    ip,
                    enrol_only,
                },
                record,
            )
            .await?;
        Ok(SignedIn { token, device_token, session_id, user, enrol_only })
    }

    /// The throttle key of a device token issued to `user` within the last 180 days.
    async fn known_device(
        &self,
        token: Option<&str>,
        user: Option<&User>,
        now: DateTime<Utc>,
    ) -> AppResult<Option<String>> {
        let (Some(token), Some(user)) = (token, user) else { return Ok(None) };
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let token_hash = hash_token(token);
        let owner = self.db.find_login_device(&token_hash, now - Duration::days(180)).await?;
        Ok((owner == Some(user.id)).then(|| format!("device:{token_hash}")))
    }

    /// The hash checked for unknown emails, made once per process (at the current
    /// parameters, so it costs what a real account's check costs).
    async fn dummy_hash(&self) -> AppResult<&str> {
        let hash =
            self.dummy_hash.get_or_try_init(|| async { self.hasher.dummy_hash().await }).await?;
        Ok(hash.as_str())
    }

    /// Forgets login strikes that no longer matter (run by the server's housekeeping).
    pub async fn forget_stale_login_strikes(&self) -> AppResult<u64> {
        let before = self.clock.now() - chrono::Duration::days(1);
        self.db.delete_stale_login_challenges(self.clock.now()).await?;
        Ok(self.db.delete_stale_login_strikes(before).await?)
    }

    /// The session and person behind a token, if it is live. Expired, revoked and unknown
    /// tokens are all `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> AppResult<Authenticated> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::Unauthenticated);
        }
        let now = self.clock.now();
        let token_hash = hash_token(token);
        if let Some(who) = self.session_cache.get(&token_hash, now)
            && self.is_live(&who.session, &who.user, now)
        {
            return Ok(who);
        }
        let Some((session, user)) = self.db.find_session_by_token_hash(&token_hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        if !self.is_live(&session, &user, now) {
            return Err(AppError::Unauthenticated);
        }
        if now - session.last_seen_at >= self.sessions.touch_every {
            self.db.touch_session(session.id, now).await?;
        }
        let who = Authenticated { session, user };
        self.session_cache.put(token_hash, now, &who);
        Ok(who)
    }

    fn is_live(&self, session: &Session, user: &User, now: DateTime<Utc>) -> bool {
        session.revoked_at.is_none()
            && session.absolute_expires_at > now
            && now - session.last_seen_at <= self.sessions.idle
            && user.disabled_at.is_none()
    }

    /// Ends the caller's own session.
    pub async fn log_out(&self, who: &Authenticated, ctx: &AuditContext) -> AppResult<()> {
        self.revoke_session(who, who.session.id, ctx).await
    }

    /// Ends one of the caller's sessions (on another device, say).
    pub async fn revoke_session(
        &self,
        who: &Authenticated,
        session: SessionId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let action = if session == who.session.id { "auth.logout" } else { "auth.session.revoked" };
        let record = self.audited(
            ctx,
            action,
            format!("user:{}", who.user.id),
            format!("session={session}"),
        );
        self.db.revoke_session(who.user.id, session, self.clock.now(), record).await?;
        self.session_cache.forget(session);
        Ok(())
    }

    /// The caller's live sessions, newest first.
    pub async fn list_sessions(&self, who: &Authenticated) -> AppResult<Vec<Session>> {
        let now = self.clock.now();
        let sessions = self.db.list_live_sessions(who.user.id, now).await?;
        Ok(sessions.into_iter().filter(|s| now - s.last_seen_at <= self.sessions.idle).collect())
    }

    pub fn second_factor_policy(&self) -> SecondFactorPolicy {
        self.second_factor_policy
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
