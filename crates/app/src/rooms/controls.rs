//! The host's controls (admit, mute, camera off, allow unmuting, remove, lock, end) and a
//! participant's unmute: the hub changes the room, then the SFU and the audit log are told.

use hearth_video::ParticipantId;
use hearth_video::signal::{ClientMessage, Device};

use super::RoomHub;
use super::hub::Control;
use crate::{App, AppResult, AuditContext};

impl App {
    /// The host's controls: admit, mute, camera off, allow unmuting, remove, lock, end.
    pub(super) async fn host_control(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        message: ClientMessage,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        match message {
            ClientMessage::Admit { participant } => {
                // On record first: nobody is let in without a row saying who let them in.
                let planned = hub.lock().admission(id, &participant)?;
                self.audit_control(ctx, "room.admitted", &planned).await?;
                hub.lock().admit(id, &participant)?;
                Ok(())
            }
            ClientMessage::Mute { participant } => {
                self.turn_off(hub, id, &participant, Device::Microphone, ctx).await
            }
            ClientMessage::CameraOff { participant } => {
                self.turn_off(hub, id, &participant, Device::Camera, ctx).await
            }
            ClientMessage::AllowUnmute { allowed } => {
                self.allow_unmute(hub, id, allowed, ctx).await
            }
            ClientMessage::Remove { participant } => {
                let (target, done) = hub.lock().remove(id, &participant)?;
                let _ = hub.sfu.leave(target).await;
                self.audit_control(ctx, "room.removed", &done).await
            }
            ClientMessage::Lock { locked } => {
                let done = hub.lock().set_locked(id, locked)?;
                let action = if locked { "room.locked" } else { "room.unlocked" };
                self.audit_control(ctx, action, &done).await
            }
            ClientMessage::End => self.end_session(hub, id, ctx).await,
            ClientMessage::Hello { .. }
            | ClientMessage::Offer { .. }
            | ClientMessage::Answer { .. }
            | ClientMessage::Unmute { .. }
            | ClientMessage::Leave => Ok(()),
        }
    }

    /// The host ends the session for everyone. The end goes to the database first, so
    /// nobody slips in while the room empties.
    async fn end_session(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let ending = hub.lock().ending(id)?;
        let room = &ending.room;
        let record = self.audited(ctx, "room.ended", format!("meeting:{room}"), "");
        self.db
            .end_meeting(ending.group, ending.date, ending.host, self.clock.now(), record)
            .await?;
        let gone = hub.lock().end(room);
        for other in gone {
            let _ = hub.sfu.leave(other).await;
        }
        Ok(())
    }

    /// The host decides whether participants may turn back on what the host turned off.
    async fn allow_unmute(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        allowed: bool,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let done = hub.lock().set_may_unmute(id, allowed)?;
        let action = if allowed { "room.unmute_allowed" } else { "room.unmute_forbidden" };
        self.audit_control(ctx, action, &done).await
    }

    /// The host turns a participant's microphone or camera off. The page is told, but the SFU
    /// is what holds it: it drops that media until the participant unmutes (see [`unmute`]).
    async fn turn_off(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        participant: &str,
        device: Device,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let (target, done) = hub.lock().turn_off(id, participant, device)?;
        hub.sync_forwarding(&target).await;
        let action = match device {
            Device::Microphone => "room.muted",
            Device::Camera => "room.camera_turned_off",
        };
        self.audit_control(ctx, action, &done).await
    }

    async fn audit_control(
        &self,
        ctx: &AuditContext,
        action: &str,
        done: &Control,
    ) -> AppResult<()> {
        let detail = done.target_user.map(|u| format!("user={u}")).unwrap_or_default();
        self.audit(ctx, action, format!("meeting:{}", done.room), detail).await
    }
}

/// A participant turns back on what the host turned off (the hub says whether they may);
/// once the SFU forwards it again, the page is told.
pub(super) async fn unmute(hub: &RoomHub, id: &ParticipantId, device: Device) -> AppResult<()> {
    hub.lock().unmute(id, device)?;
    hub.sync_forwarding(id).await;
    hub.lock().unmuted(id, device);
    Ok(())
}
