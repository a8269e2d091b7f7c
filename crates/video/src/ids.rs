//! Names of rooms and participants.

use std::fmt;

/// A room: one occurrence of a session, e.g. `group-12-2027-01-06`.
///
/// The app chooses the key; the SFU only compares keys. Media never crosses from one room to
/// another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey(String);

impl RoomKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RoomKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for RoomKey {
    fn from(key: String) -> Self {
        Self(key)
    }
}

/// One connection of one person to the SFU, unique across all rooms.
///
/// The app chooses it (an opaque token, not a name or an email): it is shown to the other
/// participants of the room as the stream id of the tracks this participant publishes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(String);

impl ParticipantId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ParticipantId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for ParticipantId {
    fn from(id: String) -> Self {
        Self(id)
    }
}
