//! What the host's controls, and a participant's unmute, change in the hub: each checks that
//! the sender is the room's host (and the target is in that room), changes the lists, and
//! tells everyone. Telling the SFU and writing the audit log are the callers'.

use chrono::NaiveDate;
use hearth_domain::{GroupId, UserId};
use hearth_video::signal::{Device, Part, Presence, ServerMessage};
use hearth_video::{ParticipantId, RoomKey};

use super::HubState;
use crate::{AppError, AppResult};

/// What a host's control touched, for the audit log.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::rooms) struct Control {
    pub room: RoomKey,
    pub target_user: Option<UserId>,
}

/// The meeting a host is about to end, and who ends it.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::rooms) struct Ending {
    pub room: RoomKey,
    pub group: GroupId,
    pub date: NaiveDate,
    pub host: UserId,
}

impl HubState {
    /// What admitting `participant` would do, without doing it: the room and the person, so
    /// the admission can be put on record before it takes effect.
    pub(in crate::rooms) fn admission(
        &self,
        host: &ParticipantId,
        participant: &str,
    ) -> AppResult<Control> {
        let room = self.host_room(host)?;
        let target = self.target(&room, participant)?;
        let user = self.peers.get(&target).ok_or(AppError::NotFound)?.user;
        Ok(Control { room, target_user: Some(user) })
    }

    /// The host lets a participant in from the waiting room; they stay admitted to this
    /// meeting if they reconnect.
    pub(in crate::rooms) fn admit(
        &mut self,
        host: &ParticipantId,
        participant: &str,
    ) -> AppResult<Control> {
        let room = self.host_room(host)?;
        let target = self.target(&room, participant)?;
        let p = self.peers.get_mut(&target).ok_or(AppError::NotFound)?;
        let user = p.user;
        if p.presence == Presence::Waiting {
            p.presence = Presence::InRoom;
            p.tell(ServerMessage::Admitted);
        }
        if let Some(r) = self.rooms.get_mut(&room) {
            r.admitted.insert(user);
        }
        self.broadcast(&room);
        Ok(Control { room, target_user: Some(user) })
    }

    /// The host removes a participant, who may not come back to this meeting. Returns the
    /// participant, for the SFU to let go.
    pub(in crate::rooms) fn remove(
        &mut self,
        host: &ParticipantId,
        participant: &str,
    ) -> AppResult<(ParticipantId, Control)> {
        let room = self.host_room(host)?;
        let target = self.target(&room, participant)?;
        if &target == host {
            return Err(AppError::invalid("participant", "the host cannot remove themself"));
        }
        let p = self.remove_peer(&target).ok_or(AppError::NotFound)?;
        p.tell(ServerMessage::Removed);
        if let Some(r) = self.rooms.get_mut(&room) {
            r.removed.insert(p.user);
            r.admitted.remove(&p.user);
        }
        self.broadcast(&room);
        Ok((target, Control { room, target_user: Some(p.user) }))
    }

    /// The host locks the room (nobody new comes in) or unlocks it.
    pub(in crate::rooms) fn set_locked(
        &mut self,
        host: &ParticipantId,
        locked: bool,
    ) -> AppResult<Control> {
        let room = self.host_room(host)?;
        if let Some(r) = self.rooms.get_mut(&room) {
            r.locked = locked;
        }
        self.broadcast(&room);
        Ok(Control { room, target_user: None })
    }

    /// The host decides whether participants may turn back on what the host turned off.
    pub(in crate::rooms) fn set_may_unmute(
        &mut self,
        host: &ParticipantId,
        allowed: bool,
    ) -> AppResult<Control> {
        let room = self.host_room(host)?;
        if let Some(r) = self.rooms.get_mut(&room) {
            r.may_unmute = allowed;
        }
        self.broadcast(&room);
        Ok(Control { room, target_user: None })
    }

    /// The host turns a participant's microphone or camera off, for as long as the meeting
    /// lasts or until they turn it back on. Returns the participant, whose forwarding the SFU
    /// must change.
    pub(in crate::rooms) fn turn_off(
        &mut self,
        host: &ParticipantId,
        participant: &str,
        device: Device,
    ) -> AppResult<(ParticipantId, Control)> {
        let room = self.host_room(host)?;
        let target = self.target(&room, participant)?;
        let p = self.peers.get(&target).ok_or(AppError::NotFound)?;
        let user = p.user;
        p.tell(ServerMessage::Muted { device });
        if let Some(r) = self.rooms.get_mut(&room) {
            r.held(device).insert(user);
        }
        self.broadcast(&room);
        Ok((target, Control { room, target_user: Some(user) }))
    }

    /// A participant turns back on what the host turned off: granted when the host lets
    /// people do that (or it is the host), refused with a reason otherwise. Anything not held
    /// is simply confirmed.
    pub(in crate::rooms) fn unmute(&mut self, id: &ParticipantId, device: Device) -> AppResult<()> {
        let p = self.peers.get(id).ok_or(AppError::NotFound)?;
        let (key, user, part) = (p.room.clone(), p.user, p.part);
        let room = self.rooms.get_mut(&key).ok_or(AppError::NotFound)?;
        if room.held(device).contains(&user) {
            if part != Part::Host && !room.may_unmute {
                let what = match device {
                    Device::Microphone => "unmute",
                    Device::Camera => "turn your camera back on",
                };
                return Err(AppError::refused(
                    "unmute_not_allowed",
                    format!("the therapist has not allowed you to {what}: ask them first"),
                ));
            }
            room.held(device).remove(&user);
            self.broadcast(&key);
        }
        Ok(())
    }

    /// Tells the participant its unmute went through (the SFU forwards it again).
    pub(in crate::rooms) fn unmuted(&self, id: &ParticipantId, device: Device) {
        if let Some(p) = self.peers.get(id) {
            p.tell(ServerMessage::Unmuted { device });
        }
    }

    /// Checks that `host` may end its room's session; says which meeting that is.
    pub(in crate::rooms) fn ending(&self, host: &ParticipantId) -> AppResult<Ending> {
        let room = self.host_room(host)?;
        let live = self.rooms.get(&room).ok_or(AppError::NotFound)?;
        let user = self.peers.get(host).ok_or(AppError::NotFound)?.user;
        Ok(Ending { group: live.group, date: live.date, host: user, room })
    }

    /// Empties the room once its end is recorded: everyone is told and let go. Returns them,
    /// for the SFU to let go too.
    pub(in crate::rooms) fn end(&mut self, room: &RoomKey) -> Vec<ParticipantId> {
        let ids = self.rooms.get(room).map(|r| r.order.clone()).unwrap_or_default();
        for other in &ids {
            if let Some(p) = self.remove_peer(other) {
                p.tell(ServerMessage::Ended);
            }
        }
        ids
    }
}
