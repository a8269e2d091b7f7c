//! Accounts and the invitations that make staff accounts.

use chrono::{DateTime, Utc};

use crate::{DisplayName, Email, InviteId, Region, Role, TimeZone, UserId};

/// An account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: String,
    pub role: Role,
    pub display_name: DisplayName,
    pub timezone: TimeZone,
    pub region: Option<Region>,
    /// The birth date, sealed by the app's vault for this account's id.
    pub birth_date_sealed: Option<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// An admin's invitation for a staff member, redeemed once through a secret link.
#[derive(Clone, Debug)]
pub struct Invite {
    pub id: InviteId,
    pub email: Email,
    pub role: Role,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
