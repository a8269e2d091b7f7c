//! Hearth's video: a selective forwarding unit (SFU) on [`str0m`].
//!
//! Every participant is one [`str0m::Rtc`]; all of them share one UDP socket, and incoming
//! datagrams are routed to the participant whose `Rtc` accepts them. A participant joins a
//! [room](RoomKey) (one per session occurrence, e.g. `group-12-2027-01-06`) with an SDP offer
//! and gets an answer back; from then on every frame it publishes is forwarded to everyone else
//! in the same room, and nothing crosses from one room to another.
//!
//! The crate has two layers:
//!
//! - [`Sfu`] is sans-IO: it never touches a socket or a clock. Callers feed it datagrams
//!   ([`Sfu::handle_receive`]), the passing of time ([`Sfu::handle_timeout`]) and signalling
//!   ([`Sfu::join`], [`Sfu::accept_answer`], [`Sfu::renegotiate`], [`Sfu::leave`]) and the
//!   host's holds ([`Sfu::set_forwarding`]), and drain
//!   [`Sfu::poll_output`] for datagrams to send, [`SfuEvent`]s for the signalling layer, and the
//!   next deadline. Tests drive it with simulated time.
//! - [`driver`] runs an [`Sfu`] on a tokio [`UdpSocket`](tokio::net::UdpSocket) and takes
//!   commands through a cloneable [`SfuHandle`].
//! - [`SfuPool`] runs several SFUs, one per core, each on its own port, and places every room
//!   wholly on one of them.
//! - `synthetic` (with the `synthetic` feature, for tests and the load tool): stand-in browsers
//!   that publish checkable frames.
//!
//! # Negotiation
//!
//! The participant makes the first offer (its own microphone and camera). Whenever someone else
//! in the room publishes a track, the SFU adds a send-only m-line for it to every other
//! participant and emits [`SfuEvent::Offer`]; the signalling layer delivers that offer and hands
//! the answer back through [`Sfu::accept_answer`]. The SFU is the *impolite* peer of "perfect
//! negotiation": while one of its offers is outstanding, an offer from the participant is refused
//! with [`SfuError::NegotiationInProgress`], and the client rolls back, answers, and offers
//! again. Each forwarded m-line carries the publisher's participant id as its stream id
//! (`a=msid`), so a browser can tell whose tile a track belongs to.
//!
//! str0m reports a participant's tracks once its connection is up, so the others are offered
//! them only then. Frames are forwarded whole (str0m's frame API); a frame that arrives after a
//! gap triggers a keyframe request to its publisher, as does a newly opened video subscription.
//! [`Sfu::set_forwarding`] withholds one kind of a participant's media (a host's mute, or a
//! camera the host turned off): its frames of that kind are dropped as they arrive, so a client
//! that keeps sending is still not heard; the m-lines stay as they are.
//!
//! # Not yet
//!
//! Simulcast layers (frames with a RID are not forwarded), bandwidth estimation, TURN or TCP.
//!
//! # Signalling
//!
//! [`signal`] holds the signalling messages of the app's room WebSocket: media negotiation,
//! the roster (display names only) and the host's controls. The crate holds no app data: what
//! the app adds to that socket (the host's safety panel) is the app's own type, in
//! `hearth_app`. [`SfuEvent::Offer`] travels on
//! the driver's event channel, apart from the answer [`SfuHandle::join`] returns: the
//! signalling layer (`hearth_app::RoomHub`) sends a participant its join answer before any
//! offer for it.

#![forbid(unsafe_code)]

pub mod driver;
mod ids;
mod participant;
mod pool;
mod sfu;
pub mod signal;
#[cfg(feature = "synthetic")]
pub mod synthetic;

pub use driver::{SOCKET_BUFFER_BYTES, SfuHandle, bind_socket, spawn};
pub use ids::{ParticipantId, RoomKey};
pub use pool::{PoolConfig, PoolError, SfuPool, StartedPool};
pub use sfu::{LeaveReason, Sfu, SfuConfig, SfuError, SfuEvent, SfuOutput};

/// The str0m types that appear in this crate's API.
pub use str0m::Candidate;
pub use str0m::change::{SdpAnswer, SdpOffer};
pub use str0m::media::MediaKind;
pub use str0m::net::Transmit;
