//! One participant: its `Rtc`, the tracks it publishes and the tracks forwarded to it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use str0m::change::{SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::Transmit;
use str0m::{Event, IceConnectionState, Output, Rtc};

use crate::ids::{ParticipantId, RoomKey};

/// Keyframe requests to one publisher's track are sent at most this often.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// Work that one participant's output causes for the others (or for the SFU).
#[derive(Debug)]
pub(crate) enum Work {
    /// The participant's ICE and DTLS are up.
    Connected(ParticipantId),
    /// The participant started publishing a track: forward it to the rest of the room.
    Published { origin: ParticipantId, mid: Mid, kind: MediaKind },
    /// The participant stopped publishing a track: withdraw it from the rest of the room.
    Unpublished { origin: ParticipantId, mid: Mid },
    /// A frame from a publisher, to be written to everyone else in the room.
    Media { origin: ParticipantId, data: Box<MediaData> },
    /// A subscriber asked for a keyframe of a track that `origin` publishes on `mid`.
    Keyframe { origin: ParticipantId, mid: Mid, kind: KeyframeRequestKind },
}

/// A track this participant publishes (an m-line it sends on, which the SFU receives).
#[derive(Debug)]
pub(crate) struct TrackIn {
    pub(crate) mid: Mid,
    pub(crate) kind: MediaKind,
    last_keyframe_request: Option<Instant>,
}

/// A track forwarded to this participant: someone else's [`TrackIn`], on an m-line the SFU added.
#[derive(Debug)]
pub(crate) struct TrackOut {
    pub(crate) origin: ParticipantId,
    pub(crate) origin_mid: Mid,
    pub(crate) kind: MediaKind,
    pub(crate) state: TrackOutState,
    /// The publisher left while this track was being negotiated: stop it once the answer is in.
    pub(crate) origin_gone: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackOutState {
    /// Waiting for the next offer to this participant.
    ToOpen,
    /// In an offer that has not been answered yet.
    Negotiating(Mid),
    /// Negotiated: frames are written to this m-line.
    Open(Mid),
    /// The publisher is gone: the m-line is stopped in the next offer.
    ToStop(Mid),
    /// Stopped in an offer that has not been answered yet.
    Stopping(Mid),
}

/// Why a participant's `Rtc` stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Death {
    Disconnected,
    Failed,
}

#[derive(Debug)]
pub(crate) struct Participant {
    pub(crate) id: ParticipantId,
    pub(crate) room: RoomKey,
    pub(crate) rtc: Rtc,
    /// Where `Rtc::poll_output` last asked to be woken.
    pub(crate) timeout: Instant,
    /// Dropped if not connected by then.
    pub(crate) connect_deadline: Instant,
    pub(crate) connected: bool,
    pub(crate) death: Option<Death>,
    pub(crate) pending: Option<SdpPendingOffer>,
    pub(crate) tracks_in: Vec<TrackIn>,
    pub(crate) tracks_out: Vec<TrackOut>,
    /// What the SFU refuses to forward from this participant (the host muted them or turned
    /// their camera off); their client cannot undo it by sending anyway.
    pub(crate) withheld: Withheld,
}

/// The kinds of media a publisher's frames are dropped for, on arrival.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Withheld {
    pub(crate) audio: bool,
    pub(crate) video: bool,
}

impl Withheld {
    fn any(self) -> bool {
        self.audio || self.video
    }

    pub(crate) fn kind(self, kind: MediaKind) -> bool {
        match kind {
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
        }
    }

    pub(crate) fn set(&mut self, kind: MediaKind, withheld: bool) {
        match kind {
            MediaKind::Audio => self.audio = withheld,
            MediaKind::Video => self.video = withheld,
        }
    }
}

impl Participant {
    pub(crate) fn new(
        id: ParticipantId,
        room: RoomKey,
        rtc: Rtc,
        now: Instant,
        connect_timeout: Duration,
    ) -> Self {
        Self {
            id,
            room,
            rtc,
            timeout: now,
            connect_deadline: now + connect_timeout,
            connected: false,
            death: None,
            pending: None,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            withheld: Withheld::default(),
        }
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.death.is_none() && self.rtc.is_alive()
    }

    /// Marks the participant dead; the SFU removes it at the end of the current call.
    pub(crate) fn kill(&mut self, death: Death) {
        self.death.get_or_insert(death);
        self.rtc.disconnect();
    }

    /// Polls the `Rtc` until it asks for a timeout, as str0m requires after every mutation.
    pub(crate) fn drain(&mut self, transmits: &mut VecDeque<Transmit>, work: &mut VecDeque<Work>) {
        while self.rtc.is_alive() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = t;
                    return;
                }
                Ok(Output::Transmit(t)) => transmits.push_back(t),
                Ok(Output::Event(event)) => self.on_event(event, work),
                Err(e) => {
                    tracing::warn!(participant = %self.id, error = %e, "rtc failed");
                    self.kill(Death::Failed);
                }
            }
        }
    }

    fn on_event(&mut self, event: Event, work: &mut VecDeque<Work>) {
        match event {
            Event::Connected => {
                self.connected = true;
                work.push_back(Work::Connected(self.id.clone()));
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                // With ICE-lite this means no consent check arrived for 15 s.
                self.kill(Death::Disconnected);
            }
            Event::MediaAdded(added)
                if added.direction.is_receiving()
                    && self.tracks_in.iter().all(|t| t.mid != added.mid) =>
            {
                self.tracks_in.push(TrackIn {
                    mid: added.mid,
                    kind: added.kind,
                    last_keyframe_request: None,
                });
                work.push_back(Work::Published {
                    origin: self.id.clone(),
                    mid: added.mid,
                    kind: added.kind,
                });
            }
            Event::MediaChanged(changed) => {
                let published = self.tracks_in.iter().position(|t| t.mid == changed.mid);
                let kind = self.rtc.media(changed.mid).map(str0m::media::Media::kind);
                match (changed.direction.is_receiving(), published, kind) {
                    // A renegotiation turned an m-line on (e.g. a camera added to a transceiver
                    // that only received so far).
                    (true, None, Some(kind)) => {
                        self.tracks_in.push(TrackIn {
                            mid: changed.mid,
                            kind,
                            last_keyframe_request: None,
                        });
                        work.push_back(Work::Published {
                            origin: self.id.clone(),
                            mid: changed.mid,
                            kind,
                        });
                    }
                    // ... or off (the camera stopped, or the m-line was stopped).
                    (false, Some(i), _) => {
                        self.tracks_in.remove(i);
                        work.push_back(Work::Unpublished {
                            origin: self.id.clone(),
                            mid: changed.mid,
                        });
                    }
                    _ => {}
                }
            }
            Event::MediaData(data) => {
                // Dropped here, before any copy or keyframe request: a muted publisher's frames
                // reach nobody. Nothing is looked up unless something is withheld.
                if self.withheld.any() && self.is_withheld(data.mid) {
                    return;
                }
                if !data.contiguous {
                    // Frames were lost on the way in: subscribers cannot decode until the next
                    // keyframe, so ask for one now rather than wait for each of them to.
                    self.request_keyframe(data.mid, KeyframeRequestKind::Fir, data.network_time);
                }
                work.push_back(Work::Media { origin: self.id.clone(), data: Box::new(data) });
            }
            Event::KeyframeRequest(request) => {
                let source = self.tracks_out.iter().find(|t| t.mid() == Some(request.mid));
                if let Some(track) = source {
                    work.push_back(Work::Keyframe {
                        origin: track.origin.clone(),
                        mid: track.origin_mid,
                        kind: request.kind,
                    });
                }
            }
            _ => {}
        }
    }

    /// Whether frames arriving on `mid` are of a kind the SFU withholds. A frame on an m-line
    /// that is not (or no longer) a published track is withheld if anything is.
    fn is_withheld(&self, mid: Mid) -> bool {
        self.tracks_in.iter().find(|t| t.mid == mid).is_none_or(|t| self.withheld.kind(t.kind))
    }

    /// Starts or stops withholding one kind of this participant's media. Turning video back on
    /// asks for a keyframe, so the others see a picture at once rather than a frozen one.
    pub(crate) fn set_withheld(&mut self, kind: MediaKind, withheld: bool, now: Instant) {
        let before = self.withheld;
        self.withheld.set(kind, withheld);
        if kind == MediaKind::Video && before.video && !withheld {
            let video: Vec<Mid> = self
                .tracks_in
                .iter()
                .filter(|t| t.kind == MediaKind::Video)
                .map(|t| t.mid)
                .collect();
            for mid in video {
                self.request_keyframe(mid, KeyframeRequestKind::Pli, now);
            }
        }
    }

    /// Asks this participant for a keyframe on one of the tracks it publishes (throttled).
    pub(crate) fn request_keyframe(&mut self, mid: Mid, kind: KeyframeRequestKind, now: Instant) {
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if track.kind != MediaKind::Video
            || track.last_keyframe_request.is_some_and(|t| now < t + KEYFRAME_REQUEST_INTERVAL)
        {
            return;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return;
        };
        if !writer.is_request_keyframe_possible(kind) {
            return;
        }
        match writer.request_keyframe(None, kind) {
            Ok(()) => track.last_keyframe_request = Some(now),
            Err(e) => tracing::debug!(participant = %self.id, error = %e, "keyframe request"),
        }
    }

    /// Writes a frame that `origin` published to the matching forwarded m-line, if it is open.
    /// Returns whether anything was written (and so the `Rtc` must be drained).
    pub(crate) fn forward(&mut self, origin: &ParticipantId, data: &MediaData) -> bool {
        if data.rid.is_some() {
            // Simulcast layers are not selected yet; the browser page does not offer them.
            return false;
        }
        let Some(mid) = self
            .tracks_out
            .iter()
            .find(|t| &t.origin == origin && t.origin_mid == data.mid)
            .and_then(|t| match t.state {
                TrackOutState::Open(mid) => Some(mid),
                _ => None,
            })
        else {
            return false;
        };
        let Some(mut writer) = self.rtc.writer(mid) else {
            return false;
        };
        let Some(pt) = writer.match_params(data.params) else {
            tracing::debug!(participant = %self.id, %mid, "no matching codec for a forwarded frame");
            return false;
        };
        if let (Some(level), Some(active)) =
            (data.ext_vals.audio_level, data.ext_vals.voice_activity)
        {
            writer = writer.audio_level(level, active);
        }
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::debug!(participant = %self.id, %mid, error = %e, "forwarding a frame");
        }
        true
    }

    /// Starts forwarding a track that someone else in the room publishes.
    pub(crate) fn subscribe(&mut self, origin: &ParticipantId, origin_mid: Mid, kind: MediaKind) {
        let known =
            self.tracks_out.iter().any(|t| &t.origin == origin && t.origin_mid == origin_mid);
        if !known {
            self.tracks_out.push(TrackOut {
                origin: origin.clone(),
                origin_mid,
                kind,
                state: TrackOutState::ToOpen,
                origin_gone: false,
            });
        }
    }

    /// Stops forwarding one track `origin` published, or all of them.
    pub(crate) fn unsubscribe(&mut self, origin: &ParticipantId, origin_mid: Option<Mid>) {
        self.tracks_out.retain_mut(|t| {
            if &t.origin != origin || origin_mid.is_some_and(|m| m != t.origin_mid) {
                return true;
            }
            match t.state {
                TrackOutState::ToOpen => return false,
                TrackOutState::Open(mid) => t.state = TrackOutState::ToStop(mid),
                TrackOutState::Negotiating(_) => t.origin_gone = true,
                TrackOutState::ToStop(_) | TrackOutState::Stopping(_) => {}
            }
            true
        });
    }

    /// If no offer is outstanding and tracks wait to be opened or stopped, makes an offer.
    pub(crate) fn negotiate(&mut self) -> Option<SdpOffer> {
        if self.pending.is_some() || !self.rtc.is_alive() {
            return None;
        }
        let mut api = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                TrackOutState::ToOpen => {
                    let mid = api.add_media(
                        track.kind,
                        Direction::SendOnly,
                        Some(track.origin.as_str().to_owned()),
                        Some(format!("{}-{}", track.origin, track.origin_mid)),
                        None,
                    );
                    track.state = TrackOutState::Negotiating(mid);
                }
                TrackOutState::ToStop(mid) => {
                    api.stop_media(mid);
                    track.state = TrackOutState::Stopping(mid);
                }
                TrackOutState::Negotiating(_)
                | TrackOutState::Open(_)
                | TrackOutState::Stopping(_) => {}
            }
        }
        if !api.has_changes() {
            // Stopping an m-line that str0m already considers stopped is no change: done.
            self.tracks_out.retain(|t| !matches!(t.state, TrackOutState::Stopping(_)));
            return None;
        }
        let Some((offer, pending)) = api.apply() else {
            self.tracks_out.retain(|t| !matches!(t.state, TrackOutState::Stopping(_)));
            return None;
        };
        self.pending = Some(pending);
        Some(offer)
    }

    /// The participant answered our offer. Returns the tracks that just opened.
    pub(crate) fn answered(&mut self) -> Vec<(ParticipantId, Mid)> {
        let mut opened = Vec::new();
        self.tracks_out.retain_mut(|t| match t.state {
            TrackOutState::Negotiating(mid) => {
                if t.origin_gone {
                    t.state = TrackOutState::ToStop(mid);
                } else {
                    t.state = TrackOutState::Open(mid);
                    if t.kind == MediaKind::Video {
                        opened.push((t.origin.clone(), t.origin_mid));
                    }
                }
                true
            }
            TrackOutState::Stopping(_) => false,
            _ => true,
        });
        opened
    }
}

impl TrackOut {
    pub(crate) fn mid(&self) -> Option<Mid> {
        match self.state {
            TrackOutState::ToOpen => None,
            TrackOutState::Negotiating(mid)
            | TrackOutState::Open(mid)
            | TrackOutState::ToStop(mid)
            | TrackOutState::Stopping(mid) => Some(mid),
        }
    }
}
