//! The SFU run's participants: [`Peer`]s on tokio sockets that publish at a fixed pace and count
//! what they send and receive in [`Shared`].
//!
//! One subscriber per room (the *verifying* one) hands what it receives to str0m, which decrypts
//! and reassembles the frames, each checked byte for byte; the others count RTP packets from the
//! clear header and give str0m only STUN, DTLS and RTCP (see the tool's documentation).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use hearth_video::synthetic::{self, Observer, Peer, PeerError};
use hearth_video::{ParticipantId, SdpOffer, SfuHandle};
use str0m::format::PayloadParams;
use str0m::media::MediaKind;
use str0m::{Event, Rtc, RtcError};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::counters::{Counters, Shared};
use crate::{AUDIO_EVERY, VIDEO_EVERY};

/// 32 kbps at 50 frames a second.
const AUDIO_FRAME: usize = 80;
/// 500 kbps at 25 frames a second.
const VIDEO_FRAME: usize = 2500;

fn frame_len(kind: MediaKind) -> usize {
    match kind {
        MediaKind::Audio => AUDIO_FRAME,
        MediaKind::Video => VIDEO_FRAME,
    }
}

/// What one participant's `Rtc` does, counted in [`Shared`].
#[derive(Debug)]
pub struct Tally {
    index: usize,
    shared: Arc<Shared>,
    connected: bool,
    incoming: usize,
    wired: bool,
}

impl Tally {
    fn counters(&self) -> &Counters {
        &self.shared.clients[self.index]
    }
}

impl Observer for Tally {
    fn event(&mut self, _: &Rtc, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::MediaAdded(added) if added.direction.is_receiving() => self.incoming += 1,
            Event::MediaData(data) => {
                let kind = synthetic::kind_of(data.params.spec().codec);
                // Byte for byte what a publisher in this room wrote.
                let ok = synthetic::frame_trailer(&data.data).is_some_and(|(sender, seq)| {
                    usize::try_from(sender).is_ok_and(|s| {
                        s != self.index && self.shared.room_of(self.index).contains(&s)
                    }) && *data.data == *synthetic::frame(kind, sender, seq, frame_len(kind))
                });
                Shared::add(if ok {
                    &self.counters().frames_verified
                } else {
                    &self.counters().frames_bad
                });
            }
            _ => {}
        }
        if !self.wired && self.connected && self.incoming == 2 * (self.shared.room_size - 1) {
            self.wired = true;
            self.shared.wired.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn sent(
        &mut self,
        _: SocketAddr,
        datagram: &[u8],
        media: Option<MediaKind>,
        r: io::Result<()>,
    ) {
        if let Some(kind) = media {
            let len = u64::try_from(datagram.len()).expect("a datagram");
            let (packets, bytes) = match kind {
                MediaKind::Video => (&self.shared.video_packets, &self.shared.video_bytes),
                MediaKind::Audio => (&self.shared.audio_packets, &self.shared.audio_bytes),
            };
            Shared::add(&self.counters().packets_sent);
            Shared::add(packets);
            bytes.fetch_add(len, Ordering::Relaxed);
        }
        if r.is_err() {
            Shared::add(&self.shared.send_failures);
        }
    }

    fn failed(&mut self, _: RtcError) {
        Shared::add(&self.shared.errors);
    }
}

/// A synthetic participant: a [`Peer`] that publishes audio and video on its own loopback
/// socket and receives the rest of its room.
#[derive(Debug)]
pub struct Client {
    pub peer: Peer<UdpSocket, Tally>,
    /// Payload types of retransmissions, not counted as media.
    rtx: Vec<u8>,
    verify: bool,
    next_audio: Instant,
    next_video: Instant,
}

impl Client {
    /// Participant `index` (`load-<index>`) and its first offer.
    pub fn new(index: usize, shared: Arc<Shared>) -> Result<(Self, SdpOffer), PeerError> {
        let socket = UdpSocket::from_std(synthetic::bind_loopback()?)?;
        let now = Instant::now();
        let id = ParticipantId::new(format!("load-{index}"));
        let sender = u32::try_from(index).map_err(io::Error::other)?;
        let verify = shared.verifies(index);
        let tally = Tally { index, shared, connected: false, incoming: 0, wired: false };
        let kinds = [MediaKind::Audio, MediaKind::Video];
        let (peer, offer) = Peer::new(id, sender, socket, tally, now, &kinds)?;
        let rtx = peer
            .rtc
            .codec_config()
            .params()
            .iter()
            .filter_map(PayloadParams::resend)
            .map(|p| *p)
            .collect();
        // Spread the publishers over the frame interval, as real ones are.
        let offset = AUDIO_EVERY * u32::try_from(index % 16).expect("under 16") / 16;
        let client = Self { peer, rtx, verify, next_audio: now + offset, next_video: now + offset };
        Ok((client, offer))
    }

    /// The participant's position among all of them, which names its room.
    pub fn index(&self) -> usize {
        self.peer.observer.index
    }

    fn shared(&self) -> &Shared {
        &self.peer.observer.shared
    }

    fn on_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        if synthetic::is_rtp(data) {
            let counters = self.peer.observer.counters();
            if self.rtx.contains(&(data[1] & 0x7f)) {
                Shared::add(&self.shared().retransmissions_received);
            } else {
                Shared::add(&counters.packets_received);
            }
            if !self.verify {
                return;
            }
        }
        if self.peer.receive(now, source, data).is_err() {
            Shared::add(&self.shared().errors);
        }
    }

    /// Gives the `Rtc` the time and publishes the frames that are due.
    fn tick(&mut self, now: Instant) {
        if self.peer.tick(now).is_err() {
            Shared::add(&self.shared().errors);
        }
        let publishing = self.shared().publishing.load(Ordering::Relaxed);
        while self.next_audio <= now {
            self.next_audio += AUDIO_EVERY;
            if publishing {
                self.write(MediaKind::Audio, now);
            }
        }
        while self.next_video <= now {
            self.next_video += VIDEO_EVERY;
            if publishing {
                self.write(MediaKind::Video, now);
            }
        }
    }

    fn write(&mut self, kind: MediaKind, now: Instant) {
        match self.peer.write_frame(kind, now, frame_len(kind)) {
            Ok(_) => {}
            // str0m refused the frame: an error, but a frame sent all the same.
            Err(PeerError::Rtc(_)) => Shared::add(&self.shared().errors),
            Err(_) => {
                Shared::add(&self.shared().errors);
                return;
            }
        }
        Shared::add(&self.peer.observer.counters().frames_sent);
        if kind == MediaKind::Video {
            Shared::add(&self.shared().video_frames);
        }
    }
}

/// Runs one participant until told to stop: its socket, its timers, and the SFU's offers.
pub async fn run_client(
    mut c: Client,
    mut offers: mpsc::UnboundedReceiver<SdpOffer>,
    sfu: SfuHandle,
) {
    let mut buf = vec![0_u8; 2048];
    while !c.shared().stop.load(Ordering::Relaxed) {
        c.tick(Instant::now());
        let wake = c.peer.timeout().min(c.next_audio).min(c.next_video);
        tokio::select! {
            received = c.peer.socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let now = Instant::now();
                c.on_datagram(now, source, &buf[..n]);
                while let Ok((n, source)) = c.peer.socket.try_recv_from(&mut buf) {
                    c.on_datagram(now, source, &buf[..n]);
                }
            }
            offer = offers.recv() => {
                let Some(offer) = offer else { return };
                let Ok(answer) = c.peer.accept_offer(offer) else {
                    Shared::add(&c.shared().errors);
                    continue;
                };
                if sfu.accept_answer(c.peer.id.clone(), answer).await.is_err() {
                    Shared::add(&c.shared().errors);
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}
