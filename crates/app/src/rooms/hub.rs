//! The live rooms of one node as plain bookkeeping: who is in which room, waiting or in,
//! whom the host turned off, where each participant's media stands, and what each page is
//! told. Synchronous, and free of the SFU and the database, so it is tested on its own: the
//! callers in the sibling modules hold its lock only between their awaits.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;

use chrono::NaiveDate;
use hearth_domain::{GroupId, UserId};
use hearth_video::signal::{Device, Part, Presence, RosterEntry, ServerMessage};
use hearth_video::{ParticipantId, RoomKey};
use tokio::sync::mpsc;

use super::safety::{RoomMessage, SafetyEntry, SafetyPanel};
use crate::{AppError, AppResult};

mod host;
#[cfg(test)]
mod tests;

pub(super) use host::Control;

/// Where the hub sends a participant's messages; the socket closes once it is dropped.
pub(super) type Outbox = mpsc::UnboundedSender<RoomMessage>;

#[derive(Debug, Default)]
pub(super) struct HubState {
    rooms: HashMap<RoomKey, LiveRoom>,
    peers: HashMap<ParticipantId, Peer>,
    /// Whose attendance each SFU participant counts for; kept until the SFU says it left.
    attendees: HashMap<ParticipantId, Attendee>,
    /// The SFU participants whose media is connected: a person's connected stretch runs
    /// while any of theirs is (a reconnect overlaps the old connection for a moment).
    connected: HashSet<ParticipantId>,
    next_id: u64,
}

/// The meeting and person an SFU participant stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Attendee {
    pub group: GroupId,
    pub date: NaiveDate,
    pub user: UserId,
}

/// Someone coming into a meeting's room, after the door let them in.
#[derive(Debug)]
pub(super) struct Arrival {
    pub room: RoomKey,
    pub attendee: Attendee,
    pub name: String,
    pub part: Part,
    /// A member's line for the host's safety panel (its `id` is filled in here).
    pub safety: Option<SafetyEntry>,
}

/// What an arrival did.
#[derive(Debug)]
pub(super) struct Joined {
    pub id: ParticipantId,
    /// Older connections of the same person, now dropped: the SFU must let them go.
    pub replaced: Vec<ParticipantId>,
    /// The (host, member) pairs whose safety line the arrival put on a host's panel.
    pub shown: Vec<(UserId, UserId)>,
}

#[derive(Debug)]
struct LiveRoom {
    /// The meeting this room is for.
    group: GroupId,
    date: NaiveDate,
    locked: bool,
    /// Members the host has admitted: after a network blip they come straight back in.
    admitted: HashSet<UserId>,
    /// Members the host removed: they may not come back to this meeting.
    removed: HashSet<UserId>,
    /// People whose microphone, or camera, the host turned off: the SFU drops that media from
    /// them (whatever their page sends, and after a reconnect) until they turn it back on.
    host_muted: HashSet<UserId>,
    host_camera_off: HashSet<UserId>,
    /// Whether they may turn it back on themselves (the default), or must ask the host.
    may_unmute: bool,
    /// Connected participants in order of arrival.
    order: Vec<ParticipantId>,
}

#[derive(Debug)]
struct Peer {
    room: RoomKey,
    user: UserId,
    name: String,
    part: Part,
    presence: Presence,
    media: Media,
    outbox: Outbox,
    safety: Option<SafetyEntry>,
}

/// Where a participant's WebRTC connection to the SFU stands.
#[derive(Debug)]
enum Media {
    /// Not joined to the SFU (waiting, or its connection dropped).
    None,
    /// Its first offer is with the SFU; the SFU's own offers wait here until the answer to
    /// that first offer has been sent, so the browser never sees them out of order.
    Joining {
        held: Vec<String>,
    },
    Joined,
}

impl LiveRoom {
    fn new(group: GroupId, date: NaiveDate) -> Self {
        Self {
            group,
            date,
            locked: false,
            admitted: HashSet::new(),
            removed: HashSet::new(),
            host_muted: HashSet::new(),
            host_camera_off: HashSet::new(),
            may_unmute: true,
            order: Vec::new(),
        }
    }

    /// The people whose `device` the host turned off.
    fn held(&mut self, device: Device) -> &mut HashSet<UserId> {
        match device {
            Device::Microphone => &mut self.host_muted,
            Device::Camera => &mut self.host_camera_off,
        }
    }
}

impl Peer {
    /// A closed socket is the web layer's to notice; the hub carries on without it.
    fn tell(&self, message: impl Into<RoomMessage>) {
        let _ = self.outbox.send(message.into());
    }
}

impl HubState {
    fn next_participant(&mut self) -> ParticipantId {
        self.next_id += 1;
        let nonce: u32 = rand::random();
        ParticipantId::new(format!("p{}-{nonce:08x}", self.next_id))
    }

    /// Whether the therapist has locked the room.
    pub(super) fn locked(&self, room: &RoomKey) -> bool {
        self.rooms.get(room).is_some_and(|r| r.locked)
    }

    /// Puts a participant in its room (or its waiting room) and tells everyone. The same
    /// person connecting again (a reload, a network blip) replaces the old connection; a
    /// member the host removed stays out.
    pub(super) fn join(&mut self, arrival: Arrival, outbox: Outbox) -> AppResult<Joined> {
        let Arrival { room: key, attendee, name, part, safety } = arrival;
        let user = attendee.user;
        let replaced: Vec<ParticipantId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.user == user && p.room == key)
            .map(|(id, _)| id.clone())
            .collect();
        for old in &replaced {
            self.remove_peer(old);
        }
        let id = self.next_participant();
        let room = self
            .rooms
            .entry(key.clone())
            .or_insert_with(|| LiveRoom::new(attendee.group, attendee.date));
        if room.removed.contains(&user) {
            return Err(AppError::refused(
                "removed",
                "the therapist removed you from this session",
            ));
        }
        // Members and care staff wait for the therapist, unless already admitted to this
        // meeting (a reconnect).
        let presence = if part == Part::Host || room.admitted.contains(&user) {
            Presence::InRoom
        } else {
            Presence::Waiting
        };
        room.order.push(id.clone());
        self.attendees.insert(id.clone(), attendee);
        let peer = Peer {
            room: key.clone(),
            user,
            name,
            part,
            presence,
            media: Media::None,
            outbox,
            safety: safety.map(|mut s| {
                s.id = id.to_string();
                s
            }),
        };
        peer.tell(ServerMessage::Welcome { you: id.to_string(), part });
        peer.tell(match presence {
            Presence::InRoom => ServerMessage::Admitted,
            Presence::Waiting => ServerMessage::Waiting,
        });
        self.peers.insert(id.clone(), peer);
        self.broadcast(&key);
        let shown = self.safety_shown(&key, user, part);
        Ok(Joined { id, replaced, shown })
    }

    /// The participant's socket closed or it said goodbye: out of its room, and the others
    /// told. Whether it was still there.
    pub(super) fn leave(&mut self, id: &ParticipantId) -> bool {
        let Some(gone) = self.remove_peer(id) else { return false };
        self.broadcast(&gone.room);
        true
    }

    /// Sends each participant of `room` the roster it may see, and the host its safety panel.
    fn broadcast(&self, key: &RoomKey) {
        let Some(room) = self.rooms.get(key) else { return };
        let entries: Vec<(&ParticipantId, &Peer)> =
            room.order.iter().filter_map(|id| self.peers.get(id).map(|p| (id, p))).collect();
        let everyone: Vec<RosterEntry> = entries
            .iter()
            .map(|(id, p)| RosterEntry {
                id: id.to_string(),
                name: p.name.clone(),
                part: p.part,
                presence: p.presence,
                host_muted: room.host_muted.contains(&p.user),
                host_camera_off: room.host_camera_off.contains(&p.user),
            })
            .collect();
        let in_room: Vec<RosterEntry> =
            everyone.iter().filter(|e| e.presence == Presence::InRoom).cloned().collect();
        let safety: Vec<SafetyEntry> =
            entries.iter().filter_map(|(_, p)| p.safety.clone()).collect();
        for (id, p) in &entries {
            let sees_waiting = matches!(p.part, Part::Host | Part::Staff);
            let participants = if sees_waiting {
                everyone.clone()
            } else {
                // A member learns what the host turned off of their own, nobody else's.
                let mut list = in_room.clone();
                for e in list.iter_mut().filter(|e| e.id != id.as_str()) {
                    e.host_muted = false;
                    e.host_camera_off = false;
                }
                list
            };
            p.tell(ServerMessage::Roster {
                participants,
                locked: room.locked,
                may_unmute: room.may_unmute,
            });
            if p.part == Part::Host {
                p.tell(SafetyPanel { participants: safety.clone() });
            }
        }
    }

    /// The (host, member) pairs whose safety line someone's arrival puts on a host's panel:
    /// a member arriving shows theirs to each host present; a host arriving sees everyone's.
    fn safety_shown(&self, key: &RoomKey, arrived: UserId, part: Part) -> Vec<(UserId, UserId)> {
        let in_room = || self.peers.values().filter(move |p| &p.room == key);
        match part {
            Part::Member => {
                in_room().filter(|p| p.part == Part::Host).map(|h| (h.user, arrived)).collect()
            }
            Part::Host => {
                in_room().filter(|p| p.safety.is_some()).map(|m| (arrived, m.user)).collect()
            }
            Part::Staff => Vec::new(),
        }
    }

    /// Whether the SFU may forward the participant's (audio, video), by its room's holds.
    pub(super) fn forwarding(&self, id: &ParticipantId) -> Option<(bool, bool)> {
        let p = self.peers.get(id)?;
        let room = self.rooms.get(&p.room)?;
        Some((!room.host_muted.contains(&p.user), !room.host_camera_off.contains(&p.user)))
    }

    /// Takes a participant out of its room's lists; returns it.
    fn remove_peer(&mut self, id: &ParticipantId) -> Option<Peer> {
        let peer = self.peers.remove(id)?;
        if matches!(peer.media, Media::None) {
            // Never reached the SFU (or already left it): no leave event will come.
            self.attendees.remove(id);
        }
        if let Some(room) = self.rooms.get_mut(&peer.room) {
            room.order.retain(|p| p != id);
        }
        Some(peer)
    }

    /// Checks that `id` is the host of its room; returns the room.
    fn host_room(&self, id: &ParticipantId) -> AppResult<RoomKey> {
        let p = self.peers.get(id).ok_or(AppError::NotFound)?;
        if p.part != Part::Host {
            return Err(AppError::Forbidden);
        }
        Ok(p.room.clone())
    }

    /// A participant of the same room as the host, by the id the roster gave.
    fn target(&self, room: &RoomKey, raw: &str) -> AppResult<ParticipantId> {
        let id = ParticipantId::new(raw);
        match self.peers.get(&id) {
            Some(p) if &p.room == room => Ok(id),
            _ => Err(AppError::invalid("participant", "no such participant in this room")),
        }
    }

    /// The participant's offer to the SFU: `Some(room)` when it is its first (it joins the
    /// SFU's room), `None` when it renegotiates a connection already up.
    pub(super) fn begin_offer(&mut self, id: &ParticipantId) -> AppResult<Option<RoomKey>> {
        let p = self.peers.get_mut(id).ok_or(AppError::NotFound)?;
        if p.presence != Presence::InRoom {
            return Err(AppError::refused("waiting", "wait until the therapist admits you"));
        }
        match p.media {
            Media::None => {
                p.media = Media::Joining { held: Vec::new() };
                Ok(Some(p.room.clone()))
            }
            Media::Joining { .. } => {
                Err(AppError::refused("negotiation", "an offer is already in progress"))
            }
            Media::Joined => Ok(None),
        }
    }

    /// The SFU's answer (its SDP) to the participant's offer, or why it refused: the answer
    /// goes out first, then any offers held meanwhile. `None` when the participant left
    /// while the SFU answered (removed, or the session ended): the caller undoes the join.
    pub(super) fn finish_offer(
        &mut self,
        id: &ParticipantId,
        first: bool,
        answered: Result<String, impl Display>,
    ) -> Option<AppResult<()>> {
        let p = self.peers.get_mut(id)?;
        Some(match answered {
            Ok(sdp) => {
                p.tell(ServerMessage::Answer { sdp });
                if let Media::Joining { held } = std::mem::replace(&mut p.media, Media::Joined) {
                    for sdp in held {
                        p.tell(ServerMessage::Offer { sdp });
                    }
                }
                Ok(())
            }
            Err(e) => {
                if first {
                    p.media = Media::None;
                }
                Err(AppError::refused("negotiation", format!("the offer was not accepted: {e}")))
            }
        })
    }

    /// Hands the SFU's offer to its participant, or holds it until the join answer is out.
    pub(super) fn deliver_offer(&mut self, id: &ParticipantId, sdp: String) {
        let Some(p) = self.peers.get_mut(id) else { return };
        match &mut p.media {
            Media::Joining { held } => held.push(sdp),
            Media::Joined => p.tell(ServerMessage::Offer { sdp }),
            Media::None => {}
        }
    }

    /// The participant's media connection dropped while its socket stays open.
    pub(super) fn media_lost(&mut self, id: &ParticipantId) {
        if let Some(p) = self.peers.get_mut(id) {
            p.media = Media::None;
            p.tell(ServerMessage::MediaLost);
        }
    }

    /// Whose attendance the SFU participant counts for.
    pub(super) fn attendee(&self, id: &ParticipantId) -> Option<Attendee> {
        self.attendees.get(id).copied()
    }

    /// Whether any connected participant but `except` counts for `attendee`.
    fn connected_elsewhere(&self, attendee: Attendee, except: &ParticipantId) -> bool {
        self.connected
            .iter()
            .any(|other| other != except && self.attendees.get(other) == Some(&attendee))
    }

    /// The SFU says the participant's media connected: whose connected stretch that starts,
    /// unless another connection of the same person has one going already.
    pub(super) fn media_connected(&mut self, id: &ParticipantId) -> Option<Attendee> {
        let attendee = self.attendee(id)?;
        let newly = self.connected.insert(id.clone());
        (newly && !self.connected_elsewhere(attendee, id)).then_some(attendee)
    }

    /// The SFU says the participant left: whose connected stretch that ends, unless another
    /// connection of the same person is still connected. Someone whose media dropped but
    /// whose socket is open may offer again under the same id, so they stay counted.
    pub(super) fn attendee_left(&mut self, id: &ParticipantId) -> Option<Attendee> {
        let attendee = if self.peers.contains_key(id) {
            self.attendees.get(id).copied()
        } else {
            self.attendees.remove(id)
        }?;
        let was_connected = self.connected.remove(id);
        (was_connected && !self.connected_elsewhere(attendee, id)).then_some(attendee)
    }
}
