use chrono::{DateTime, Duration, Utc};
use hearth_domain::{Email, Password, SessionId, address_key};
use hearth_store::{NewSession, Session, SessionKind, User};

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

    fn forget(&self, session: SessionId) {
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
    /// `TooManyAttempts` at no hashing cost.
    pub async fn log_in(&self, attempt: &LoginAttempt<'_>) -> AppResult<SignedIn> {
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
        let device_token = if let Some(device_key) = &device {
            self.db.settle_login_success(&[device_key], &[]).await?;
            None
        } else {
            self.db.settle_login_success(&[&pair_key, &account_key], &[&address_key]).await?;
            // Only browsers keep a device token (in a cookie); API clients have nowhere.
            let token = (attempt.kind == SessionKind::Browser).then(new_token);
            if let Some(token) = &token {
                self.db.insert_login_device(user.id, &hash_token(token), now).await?;
            }
            token
        };
        let token = new_token();
        let session_id = self
            .db
            .insert_session(&NewSession {
                user_id: user.id,
                token_hash: &hash_token(&token),
                kind: attempt.kind,
                created_at: now,
                absolute_expires_at: now + self.sessions.absolute,
                user_agent: &truncate(attempt.user_agent, 200),
                ip: attempt.ip,
            })
            .await?;
        self.audit(
            &AuditContext::by(user.id, Some(attempt.ip.to_owned())),
            "auth.login.succeeded",
            format!("user:{}", user.id),
            format!("session={session_id} kind={}", attempt.kind.as_str()),
        )
        .await?;
        Ok(SignedIn { token, device_token, session_id, user })
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
        self.db.revoke_session(who.user.id, session, self.clock.now()).await?;
        self.session_cache.forget(session);
        let action = if session == who.session.id { "auth.logout" } else { "auth.session.revoked" };
        self.audit(ctx, action, format!("user:{}", who.user.id), format!("session={session}")).await
    }

    /// The caller's live sessions, newest first.
    pub async fn list_sessions(&self, who: &Authenticated) -> AppResult<Vec<Session>> {
        let now = self.clock.now();
        let sessions = self.db.list_live_sessions(who.user.id, now).await?;
        Ok(sessions.into_iter().filter(|s| now - s.last_seen_at <= self.sessions.idle).collect())
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
