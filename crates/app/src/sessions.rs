use chrono::{DateTime, Duration, Utc};
use hearth_domain::{Email, Password, SessionId};
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

/// How many failed logins are allowed within a window, per account and per source address.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub per_account: i64,
    pub per_ip: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self { window: Duration::minutes(15), per_account: 5, per_ip: 50 }
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
}

/// A new session: the token goes to the person once and is never stored.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
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
    /// work; repeated failures per account or per address answer `TooManyAttempts`.
    pub async fn log_in(&self, attempt: &LoginAttempt<'_>) -> AppResult<SignedIn> {
        let now = self.clock.now();
        let ctx = AuditContext::anonymous(Some(attempt.ip.to_owned()));
        let email = Email::parse(attempt.email).ok();
        let account_key = format!(
            "account:{}",
            email.as_ref().map_or_else(|| attempt.email.trim().to_lowercase(), Email::normalized)
        );
        let ip_key = format!("ip:{}", attempt.ip);
        for key in [&account_key, &ip_key] {
            if let Some(retry_after_secs) = self.throttled(key, now).await? {
                self.audit(
                    &ctx,
                    "auth.login.throttled",
                    "user:unknown",
                    key.split(':').next().unwrap_or(""),
                )
                .await?;
                return Err(AppError::TooManyAttempts { retry_after_secs });
            }
        }
        let user = match &email {
            Some(email) => self.db.find_user_by_email(email).await?,
            None => None,
        };
        let password = Password::for_login(attempt.password);
        let verified = match (&user, &password) {
            (Some(user), Some(password)) if user.disabled_at.is_none() => {
                self.hasher.verify(password, &user.password_hash).await?
            }
            _ => {
                // Spend the same time as a real check, so timing does not reveal accounts.
                let dummy = self.hasher.dummy_hash().await?;
                let probe = Password::for_login("x").ok_or_else(|| anyhow::anyhow!("probe"))?;
                let _ = self.hasher.verify(&probe, &dummy).await?;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            self.db.insert_login_failure(&account_key, now).await?;
            self.db.insert_login_failure(&ip_key, now).await?;
            self.audit(&ctx, "auth.login.failed", "user:unknown", "").await?;
            return Err(AppError::Unauthenticated);
        };
        self.db.delete_login_failures(&account_key).await?;
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
        Ok(SignedIn { token, session_id, user })
    }

    /// Seconds until `key` may try again, when it has used up its failures.
    async fn throttled(&self, key: &str, now: DateTime<Utc>) -> AppResult<Option<u64>> {
        let limit =
            if key.starts_with("ip:") { self.throttle.per_ip } else { self.throttle.per_account };
        let (failures, oldest) =
            self.db.count_login_failures(key, now - self.throttle.window).await?;
        if failures < limit {
            return Ok(None);
        }
        let reopens = oldest.unwrap_or(now) + self.throttle.window;
        let secs = (reopens - now).num_seconds().max(1);
        Ok(Some(u64::try_from(secs).unwrap_or(1)))
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
