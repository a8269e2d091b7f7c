//! What the server sends a participant's browser, including what the video crate must not
//! know: the host's safety panel, which carries each member's emergency contact and open risk
//! flag. [`RoomMessage`] wraps the video signalling messages and adds the panel; on the wire
//! each is one JSON object tagged by `type`, as before the panel moved here.

use hearth_video::signal::ServerMessage;
use serde::Serialize;

/// One line of the host's safety panel. Its `Debug` shows only the room id: the rest is
/// health and contact data that must never reach a log.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SafetyEntry {
    /// The participant's id in the room, as the roster gives it.
    pub id: String,
    pub name: String,
    /// Where the participant said they are for this session.
    pub location: Option<String>,
    pub emergency_contact: Option<String>,
    /// The level of the most recent open (unacknowledged) risk flag, if any, in words
    /// ([`hearth_domain::RiskLevel::label`]).
    pub open_risk_flag: Option<String>,
    /// Where the host starts a crisis note for this participant.
    pub crisis_note_url: Option<String>,
}

impl std::fmt::Debug for SafetyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafetyEntry").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The host's safety panel, for the host only: `{"type":"safety","participants":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "safety")]
pub struct SafetyPanel {
    pub participants: Vec<SafetyEntry>,
}

/// A message from the server to a participant's browser: the room's video signalling, or
/// the host's safety panel. Serialised as the message it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RoomMessage {
    Signal(ServerMessage),
    Safety(SafetyPanel),
}

impl From<ServerMessage> for RoomMessage {
    fn from(message: ServerMessage) -> Self {
        RoomMessage::Signal(message)
    }
}

impl From<SafetyPanel> for RoomMessage {
    fn from(panel: SafetyPanel) -> Self {
        RoomMessage::Safety(panel)
    }
}

#[cfg(test)]
mod tests {
    use hearth_video::signal::Part;

    use super::*;

    #[test]
    fn debug_shows_no_contact_location_or_flag() {
        let entry = SafetyEntry {
            id: "p1".to_owned(),
            name: "Quillon".to_owned(),
            location: Some("the harbour".to_owned()),
            emergency_contact: Some("Perpetua 312 555 0199".to_owned()),
            open_risk_flag: Some("self_harm_thoughts".to_owned()),
            crisis_note_url: None,
        };
        let shown = format!("{entry:?} {:?}", SafetyPanel { participants: vec![entry.clone()] });
        for secret in ["Quillon", "harbour", "Perpetua", "555", "self_harm"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    fn json(message: impl Into<RoomMessage>) -> String {
        serde_json::to_string(&message.into()).expect("serializes")
    }

    #[test]
    fn the_safety_panel_is_a_message_tagged_safety() {
        let panel = SafetyPanel {
            participants: vec![SafetyEntry {
                id: "p2-0000abcd".into(),
                name: "Ana".into(),
                location: Some("Springfield, IL".into()),
                emergency_contact: Some("Rosa · 312 555 0100".into()),
                open_risk_flag: None,
                crisis_note_url: Some("/clients/7?note=crisis#note-body".into()),
            }],
        };
        assert_eq!(
            json(panel),
            concat!(
                r#"{"type":"safety","participants":[{"id":"p2-0000abcd","name":"Ana","#,
                r#""location":"Springfield, IL","emergency_contact":"Rosa · 312 555 0100","#,
                r#""open_risk_flag":null,"crisis_note_url":"/clients/7?note=crisis#note-body"}]}"#
            )
        );
        assert_eq!(
            json(SafetyPanel { participants: Vec::new() }),
            r#"{"type":"safety","participants":[]}"#
        );
    }

    #[test]
    fn signalling_messages_keep_their_own_json() {
        let welcome = ServerMessage::Welcome { you: "p1".into(), part: Part::Host };
        assert_eq!(json(welcome.clone()), serde_json::to_string(&welcome).expect("serializes"));
        assert_eq!(json(welcome), r#"{"type":"welcome","you":"p1","part":"host"}"#);
        assert_eq!(json(ServerMessage::Admitted), r#"{"type":"admitted"}"#);
    }
}
