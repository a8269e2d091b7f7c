//! The messages of a room's signalling WebSocket: JSON text frames tagged by `type`.
//!
//! The browser opens the socket, says [`ClientMessage::Hello`] (its location for this session,
//! and for care staff the reason they join), and waits: the server answers with
//! [`ServerMessage::Welcome`] and then [`ServerMessage::Waiting`] or [`ServerMessage::Admitted`].
//! Once admitted the browser sends its [`ClientMessage::Offer`]; the server's
//! [`ServerMessage::Answer`] to it always comes before any [`ServerMessage::Offer`] the SFU makes
//! to that browser (the others' tracks), and each of those gets a [`ClientMessage::Answer`].
//!
//! These are the messages the video layer needs, and they carry no clinical data: the app sends
//! the host's safety panel (emergency contacts, risk flags) on the same socket as a message of
//! its own (`hearth_app::RoomMessage`), tagged by `type` like these.

use serde::{Deserialize, Serialize};

/// From the browser.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first message. `location` is where the participant is right now (asked at every
    /// join); `reason` is why a member of the care staff joins.
    Hello {
        #[serde(default)]
        location: Option<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// An SDP offer: the browser's first one after it is admitted, or a later one.
    Offer {
        sdp: String,
    },
    /// The answer to the server's last [`ServerMessage::Offer`].
    Answer {
        sdp: String,
    },
    /// Host controls, naming a participant by the id the roster gives.
    Admit {
        participant: String,
    },
    /// The host turns a participant's microphone off: the SFU stops forwarding its audio.
    Mute {
        participant: String,
    },
    /// The host turns a participant's camera off: the SFU stops forwarding its video.
    CameraOff {
        participant: String,
    },
    /// The host lets participants turn back on what the host turned off (the default), or
    /// not; until then they ask the host.
    AllowUnmute {
        allowed: bool,
    },
    Remove {
        participant: String,
    },
    Lock {
        locked: bool,
    },
    /// The host ends the session for everyone.
    End,
    /// The participant turns its own microphone or camera back on after the host turned it
    /// off. Needed only then: a participant's own mute stays in its browser.
    Unmute {
        device: Device,
    },
    /// The participant leaves (closing the socket does the same).
    Leave,
}

/// What the host can turn off, and the participant back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    Microphone,
    Camera,
}

/// What a participant is in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The group's therapist, who runs the room.
    Host,
    Member,
    /// Care staff who joined with a reason.
    Staff,
}

/// Where a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Waiting,
    InRoom,
}

/// One line of the roster: display names only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    pub id: String,
    pub name: String,
    pub part: Part,
    pub presence: Presence,
    /// The host turned this participant's microphone off: nobody hears it until it unmutes.
    pub host_muted: bool,
    /// The host turned this participant's camera off: nobody sees it until it turns it on.
    pub host_camera_off: bool,
}

/// From the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The participant's id in this room and what it is.
    Welcome {
        you: String,
        part: Part,
    },
    /// In the waiting room until the host admits.
    Waiting,
    /// Send the offer now.
    Admitted,
    Answer {
        sdp: String,
    },
    Offer {
        sdp: String,
    },
    /// Everyone in the room and the waiting room, in order of arrival.
    Roster {
        participants: Vec<RosterEntry>,
        locked: bool,
        /// Whether participants may turn back on what the host turned off.
        may_unmute: bool,
    },
    /// The host turned this participant's microphone or camera off; the SFU no longer
    /// forwards it.
    Muted {
        device: Device,
    },
    /// The participant's [`ClientMessage::Unmute`] was granted: the SFU forwards it again.
    Unmuted {
        device: Device,
    },
    /// The host removed this participant; the socket closes next.
    Removed,
    /// The host ended the session; the socket closes next.
    Ended,
    /// The participant may not join; the socket closes next.
    Refused {
        reason: String,
    },
    /// The participant's media connection dropped: offer again to rejoin.
    MediaLost,
    /// A message could not be acted on; the session goes on.
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_tagged_snake_case_json() {
        let hello: ClientMessage =
            serde_json::from_str(r#"{"type":"hello","location":"Denver, CO"}"#).expect("parses");
        assert_eq!(
            hello,
            ClientMessage::Hello { location: Some("Denver, CO".into()), reason: None }
        );
        let end: ClientMessage = serde_json::from_str(r#"{"type":"end"}"#).expect("parses");
        assert_eq!(end, ClientMessage::End);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"lock","locked":1}"#).is_err());
        assert!(
            serde_json::from_str::<ClientMessage>(r#"{"type":"admit","participant":"p1","x":1}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"shout"}"#).is_err());
        let unmute: ClientMessage =
            serde_json::from_str(r#"{"type":"unmute","device":"camera"}"#).expect("parses");
        assert_eq!(unmute, ClientMessage::Unmute { device: Device::Camera });
        assert!(
            serde_json::from_str::<ClientMessage>(r#"{"type":"unmute","device":"screen"}"#)
                .is_err()
        );
        let muted = ServerMessage::Muted { device: Device::Microphone };
        assert_eq!(
            serde_json::to_string(&muted).expect("serializes"),
            r#"{"type":"muted","device":"microphone"}"#
        );
        let welcome = ServerMessage::Welcome { you: "p1".into(), part: Part::Host };
        assert_eq!(
            serde_json::to_string(&welcome).expect("serializes"),
            r#"{"type":"welcome","you":"p1","part":"host"}"#
        );
    }
}
