//! Live group sessions: the door of a meeting's video room, the waiting room, the
//! therapist's controls and safety panel, and the relay between each browser's signalling
//! socket and the SFU.
//!
//! The live state of a room (who is connected, admitted, waiting; whether it is locked) is
//! held by the node that serves the room's media, as the design allows: a room is pinned to
//! one node. Everything that must outlive the call (attendance, the end of the session) goes
//! to the database.
//!
//! - `hub`: that live state as synchronous bookkeeping, unit-tested on its own;
//! - `entry`: the door and a participant's arrival (with the member's safety line);
//! - `controls`: the host's controls and a participant's unmute, audited;
//! - `negotiation`: SDP offers and answers between a browser and the SFU;
//! - `relay`: the SFU's events (its offers, connects and leaves) to sockets and attendance;
//! - `safety`: the messages a browser is sent, with the host's safety panel.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDate;
use hearth_domain::Group;
use hearth_domain::SeriesOccurrence;
use hearth_video::signal::ClientMessage;
use hearth_video::{ParticipantId, RoomKey, SfuEvent, SfuPool};
use tokio::sync::mpsc;

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

mod controls;
mod entry;
mod hub;
mod negotiation;
mod relay;
mod safety;

pub use entry::LOCATION_MAX_CHARS;
pub use safety::{RoomMessage, SafetyEntry, SafetyPanel};

use hub::HubState;

/// The room of one meeting of a group, named by the meeting's series date.
#[derive(Clone, Debug)]
pub struct Meeting {
    pub group: Group,
    pub occurrence: SeriesOccurrence,
}

impl Meeting {
    pub fn date(&self) -> NaiveDate {
        self.occurrence.original_local_date
    }

    pub fn key(&self) -> RoomKey {
        RoomKey::new(format!("group-{}-{}", self.group.id, self.date()))
    }
}

/// A browser's place in a room, and the messages the server sends it. The stream ends when
/// the server is done with the participant (removed, session ended, replaced by a newer
/// connection of the same person); the socket closes then.
#[derive(Debug)]
pub struct RoomConnection {
    pub id: ParticipantId,
    pub outbox: mpsc::UnboundedReceiver<RoomMessage>,
}

/// The live rooms of this node and the SFU that carries their media.
#[derive(Debug)]
pub struct RoomHub {
    sfu: SfuPool,
    state: Mutex<HubState>,
}

impl RoomHub {
    fn new(sfu: SfuPool) -> Self {
        Self { sfu, state: Mutex::new(HubState::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl App {
    /// Attaches this node's SFU: rooms can be entered from now on. Spawns the task that
    /// relays the SFU's events (offers to deliver, connects and leaves).
    #[must_use]
    pub fn with_video(mut self, sfu: SfuPool, events: mpsc::UnboundedReceiver<SfuEvent>) -> Self {
        self.rooms = Some(Arc::new(RoomHub::new(sfu)));
        tokio::spawn(relay::relay_events(self.clone(), events));
        self
    }

    fn hub(&self) -> AppResult<&Arc<RoomHub>> {
        self.rooms.as_ref().ok_or_else(|| {
            AppError::refused("video_unavailable", "video is not running on this server")
        })
    }

    /// Acts on one message from a participant's browser.
    pub async fn room_message(
        &self,
        who: &Authenticated,
        id: &ParticipantId,
        message: ClientMessage,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let hub = self.hub()?;
        match message {
            ClientMessage::Hello { .. } => Err(AppError::invalid("type", "already said hello")),
            ClientMessage::Offer { sdp } => self.room_offer(hub, id, &sdp).await,
            ClientMessage::Answer { sdp } => negotiation::room_answer(hub, id, &sdp).await,
            ClientMessage::Leave => {
                self.leave_room(who, id).await;
                Ok(())
            }
            ClientMessage::Unmute { device } => controls::unmute(hub, id, device).await,
            control => self.host_control(hub, id, control, ctx).await,
        }
    }

    /// The participant's socket closed or it said goodbye.
    pub async fn leave_room(&self, who: &Authenticated, id: &ParticipantId) {
        let Ok(hub) = self.hub() else { return };
        let gone = hub.lock().leave(id);
        if gone {
            let _ = hub.sfu.leave(id.clone()).await;
            tracing::debug!(user = %who.user.id, participant = %id, "left the room");
        }
    }
}
