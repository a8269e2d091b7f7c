//! Live group sessions: the door of a meeting's video room, the waiting room, the
//! therapist's controls and safety panel, and the relay between each browser's signalling
//! socket and the SFU.
//!
//! The live state of a room (who is connected, admitted, waiting; whether it is locked) is
//! held by the node that serves the room's media, as the design allows: a room is pinned to
//! one node. Everything that must outlive the call (attendance, the end of the session) goes
//! to the database.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{Duration, NaiveDate};
use hearth_domain::{
    GroupId, Knock, OccurrenceStatus, Role, RoomEntry, RoomRefusal, RoomState, SeriesOccurrence,
    UserId, knock,
};
use hearth_store::Group;
use hearth_video::signal::{
    ClientMessage, Device, Part, Presence, RosterEntry, SafetyEntry, ServerMessage,
};
use hearth_video::{MediaKind, ParticipantId, RoomKey, SdpAnswer, SdpOffer, SfuEvent, SfuPool};
use tokio::sync::mpsc;

use crate::groups::start_of_day;
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Longest location a participant may give.
pub const LOCATION_MAX_CHARS: usize = 200;

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
    pub outbox: mpsc::UnboundedReceiver<ServerMessage>,
}

/// The live rooms of this node and the SFU that carries their media.
#[derive(Debug)]
pub struct RoomHub {
    sfu: SfuPool,
    state: Mutex<HubState>,
}

#[derive(Debug, Default)]
struct HubState {
    rooms: HashMap<RoomKey, LiveRoom>,
    peers: HashMap<ParticipantId, Peer>,
    /// Whose attendance each SFU participant counts for; kept until the SFU says it left.
    attendees: HashMap<ParticipantId, Attendee>,
    next_id: u64,
}

/// The meeting and person an SFU participant stands for.
#[derive(Clone, Copy, Debug)]
struct Attendee {
    group: GroupId,
    date: NaiveDate,
    user: UserId,
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
    outbox: mpsc::UnboundedSender<ServerMessage>,
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
    /// The people whose `device` the host turned off.
    fn held(&mut self, device: Device) -> &mut HashSet<UserId> {
        match device {
            Device::Microphone => &mut self.host_muted,
            Device::Camera => &mut self.host_camera_off,
        }
    }
}

/// What a host's control touched, for the audit log.
#[derive(Debug)]
struct Control {
    room: RoomKey,
    target_user: Option<UserId>,
}

impl RoomHub {
    fn new(sfu: SfuPool) -> Self {
        Self { sfu, state: Mutex::new(HubState::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, HubState> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the therapist has locked the room.
    fn locked(&self, room: &RoomKey) -> bool {
        self.lock().rooms.get(room).is_some_and(|r| r.locked)
    }

    /// Hands the SFU's offer to its participant, or holds it until the join answer is out.
    fn deliver_offer(&self, id: &ParticipantId, offer: &SdpOffer) {
        let mut state = self.lock();
        let Some(p) = state.peers.get_mut(id) else { return };
        let sdp = offer.to_sdp_string();
        match &mut p.media {
            Media::Joining { held } => held.push(sdp),
            Media::Joined => {
                let _ = p.outbox.send(ServerMessage::Offer { sdp });
            }
            Media::None => {}
        }
    }

    /// Tells the SFU what of the participant's media to forward, as the room's holds say.
    /// Every change to a hold calls this after it; so does a join, before the browser has the
    /// answer it needs to send media. It reads again after each round, so of two calls racing
    /// the last to reach the SFU carries the holds as they are now.
    async fn sync_forwarding(&self, id: &ParticipantId) {
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

    /// The participant's media connection dropped while its socket stays open.
    fn media_lost(&self, id: &ParticipantId) {
        let mut state = self.lock();
        if let Some(p) = state.peers.get_mut(id) {
            p.media = Media::None;
            let _ = p.outbox.send(ServerMessage::MediaLost);
        }
    }
}

impl HubState {
    fn next_participant(&mut self) -> ParticipantId {
        self.next_id += 1;
        let nonce: u32 = rand::random();
        ParticipantId::new(format!("p{}-{nonce:08x}", self.next_id))
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
            let _ = p.outbox.send(ServerMessage::Roster {
                participants,
                locked: room.locked,
                may_unmute: room.may_unmute,
            });
            if p.part == Part::Host {
                let _ = p.outbox.send(ServerMessage::Safety { participants: safety.clone() });
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
    fn forwarding(&self, id: &ParticipantId) -> Option<(bool, bool)> {
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
}

fn part_of(entry: &RoomEntry) -> Part {
    match entry {
        RoomEntry::Host => Part::Host,
        RoomEntry::WaitingRoom => Part::Member,
        RoomEntry::Staff { .. } => Part::Staff,
    }
}

/// The location given at a join, trimmed: members must give one, nobody a long one.
fn checked_location(part: Part, location: Option<&str>) -> AppResult<Option<&str>> {
    let location = location.map(str::trim).filter(|l| !l.is_empty());
    if location.is_some_and(|l| l.chars().count() > LOCATION_MAX_CHARS) {
        return Err(AppError::invalid(
            "location",
            format!("write at most {LOCATION_MAX_CHARS} characters"),
        ));
    }
    if part == Part::Member && location.is_none() {
        return Err(AppError::invalid(
            "location",
            "say where you are right now (city and state), so your therapist can get you help in an emergency",
        ));
    }
    Ok(location)
}

fn refusal(refused: &RoomRefusal) -> AppError {
    match refused {
        RoomRefusal::NotInGroup => AppError::Forbidden,
        RoomRefusal::ReasonRequired => AppError::invalid("reason", refused),
        RoomRefusal::Cancelled => AppError::refused("meeting_cancelled", refused.to_string()),
        RoomRefusal::NotOpenYet { .. } => AppError::refused("room_not_open", refused.to_string()),
        RoomRefusal::Ended => AppError::refused("session_ended", refused.to_string()),
        RoomRefusal::Locked => AppError::refused("room_locked", refused.to_string()),
    }
}

impl App {
    /// Attaches this node's SFU: rooms can be entered from now on. Spawns the task that
    /// relays the SFU's events (offers to deliver, connects and leaves).
    #[must_use]
    pub fn with_video(mut self, sfu: SfuPool, events: mpsc::UnboundedReceiver<SfuEvent>) -> Self {
        self.rooms = Some(Arc::new(RoomHub::new(sfu)));
        tokio::spawn(relay_events(self.clone(), events));
        self
    }

    fn hub(&self) -> AppResult<&Arc<RoomHub>> {
        self.rooms.as_ref().ok_or_else(|| {
            AppError::refused("video_unavailable", "video is not running on this server")
        })
    }

    /// The meeting of `group` that the series gave the date `date` (a moved meeting keeps its
    /// series date).
    pub async fn meeting(&self, group: GroupId, date: NaiveDate) -> AppResult<Meeting> {
        let group = self.find_group(group).await?;
        let series = self.series_of(&group).await?;
        // A moved meeting may sit a while away from its series date.
        let from = start_of_day(chrono_tz::UTC, date - Duration::days(31));
        let to = start_of_day(chrono_tz::UTC, date + Duration::days(32));
        let occurrence = series
            .occurrences(from, to)
            .into_iter()
            .find(|o| o.original_local_date == date)
            .ok_or(AppError::NotFound)?;
        Ok(Meeting { group, occurrence })
    }

    /// Whether `who` may come into the meeting's room now, and how (straight in, to the
    /// waiting room, or as care staff with `reason`).
    pub async fn knock_room(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        reason: Option<&str>,
    ) -> AppResult<RoomEntry> {
        let is_member = who.user.role == Role::Client
            && self
                .db
                .list_group_members(meeting.group.id)
                .await?
                .iter()
                .any(|m| m.client_id == who.user.id);
        let locked = self.rooms.as_ref().is_some_and(|hub| hub.locked(&meeting.key()));
        // The end of a session is in the database, so it holds after a restart and on any node.
        let ended = self.db.meeting_ended_at(meeting.group.id, meeting.date()).await?.is_some();
        let state = RoomState {
            starts_at: meeting.occurrence.occurrence.starts_at,
            ends_at: meeting.occurrence.occurrence.ends_at,
            cancelled: meeting.occurrence.status == OccurrenceStatus::Cancelled,
            ended,
            locked,
        };
        let door = Knock {
            role: who.user.role,
            leads_group: who.user.id == meeting.group.therapist_id,
            is_member,
            reason,
        };
        knock(&door, &state, self.clock.now()).map_err(|r| refusal(&r))
    }

    /// Brings a participant into the meeting's room (or its waiting room) after the browser's
    /// hello. Members must say where they are for this session.
    pub async fn enter_room(
        &self,
        who: &Authenticated,
        meeting: &Meeting,
        location: Option<&str>,
        reason: Option<&str>,
        ctx: &AuditContext,
    ) -> AppResult<RoomConnection> {
        let hub = self.hub()?;
        let entry = self.knock_room(who, meeting, reason).await?;
        let part = part_of(&entry);
        let location = checked_location(part, location)?;
        let key = meeting.key();
        let safety =
            if part == Part::Member { Some(self.safety_entry(who, location).await?) } else { None };
        let subject = format!("meeting:{key}");
        match &entry {
            RoomEntry::Staff { reason } => {
                self.audit(ctx, "room.staff_joined", subject.clone(), format!("reason={reason}"))
                    .await?;
            }
            _ => self.audit(ctx, "room.joined", subject.clone(), "").await?,
        }

        let (outbox, inbox) = mpsc::unbounded_channel();
        let (id, replaced, shown) = {
            let mut state = hub.lock();
            // The same person connecting again (a reload, a network blip) replaces the old
            // connection.
            let replaced: Vec<ParticipantId> = state
                .peers
                .iter()
                .filter(|(_, p)| p.user == who.user.id && p.room == key)
                .map(|(id, _)| id.clone())
                .collect();
            for old in &replaced {
                state.remove_peer(old);
            }
            let id = state.next_participant();
            let room = state.rooms.entry(key.clone()).or_insert_with(|| LiveRoom {
                group: meeting.group.id,
                date: meeting.date(),
                locked: false,
                admitted: HashSet::new(),
                removed: HashSet::new(),
                host_muted: HashSet::new(),
                host_camera_off: HashSet::new(),
                may_unmute: true,
                order: Vec::new(),
            });
            if room.removed.contains(&who.user.id) {
                return Err(AppError::refused(
                    "removed",
                    "the therapist removed you from this session",
                ));
            }
            // Members and care staff wait for the therapist, unless already admitted to this
            // meeting (a reconnect).
            let presence = if part == Part::Host || room.admitted.contains(&who.user.id) {
                Presence::InRoom
            } else {
                Presence::Waiting
            };
            room.order.push(id.clone());
            let attendee =
                Attendee { group: meeting.group.id, date: meeting.date(), user: who.user.id };
            state.attendees.insert(id.clone(), attendee);
            let _ = outbox.send(ServerMessage::Welcome { you: id.to_string(), part });
            let _ = outbox.send(match presence {
                Presence::InRoom => ServerMessage::Admitted,
                Presence::Waiting => ServerMessage::Waiting,
            });
            state.peers.insert(
                id.clone(),
                Peer {
                    room: key.clone(),
                    user: who.user.id,
                    name: who.user.display_name.to_string(),
                    part,
                    presence,
                    media: Media::None,
                    outbox,
                    safety: safety.map(|mut s| {
                        s.id = id.to_string();
                        s
                    }),
                },
            );
            state.broadcast(&key);
            (id, replaced, state.safety_shown(&key, who.user.id, part))
        };
        for old in replaced {
            let _ = hub.sfu.leave(old).await;
        }
        // The safety panel puts each member's emergency contact and risk flag in front of the
        // therapist: that is a read of clinical data, and is audited as the therapist's.
        for (host, client) in shown {
            let by = AuditContext { actor: Some(host), source_ip: None };
            self.audit(
                &by,
                "room.safety_panel.shown",
                format!("client:{client}"),
                format!("meeting={key}"),
            )
            .await?;
        }
        Ok(RoomConnection { id, outbox: inbox })
    }

    /// What the host's safety panel shows about a member: their location for this session,
    /// emergency contact from intake, and any open risk flag.
    async fn safety_entry(
        &self,
        member: &Authenticated,
        location: Option<&str>,
    ) -> AppResult<SafetyEntry> {
        let client = member.user.id;
        let emergency_contact = match self.db.find_intake(client).await? {
            Some(row) => {
                let private = self.open_intake(&row)?;
                Some(format!(
                    "{} · {}",
                    private.emergency_contact_name, private.emergency_contact_phone
                ))
            }
            None => None,
        };
        let open_risk_flag = self
            .db
            .list_risk_flags(false)
            .await?
            .into_iter()
            .filter(|f| f.client_id == client.get())
            .max_by_key(|f| f.raised_at)
            .map(|f| self.open_risk_flag(f).map(|f| f.level))
            .transpose()?;
        Ok(SafetyEntry {
            id: String::new(),
            name: member.user.display_name.to_string(),
            location: location.map(str::to_owned),
            emergency_contact,
            open_risk_flag,
            crisis_note_url: Some(format!("/clients/{client}?note=crisis#note-body")),
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
            ClientMessage::Answer { sdp } => {
                let answer = SdpAnswer::from_sdp_string(&sdp)
                    .map_err(|e| AppError::invalid("sdp", format!("not an SDP answer: {e}")))?;
                hub.sfu.accept_answer(id.clone(), answer).await.map_err(|e| {
                    AppError::refused("negotiation", format!("the answer was not accepted: {e}"))
                })
            }
            ClientMessage::Leave => {
                self.leave_room(who, id).await;
                Ok(())
            }
            ClientMessage::Unmute { device } => unmute(hub, id, device).await,
            control => self.host_control(hub, id, control, ctx).await,
        }
    }

    /// The host's controls: admit, mute, camera off, allow unmuting, remove, lock, end.
    async fn host_control(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        message: ClientMessage,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        match message {
            ClientMessage::Admit { participant } => {
                let done = {
                    let mut state = hub.lock();
                    let room = state.host_room(id)?;
                    let target = state.target(&room, &participant)?;
                    let p = state.peers.get_mut(&target).ok_or(AppError::NotFound)?;
                    let user = p.user;
                    if p.presence == Presence::Waiting {
                        p.presence = Presence::InRoom;
                        let _ = p.outbox.send(ServerMessage::Admitted);
                    }
                    if let Some(r) = state.rooms.get_mut(&room) {
                        r.admitted.insert(user);
                    }
                    state.broadcast(&room);
                    Control { room, target_user: Some(user) }
                };
                self.audit_control(ctx, "room.admitted", &done).await
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
                let (target, done) = {
                    let mut state = hub.lock();
                    let room = state.host_room(id)?;
                    let target = state.target(&room, &participant)?;
                    if &target == id {
                        return Err(AppError::invalid(
                            "participant",
                            "the host cannot remove themself",
                        ));
                    }
                    let p = state.remove_peer(&target).ok_or(AppError::NotFound)?;
                    let _ = p.outbox.send(ServerMessage::Removed);
                    if let Some(r) = state.rooms.get_mut(&room) {
                        r.removed.insert(p.user);
                        r.admitted.remove(&p.user);
                    }
                    state.broadcast(&room);
                    (target, Control { room, target_user: Some(p.user) })
                };
                let _ = hub.sfu.leave(target).await;
                self.audit_control(ctx, "room.removed", &done).await
            }
            ClientMessage::Lock { locked } => {
                let done = {
                    let mut state = hub.lock();
                    let room = state.host_room(id)?;
                    if let Some(r) = state.rooms.get_mut(&room) {
                        r.locked = locked;
                    }
                    state.broadcast(&room);
                    Control { room, target_user: None }
                };
                let action = if locked { "room.locked" } else { "room.unlocked" };
                self.audit_control(ctx, action, &done).await
            }
            ClientMessage::End => {
                // The end goes to the database first, so nobody slips in while the room empties.
                let (room, group, date, host) = {
                    let state = hub.lock();
                    let room = state.host_room(id)?;
                    let live = state.rooms.get(&room).ok_or(AppError::NotFound)?;
                    let host = state.peers.get(id).ok_or(AppError::NotFound)?.user;
                    (room.clone(), live.group, live.date, host)
                };
                let record = self.audited(ctx, "room.ended", format!("meeting:{room}"), "");
                self.db.end_meeting(group, date, host, self.clock.now(), record).await?;
                let gone = {
                    let mut state = hub.lock();
                    let ids = state.rooms.get(&room).map(|r| r.order.clone()).unwrap_or_default();
                    for other in &ids {
                        if let Some(p) = state.remove_peer(other) {
                            let _ = p.outbox.send(ServerMessage::Ended);
                        }
                    }
                    ids
                };
                for other in gone {
                    let _ = hub.sfu.leave(other).await;
                }
                Ok(())
            }
            ClientMessage::Hello { .. }
            | ClientMessage::Offer { .. }
            | ClientMessage::Answer { .. }
            | ClientMessage::Unmute { .. }
            | ClientMessage::Leave => Ok(()),
        }
    }

    /// The host decides whether participants may turn back on what the host turned off.
    async fn allow_unmute(
        &self,
        hub: &RoomHub,
        id: &ParticipantId,
        allowed: bool,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let done = {
            let mut state = hub.lock();
            let room = state.host_room(id)?;
            if let Some(r) = state.rooms.get_mut(&room) {
                r.may_unmute = allowed;
            }
            state.broadcast(&room);
            Control { room, target_user: None }
        };
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
        let (target, done) = {
            let mut state = hub.lock();
            let room = state.host_room(id)?;
            let target = state.target(&room, participant)?;
            let p = state.peers.get(&target).ok_or(AppError::NotFound)?;
            let user = p.user;
            let _ = p.outbox.send(ServerMessage::Muted { device });
            if let Some(r) = state.rooms.get_mut(&room) {
                r.held(device).insert(user);
            }
            state.broadcast(&room);
            (target, Control { room, target_user: Some(user) })
        };
        hub.sync_forwarding(&target).await;
        let action = match device {
            Device::Microphone => "room.muted",
            Device::Camera => "room.camera_turned_off",
        };
        self.audit_control(ctx, action, &done).await
    }

    async fn room_offer(&self, hub: &RoomHub, id: &ParticipantId, sdp: &str) -> AppResult<()> {
        let offer = SdpOffer::from_sdp_string(sdp)
            .map_err(|e| AppError::invalid("sdp", format!("not an SDP offer: {e}")))?;
        let first = {
            let mut state = hub.lock();
            let p = state.peers.get_mut(id).ok_or(AppError::NotFound)?;
            if p.presence != Presence::InRoom {
                return Err(AppError::refused("waiting", "wait until the therapist admits you"));
            }
            match p.media {
                Media::None => {
                    p.media = Media::Joining { held: Vec::new() };
                    Some(p.room.clone())
                }
                Media::Joining { .. } => {
                    return Err(AppError::refused(
                        "negotiation",
                        "an offer is already in progress",
                    ));
                }
                Media::Joined => None,
            }
        };
        let answered = match &first {
            Some(room) => hub.sfu.join(room.clone(), id.clone(), offer).await,
            None => hub.sfu.renegotiate(id.clone(), offer).await,
        };
        if first.is_some() && answered.is_ok() {
            // Before the answer goes out, so the browser cannot send a frame that is forwarded.
            hub.sync_forwarding(id).await;
        }
        let delivered = {
            let mut state = hub.lock();
            // Gone while the SFU answered (removed, or the session ended): undo the join below.
            state.peers.get_mut(id).map(|p| match answered {
                Ok(answer) => {
                    let _ = p.outbox.send(ServerMessage::Answer { sdp: answer.to_sdp_string() });
                    if let Media::Joining { held } = std::mem::replace(&mut p.media, Media::Joined)
                    {
                        for sdp in held {
                            let _ = p.outbox.send(ServerMessage::Offer { sdp });
                        }
                    }
                    Ok(())
                }
                Err(e) => {
                    if first.is_some() {
                        p.media = Media::None;
                    }
                    Err(AppError::refused(
                        "negotiation",
                        format!("the offer was not accepted: {e}"),
                    ))
                }
            })
        };
        if let Some(result) = delivered {
            result
        } else {
            let _ = hub.sfu.leave(id.clone()).await;
            Ok(())
        }
    }

    /// The participant's socket closed or it said goodbye.
    pub async fn leave_room(&self, who: &Authenticated, id: &ParticipantId) {
        let Ok(hub) = self.hub() else { return };
        let gone = {
            let mut state = hub.lock();
            let gone = state.remove_peer(id);
            if let Some(p) = &gone {
                state.broadcast(&p.room);
            }
            gone
        };
        if gone.is_some() {
            let _ = hub.sfu.leave(id.clone()).await;
            tracing::debug!(user = %who.user.id, participant = %id, "left the room");
        }
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

/// A participant turns back on what the host turned off: granted when the host lets people
/// do that (or it is the host), refused with a reason otherwise. Anything not held is simply
/// confirmed.
async fn unmute(hub: &RoomHub, id: &ParticipantId, device: Device) -> AppResult<()> {
    {
        let mut state = hub.lock();
        let p = state.peers.get(id).ok_or(AppError::NotFound)?;
        let (key, user, part) = (p.room.clone(), p.user, p.part);
        let room = state.rooms.get_mut(&key).ok_or(AppError::NotFound)?;
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
            state.broadcast(&key);
        }
    }
    hub.sync_forwarding(id).await;
    if let Some(p) = hub.lock().peers.get(id) {
        let _ = p.outbox.send(ServerMessage::Unmuted { device });
    }
    Ok(())
}

/// Relays the SFU's events: offers to the participants' sockets, connects and leaves to the
/// attendance record.
async fn relay_events(app: App, mut events: mpsc::UnboundedReceiver<SfuEvent>) {
    let Some(hub) = app.rooms.clone() else { return };
    while let Some(event) = events.recv().await {
        let recorded = match event {
            SfuEvent::Offer { participant, offer } => {
                hub.deliver_offer(&participant, &offer);
                Ok(())
            }
            SfuEvent::Connected { participant, .. } => {
                let attendee = hub.lock().attendees.get(&participant).copied();
                match attendee {
                    Some(a) => {
                        app.db.attendance_connected(a.group, a.date, a.user, app.now()).await
                    }
                    None => Ok(()),
                }
            }
            SfuEvent::Left { participant, reason, .. } => {
                if reason != hearth_video::LeaveReason::Left {
                    hub.media_lost(&participant);
                }
                let attendee = {
                    let mut state = hub.lock();
                    // Someone whose media dropped but whose socket is open may offer again
                    // under the same id: keep counting for them.
                    if state.peers.contains_key(&participant) {
                        state.attendees.get(&participant).copied()
                    } else {
                        state.attendees.remove(&participant)
                    }
                };
                match attendee {
                    Some(a) => app.db.attendance_left(a.group, a.date, a.user, app.now()).await,
                    None => Ok(()),
                }
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "recording attendance");
        }
    }
}
