//! What participants' output sets off in their room: connection events, tracks offered to or
//! withdrawn from the others (and the renegotiation that follows), frames fanned out, keyframe
//! requests carried back to the publisher, and the departure of the dead.

use std::time::Instant;

use super::{LeaveReason, Sfu, SfuError, SfuEvent};
use crate::ids::ParticipantId;
use crate::participant::{Death, Participant, Work};

impl Sfu {
    pub(super) fn drain_one(&mut self, id: &ParticipantId) {
        let Self { participants, transmits, work, .. } = self;
        if let Some(p) = participants.get_mut(id) {
            p.drain(transmits, work);
        }
    }

    pub(super) fn participant_mut(
        &mut self,
        id: &ParticipantId,
    ) -> Result<&mut Participant, SfuError> {
        match self.participants.get_mut(id) {
            Some(p) if p.is_alive() => Ok(p),
            _ => Err(SfuError::UnknownParticipant(id.clone())),
        }
    }

    /// Carries out the work that participants' output caused, until there is none.
    pub(super) fn process(&mut self, now: Instant) {
        while let Some(item) = self.work.pop_front() {
            match item {
                Work::Connected(id) => {
                    if let Some(p) = self.participants.get(&id) {
                        tracing::info!(participant = %id, "connected");
                        self.events.push_back(SfuEvent::Connected {
                            room: p.room.clone(),
                            participant: id,
                        });
                    }
                }
                Work::Published { origin, mid, kind } => {
                    for other in self.others_in_room(&origin) {
                        if let Some(p) = self.participants.get_mut(&other) {
                            p.subscribe(&origin, mid, kind);
                        }
                        self.negotiate(&other);
                    }
                }
                Work::Unpublished { origin, mid } => {
                    for other in self.others_in_room(&origin) {
                        if let Some(p) = self.participants.get_mut(&other) {
                            p.unsubscribe(&origin, Some(mid));
                        }
                        self.negotiate(&other);
                    }
                }
                Work::Media { origin, data } => {
                    for other in self.others_in_room(&origin) {
                        let Self { participants, transmits, work, .. } = self;
                        if let Some(p) = participants.get_mut(&other)
                            && p.is_alive()
                            && p.forward(&origin, &data)
                        {
                            p.drain(transmits, work);
                        }
                    }
                }
                Work::Keyframe { origin, mid, kind } => {
                    let Self { participants, transmits, work, .. } = self;
                    if let Some(p) = participants.get_mut(&origin)
                        && p.is_alive()
                    {
                        p.request_keyframe(mid, kind, now);
                        p.drain(transmits, work);
                    }
                }
            }
        }
    }

    /// Makes an offer to the participant if one is due.
    pub(super) fn negotiate(&mut self, id: &ParticipantId) {
        let Self { participants, transmits, work, events, .. } = self;
        let Some(p) = participants.get_mut(id) else {
            return;
        };
        if let Some(offer) = p.negotiate() {
            events.push_back(SfuEvent::Offer { participant: id.clone(), offer });
            p.drain(transmits, work);
        }
    }

    pub(super) fn others_in_room(&self, id: &ParticipantId) -> Vec<ParticipantId> {
        let Some(room) = self.participants.get(id).map(|p| &p.room) else {
            return Vec::new();
        };
        self.rooms
            .get(room)
            .map(|members| members.iter().filter(|m| *m != id).cloned().collect())
            .unwrap_or_default()
    }

    /// Removes the participants that died or never connected.
    pub(super) fn reap(&mut self, now: Instant) {
        loop {
            let dead = self.participants.values().find_map(|p| {
                if !p.is_alive() {
                    let reason = match p.death {
                        Some(Death::Failed) => LeaveReason::Failed,
                        // ICE gave up before the first connection.
                        Some(Death::Disconnected) if !p.connected => LeaveReason::ConnectTimeout,
                        Some(Death::Disconnected) | None => LeaveReason::Disconnected,
                    };
                    Some((p.id.clone(), reason))
                } else if !p.connected && now >= p.connect_deadline {
                    Some((p.id.clone(), LeaveReason::ConnectTimeout))
                } else {
                    None
                }
            });
            let Some((id, reason)) = dead else {
                return;
            };
            if let Some(mut p) = self.participants.remove(&id) {
                p.rtc.disconnect();
                self.remove(p, reason);
            }
            self.process(now);
        }
    }

    /// Takes a participant (already out of `participants`) out of its room and withdraws its
    /// tracks from the others.
    pub(super) fn remove(&mut self, p: Participant, reason: LeaveReason) {
        tracing::info!(participant = %p.id, ?reason, "left");
        self.routes.retain(|_, id| *id != p.id);
        if let Some(members) = self.rooms.get_mut(&p.room) {
            members.retain(|m| *m != p.id);
            if members.is_empty() {
                self.rooms.remove(&p.room);
            }
        }
        for other in self.rooms.get(&p.room).cloned().unwrap_or_default() {
            if let Some(o) = self.participants.get_mut(&other) {
                o.unsubscribe(&p.id, None);
            }
            self.negotiate(&other);
        }
        self.events.push_back(SfuEvent::Left { room: p.room, participant: p.id, reason });
    }
}
