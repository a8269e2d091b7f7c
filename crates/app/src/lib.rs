//! Hearth's use cases. Each public function is one thing a person or a job does, in the
//! words of the domain; the web layer calls exactly one of them per request.

mod accounts;
mod audit;
mod clock;
mod error;
mod invites;
mod passwords;
mod sessions;
mod tokens;

use std::sync::Arc;

pub use accounts::{ClientSignUp, NewStaff};
pub use audit::AuditContext;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, AppResult};
pub use hearth_store::{AuditVerification, Db, Engine, Invite, Session, SessionKind, User};
pub use invites::{InviteAcceptance, IssuedInvite};
pub use passwords::PasswordHasher;
pub use sessions::{Authenticated, LoginAttempt, SessionPolicy, SignedIn, ThrottlePolicy};

/// Everything a use case needs, cheap to clone into each request.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    sessions: SessionPolicy,
    throttle: ThrottlePolicy,
}

/// How an [`App`] is put together; the server fills it from its settings, tests from theirs.
#[derive(Clone, Debug)]
pub struct AppParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub sessions: SessionPolicy,
    pub throttle: ThrottlePolicy,
}

impl App {
    pub fn new(parts: AppParts) -> Self {
        Self {
            db: parts.db,
            clock: parts.clock,
            hasher: parts.hasher,
            sessions: parts.sessions,
            throttle: parts.throttle,
        }
    }

    /// The database, for start-up checks and the CLI.
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the server and its database answer.
    pub async fn health(&self) -> AppResult<()> {
        self.db.ping().await.map_err(AppError::from)
    }
}
