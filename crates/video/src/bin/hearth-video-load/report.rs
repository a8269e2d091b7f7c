//! The run as a whole and what it prints.

use std::thread;

use crate::args::Args;
use crate::procfs::{ThreadClock, loadavg};
use crate::relay::run_relay;
use crate::sfu_run::run_sfu;

const LOSS_GOAL_PERCENT: f64 = 0.5;
const STREAMS_GOAL: f64 = 1000.0;

/// Runs the SFU and the relay and prints the results. `Ok(false)` when a frame arrived altered or
/// a participant dropped out.
pub async fn run(args: Args) -> Result<bool, String> {
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

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * real(part) / real(whole) }
}

#[allow(clippy::cast_precision_loss, reason = "counts in a benchmark need no more than 52 bits")]
pub fn real(n: u64) -> f64 {
    n as f64
}

pub fn real_usize(n: usize) -> f64 {
    real(u64::try_from(n).unwrap_or(u64::MAX))
}
