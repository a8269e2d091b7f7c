//! The measured window, and the OS threads the SFU and the relay run on alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::procfs::{ThreadClock, udp_drops};

/// Between warm-up and window: long enough for everything in flight to arrive.
const PAUSE: Duration = Duration::from_millis(500);
const DRAIN: Duration = Duration::from_secs(1);

/// Starts `run` on a new OS thread with its own current-thread runtime; returns the thread's
/// clock and what `run` sends back.
pub fn start_thread<T, F>(
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
pub struct Window {
    pub wall: Duration,
    pub server_cpu: Duration,
    /// Time the server's thread was runnable but had no CPU (other processes had them).
    pub server_waited: Duration,
    pub clients_cpu: Duration,
    /// Datagrams the kernel dropped at the server's socket and at the clients' sockets.
    pub server_drops: u64,
    pub client_drops: u64,
}

/// Warm-up, pause, zeroed counters, the measured window, drain.
pub async fn measure(
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
