//! The SFU's vocabulary: its configuration, its errors, and what it hands back to its driver.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::RtcError;
use str0m::change::SdpOffer;
use str0m::net::Transmit;

use crate::ids::{ParticipantId, RoomKey};

/// How the SFU is set up.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The address participants send media to, given to them as the only ICE candidate (a host
    /// candidate). Usually the bound address of the UDP socket, or the public address that
    /// forwards to it. It may not be unspecified (`0.0.0.0`).
    pub public_addr: SocketAddr,
    /// Answer as an ICE-lite agent (the usual choice for a server with a reachable address):
    /// the SFU only answers connectivity checks and never probes the participants' candidates.
    pub ice_lite: bool,
    /// A participant that has not connected (ICE and DTLS) this long after joining is dropped.
    pub connect_timeout: Duration,
    /// Most participants in one room; forwarding costs grow with its square.
    pub room_capacity: usize,
}

impl SfuConfig {
    /// ICE-lite, 30 s to connect, 16 to a room.
    #[must_use]
    pub fn new(public_addr: SocketAddr) -> Self {
        Self {
            public_addr,
            ice_lite: true,
            connect_timeout: Duration::from_secs(30),
            room_capacity: 16,
        }
    }
}

/// What went wrong with a signalling call.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    #[error("participant {0} has already joined")]
    AlreadyJoined(ParticipantId),
    #[error("no participant {0}")]
    UnknownParticipant(ParticipantId),
    #[error("room {0} is full")]
    RoomFull(RoomKey),
    #[error("an offer to participant {0} is outstanding: answer it first")]
    NegotiationInProgress(ParticipantId),
    #[error("no offer to participant {0} is outstanding")]
    NoPendingOffer(ParticipantId),
    #[error("the public address {0} cannot be an ICE candidate")]
    BadPublicAddress(SocketAddr),
    #[error("WebRTC: {0}")]
    Rtc(#[from] RtcError),
}

/// Why a participant is no longer in its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// [`Sfu::leave`](super::Sfu::leave) was called.
    Left,
    /// The peer closed the connection, or stopped answering (ICE consent lapsed).
    Disconnected,
    /// The peer never connected: ICE gave up, or [`SfuConfig::connect_timeout`] passed.
    ConnectTimeout,
    /// The peer's `Rtc` failed (a protocol error).
    Failed,
}

/// Something the signalling layer must act on or may record.
#[derive(Debug)]
pub enum SfuEvent {
    /// Deliver this offer to the participant and pass its answer to
    /// [`Sfu::accept_answer`](super::Sfu::accept_answer).
    Offer { participant: ParticipantId, offer: SdpOffer },
    /// The participant's media connection is up (ICE and DTLS).
    Connected { room: RoomKey, participant: ParticipantId },
    /// The participant is gone from the room; its tracks are being withdrawn from the others.
    Left { room: RoomKey, participant: ParticipantId, reason: LeaveReason },
}

/// What [`Sfu::poll_output`](super::Sfu::poll_output) hands back.
#[derive(Debug)]
pub enum SfuOutput {
    /// Send this datagram from the SFU's socket to `destination`.
    Transmit(Transmit),
    /// Act on this event.
    Event(SfuEvent),
    /// Nothing more now: call [`Sfu::handle_timeout`](super::Sfu::handle_timeout) at this instant
    /// at the latest.
    Timeout(Instant),
}
