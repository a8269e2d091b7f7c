//! Hearth's persistence. One [`Db`] serves SQLite (the embedded default) and PostgreSQL
//! (the scale-out engine); every method works on both, with the same SQL text wherever the
//! dialects agree.

mod audit;
mod db;
mod error;
mod invites;
mod sessions;
mod throttle;
mod users;

pub use audit::{AuditEntry, AuditVerification, NewAuditEntry};
pub use db::{Db, Engine};
pub use error::{StoreError, StoreResult};
pub use invites::{Invite, NewInvite};
pub use sessions::{NewSession, Session, SessionKind};
pub use users::{NewUser, User};
