//! Test clients (str0m `Rtc`s on loopback UDP sockets) and a simulated-time harness that drives
//! the sans-IO [`Sfu`] on its own loopback socket.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hearth_video::{
    ParticipantId, RoomKey, SdpAnswer, SdpOffer, Sfu, SfuConfig, SfuEvent, SfuOutput,
};
use str0m::change::SdpPendingOffer;
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, KeyframeRequest, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// Audio frames are 20 ms of Opus, video frames 40 ms (25 fps) of VP8.
pub const AUDIO_EVERY: Duration = Duration::from_millis(20);
pub const VIDEO_EVERY: Duration = Duration::from_millis(40);

/// The bytes publisher `sender` writes as its `seq`-th frame of `kind`. The receiver checks
/// that what arrives is exactly this, so a frame cannot be mistaken for another one.
pub fn payload(kind: MediaKind, sender: u8, seq: u32) -> Vec<u8> {
    let mut data = match kind {
        MediaKind::Audio => {
            let mut d = vec![0xf8]; // an Opus TOC byte
            d.extend((0..60_u32).map(|i| fill(sender, seq, i)));
            d
        }
        MediaKind::Video => {
            // A VP8 key frame header (320x240), then filler. Every 10th frame is larger than a
            // datagram, so it is split over several RTP packets and reassembled by the receiver.
            let mut d = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00];
            let len = if seq.is_multiple_of(10) { 3000 } else { 400 };
            d.extend((0..len).map(|i| fill(sender, seq, i)));
            d
        }
    };
    data.push(sender);
    data.extend_from_slice(&seq.to_be_bytes());
    data
}

fn fill(sender: u8, seq: u32, i: u32) -> u8 {
    (i.wrapping_mul(31) ^ seq.wrapping_mul(7) ^ u32::from(sender)).to_le_bytes()[0]
}

/// Who sent a frame and which one it was, from the trailer [`payload`] writes.
fn trailer(data: &[u8]) -> Option<(u8, u32)> {
    let n = data.len();
    if n < 5 {
        return None;
    }
    let seq = u32::from_be_bytes([data[n - 4], data[n - 3], data[n - 2], data[n - 1]]);
    Some((data[n - 5], seq))
}

/// A frame a client received from the SFU.
#[derive(Debug)]
pub struct Frame {
    pub kind: MediaKind,
    /// The stream id of the m-line it came on: the publisher's participant id.
    pub stream: String,
    pub sender: u8,
    pub seq: u32,
    /// Whether the bytes are exactly what the publisher wrote.
    pub intact: bool,
}

/// A browser stand-in: one str0m `Rtc` on its own loopback UDP socket.
#[derive(Debug)]
pub struct Client {
    pub id: ParticipantId,
    pub index: u8,
    pub rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    pending: Option<SdpPendingOffer>,
    pub audio_mid: Option<Mid>,
    pub video_mid: Option<Mid>,
    audio_seq: u32,
    video_seq: u32,
    timeout: Instant,
    /// Tracks the SFU forwards to this client: mid → (kind, stream id).
    pub incoming: HashMap<Mid, (MediaKind, String)>,
    pub frames: Vec<Frame>,
    pub keyframe_requests: Vec<KeyframeRequest>,
    pub offers_received: usize,
    pub connected: bool,
    pub closed: bool,
    /// A frozen client is no longer driven at all, like a crashed browser.
    pub frozen: bool,
}

impl Client {
    /// A client with a send-only audio and/or video track, and the offer it makes.
    pub fn new(id: &str, index: u8, now: Instant, audio: bool, video: bool) -> (Self, SdpOffer) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a client socket");
        socket.set_nonblocking(true).expect("non-blocking socket");
        let addr = socket.local_addr().expect("client address");
        let mut rtc = Rtc::builder().build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("host candidate"));
        let mut api = rtc.sdp_api();
        let audio_mid = audio.then(|| {
            api.add_media(MediaKind::Audio, Direction::SendOnly, Some(id.into()), None, None)
        });
        let video_mid = video.then(|| {
            api.add_media(MediaKind::Video, Direction::SendOnly, Some(id.into()), None, None)
        });
        let (offer, pending) = api.apply().expect("an offer");
        let client = Self {
            id: ParticipantId::new(id),
            index,
            rtc,
            socket,
            addr,
            pending: Some(pending),
            audio_mid,
            video_mid,
            audio_seq: 0,
            video_seq: 0,
            timeout: now,
            incoming: HashMap::new(),
            frames: Vec::new(),
            keyframe_requests: Vec::new(),
            offers_received: 0,
            connected: false,
            closed: false,
            frozen: false,
        };
        (client, offer)
    }

    pub fn accept_answer(&mut self, answer: SdpAnswer) {
        let pending = self.pending.take().expect("an outstanding offer");
        self.rtc.sdp_api().accept_answer(pending, answer).expect("answer accepted");
        self.drain();
    }

    /// Offers to start publishing video (a camera turned on after joining).
    pub fn offer_video(&mut self) -> SdpOffer {
        let mut api = self.rtc.sdp_api();
        let mid = api.add_media(
            MediaKind::Video,
            Direction::SendOnly,
            Some(self.id.as_str().to_owned()),
            None,
            None,
        );
        let (offer, pending) = api.apply().expect("an offer");
        self.video_mid = Some(mid);
        self.pending = Some(pending);
        offer
    }

    /// Offers to stop publishing video.
    pub fn offer_stop_video(&mut self) -> SdpOffer {
        let mid = self.video_mid.take().expect("a video track");
        let mut api = self.rtc.sdp_api();
        api.stop_media(mid);
        let (offer, pending) = api.apply().expect("an offer");
        self.pending = Some(pending);
        offer
    }

    /// Answers an offer from the SFU (new forwarded tracks, or withdrawn ones).
    pub fn accept_offer(&mut self, offer: SdpOffer) -> SdpAnswer {
        self.offers_received += 1;
        let answer = self.rtc.sdp_api().accept_offer(offer).expect("offer accepted");
        self.drain();
        answer
    }

    /// Polls the `Rtc` to its next timeout, sending its datagrams. Returns whether it sent any.
    pub fn drain(&mut self) -> bool {
        let mut sent = false;
        while !self.frozen && self.rtc.is_alive() {
            match self.rtc.poll_output().expect("client poll_output") {
                Output::Timeout(t) => {
                    self.timeout = t;
                    break;
                }
                Output::Transmit(t) => {
                    assert!(t.destination.ip().is_loopback(), "traffic stays on loopback");
                    self.socket.send_to(&t.contents, t.destination).expect("client send");
                    sent = true;
                }
                Output::Event(e) => self.on_event(e),
            }
        }
        sent
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::Closed => self.closed = true,
            Event::MediaAdded(added) => {
                let stream = self.rtc.media(added.mid).map(|m| m.stream_id().to_owned());
                self.incoming.insert(added.mid, (added.kind, stream.unwrap_or_default()));
            }
            Event::MediaData(data) => {
                let (kind, stream) = self.incoming.get(&data.mid).cloned().unwrap_or((
                    if data.params.spec().codec == Codec::Opus {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    },
                    String::new(),
                ));
                if let Some((sender, seq)) = trailer(&data.data) {
                    let intact = *data.data == *payload(kind, sender, seq);
                    self.frames.push(Frame { kind, stream, sender, seq, intact });
                }
            }
            Event::KeyframeRequest(request) => self.keyframe_requests.push(request),
            _ => {}
        }
    }

    /// Reads every datagram waiting on the socket. Returns whether there were any.
    pub fn receive(&mut self, now: Instant) -> bool {
        let mut buf = [0_u8; 2048];
        let mut any = false;
        while !self.frozen {
            match self.socket.recv_from(&mut buf) {
                Ok((n, source)) => {
                    any = true;
                    let Ok(receive) = Receive::new(Protocol::Udp, source, self.addr, &buf[..n])
                    else {
                        continue;
                    };
                    self.rtc.handle_input(Input::Receive(now, receive)).expect("client input");
                    self.drain();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("client receive: {e}"),
            }
        }
        any
    }

    /// Gives the `Rtc` the time if its deadline has come.
    pub fn tick(&mut self, now: Instant) {
        if !self.frozen && self.rtc.is_alive() && self.timeout <= now {
            self.rtc.handle_input(Input::Timeout(now)).expect("client timeout");
            self.drain();
        }
    }

    fn write(&mut self, mid: Option<Mid>, codec: Codec, now: Instant) -> bool {
        let (Some(mid), false) = (mid, self.frozen) else {
            return false;
        };
        let (kind, seq, time) = if codec == Codec::Opus {
            self.audio_seq += 1;
            let t = MediaTime::new(u64::from(self.audio_seq) * 960, Frequency::FORTY_EIGHT_KHZ);
            (MediaKind::Audio, self.audio_seq, t)
        } else {
            self.video_seq += 1;
            let t = MediaTime::new(u64::from(self.video_seq) * 3600, Frequency::NINETY_KHZ);
            (MediaKind::Video, self.video_seq, t)
        };
        let data = payload(kind, self.index, seq);
        let Some(writer) = self.rtc.writer(mid) else {
            return false;
        };
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(str0m::format::PayloadParams::pt)
            .expect("codec negotiated");
        writer.write(pt, now, time, data).expect("write a frame");
        self.drain();
        true
    }

    /// Writes the next audio frame, if the client has an audio track.
    pub fn send_audio(&mut self, now: Instant) -> bool {
        self.write(self.audio_mid, Codec::Opus, now)
    }

    /// Writes the next video frame, if the client has a video track.
    pub fn send_video(&mut self, now: Instant) -> bool {
        self.write(self.video_mid, Codec::Vp8, now)
    }

    pub fn audio_sent(&self) -> u32 {
        self.audio_seq
    }

    pub fn video_sent(&self) -> u32 {
        self.video_seq
    }

    /// Frames received from the publisher with `index`, of one kind.
    pub fn frames_from(&self, index: u8, kind: MediaKind) -> impl Iterator<Item = &Frame> {
        self.frames.iter().filter(move |f| f.sender == index && f.kind == kind)
    }

    /// The mid of the forwarded track of `kind` that `publisher` publishes.
    pub fn incoming_mid(&self, publisher: &ParticipantId, kind: MediaKind) -> Option<Mid> {
        self.incoming
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
        let index = u8::try_from(self.clients.len() + 1).expect("few clients");
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
        self.clients.iter().find(|c| c.id.as_str() == id).expect("a client")
    }

    pub fn client_mut(&mut self, id: &str) -> &mut Client {
        self.clients.iter_mut().find(|c| c.id.as_str() == id).expect("a client")
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
                        let client = self.clients.iter_mut().find(|c| c.id == participant);
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
