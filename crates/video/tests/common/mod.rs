//! Test clients (str0m `Rtc`s on loopback UDP sockets) and a simulated-time harness that drives
//! the sans-IO [`Sfu`] on its own loopback socket.

use std::collections::HashMap;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hearth_video::synthetic::{self, Observer, Peer, PeerError};
use hearth_video::{
    ParticipantId, RoomKey, SdpAnswer, SdpOffer, Sfu, SfuConfig, SfuEvent, SfuOutput,
};
use str0m::media::{KeyframeRequest, MediaKind, Mid};
use str0m::{Event, Rtc, RtcError};

/// Audio frames are 20 ms of Opus, video frames 40 ms (25 fps) of VP8.
pub const AUDIO_EVERY: Duration = Duration::from_millis(20);
pub const VIDEO_EVERY: Duration = Duration::from_millis(40);

/// How long frame `seq` of `kind` is: its codec header, 60 (audio) or 400 bytes of fill, and the
/// trailer. Every 10th video frame has 3000 bytes of fill, more than a datagram holds, so it is
/// split over several RTP packets and reassembled by the receiver.
fn frame_len(kind: MediaKind, seq: u32) -> usize {
    match kind {
        MediaKind::Audio => 69,
        MediaKind::Video if seq.is_multiple_of(10) => 3018,
        MediaKind::Video => 418,
    }
}

/// A frame a client received from the SFU.
#[derive(Debug)]
pub struct Frame {
    pub kind: MediaKind,
    /// The stream id of the m-line it came on: the publisher's participant id.
    pub stream: String,
    pub sender: u32,
    pub seq: u32,
    /// Whether the bytes are exactly what the publisher wrote.
    pub intact: bool,
}

/// What a client saw: its tracks from the SFU, the frames on them, and its connection's state.
/// Any error fails the test.
#[derive(Debug, Default)]
pub struct Seen {
    /// Tracks the SFU forwards to this client: mid → (kind, stream id).
    pub incoming: HashMap<Mid, (MediaKind, String)>,
    pub frames: Vec<Frame>,
    pub keyframe_requests: Vec<KeyframeRequest>,
    pub connected: bool,
    pub closed: bool,
}

impl Observer for Seen {
    fn event(&mut self, rtc: &Rtc, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::Closed => self.closed = true,
            Event::MediaAdded(added) => {
                let stream = rtc.media(added.mid).map(|m| m.stream_id().to_owned());
                self.incoming.insert(added.mid, (added.kind, stream.unwrap_or_default()));
            }
            Event::MediaData(data) => {
                let (kind, stream) = self.incoming.get(&data.mid).cloned().unwrap_or_else(|| {
                    (synthetic::kind_of(data.params.spec().codec), String::new())
                });
                if let Some((sender, seq)) = synthetic::frame_trailer(&data.data) {
                    let expected = synthetic::frame(kind, sender, seq, frame_len(kind, seq));
                    let intact = *data.data == *expected;
                    self.frames.push(Frame { kind, stream, sender, seq, intact });
                }
            }
            Event::KeyframeRequest(request) => self.keyframe_requests.push(request),
            _ => {}
        }
    }

    fn sent(&mut self, to: SocketAddr, _: &[u8], _: Option<MediaKind>, result: io::Result<()>) {
        assert!(to.ip().is_loopback(), "traffic stays on loopback");
        result.expect("client send");
    }

    fn failed(&mut self, error: RtcError) {
        panic!("client poll_output: {error}");
    }
}

/// A browser stand-in: a [`Peer`] on a non-blocking std socket, driven by the test.
#[derive(Debug)]
pub struct Client {
    pub peer: Peer<UdpSocket, Seen>,
    pub offers_received: usize,
    /// A frozen client is no longer driven at all, like a crashed browser.
    pub frozen: bool,
}

impl Client {
    /// A client with a send-only audio and/or video track, and the offer it makes.
    pub fn new(id: &str, index: u32, now: Instant, audio: bool, video: bool) -> (Self, SdpOffer) {
        let socket = synthetic::bind_loopback().expect("bind a client socket");
        let kinds: Vec<MediaKind> = [(audio, MediaKind::Audio), (video, MediaKind::Video)]
            .into_iter()
            .filter_map(|(on, kind)| on.then_some(kind))
            .collect();
        let (peer, offer) =
            Peer::new(ParticipantId::new(id), index, socket, Seen::default(), now, &kinds)
                .expect("an offer");
        (Self { peer, offers_received: 0, frozen: false }, offer)
    }

    pub fn id(&self) -> &ParticipantId {
        &self.peer.id
    }

    pub fn index(&self) -> u32 {
        self.peer.index
    }

    pub fn rtc(&self) -> &Rtc {
        &self.peer.rtc
    }

    pub fn rtc_mut(&mut self) -> &mut Rtc {
        &mut self.peer.rtc
    }

    pub fn seen(&self) -> &Seen {
        &self.peer.observer
    }

    pub fn audio_mid(&self) -> Option<Mid> {
        self.peer.mid(MediaKind::Audio)
    }

    pub fn video_mid(&self) -> Option<Mid> {
        self.peer.mid(MediaKind::Video)
    }

    pub fn accept_answer(&mut self, answer: SdpAnswer) {
        self.peer.accept_answer(answer).expect("answer accepted");
    }

    /// Offers to start publishing video (a camera turned on after joining).
    pub fn offer_video(&mut self) -> SdpOffer {
        self.peer.offer_track(MediaKind::Video).expect("an offer")
    }

    /// Offers to stop publishing video.
    pub fn offer_stop_video(&mut self) -> SdpOffer {
        self.peer.offer_stop_track(MediaKind::Video).expect("an offer")
    }

    /// Answers an offer from the SFU (new forwarded tracks, or withdrawn ones).
    pub fn accept_offer(&mut self, offer: SdpOffer) -> SdpAnswer {
        self.offers_received += 1;
        self.peer.accept_offer(offer).expect("offer accepted")
    }

    /// Polls the `Rtc` to its next timeout, sending its datagrams. Returns whether it sent any.
    pub fn drain(&mut self) -> bool {
        !self.frozen && self.peer.drain()
    }

    /// Reads every datagram waiting on the socket. Returns whether there were any.
    pub fn receive(&mut self, now: Instant) -> bool {
        let mut buf = [0_u8; 2048];
        let mut any = false;
        while !self.frozen {
            match self.peer.socket.recv_from(&mut buf) {
                Ok((n, source)) => {
                    any = true;
                    self.peer.receive(now, source, &buf[..n]).expect("client input");
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("client receive: {e}"),
            }
        }
        any
    }

    /// Gives the `Rtc` the time if its deadline has come.
    pub fn tick(&mut self, now: Instant) {
        if !self.frozen {
            self.peer.tick(now).expect("client timeout");
        }
    }

    /// Writes the next frame of `kind`, if the client has a track of that kind.
    fn write(&mut self, kind: MediaKind, now: Instant) -> bool {
        if self.frozen || self.peer.mid(kind).is_none() {
            return false;
        }
        let len = frame_len(kind, self.peer.frames_written(kind) + 1);
        match self.peer.write_frame(kind, now, len) {
            Ok(_) => true,
            // The m-line is not there (yet): nothing to write to.
            Err(PeerError::NoTrack(_)) => false,
            Err(e) => panic!("write a frame: {e}"),
        }
    }

    /// Writes the next audio frame, if the client has an audio track.
    pub fn send_audio(&mut self, now: Instant) -> bool {
        self.write(MediaKind::Audio, now)
    }

    /// Writes the next video frame, if the client has a video track.
    pub fn send_video(&mut self, now: Instant) -> bool {
        self.write(MediaKind::Video, now)
    }

    pub fn audio_sent(&self) -> u32 {
        self.peer.frames_written(MediaKind::Audio)
    }

    pub fn video_sent(&self) -> u32 {
        self.peer.frames_written(MediaKind::Video)
    }

    /// Frames received from the publisher with `index`, of one kind.
    pub fn frames_from(&self, index: u32, kind: MediaKind) -> impl Iterator<Item = &Frame> {
        self.seen().frames.iter().filter(move |f| f.sender == index && f.kind == kind)
    }

    /// The mid of the forwarded track of `kind` that `publisher` publishes.
    pub fn incoming_mid(&self, publisher: &ParticipantId, kind: MediaKind) -> Option<Mid> {
        self.seen()
            .incoming
            .iter()
            .find(|(_, (k, stream))| *k == kind && stream == publisher.as_str())
            .map(|(mid, _)| *mid)
    }
}

/// The sans-IO SFU on a loopback socket, with clients, all driven on one thread in simulated
/// time: datagrams really cross the loopback interface, but the clock only moves when the test
/// says so, which keeps the tests fast and free of sleeps.
#[derive(Debug)]
pub struct Harness {
    pub now: Instant,
    pub sfu: Sfu,
    socket: UdpSocket,
    pub clients: Vec<Client>,
    pub events: Vec<SfuEvent>,
    pub unrouted: usize,
    /// While set, the SFU's offers are kept in `held` instead of being answered at once.
    pub hold_offers: bool,
    pub held: Vec<(ParticipantId, SdpOffer)>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the SFU socket");
        socket.set_nonblocking(true).expect("non-blocking socket");
        let addr = socket.local_addr().expect("SFU address");
        let sfu = Sfu::new(SfuConfig::new(addr)).expect("an SFU");
        Self {
            now: Instant::now(),
            sfu,
            socket,
            clients: Vec::new(),
            events: Vec::new(),
            unrouted: 0,
            hold_offers: false,
            held: Vec::new(),
        }
    }

    /// A new client joins `room` through the SFU: offer, answer, then whatever follows.
    pub fn join(&mut self, room: &str, id: &str, audio: bool, video: bool) -> usize {
        let index = u32::try_from(self.clients.len() + 1).expect("few clients");
        let (mut client, offer) = Client::new(id, index, self.now, audio, video);
        let answer = self
            .sfu
            .join(self.now, RoomKey::new(room), ParticipantId::new(id), offer)
            .expect("join");
        client.accept_answer(answer);
        self.clients.push(client);
        self.step();
        self.clients.len() - 1
    }

    pub fn client(&self, id: &str) -> &Client {
        self.clients.iter().find(|c| c.id().as_str() == id).expect("a client")
    }

    pub fn client_mut(&mut self, id: &str) -> &mut Client {
        self.clients.iter_mut().find(|c| c.id().as_str() == id).expect("a client")
    }

    /// Moves datagrams and signalling until nothing is left to do at the current instant.
    pub fn step(&mut self) {
        let mut buf = [0_u8; 2048];
        for _ in 0..10_000 {
            let mut busy = false;
            loop {
                match self.sfu.poll_output() {
                    SfuOutput::Transmit(t) => {
                        assert!(t.destination.ip().is_loopback(), "traffic stays on loopback");
                        self.socket.send_to(&t.contents, t.destination).expect("SFU send");
                        busy = true;
                    }
                    SfuOutput::Event(SfuEvent::Offer { participant, offer })
                        if self.hold_offers =>
                    {
                        self.held.push((participant, offer));
                    }
                    SfuOutput::Event(SfuEvent::Offer { participant, offer }) => {
                        busy = true;
                        let client = self.clients.iter_mut().find(|c| *c.id() == participant);
                        if let Some(client) = client.filter(|c| !c.frozen) {
                            let answer = client.accept_offer(offer);
                            self.sfu
                                .accept_answer(self.now, &participant, answer)
                                .expect("SFU accepts the answer");
                        }
                    }
                    SfuOutput::Event(e) => self.events.push(e),
                    SfuOutput::Timeout(_) => break,
                }
            }
            for c in &mut self.clients {
                busy |= c.drain();
            }
            loop {
                match self.socket.recv_from(&mut buf) {
                    Ok((n, source)) => {
                        busy = true;
                        if !self.sfu.handle_receive(self.now, source, &buf[..n]) {
                            self.unrouted += 1;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("SFU receive: {e}"),
                }
            }
            for c in &mut self.clients {
                busy |= c.receive(self.now);
            }
            if !busy {
                return;
            }
        }
        panic!("the network never went quiet");
    }

    /// Moves the clock on by `dt` and lets everyone act on it.
    pub fn advance(&mut self, dt: Duration) {
        self.now += dt;
        self.sfu.handle_timeout(self.now);
        for c in &mut self.clients {
            c.tick(self.now);
        }
        self.step();
    }

    /// Advances in 10 ms steps until `done` holds, for at most `limit` of simulated time.
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.advance(Duration::from_millis(10));
        }
        done(self)
    }

    /// Every unfrozen client publishes for `duration`: Opus every 20 ms, VP8 every 40 ms.
    pub fn publish(&mut self, duration: Duration) {
        let tick = Duration::from_millis(10);
        let ticks = duration.as_millis() / tick.as_millis();
        let audio = AUDIO_EVERY.as_millis() / tick.as_millis();
        let video = VIDEO_EVERY.as_millis() / tick.as_millis();
        for i in 0..ticks {
            let now = self.now;
            for c in &mut self.clients {
                if i % audio == 0 {
                    c.send_audio(now);
                }
                if i % video == 0 {
                    c.send_video(now);
                }
            }
            self.advance(tick);
        }
        // Let the last frames through.
        for _ in 0..20 {
            self.advance(tick);
        }
    }

    /// The SFU's `Left` events, as (participant, reason).
    pub fn left(&self) -> Vec<(String, hearth_video::LeaveReason)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                SfuEvent::Left { participant, reason, .. } => {
                    Some((participant.as_str().to_owned(), *reason))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether the SFU reported this participant connected.
    pub fn reported_connected(&self, id: &str) -> bool {
        self.events.iter().any(
            |e| matches!(e, SfuEvent::Connected { participant, .. } if participant.as_str() == id),
        )
    }
}
