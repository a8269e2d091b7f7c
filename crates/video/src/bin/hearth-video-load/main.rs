//! `hearth-video-load`: a load test for the SFU, beside a bare UDP relay in the same run.
//!
//! ```text
//! cargo run --release -p hearth-video --bin hearth-video-load -- --rooms 4 --seconds 20
//! ```
//!
//! `--rooms N` rooms of `--room-size` (default 10) synthetic participants join one SFU run by
//! [`hearth_video::spawn`]. Every participant is a str0m `Rtc` on its own loopback UDP socket that
//! publishes Opus-sized audio (80-byte frames every 20 ms, 32 kbps) and VP8-sized video
//! (2,500-byte frames every 40 ms, 500 kbps), so a room of 10 has 10 × 9 × 2 = 180 forwarded
//! streams (one publisher track delivered to one subscriber).
//!
//! Keeping the clients cheap: the machine this runs on has two cores, and the clients share them
//! with the SFU. Every participant publishes through str0m (SRTP, packetizing), but only one
//! subscriber per room (the *verifying* one) hands what it receives to str0m, which decrypts and
//! reassembles the frames, each checked byte for byte (a trailer names the publisher and the
//! frame number). The others count the RTP packets they receive from the clear RTP header and
//! give str0m only STUN, DTLS and RTCP, so their connections stay up without paying for
//! decryption. So the counting subscribers send no RTCP feedback (receiver reports, TWCC, NACK)
//! on the forwarded streams, which real browsers would.
//!
//! Loss is counted at the receivers: every subscriber should receive every RTP packet (not
//! retransmissions) each other member of its room sent during the measured window; the SFU
//! repacketizes each frame with the same str0m packetizer and MTU, so packets in and out match.
//! The window is preceded by a warm-up and a pause (so nothing is in flight when the counters are
//! zeroed) and followed by a drain.
//!
//! CPU: the SFU runs alone on its own OS thread with a current-thread tokio runtime; its CPU
//! time comes from `/proc/<pid>/task/<tid>/schedstat` (or `stat`), over the window and the drain.
//! Streams per core = forwarded streams × fraction of packets delivered × window seconds ÷ SFU CPU
//! seconds. The clients run on the main thread, measured the same way. The tool also reports how
//! long the SFU's thread was runnable but had no CPU, and the datagrams the kernel dropped because
//! a socket's receive buffer was full (`/proc/net/udp`): on a shared machine, that is where loss
//! comes from.
//!
//! Baseline: afterwards, in the same run, a bare UDP relay (receive a datagram, send it to the
//! other members of the sender's room; no crypto, no RTP) on its own thread with a current-thread
//! runtime, driven by the same number of senders at the packet rate and sizes the publishers
//! actually sent. The tool prints both costs per forwarded packet and their ratio (SFU ÷ relay).

use std::collections::HashMap;
use std::fs;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hearth_video::{ParticipantId, RoomKey, SdpOffer, Sfu, SfuConfig, SfuEvent, SfuHandle};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

const AUDIO_EVERY: Duration = Duration::from_millis(20);
const VIDEO_EVERY: Duration = Duration::from_millis(40);
/// 32 kbps at 50 frames a second.
const AUDIO_FRAME: usize = 80;
/// 500 kbps at 25 frames a second.
const VIDEO_FRAME: usize = 2500;
const WARM_UP: Duration = Duration::from_secs(3);
/// Between warm-up and window: long enough for everything in flight to arrive.
const PAUSE: Duration = Duration::from_millis(500);
const DRAIN: Duration = Duration::from_secs(1);
const WIRING_LIMIT: Duration = Duration::from_secs(60);
const LOSS_GOAL_PERCENT: f64 = 0.5;
const STREAMS_GOAL: f64 = 1000.0;

const USAGE: &str =
    "usage: hearth-video-load [--rooms N] [--room-size N] [--seconds S] [--no-relay]";

#[derive(Debug, Clone, Copy)]
struct Args {
    rooms: usize,
    room_size: usize,
    seconds: u64,
    relay: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { rooms: 4, room_size: 10, seconds: 20, relay: true };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "--rooms" => {
                args.rooms = usize::try_from(value("--rooms")?).map_err(|e| e.to_string())?;
            }
            "--room-size" => {
                args.room_size =
                    usize::try_from(value("--room-size")?).map_err(|e| e.to_string())?;
            }
            "--seconds" => args.seconds = value("--seconds")?,
            "--no-relay" => args.relay = false,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if args.rooms == 0 || args.room_size < 2 || args.room_size > 16 || args.seconds == 0 {
        return Err(format!("need at least 1 room, 2 to 16 per room, 1 second\n{USAGE}"));
    }
    Ok(args)
}

/// One thread's CPU time, readable from any thread.
#[derive(Debug, Clone)]
struct ThreadClock {
    task: PathBuf,
}

impl ThreadClock {
    /// The clock of the calling thread.
    fn current() -> std::io::Result<Self> {
        let link = fs::read_link("/proc/thread-self")?;
        Ok(Self { task: PathBuf::from("/proc").join(link) })
    }

    /// CPU time used so far: nanoseconds from `schedstat`, else clock ticks (1/100 s) from
    /// `stat`.
    fn cpu(&self) -> Duration {
        if let Ok(s) = fs::read_to_string(self.task.join("schedstat"))
            && let Some(ns) = s.split_whitespace().next().and_then(|n| n.parse().ok())
        {
            return Duration::from_nanos(ns);
        }
        let stat = fs::read_to_string(self.task.join("stat")).unwrap_or_default();
        // Fields after the command name, which ends with the last ')': utime is field 14.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<u64> =
            rest.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
        Duration::from_millis(fields.iter().sum::<u64>() * 10)
    }

    /// Time spent runnable but waiting for a CPU (`schedstat` only; zero without it).
    fn waited(&self) -> Duration {
        let s = fs::read_to_string(self.task.join("schedstat")).unwrap_or_default();
        Duration::from_nanos(s.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0))
    }
}

/// Counters of one synthetic participant.
#[derive(Debug, Default)]
struct Counters {
    /// RTP media packets sent (not retransmissions).
    packets_sent: AtomicU64,
    frames_sent: AtomicU64,
    /// RTP media packets received (not retransmissions).
    packets_received: AtomicU64,
    /// Frames a verifying subscriber received whole, from someone else in its room.
    frames_verified: AtomicU64,
    /// Frames a verifying subscriber received wrong (length, sender).
    frames_bad: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    publishing: AtomicBool,
    stop: AtomicBool,
    wired: AtomicUsize,
    room_size: usize,
    clients: Vec<Counters>,
    audio_packets: AtomicU64,
    audio_bytes: AtomicU64,
    video_packets: AtomicU64,
    video_bytes: AtomicU64,
    video_frames: AtomicU64,
    retransmissions_received: AtomicU64,
    send_failures: AtomicU64,
    errors: AtomicU64,
}

impl Shared {
    fn new(clients: usize, room_size: usize) -> Self {
        Self {
            publishing: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            wired: AtomicUsize::new(0),
            room_size,
            clients: (0..clients).map(|_| Counters::default()).collect(),
            audio_packets: AtomicU64::new(0),
            audio_bytes: AtomicU64::new(0),
            video_packets: AtomicU64::new(0),
            video_bytes: AtomicU64::new(0),
            video_frames: AtomicU64::new(0),
            retransmissions_received: AtomicU64::new(0),
            send_failures: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    fn reset(&self) {
        for c in &self.clients {
            for n in [
                &c.packets_sent,
                &c.frames_sent,
                &c.packets_received,
                &c.frames_verified,
                &c.frames_bad,
            ] {
                n.store(0, Ordering::Relaxed);
            }
        }
        for n in [
            &self.audio_packets,
            &self.audio_bytes,
            &self.video_packets,
            &self.video_bytes,
            &self.video_frames,
            &self.retransmissions_received,
            &self.send_failures,
        ] {
            n.store(0, Ordering::Relaxed);
        }
    }

    fn get(n: &AtomicU64) -> u64 {
        n.load(Ordering::Relaxed)
    }

    fn add(n: &AtomicU64) {
        n.fetch_add(1, Ordering::Relaxed);
    }

    /// (packets the subscribers should have received, packets they received).
    fn packets(&self) -> (u64, u64) {
        let mut expected = 0;
        let mut received = 0;
        for (i, c) in self.clients.iter().enumerate() {
            received += Self::get(&c.packets_received);
            expected += self
                .room_of(i)
                .filter(|o| *o != i)
                .map(|o| Self::get(&self.clients[o].packets_sent))
                .sum::<u64>();
        }
        (expected, received)
    }

    /// (frames the verifying subscribers should have received, received whole, received wrong).
    fn frames(&self) -> (u64, u64, u64) {
        let (mut expected, mut verified, mut bad) = (0, 0, 0);
        for (i, c) in self.clients.iter().enumerate().filter(|(i, _)| self.verifies(*i)) {
            verified += Self::get(&c.frames_verified);
            bad += Self::get(&c.frames_bad);
            expected += self
                .room_of(i)
                .filter(|o| *o != i)
                .map(|o| Self::get(&self.clients[o].frames_sent))
                .sum::<u64>();
        }
        (expected, verified, bad)
    }

    fn room_of(&self, client: usize) -> std::ops::Range<usize> {
        let first = client / self.room_size * self.room_size;
        first..first + self.room_size
    }

    /// The first participant of each room verifies what it receives.
    fn verifies(&self, client: usize) -> bool {
        client.is_multiple_of(self.room_size)
    }
}

/// Whether a datagram is RTP (not RTCP, STUN or DTLS), by RFC 7983 and RFC 5761.
fn is_rtp(data: &[u8]) -> bool {
    data.len() >= 12 && (128..=191).contains(&data[0]) && !(192..=223).contains(&data[1])
}

/// A frame's bytes: a codec header, filler, then the publisher's index and the frame number.
fn frame(kind: MediaKind, sender: usize, seq: u32) -> Vec<u8> {
    let (len, header): (usize, &[u8]) = match kind {
        // An Opus TOC byte.
        MediaKind::Audio => (AUDIO_FRAME, &[0xf8]),
        // A VP8 key frame header (320x240).
        MediaKind::Video => {
            (VIDEO_FRAME, &[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00])
        }
    };
    let mut data = Vec::with_capacity(len);
    data.extend_from_slice(header);
    data.resize(len - 8, 0x5a);
    data.extend_from_slice(&u32::try_from(sender).expect("few clients").to_be_bytes());
    data.extend_from_slice(&seq.to_be_bytes());
    data
}

/// The publisher index and frame number in a frame's trailer.
fn frame_trailer(data: &[u8]) -> Option<(usize, u32)> {
    let n = data.len();
    let sender = data.get(n.checked_sub(8)?..n - 4)?;
    let seq = data.get(n - 4..)?;
    let sender = usize::try_from(u32::from_be_bytes(sender.try_into().ok()?)).ok()?;
    Some((sender, u32::from_be_bytes(seq.try_into().ok()?)))
}

/// A synthetic participant: a str0m `Rtc` on its own loopback socket.
#[derive(Debug)]
struct Client {
    index: usize,
    id: ParticipantId,
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    pending: Option<SdpPendingOffer>,
    audio_mid: Mid,
    video_mid: Mid,
    /// (audio, video) payload types, once negotiated.
    pts: Option<(Pt, Pt)>,
    /// Payload types of retransmissions, not counted as media.
    rtx: Vec<u8>,
    verify: bool,
    audio_seq: u32,
    video_seq: u32,
    next_audio: Instant,
    next_video: Instant,
    timeout: Instant,
    connected: bool,
    incoming: usize,
    wired: bool,
    shared: Arc<Shared>,
}

impl Client {
    fn new(index: usize, shared: Arc<Shared>) -> std::io::Result<(Self, SdpOffer)> {
        let socket = bind_loopback()?;
        let addr = socket.local_addr()?;
        let now = Instant::now();
        let mut rtc = Rtc::builder().build(now);
        let candidate = Candidate::host(addr, "udp").map_err(std::io::Error::other)?;
        rtc.add_local_candidate(candidate);
        let id = ParticipantId::new(format!("load-{index}"));
        let mut api = rtc.sdp_api();
        let audio_mid =
            api.add_media(MediaKind::Audio, Direction::SendOnly, Some(id.to_string()), None, None);
        let video_mid =
            api.add_media(MediaKind::Video, Direction::SendOnly, Some(id.to_string()), None, None);
        let (offer, pending) = api.apply().expect("a first offer has changes");
        let rtx = rtc
            .codec_config()
            .params()
            .iter()
            .filter_map(str0m::format::PayloadParams::resend)
            .map(|p| *p)
            .collect();
        // Spread the publishers over the frame interval, as real ones are.
        let offset = AUDIO_EVERY * u32::try_from(index % 16).expect("under 16") / 16;
        let client = Self {
            index,
            id,
            rtc,
            socket,
            addr,
            pending: Some(pending),
            audio_mid,
            video_mid,
            pts: None,
            rtx,
            verify: shared.verifies(index),
            audio_seq: 0,
            video_seq: 0,
            next_audio: now + offset,
            next_video: now + offset,
            timeout: now,
            connected: false,
            incoming: 0,
            wired: false,
            shared,
        };
        Ok((client, offer))
    }

    fn counters(&self) -> &Counters {
        &self.shared.clients[self.index]
    }

    fn accept_answer(&mut self, answer: SdpAnswer) -> Result<(), str0m::RtcError> {
        let pending = self.pending.take().expect("the first offer is outstanding");
        self.rtc.sdp_api().accept_answer(pending, answer)?;
        self.drain();
        Ok(())
    }

    /// Polls the `Rtc` to its next timeout, sending its datagrams.
    fn drain(&mut self) {
        while self.rtc.is_alive() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = t;
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    self.count_sent(&t.contents);
                    if self.socket.try_send_to(&t.contents, t.destination).is_err() {
                        Shared::add(&self.shared.send_failures);
                    }
                }
                Ok(Output::Event(e)) => self.on_event(e),
                Err(_) => {
                    Shared::add(&self.shared.errors);
                    return;
                }
            }
        }
    }

    fn count_sent(&self, data: &[u8]) {
        let Some((audio, video)) = self.pts else {
            return;
        };
        if !is_rtp(data) {
            return;
        }
        let pt = data[1] & 0x7f;
        let len = u64::try_from(data.len()).expect("a datagram");
        let (packets, bytes) = if pt == *video {
            (&self.shared.video_packets, &self.shared.video_bytes)
        } else if pt == *audio {
            (&self.shared.audio_packets, &self.shared.audio_bytes)
        } else {
            return;
        };
        Shared::add(&self.counters().packets_sent);
        Shared::add(packets);
        bytes.fetch_add(len, Ordering::Relaxed);
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected => self.connected = true,
            Event::MediaAdded(added) if added.direction.is_receiving() => self.incoming += 1,
            Event::MediaData(data) => {
                let kind = match data.params.spec().codec {
                    Codec::Opus => MediaKind::Audio,
                    _ => MediaKind::Video,
                };
                // Byte for byte what a publisher in this room wrote.
                let ok = frame_trailer(&data.data).is_some_and(|(sender, seq)| {
                    sender != self.index
                        && self.shared.room_of(self.index).contains(&sender)
                        && *data.data == *frame(kind, sender, seq)
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

    fn on_datagram(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        if is_rtp(data) {
            if self.rtx.contains(&(data[1] & 0x7f)) {
                Shared::add(&self.shared.retransmissions_received);
            } else {
                Shared::add(&self.counters().packets_received);
            }
            if !self.verify {
                return;
            }
        }
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.addr, data) else {
            return;
        };
        if self.rtc.handle_input(Input::Receive(now, receive)).is_err() {
            Shared::add(&self.shared.errors);
        }
        self.drain();
    }

    /// Gives the `Rtc` the time and publishes the frames that are due.
    fn tick(&mut self, now: Instant) {
        if self.timeout <= now && self.rtc.is_alive() {
            if self.rtc.handle_input(Input::Timeout(now)).is_err() {
                Shared::add(&self.shared.errors);
            }
            self.drain();
        }
        let publishing = self.shared.publishing.load(Ordering::Relaxed);
        while self.next_audio <= now {
            self.next_audio += AUDIO_EVERY;
            if publishing {
                self.audio_seq += 1;
                let time =
                    MediaTime::new(u64::from(self.audio_seq) * 960, Frequency::FORTY_EIGHT_KHZ);
                self.write(MediaKind::Audio, self.audio_seq, time, now);
            }
        }
        while self.next_video <= now {
            self.next_video += VIDEO_EVERY;
            if publishing {
                self.video_seq += 1;
                let time = MediaTime::new(u64::from(self.video_seq) * 3600, Frequency::NINETY_KHZ);
                self.write(MediaKind::Video, self.video_seq, time, now);
            }
        }
    }

    fn write(&mut self, kind: MediaKind, seq: u32, time: MediaTime, now: Instant) {
        if self.pts.is_none() {
            let pt = |rtc: &mut Rtc, mid: Mid, codec: Codec| {
                rtc.writer(mid)?
                    .payload_params()
                    .find(|p| p.spec().codec == codec)
                    .map(str0m::format::PayloadParams::pt)
            };
            let audio = pt(&mut self.rtc, self.audio_mid, Codec::Opus);
            let video = pt(&mut self.rtc, self.video_mid, Codec::Vp8);
            self.pts = audio.zip(video);
        }
        let Some((audio, video)) = self.pts else {
            Shared::add(&self.shared.errors);
            return;
        };
        let (mid, pt) = match kind {
            MediaKind::Audio => (self.audio_mid, audio),
            MediaKind::Video => (self.video_mid, video),
        };
        let data = frame(kind, self.index, seq);
        let Some(writer) = self.rtc.writer(mid) else {
            Shared::add(&self.shared.errors);
            return;
        };
        if writer.write(pt, now, time, data).is_err() {
            Shared::add(&self.shared.errors);
        }
        Shared::add(&self.counters().frames_sent);
        if kind == MediaKind::Video {
            Shared::add(&self.shared.video_frames);
        }
        self.drain();
    }
}

fn bind_loopback() -> std::io::Result<UdpSocket> {
    let socket = StdUdpSocket::bind("127.0.0.1:0")?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}

/// Runs one participant until told to stop: its socket, its timers, and the SFU's offers.
async fn run_client(mut c: Client, mut offers: mpsc::UnboundedReceiver<SdpOffer>, sfu: SfuHandle) {
    let mut buf = vec![0_u8; 2048];
    while !c.shared.stop.load(Ordering::Relaxed) {
        c.tick(Instant::now());
        let wake = c.timeout.min(c.next_audio).min(c.next_video);
        tokio::select! {
            received = c.socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let now = Instant::now();
                c.on_datagram(now, source, &buf[..n]);
                while let Ok((n, source)) = c.socket.try_recv_from(&mut buf) {
                    c.on_datagram(now, source, &buf[..n]);
                }
            }
            offer = offers.recv() => {
                let Some(offer) = offer else { return };
                let Ok(answer) = c.rtc.sdp_api().accept_offer(offer) else {
                    Shared::add(&c.shared.errors);
                    continue;
                };
                c.drain();
                if sfu.accept_answer(c.id.clone(), answer).await.is_err() {
                    Shared::add(&c.shared.errors);
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

/// Starts `run` on a new OS thread with its own current-thread runtime; returns the thread's
/// clock and what `run` sends back.
fn start_thread<T, F>(
    name: &str,
    run: impl FnOnce(std::sync::mpsc::Sender<T>) -> F + Send + 'static,
) -> (ThreadClock, T, thread::JoinHandle<()>)
where
    T: Send + 'static,
    F: Future<Output = ()>,
{
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let join = thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let clock = ThreadClock::current().expect("/proc/thread-self");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let (tx, rx) = std::sync::mpsc::channel();
            let _ = ready_tx.send((clock, rx));
            runtime.block_on(run(tx));
        })
        .expect("a thread");
    // Blocks the caller's runtime for the moment the thread takes to start.
    let (clock, rx) = ready_rx.recv().expect("the thread starts");
    let value = rx.recv().expect("the thread answers");
    (clock, value, join)
}

/// CPU and wall time over the measured window (plus drain).
#[derive(Debug, Clone, Copy)]
struct Window {
    wall: Duration,
    server_cpu: Duration,
    /// Time the server's thread was runnable but had no CPU (other processes had them).
    server_waited: Duration,
    clients_cpu: Duration,
    /// Datagrams the kernel dropped at the server's socket and at the clients' sockets.
    server_drops: u64,
    client_drops: u64,
}

/// Warm-up, pause, zeroed counters, the measured window, drain.
async fn measure(
    publishing: &AtomicBool,
    reset: impl FnOnce(),
    seconds: u64,
    warm_up: Duration,
    server: &ThreadClock,
    server_port: u16,
    clients: &ThreadClock,
) -> Window {
    publishing.store(true, Ordering::Relaxed);
    tokio::time::sleep(warm_up).await;
    publishing.store(false, Ordering::Relaxed);
    tokio::time::sleep(PAUSE).await;
    reset();
    let (server0, waited0, clients0) = (server.cpu(), server.waited(), clients.cpu());
    let drops0 = udp_drops(server_port);
    let start = Instant::now();
    publishing.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    publishing.store(false, Ordering::Relaxed);
    let wall = start.elapsed();
    tokio::time::sleep(DRAIN).await;
    let drops = udp_drops(server_port);
    Window {
        wall,
        server_cpu: server.cpu().saturating_sub(server0),
        server_waited: server.waited().saturating_sub(waited0),
        clients_cpu: clients.cpu().saturating_sub(clients0),
        server_drops: drops.0.saturating_sub(drops0.0),
        client_drops: drops.1.saturating_sub(drops0.1),
    }
}

/// What the SFU phase measured.
#[derive(Debug)]
struct SfuRun {
    window: Window,
    /// RTP packets the subscribers should have received, and did.
    expected: u64,
    received: u64,
    /// See [`Shared::frames`].
    frames: (u64, u64, u64),
    retransmissions: u64,
    left: usize,
    errors: u64,
    send_failures: u64,
    /// RTP packets per publisher per second, and bytes per packet, of each kind; the relay
    /// phase sends the same.
    audio_rate: f64,
    audio_size: usize,
    video_rate: f64,
    video_size: usize,
    video_packets_per_frame: usize,
}

async fn run_sfu(args: Args, clients_clock: &ThreadClock) -> Result<SfuRun, String> {
    let total = args.rooms * args.room_size;
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let std_socket = hearth_video::bind_socket(loopback).map_err(|e| e.to_string())?;
    let addr = std_socket.local_addr().map_err(|e| e.to_string())?;
    let (sfu_clock, (handle, mut events), sfu_thread) =
        start_thread("sfu", move |ready| async move {
            let socket = UdpSocket::from_std(std_socket).expect("the SFU socket");
            let sfu = Sfu::new(SfuConfig::new(addr)).expect("an SFU");
            let (handle, events, task) = hearth_video::spawn(socket, sfu);
            let _ = ready.send((handle, events));
            let _ = task.await;
        });

    let shared = Arc::new(Shared::new(total, args.room_size));
    let mut routes = HashMap::new();
    let mut clients = Vec::new();
    for index in 0..total {
        let (client, offer) = Client::new(index, shared.clone()).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::unbounded_channel();
        routes.insert(client.id.clone(), tx);
        clients.push((client, offer, rx));
    }
    let left = Arc::new(AtomicUsize::new(0));
    let dispatcher = tokio::spawn({
        let left = left.clone();
        async move {
            while let Some(event) = events.recv().await {
                match event {
                    SfuEvent::Offer { participant, offer } => {
                        if let Some(tx) = routes.get(&participant) {
                            let _ = tx.send(offer);
                        }
                    }
                    SfuEvent::Left { .. } => {
                        left.fetch_add(1, Ordering::Relaxed);
                    }
                    SfuEvent::Connected { .. } => {}
                }
            }
        }
    });

    let mut tasks = Vec::new();
    for (mut client, offer, rx) in clients {
        let room = RoomKey::new(format!("load-room-{}", client.index / args.room_size));
        let answer =
            handle.join(room, client.id.clone(), offer).await.map_err(|e| e.to_string())?;
        client.accept_answer(answer).map_err(|e| e.to_string())?;
        tasks.push(tokio::spawn(run_client(client, rx, handle.clone())));
    }
    let start = Instant::now();
    while shared.wired.load(Ordering::Relaxed) < total {
        if start.elapsed() > WIRING_LIMIT {
            return Err(format!(
                "only {} of {total} participants connected and received every track",
                shared.wired.load(Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "sfu: {total} participants connected and wired in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let window = measure(
        &shared.publishing,
        || shared.reset(),
        args.seconds,
        WARM_UP,
        &sfu_clock,
        addr.port(),
        clients_clock,
    )
    .await;
    let (expected, received) = shared.packets();
    let publishers = real_usize(total) * window.wall.as_secs_f64();
    let per = |n: &AtomicU64| real(Shared::get(n));
    let run = SfuRun {
        window,
        expected,
        received,
        frames: shared.frames(),
        retransmissions: Shared::get(&shared.retransmissions_received),
        left: left.load(Ordering::Relaxed),
        errors: Shared::get(&shared.errors),
        send_failures: Shared::get(&shared.send_failures),
        audio_rate: per(&shared.audio_packets) / publishers,
        audio_size: average(&shared.audio_bytes, &shared.audio_packets),
        video_rate: per(&shared.video_packets) / publishers,
        video_size: average(&shared.video_bytes, &shared.video_packets),
        video_packets_per_frame: average(&shared.video_packets, &shared.video_frames),
    };

    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    drop(handle);
    let _ = dispatcher.await;
    let _ = tokio::task::spawn_blocking(move || sfu_thread.join()).await;
    Ok(run)
}

/// `total / count`, rounded.
fn average(total: &AtomicU64, count: &AtomicU64) -> usize {
    let count = Shared::get(count).max(1);
    usize::try_from((Shared::get(total) + count / 2) / count).unwrap_or(usize::MAX)
}

/// What the relay phase measured.
#[derive(Debug)]
struct RelayRun {
    window: Window,
    expected: u64,
    received: u64,
}

/// A bare UDP relay: each datagram to the other members of the sender's room.
async fn relay(socket: UdpSocket, rooms: Vec<Vec<SocketAddr>>, mut stop: oneshot::Receiver<()>) {
    let member_of: HashMap<SocketAddr, usize> = rooms
        .iter()
        .enumerate()
        .flat_map(|(room, members)| members.iter().map(move |m| (*m, room)))
        .collect();
    let mut buf = vec![0_u8; 2048];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let Some(room) = member_of.get(&source) else { continue };
                for peer in rooms[*room].iter().filter(|p| **p != source) {
                    let _ = socket.send_to(&buf[..n], peer).await;
                }
            }
            _ = &mut stop => return,
        }
    }
}

/// A relay sender: `audio` packets every 20 ms and `video` packets every 40 ms, counting what
/// it receives.
async fn relay_client(
    socket: UdpSocket,
    relay: SocketAddr,
    index: usize,
    sizes: (usize, usize, usize),
    shared: Arc<Shared>,
) {
    let (audio_size, video_packets, video_size) = sizes;
    let audio = vec![0x80_u8; audio_size];
    let video = vec![0x80_u8; video_size];
    let offset = AUDIO_EVERY * u32::try_from(index % 16).expect("under 16") / 16;
    let mut next_audio = Instant::now() + offset;
    let mut next_video = next_audio;
    let counters = &shared.clients[index];
    let mut buf = vec![0_u8; 2048];
    let send = |data: &[u8]| {
        if socket.try_send_to(data, relay).is_ok() {
            Shared::add(&counters.packets_sent);
        } else {
            Shared::add(&shared.send_failures);
        }
    };
    while !shared.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let publishing = shared.publishing.load(Ordering::Relaxed);
        while next_audio <= now {
            next_audio += AUDIO_EVERY;
            if publishing {
                send(&audio);
            }
        }
        while next_video <= now {
            next_video += VIDEO_EVERY;
            if publishing {
                for _ in 0..video_packets {
                    send(&video);
                }
            }
        }
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                if received.is_ok() {
                    Shared::add(&counters.packets_received);
                    while socket.try_recv_from(&mut buf).is_ok() {
                        Shared::add(&counters.packets_received);
                    }
                }
            }
            () = tokio::time::sleep_until(next_audio.min(next_video).into()) => {}
        }
    }
}

async fn run_relay(
    args: Args,
    sfu: &SfuRun,
    clients_clock: &ThreadClock,
) -> Result<RelayRun, String> {
    let total = args.rooms * args.room_size;
    let mut sockets = Vec::new();
    for _ in 0..total {
        sockets.push(bind_loopback().map_err(|e| e.to_string())?);
    }
    let addrs: Vec<SocketAddr> = sockets
        .iter()
        .map(UdpSocket::local_addr)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let rooms: Vec<Vec<SocketAddr>> = addrs.chunks(args.room_size).map(<[_]>::to_vec).collect();
    // The same kernel buffers as the SFU's socket, so the two differ only in what they do.
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let std_socket = hearth_video::bind_socket(loopback).map_err(|e| e.to_string())?;
    let relay_addr = std_socket.local_addr().map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let (relay_clock, (), relay_thread) = start_thread("relay", move |ready| async move {
        let socket = UdpSocket::from_std(std_socket).expect("the relay socket");
        let _ = ready.send(());
        relay(socket, rooms, stop_rx).await;
    });

    // The publishers' packet rate and sizes, per frame interval.
    let sizes = (sfu.audio_size, sfu.video_packets_per_frame.max(1), sfu.video_size);
    eprintln!(
        "relay: {total} senders, each 1 packet of {} bytes every 20 ms and {} of {} bytes every 40 ms",
        sizes.0, sizes.1, sizes.2
    );
    let shared = Arc::new(Shared::new(total, args.room_size));
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, s)| tokio::spawn(relay_client(s, relay_addr, i, sizes, shared.clone())))
        .collect();
    let window = measure(
        &shared.publishing,
        || shared.reset(),
        args.seconds,
        Duration::from_secs(1),
        &relay_clock,
        relay_addr.port(),
        clients_clock,
    )
    .await;
    let (expected, received) = shared.packets();
    shared.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    let _ = stop_tx.send(());
    let _ = tokio::task::spawn_blocking(move || relay_thread.join()).await;
    Ok(RelayRun { window, expected, received })
}

/// Datagrams the kernel dropped (receive buffer full) at the server's socket and at the others
/// on 127.0.0.1, from `/proc/net/udp`.
fn udp_drops(server_port: u16) -> (u64, u64) {
    let table = fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let (mut server, mut others) = (0, 0);
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(drops)) = (fields.get(1), fields.last()) else {
            continue;
        };
        let Some((ip, port)) = local.split_once(':') else {
            continue;
        };
        let (Ok(port), Ok(drops)) = (u16::from_str_radix(port, 16), drops.parse::<u64>()) else {
            continue;
        };
        if port == server_port {
            server += drops;
        } else if ip == "0100007F" {
            others += drops;
        }
    }
    (server, others)
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * real(part) / real(whole) }
}

#[allow(clippy::cast_precision_loss, reason = "counts in a benchmark need no more than 52 bits")]
fn real(n: u64) -> f64 {
    n as f64
}

fn real_usize(n: usize) -> f64 {
    real(u64::try_from(n).unwrap_or(u64::MAX))
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Runs the SFU and the relay and prints the results. `Ok(false)` when a frame arrived altered or
/// a participant dropped out.
async fn run(args: Args) -> Result<bool, String> {
    let clients_clock = ThreadClock::current().map_err(|e| e.to_string())?;
    let total = args.rooms * args.room_size;
    let streams = args.rooms * args.room_size * (args.room_size - 1) * 2;
    let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "hearth-video-load: {} rooms x {} participants, each publishing audio (80-byte frames / 20 ms, 32 kbps) and video (2500-byte frames / 40 ms, 500 kbps): {streams} forwarded streams; {} s measured; {cores} cores; load average {}",
        args.rooms,
        args.room_size,
        args.seconds,
        loadavg()
    );
    println!(
        "load split: the SFU alone on one thread (current-thread tokio); all {total} clients on the main thread: {total} str0m publishers, {} verifying subscribers (str0m decrypts, frames checked), {} counting subscribers (RTP headers counted, only STUN/DTLS/RTCP to str0m)",
        args.rooms,
        total - args.rooms
    );

    let sfu = Box::pin(run_sfu(args, &clients_clock)).await?;
    let w = sfu.window;
    let wall = w.wall.as_secs_f64();
    let sfu_cpu = w.server_cpu.as_secs_f64();
    let missing = sfu.expected.saturating_sub(sfu.received);
    let loss = percent(missing, sfu.expected);
    let (frames_expected, frames_ok, frames_bad) = sfu.frames;
    // Only the streams actually delivered count: with loss, the SFU did less work.
    let delivered = real(sfu.received) / real(sfu.expected.max(1));
    let streams_per_core = real_usize(streams) * delivered * wall / sfu_cpu;
    let sfu_ns = 1e9 * sfu_cpu / real(sfu.received.max(1));
    println!(
        "publishers: {:.1} audio + {:.1} video RTP packets/s each ({} and {} bytes on the wire)",
        sfu.audio_rate, sfu.video_rate, sfu.audio_size, sfu.video_size
    );
    println!(
        "sfu:   {streams} streams, {:.0} packets/s forwarded, loss {loss:.3}% ({missing} of {} packets), verified frames {frames_ok}/{frames_expected} ({frames_bad} wrong), SFU CPU {sfu_cpu:.2} s over {wall:.1} s ({:.0}% of a core), clients CPU {:.2} s ({:.0}% of a core), {:.2} us per forwarded packet",
        real(sfu.received) / wall,
        sfu.expected,
        100.0 * sfu_cpu / wall,
        w.clients_cpu.as_secs_f64(),
        100.0 * w.clients_cpu.as_secs_f64() / wall,
        sfu_ns / 1000.0,
    );
    println!(
        "sfu:   SFU thread runnable but waiting for a CPU {:.2} s; kernel drops (receive buffer full): {} at the SFU's socket, {} at the clients'; {} retransmissions received; {} participants left, {} client errors, {} client send failures",
        w.server_waited.as_secs_f64(),
        w.server_drops,
        w.client_drops,
        sfu.retransmissions,
        sfu.left,
        sfu.errors,
        sfu.send_failures
    );

    let mut ratio = None;
    if args.relay {
        let relay = Box::pin(run_relay(args, &sfu, &clients_clock)).await?;
        let rw = relay.window;
        let relay_wall = rw.wall.as_secs_f64();
        let relay_cpu = rw.server_cpu.as_secs_f64();
        let relay_lost = relay.expected.saturating_sub(relay.received);
        let relay_ns = 1e9 * relay_cpu / real(relay.received.max(1));
        println!(
            "relay: {streams} streams, {:.0} packets/s forwarded, loss {:.3}% ({relay_lost} of {} packets), relay CPU {relay_cpu:.2} s over {relay_wall:.1} s ({:.0}% of a core), clients CPU {:.2} s, {:.2} us per forwarded packet, {:.0} streams per core",
            real(relay.received) / relay_wall,
            percent(relay_lost, relay.expected),
            relay.expected,
            100.0 * relay_cpu / relay_wall,
            rw.clients_cpu.as_secs_f64(),
            relay_ns / 1000.0,
            real_usize(streams) * relay_wall / relay_cpu,
        );
        println!(
            "relay: relay thread runnable but waiting for a CPU {:.2} s; kernel drops (receive buffer full): {} at the relay's socket, {} at the clients'",
            rw.server_waited.as_secs_f64(),
            rw.server_drops,
            rw.client_drops
        );
        ratio = Some(sfu_ns / relay_ns);
    }
    let met = streams_per_core >= STREAMS_GOAL && loss < LOSS_GOAL_PERCENT;
    let sound = frames_bad == 0 && sfu.left == 0;
    println!(
        "result: {} rooms, {streams} forwarded streams, {streams_per_core:.0} streams per core, loss {loss:.3}%{}; goal >= {STREAMS_GOAL:.0} streams per core with < {LOSS_GOAL_PERCENT}% loss: {}",
        args.rooms,
        ratio.map_or_else(String::new, |r| format!(
            ", SFU cost per forwarded packet = {r:.1} x the bare relay's"
        )),
        if met { "met" } else { "not met" }
    );
    Ok(sound)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("hearth-video-load: a frame arrived altered or a participant dropped out");
            ExitCode::from(4)
        }
        Err(e) => {
            eprintln!("hearth-video-load: {e}");
            ExitCode::FAILURE
        }
    }
}
