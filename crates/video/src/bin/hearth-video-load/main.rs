//! `hearth-video-load`: a load test for the SFU, beside a bare UDP relay in the same run.
//!
//! ```text
//! cargo run --release -p hearth-video --features synthetic --bin hearth-video-load -- \
//!     --rooms 4 --seconds 20
//! ```
//!
//! The participants are [`hearth_video::synthetic`] peers, so the tool needs the crate's
//! `synthetic` feature (`required-features` in its manifest).
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
//!
//! By job: [`args`] the command line, [`client`] the synthetic participants, [`sfu_run`] the SFU
//! run, [`relay`] the baseline, [`measure`] the window and the threads both run on, [`procfs`]
//! what `/proc` says of them, [`counters`] what everyone counts, [`report`] the printed lines.

mod args;
mod client;
mod counters;
mod measure;
mod procfs;
mod relay;
mod report;
mod sfu_run;

use std::process::ExitCode;
use std::time::Duration;

use crate::args::parse_args;
use crate::report::run;

/// Every publisher sends an audio frame every 20 ms and a video frame every 40 ms; the relay's
/// senders keep the same pace.
const AUDIO_EVERY: Duration = Duration::from_millis(20);
const VIDEO_EVERY: Duration = Duration::from_millis(40);

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
