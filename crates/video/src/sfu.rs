//! The sans-IO core: rooms, participants, routing and forwarding.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::MediaKind;
use str0m::net::{DatagramRecv, Protocol, Receive, Transmit};
use str0m::{Candidate, Input, Rtc, RtcError};

use crate::ids::{ParticipantId, RoomKey};
use crate::participant::{Death, Participant, Work};

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
    /// [`Sfu::leave`] was called.
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
    /// Deliver this offer to the participant and pass its answer to [`Sfu::accept_answer`].
    Offer { participant: ParticipantId, offer: SdpOffer },
    /// The participant's media connection is up (ICE and DTLS).
    Connected { room: RoomKey, participant: ParticipantId },
    /// The participant is gone from the room; its tracks are being withdrawn from the others.
    Left { room: RoomKey, participant: ParticipantId, reason: LeaveReason },
}

/// What [`Sfu::poll_output`] hands back.
#[derive(Debug)]
pub enum SfuOutput {
    /// Send this datagram from the SFU's socket to `destination`.
    Transmit(Transmit),
    /// Act on this event.
    Event(SfuEvent),
    /// Nothing more now: call [`Sfu::handle_timeout`] at this instant at the latest.
    Timeout(Instant),
}

/// The SFU's state. See the crate documentation for how to drive it.
#[derive(Debug)]
pub struct Sfu {
    config: SfuConfig,
    candidate: Candidate,
    rooms: HashMap<RoomKey, Vec<ParticipantId>>,
    participants: HashMap<ParticipantId, Participant>,
    /// The participant that last accepted a datagram from each source address.
    routes: HashMap<SocketAddr, ParticipantId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SfuEvent>,
    work: VecDeque<Work>,
    last_now: Option<Instant>,
}

/// When an idle SFU wants to be woken anyway.
const IDLE_TICK: Duration = Duration::from_secs(1);

impl Sfu {
    /// # Errors
    ///
    /// [`SfuError::BadPublicAddress`] when the public address cannot be an ICE host candidate.
    pub fn new(config: SfuConfig) -> Result<Self, SfuError> {
        let candidate = Candidate::host(config.public_addr, "udp")
            .map_err(|_| SfuError::BadPublicAddress(config.public_addr))?;
        Ok(Self {
            config,
            candidate,
            rooms: HashMap::new(),
            participants: HashMap::new(),
            routes: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            work: VecDeque::new(),
            last_now: None,
        })
    }

    #[must_use]
    pub fn config(&self) -> &SfuConfig {
        &self.config
    }

    /// Adds a participant to a room (creating the room) and answers its offer.
    ///
    /// The tracks already published in the room follow in an [`SfuEvent::Offer`], and the
    /// participant's own tracks are offered to the others as soon as str0m reports them.
    ///
    /// # Errors
    ///
    /// [`SfuError::AlreadyJoined`] for an id already in any room (leave first),
    /// [`SfuError::RoomFull`], and [`SfuError::Rtc`] for an offer str0m refuses.
    pub fn join(
        &mut self,
        now: Instant,
        room: RoomKey,
        participant: ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, SfuError> {
        self.last_now = Some(now);
        if self.participants.contains_key(&participant) {
            return Err(SfuError::AlreadyJoined(participant));
        }
        let members = self.rooms.get(&room).map_or(0, Vec::len);
        if members >= self.config.room_capacity {
            return Err(SfuError::RoomFull(room));
        }

        let mut rtc = Rtc::builder().set_ice_lite(self.config.ice_lite).build(now);
        rtc.add_local_candidate(self.candidate.clone());
        let answer = rtc.sdp_api().accept_offer(offer)?;

        let mut joined = Participant::new(
            participant.clone(),
            room.clone(),
            rtc,
            now,
            self.config.connect_timeout,
        );
        // Everything already published in the room.
        for other in self.rooms.get(&room).into_iter().flatten() {
            if let Some(other) = self.participants.get(other) {
                for track in &other.tracks_in {
                    joined.subscribe(&other.id, track.mid, track.kind);
                }
            }
        }
        joined.drain(&mut self.transmits, &mut self.work);
        self.participants.insert(participant.clone(), joined);
        self.rooms.entry(room).or_default().push(participant.clone());
        tracing::info!(%participant, "joined");

        self.process(now);
        self.negotiate(&participant);
        self.reap(now);
        Ok(answer)
    }

    /// Applies a participant's answer to the SFU's last [`SfuEvent::Offer`] to it.
    ///
    /// # Errors
    ///
    /// [`SfuError::UnknownParticipant`], [`SfuError::NoPendingOffer`], and [`SfuError::Rtc`]
    /// for an answer str0m refuses, after which the participant is dropped.
    pub fn accept_answer(
        &mut self,
        now: Instant,
        participant: &ParticipantId,
        answer: SdpAnswer,
    ) -> Result<(), SfuError> {
        self.last_now = Some(now);
        let p = self.participant_mut(participant)?;
        let Some(pending) = p.pending.take() else {
            return Err(SfuError::NoPendingOffer(participant.clone()));
        };
        let result = p.rtc.sdp_api().accept_answer(pending, answer);
        let opened = match result {
            Ok(()) => p.answered(),
            Err(e) => {
                // A broken answer leaves the session half-negotiated: drop the participant.
                p.kill(Death::Failed);
                self.reap(now);
                return Err(e.into());
            }
        };
        self.drain_one(participant);
        // Ask for a keyframe so the new subscriber has a picture without waiting.
        for (origin, mid) in opened {
            self.work.push_back(Work::Keyframe {
                origin,
                mid,
                kind: str0m::media::KeyframeRequestKind::Pli,
            });
        }
        self.process(now);
        self.negotiate(participant);
        self.reap(now);
        Ok(())
    }

    /// Handles an offer from a participant that is already in its room (a track added or
    /// removed, an ICE restart).
    ///
    /// # Errors
    ///
    /// [`SfuError::NegotiationInProgress`] while an offer from the SFU is outstanding (the
    /// client rolls back and answers that offer first), [`SfuError::UnknownParticipant`], and
    /// [`SfuError::Rtc`] for an offer str0m refuses, after which the participant is dropped.
    pub fn renegotiate(
        &mut self,
        now: Instant,
        participant: &ParticipantId,
        offer: SdpOffer,
    ) -> Result<SdpAnswer, SfuError> {
        self.last_now = Some(now);
        let p = self.participant_mut(participant)?;
        if p.pending.is_some() {
            return Err(SfuError::NegotiationInProgress(participant.clone()));
        }
        let answer = match p.rtc.sdp_api().accept_offer(offer) {
            Ok(answer) => answer,
            Err(e) => {
                p.kill(Death::Failed);
                self.reap(now);
                return Err(e.into());
            }
        };
        self.drain_one(participant);
        self.process(now);
        self.negotiate(participant);
        self.reap(now);
        Ok(answer)
    }

    /// Adds a candidate the participant trickled after its offer.
    ///
    /// # Errors
    ///
    /// [`SfuError::UnknownParticipant`].
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        participant: &ParticipantId,
        candidate: Candidate,
    ) -> Result<(), SfuError> {
        self.last_now = Some(now);
        let p = self.participant_mut(participant)?;
        p.rtc.add_remote_candidate(candidate);
        self.drain_one(participant);
        self.process(now);
        self.reap(now);
        Ok(())
    }

    /// Starts or stops forwarding one kind of a participant's media to the rest of its room.
    /// While `allowed` is false its frames of that kind are dropped as they arrive, whatever
    /// its client sends: this is how a host's mute holds against a client that ignores it.
    /// Allowing video again asks the participant for a keyframe.
    ///
    /// # Errors
    ///
    /// [`SfuError::UnknownParticipant`].
    pub fn set_forwarding(
        &mut self,
        now: Instant,
        participant: &ParticipantId,
        kind: MediaKind,
        allowed: bool,
    ) -> Result<(), SfuError> {
        self.last_now = Some(now);
        let p = self.participant_mut(participant)?;
        p.set_withheld(kind, !allowed, now);
        tracing::info!(%participant, ?kind, allowed, "forwarding set");
        self.drain_one(participant);
        self.process(now);
        self.reap(now);
        Ok(())
    }

    /// Whether a participant's media of `kind` is forwarded (it is unless
    /// [`Sfu::set_forwarding`] stopped it); `None` for an unknown participant.
    #[must_use]
    pub fn is_forwarding(&self, participant: &ParticipantId, kind: MediaKind) -> Option<bool> {
        self.participants.get(participant).map(|p| !p.withheld.kind(kind))
    }

    /// Removes a participant: closes its connection (RTCP BYE, DTLS `close_notify`) and withdraws
    /// its tracks from the rest of the room. Returns whether it was there.
    pub fn leave(&mut self, now: Instant, participant: &ParticipantId) -> bool {
        self.last_now = Some(now);
        let Some(mut p) = self.participants.remove(participant) else {
            return false;
        };
        if p.rtc.close().is_ok() {
            let mut ignored = VecDeque::new();
            p.drain(&mut self.transmits, &mut ignored);
        }
        self.remove(p, LeaveReason::Left);
        self.process(now);
        self.reap(now);
        true
    }

    /// Feeds one datagram that arrived on the SFU's socket from `source`. Returns whether a
    /// participant accepted it.
    pub fn handle_receive(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) -> bool {
        self.last_now = Some(now);
        let Ok(contents) = DatagramRecv::try_from(datagram) else {
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.config.public_addr,
                contents,
            },
        );
        let cached = self.routes.get(&source).filter(|id| {
            self.participants.get(*id).is_some_and(|p| p.is_alive() && p.rtc.accepts(&input))
        });
        let target = if let Some(id) = cached {
            id.clone()
        } else {
            let found = self
                .participants
                .values()
                .find(|p| p.is_alive() && p.rtc.accepts(&input))
                .map(|p| p.id.clone());
            let Some(id) = found else {
                tracing::trace!(%source, "no participant accepts a datagram");
                return false;
            };
            self.routes.insert(source, id.clone());
            id
        };
        let Self { participants, transmits, work, .. } = self;
        let Some(p) = participants.get_mut(&target) else {
            return false;
        };
        if let Err(e) = p.rtc.handle_input(input) {
            tracing::warn!(participant = %p.id, error = %e, "bad input");
            p.kill(Death::Failed);
        }
        p.drain(transmits, work);
        self.process(now);
        self.reap(now);
        true
    }

    /// Drives time forward: every participant whose deadline has come is given the time.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        let Self { participants, transmits, work, .. } = self;
        for p in participants.values_mut() {
            if p.timeout <= now && p.rtc.is_alive() {
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    tracing::warn!(participant = %p.id, error = %e, "timeout failed");
                    p.kill(Death::Failed);
                }
                p.drain(transmits, work);
            }
        }
        self.process(now);
        self.reap(now);
    }

    /// The next thing to do: a datagram to send, an event, or the deadline to wake at.
    pub fn poll_output(&mut self) -> SfuOutput {
        if let Some(t) = self.transmits.pop_front() {
            return SfuOutput::Transmit(t);
        }
        if let Some(e) = self.events.pop_front() {
            return SfuOutput::Event(e);
        }
        let next = self
            .participants
            .values()
            .map(|p| if p.connected { p.timeout } else { p.timeout.min(p.connect_deadline) })
            .min();
        let idle = self.last_now.map_or_else(Instant::now, |t| t + IDLE_TICK);
        SfuOutput::Timeout(next.map_or(idle, |t| t.min(idle)))
    }

    /// The participants of a room, in the order they joined.
    #[must_use]
    pub fn room_members(&self, room: &RoomKey) -> Vec<ParticipantId> {
        self.rooms.get(room).cloned().unwrap_or_default()
    }

    /// The rooms with anyone in them.
    #[must_use]
    pub fn rooms(&self) -> Vec<RoomKey> {
        self.rooms.keys().cloned().collect()
    }

    /// The room a participant is in.
    #[must_use]
    pub fn room_of(&self, participant: &ParticipantId) -> Option<&RoomKey> {
        self.participants.get(participant).map(|p| &p.room)
    }

    /// Whether the participant's media connection is up.
    #[must_use]
    pub fn is_connected(&self, participant: &ParticipantId) -> bool {
        self.participants.get(participant).is_some_and(|p| p.connected && p.is_alive())
    }

    fn drain_one(&mut self, id: &ParticipantId) {
        let Self { participants, transmits, work, .. } = self;
        if let Some(p) = participants.get_mut(id) {
            p.drain(transmits, work);
        }
    }

    fn participant_mut(&mut self, id: &ParticipantId) -> Result<&mut Participant, SfuError> {
        match self.participants.get_mut(id) {
            Some(p) if p.is_alive() => Ok(p),
            _ => Err(SfuError::UnknownParticipant(id.clone())),
        }
    }

    /// Carries out the work that participants' output caused, until there is none.
    fn process(&mut self, now: Instant) {
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
    fn negotiate(&mut self, id: &ParticipantId) {
        let Self { participants, transmits, work, events, .. } = self;
        let Some(p) = participants.get_mut(id) else {
            return;
        };
        if let Some(offer) = p.negotiate() {
            events.push_back(SfuEvent::Offer { participant: id.clone(), offer });
            p.drain(transmits, work);
        }
    }

    fn others_in_room(&self, id: &ParticipantId) -> Vec<ParticipantId> {
        let Some(room) = self.participants.get(id).map(|p| &p.room) else {
            return Vec::new();
        };
        self.rooms
            .get(room)
            .map(|members| members.iter().filter(|m| *m != id).cloned().collect())
            .unwrap_or_default()
    }

    /// Removes the participants that died or never connected.
    fn reap(&mut self, now: Instant) {
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
    fn remove(&mut self, p: Participant, reason: LeaveReason) {
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
