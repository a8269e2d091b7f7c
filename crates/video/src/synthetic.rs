//! Synthetic participants: stand-ins for browsers, for the crate's tests and its load tool.
//!
//! A [`Peer`] is one str0m [`Rtc`] on its own loopback UDP socket. It makes the first offer
//! (send-only audio and/or video, each m-line labelled with its participant id as the stream
//! id, as the app's browser code does), accepts the SFU's answer, answers the SFU's later offers
//! (tracks of the others added or withdrawn), feeds what its socket receives to the `Rtc`, gives
//! it the time, and publishes frames whose every byte the receiving end can check ([`frame`]:
//! a codec header, a fill that depends on the publisher and the frame, and a trailer naming
//! both). Everything else — which events matter, what a sent datagram counts for, whether an
//! error is fatal — belongs to an [`Observer`] the caller supplies, and every step returns its
//! own error: the tests keep every frame and panic on the first error, the load tool counts
//! packets in atomics and carries on.
//!
//! The peer is generic over its socket ([`Wire`]): the tests use a non-blocking std socket and
//! move datagrams themselves in simulated time; the load tool uses a tokio socket and awaits
//! it. How the SDP reaches the SFU stays with the caller too: the tests call the sans-IO
//! [`Sfu`](crate::Sfu) directly, the load tool goes through an [`SfuHandle`](crate::SfuHandle).
//!
//! # The `synthetic` feature
//!
//! This module exists only with the `synthetic` cargo feature, off by default, so the
//! production server (which depends on this crate without it) does not ship it. The load tool
//! `hearth-video-load` declares `required-features = ["synthetic"]`; the integration tests get
//! the feature from the crate's dev-dependency on itself, so `cargo test -p hearth-video` needs
//! no flag, and neither does any command that builds the tests (`cargo clippy --all-targets`,
//! `cargo test --workspace`), which therefore builds the load tool too.

use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::{Codec, PayloadParams};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcError};

use crate::ParticipantId;

/// A socket a [`Peer`] sends from. Sending never waits: a datagram that does not fit in the
/// socket's buffer is an error, as a full buffer is on a real network.
pub trait Wire {
    /// The address the peer names as its only ICE candidate.
    fn address(&self) -> io::Result<SocketAddr>;
    /// Sends one datagram without waiting.
    fn send_datagram(&self, datagram: &[u8], to: SocketAddr) -> io::Result<()>;
}

/// A std socket, which must be non-blocking (as [`bind_loopback`] makes it).
impl Wire for StdUdpSocket {
    fn address(&self) -> io::Result<SocketAddr> {
        StdUdpSocket::local_addr(self)
    }

    fn send_datagram(&self, datagram: &[u8], to: SocketAddr) -> io::Result<()> {
        self.send_to(datagram, to).map(drop)
    }
}

impl Wire for tokio::net::UdpSocket {
    fn address(&self) -> io::Result<SocketAddr> {
        tokio::net::UdpSocket::local_addr(self)
    }

    fn send_datagram(&self, datagram: &[u8], to: SocketAddr) -> io::Result<()> {
        self.try_send_to(datagram, to).map(drop)
    }
}

/// What a [`Peer`]'s user learns of it as it goes.
pub trait Observer {
    /// str0m reported an event (connected, a track added, a frame received, ...).
    fn event(&mut self, rtc: &Rtc, event: Event);
    /// A datagram went out to `to`, or failed to. `media` names the kind of an RTP packet of
    /// one of the peer's own tracks (not a retransmission, nor RTCP, STUN or DTLS), once the
    /// peer has written a frame of that kind.
    fn sent(
        &mut self,
        to: SocketAddr,
        datagram: &[u8],
        media: Option<MediaKind>,
        result: io::Result<()>,
    );
    /// str0m failed while the peer drained its output, which then stops until the next step.
    fn failed(&mut self, error: RtcError);
}

/// What a [`Peer`] step can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("no offer of this peer is outstanding")]
    NoPendingOffer,
    #[error("the peer has no {0:?} track")]
    NoTrack(MediaKind),
    #[error("no codec for the {0:?} track was negotiated")]
    NotNegotiated(MediaKind),
    #[error("nothing to offer")]
    NothingToOffer,
    #[error(transparent)]
    Rtc(#[from] RtcError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// One of the peer's own send-only tracks.
#[derive(Debug, Default)]
struct Track {
    mid: Option<Mid>,
    /// The payload type of its codec, looked up at the first frame.
    pt: Option<Pt>,
    /// Frames written so far, and so the number of the last one.
    seq: u32,
}

/// A browser stand-in: one str0m `Rtc` on its own loopback UDP socket. See the module
/// documentation.
#[derive(Debug)]
pub struct Peer<S, O> {
    pub id: ParticipantId,
    /// Written into every frame's trailer, so a receiver can tell who published it.
    pub index: u32,
    pub rtc: Rtc,
    pub socket: S,
    pub observer: O,
    addr: SocketAddr,
    pending: Option<SdpPendingOffer>,
    timeout: Instant,
    audio: Track,
    video: Track,
}

impl<S: Wire, O: Observer> Peer<S, O> {
    /// A peer with a send-only track of each of `kinds`, and the offer it makes.
    pub fn new(
        id: ParticipantId,
        index: u32,
        socket: S,
        observer: O,
        now: Instant,
        kinds: &[MediaKind],
    ) -> Result<(Self, SdpOffer), PeerError> {
        let addr = socket.address()?;
        let mut rtc = Rtc::builder().build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").map_err(io::Error::other)?);
        let mut peer = Self {
            id,
            index,
            rtc,
            socket,
            observer,
            addr,
            pending: None,
            timeout: now,
            audio: Track::default(),
            video: Track::default(),
        };
        let mut api = peer.rtc.sdp_api();
        for kind in kinds {
            let mid =
                api.add_media(*kind, Direction::SendOnly, Some(peer.id.to_string()), None, None);
            track_mut(&mut peer.audio, &mut peer.video, *kind).mid = Some(mid);
        }
        let (offer, pending) = api.apply().ok_or(PeerError::NothingToOffer)?;
        peer.pending = Some(pending);
        Ok((peer, offer))
    }

    /// Accepts the answer to the peer's outstanding offer.
    pub fn accept_answer(&mut self, answer: SdpAnswer) -> Result<(), PeerError> {
        let pending = self.pending.take().ok_or(PeerError::NoPendingOffer)?;
        self.rtc.sdp_api().accept_answer(pending, answer)?;
        self.drain();
        Ok(())
    }

    /// Answers an offer from the SFU (the others' tracks added or withdrawn).
    pub fn accept_offer(&mut self, offer: SdpOffer) -> Result<SdpAnswer, RtcError> {
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        self.drain();
        Ok(answer)
    }

    /// Offers a new send-only track of `kind` (a camera turned on after joining).
    pub fn offer_track(&mut self, kind: MediaKind) -> Result<SdpOffer, PeerError> {
        let mut api = self.rtc.sdp_api();
        let mid = api.add_media(kind, Direction::SendOnly, Some(self.id.to_string()), None, None);
        let (offer, pending) = api.apply().ok_or(PeerError::NothingToOffer)?;
        let track = track_mut(&mut self.audio, &mut self.video, kind);
        (track.mid, track.pt) = (Some(mid), None);
        self.pending = Some(pending);
        Ok(offer)
    }

    /// Offers to stop the track of `kind` (a camera turned off).
    pub fn offer_stop_track(&mut self, kind: MediaKind) -> Result<SdpOffer, PeerError> {
        let track = track_mut(&mut self.audio, &mut self.video, kind);
        let mid = track.mid.take().ok_or(PeerError::NoTrack(kind))?;
        track.pt = None;
        let mut api = self.rtc.sdp_api();
        api.stop_media(mid);
        let (offer, pending) = api.apply().ok_or(PeerError::NothingToOffer)?;
        self.pending = Some(pending);
        Ok(offer)
    }

    /// Polls the `Rtc` to its next timeout, sending its datagrams and handing its events to
    /// the observer. Returns whether it sent any.
    pub fn drain(&mut self) -> bool {
        let mut sent = false;
        while self.rtc.is_alive() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = t;
                    break;
                }
                Ok(Output::Transmit(t)) => {
                    let media = self.media_of(&t.contents);
                    let result = self.socket.send_datagram(&t.contents, t.destination);
                    self.observer.sent(t.destination, &t.contents, media, result);
                    sent = true;
                }
                Ok(Output::Event(e)) => self.observer.event(&self.rtc, e),
                Err(e) => {
                    self.observer.failed(e);
                    break;
                }
            }
        }
        sent
    }

    /// Feeds one datagram the peer's socket received from `source`; one str0m cannot parse is
    /// ignored. Drains even when the `Rtc` refuses it.
    pub fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), RtcError> {
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.addr, datagram) else {
            return Ok(());
        };
        let result = self.rtc.handle_input(Input::Receive(now, receive));
        self.drain();
        result
    }

    /// Gives the `Rtc` the time if its deadline has come.
    pub fn tick(&mut self, now: Instant) -> Result<(), RtcError> {
        if self.timeout > now || !self.rtc.is_alive() {
            return Ok(());
        }
        let result = self.rtc.handle_input(Input::Timeout(now));
        self.drain();
        result
    }

    /// When the `Rtc` next wants the time.
    pub fn timeout(&self) -> Instant {
        self.timeout
    }

    /// Writes the next frame of `kind` in the codec the peer publishes it in (Opus, VP8), `len`
    /// bytes long (see [`frame`]), and sends it. Returns its number (the first is 1). Once the
    /// track exists the frame counts as written, even if it could not be.
    pub fn write_frame(
        &mut self,
        kind: MediaKind,
        now: Instant,
        len: usize,
    ) -> Result<u32, PeerError> {
        let (index, rtc) = (self.index, &mut self.rtc);
        let track = track_mut(&mut self.audio, &mut self.video, kind);
        let mid = track.mid.ok_or(PeerError::NoTrack(kind))?;
        track.seq += 1;
        let seq = track.seq;
        let writer = rtc.writer(mid).ok_or(PeerError::NoTrack(kind))?;
        if track.pt.is_none() {
            let codec = match kind {
                MediaKind::Audio => Codec::Opus,
                MediaKind::Video => Codec::Vp8,
            };
            track.pt =
                writer.payload_params().find(|p| p.spec().codec == codec).map(PayloadParams::pt);
        }
        let pt = track.pt.ok_or(PeerError::NotNegotiated(kind))?;
        let result = writer.write(pt, now, media_time(kind, seq), frame(kind, index, seq, len));
        self.drain();
        result?;
        Ok(seq)
    }

    /// Frames of `kind` written so far.
    pub fn frames_written(&self, kind: MediaKind) -> u32 {
        self.track(kind).seq
    }

    /// The mid of the peer's own track of `kind`.
    pub fn mid(&self, kind: MediaKind) -> Option<Mid> {
        self.track(kind).mid
    }

    fn track(&self, kind: MediaKind) -> &Track {
        match kind {
            MediaKind::Audio => &self.audio,
            MediaKind::Video => &self.video,
        }
    }

    /// The kind of an outgoing RTP packet of one of the peer's tracks, by its payload type.
    fn media_of(&self, datagram: &[u8]) -> Option<MediaKind> {
        if !is_rtp(datagram) {
            return None;
        }
        let pt = datagram[1] & 0x7f;
        [MediaKind::Video, MediaKind::Audio]
            .into_iter()
            .find(|kind| self.track(*kind).pt.is_some_and(|p| *p == pt))
    }
}

fn track_mut<'a>(audio: &'a mut Track, video: &'a mut Track, kind: MediaKind) -> &'a mut Track {
    match kind {
        MediaKind::Audio => audio,
        MediaKind::Video => video,
    }
}

/// The RTP time of frame `seq`: 20 ms of Opus (960 at 48 kHz) or 40 ms of VP8 (3600 at
/// 90 kHz) per frame.
fn media_time(kind: MediaKind, seq: u32) -> MediaTime {
    match kind {
        MediaKind::Audio => MediaTime::new(u64::from(seq) * 960, Frequency::FORTY_EIGHT_KHZ),
        MediaKind::Video => MediaTime::new(u64::from(seq) * 3600, Frequency::NINETY_KHZ),
    }
}

/// A non-blocking UDP socket on 127.0.0.1, on a port the system picks.
pub fn bind_loopback() -> io::Result<StdUdpSocket> {
    let socket = StdUdpSocket::bind("127.0.0.1:0")?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// Whether a datagram is RTP (not RTCP, STUN or DTLS), by RFC 7983 and RFC 5761.
pub fn is_rtp(data: &[u8]) -> bool {
    data.len() >= 12 && (128..=191).contains(&data[0]) && !(192..=223).contains(&data[1])
}

/// The kind of media a codec carries: Opus is audio, the peers' other codecs video.
pub fn kind_of(codec: Codec) -> MediaKind {
    if codec == Codec::Opus { MediaKind::Audio } else { MediaKind::Video }
}

/// Bytes after the codec header that name the frame: the publisher's index and the frame
/// number, big-endian.
const TRAILER: usize = 8;

/// Frame `seq` of `kind` from publisher `sender`, `len` bytes long (or as short as its header
/// and trailer allow): a codec header, a fill that depends on the sender, the frame and the
/// position (so a frame reassembled out of order, or from another's packets, differs), then the
/// trailer [`frame_trailer`] reads. A receiver checks what arrives against this.
pub fn frame(kind: MediaKind, sender: u32, seq: u32, len: usize) -> Vec<u8> {
    let header: &[u8] = match kind {
        // An Opus TOC byte.
        MediaKind::Audio => &[0xf8],
        // A VP8 key frame header (320x240).
        MediaKind::Video => &[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00],
    };
    let fill = len.saturating_sub(header.len() + TRAILER);
    let mut data = Vec::with_capacity(header.len() + fill + TRAILER);
    data.extend_from_slice(header);
    let salt = (seq.wrapping_mul(7) ^ sender) as usize;
    data.extend((0..fill).map(|i| (i.wrapping_mul(31) ^ salt).to_le_bytes()[0]));
    data.extend_from_slice(&sender.to_be_bytes());
    data.extend_from_slice(&seq.to_be_bytes());
    data
}

/// The publisher's index and the frame number in a frame's trailer.
pub fn frame_trailer(data: &[u8]) -> Option<(u32, u32)> {
    let trailer = data.get(data.len().checked_sub(TRAILER)?..)?;
    let (sender, seq) = trailer.split_at(4);
    Some((u32::from_be_bytes(sender.try_into().ok()?), u32::from_be_bytes(seq.try_into().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_names_its_sender_and_number_and_differs_from_every_other() {
        let a = frame(MediaKind::Video, 3, 41, 2500);
        assert_eq!(a.len(), 2500);
        assert_eq!(frame_trailer(&a), Some((3, 41)));
        assert_ne!(a, frame(MediaKind::Video, 4, 41, 2500));
        assert_ne!(a, frame(MediaKind::Video, 3, 42, 2500));
        let short = frame(MediaKind::Audio, 1, 1, 0);
        assert_eq!(short.len(), 1 + TRAILER);
        assert_eq!(frame_trailer(&short), Some((1, 1)));
        assert_eq!(frame_trailer(&[1, 2, 3]), None);
    }

    #[test]
    fn rtp_is_told_from_rtcp_stun_and_dtls() {
        let mut rtp = [0_u8; 12];
        rtp[0] = 0x80;
        rtp[1] = 111;
        assert!(is_rtp(&rtp));
        rtp[1] = 200; // RTCP sender report
        assert!(!is_rtp(&rtp));
        assert!(!is_rtp(&[0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])); // STUN
        assert!(!is_rtp(&[22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0])); // DTLS
    }
}
