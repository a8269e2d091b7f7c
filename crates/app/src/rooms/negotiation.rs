//! SDP negotiation between a participant's browser and the SFU. The browser makes the first
//! offer once admitted; the SFU's answer to it goes out before any offer the SFU makes to
//! that browser (held by the hub meanwhile), and a host's holds reach the SFU before the
//! answer, so no frame the host turned off is ever forwarded.

use hearth_video::{MediaKind, ParticipantId, SdpAnswer, SdpOffer};

use super::RoomHub;
use crate::{App, AppError, AppResult};

impl RoomHub {
    /// Tells the SFU what of the participant's media to forward, as the room's holds say.
    /// Every change to a hold calls this after it; so does a join, before the browser has the
    /// answer it needs to send media. It reads again after each round, so of two calls racing
    /// the last to reach the SFU carries the holds as they are now.
    pub(super) async fn sync_forwarding(&self, id: &ParticipantId) {
        let mut applied = None;
        loop {
            let Some(wanted) = self.lock().forwarding(id) else { return };
            if applied == Some(wanted) {
                return;
            }
            let (audio, video) = wanted;
            for (kind, allowed) in [(MediaKind::Audio, audio), (MediaKind::Video, video)] {
                // Not joined to the SFU (waiting, or its media dropped): its join applies them.
                if let Err(e) = self.sfu.set_forwarding(id.clone(), kind, allowed).await {
                    tracing::debug!(participant = %id, error = %e, "forwarding not set");
                }
            }
            applied = Some(wanted);
        }
    }
}

impl App {
    /// The participant's offer: its first joins the SFU's room, a later one renegotiates.
    pub(super) async fn room_offer(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        sdp: &str,
    ) -> AppResult<()> {
        let offer = SdpOffer::from_sdp_string(sdp)
            .map_err(|e| AppError::invalid("sdp", format!("not an SDP offer: {e}")))?;
        let first = hub.lock().begin_offer(id)?;
        let answered = match &first {
            Some(room) => hub.sfu.join(room.clone(), id.clone(), offer).await,
            None => hub.sfu.renegotiate(id.clone(), offer).await,
        };
        if first.is_some() && answered.is_ok() {
            // Before the answer goes out, so the browser cannot send a frame that is forwarded.
            hub.sync_forwarding(id).await;
        }
        let answered = answered.map(|answer| answer.to_sdp_string());
        let delivered = hub.lock().finish_offer(id, first.is_some(), answered);
        if let Some(result) = delivered {
            result
        } else {
            // Gone while the SFU answered (removed, or the session ended): undo the join.
            let _ = hub.sfu.leave(id.clone()).await;
            Ok(())
        }
    }
}

/// The browser's answer to the SFU's last offer.
pub(super) async fn room_answer(hub: &RoomHub, id: &ParticipantId, sdp: &str) -> AppResult<()> {
    let answer = SdpAnswer::from_sdp_string(sdp)
        .map_err(|e| AppError::invalid("sdp", format!("not an SDP answer: {e}")))?;
    hub.sfu
        .accept_answer(id.clone(), answer)
        .await
        .map_err(|e| AppError::refused("negotiation", format!("the answer was not accepted: {e}")))
}
