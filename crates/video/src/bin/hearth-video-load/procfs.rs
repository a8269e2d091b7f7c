//! What the tool reads from `/proc`: a thread's CPU time and waiting time, the datagrams the
//! kernel dropped at full receive buffers, the load average.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

/// One thread's CPU time, readable from any thread.
#[derive(Debug, Clone)]
pub struct ThreadClock {
    task: PathBuf,
}

impl ThreadClock {
    /// The clock of the calling thread.
    pub fn current() -> std::io::Result<Self> {
        let link = fs::read_link("/proc/thread-self")?;
        Ok(Self { task: PathBuf::from("/proc").join(link) })
    }

    /// CPU time used so far: nanoseconds from `schedstat`, else clock ticks (1/100 s) from
    /// `stat`.
    pub fn cpu(&self) -> Duration {
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
    pub fn waited(&self) -> Duration {
        let s = fs::read_to_string(self.task.join("schedstat")).unwrap_or_default();
        Duration::from_nanos(s.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0))
    }
}

/// Datagrams the kernel dropped (receive buffer full) at the server's socket and at the others
/// on 127.0.0.1, from `/proc/net/udp`.
pub fn udp_drops(server_port: u16) -> (u64, u64) {
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

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` writes them.
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
