//! Signed-in sessions. Only a token's hash is ever kept, never the token.

use chrono::{DateTime, Utc};

use crate::{SessionId, UserId};

/// Where a session was started: a browser (cookie) or the API (bearer token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

/// A session kind that is not one of Hearth's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown session kind {0:?}")]
pub struct SessionKindError(String);

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, SessionKindError> {
        match raw {
            "browser" => Ok(SessionKind::Browser),
            "api" => Ok(SessionKind::Api),
            other => Err(SessionKindError(other.to_owned())),
        }
    }
}

/// A session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub kind: SessionKind,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub user_agent: String,
    pub ip: String,
    /// Staff signed in before enrolling a second factor the practice requires: this session
    /// may only enrol one or log out.
    pub enrol_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_kinds_read_back_what_they_write() {
        for kind in [SessionKind::Browser, SessionKind::Api] {
            assert_eq!(SessionKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(SessionKind::parse("cookie").is_err());
    }
}
