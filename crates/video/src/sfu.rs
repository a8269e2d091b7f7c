//! The sans-IO core: rooms and participants, and the signalling calls that change them.
//!
//! By job: [`types`] the configuration, errors and output; this module the state and the
//! signalling calls (join, answers, renegotiation, holds, leaving) and what can be asked of the
//! rooms; [`network`] datagrams in and out and the passing of time; [`work`] what participants'
//! output sets off in their room (forwarding, offers, keyframe requests, departures).

mod network;
mod types;
mod work;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::MediaKind;
use str0m::net::Transmit;
use str0m::{Candidate, Rtc};

use crate::ids::{ParticipantId, RoomKey};
use crate::participant::{Death, Participant, Work};

pub use types::{LeaveReason, SfuConfig, SfuError, SfuEvent, SfuOutput};

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
}
