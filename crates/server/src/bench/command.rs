//! The `hearth bench …` subcommands, as the command line spells them.

use clap::Subcommand;

/// Baselines and measurements for BENCHMARKS.md.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Serve a bare handler at /api/v1/me: the baseline for HTTP throughput.
    BareHttp {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
    },
    /// Time argon2id password hashing with the configured parameters.
    Argon2 {
        #[arg(long, default_value_t = 21)]
        rounds: usize,
    },
    /// Seat reservations under contention against raw inserts, on a fresh database; exits
    /// 4 if any group ends up overbooked or a reservation is lost.
    Seats {
        /// A PostgreSQL server to create the scratch database on (default: a temporary
        /// SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Clients reserving a seat, 20 to a group of 10 seats.
        #[arg(long, default_value_t = 2000)]
        clients: usize,
        /// Reservations in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// The practice outcome report over many clients' weekly PHQ-9 and GAD-7 against a raw
    /// read of the same rows, on a fresh database; exits 4 if the report leaves anyone out.
    Report {
        /// A PostgreSQL server to create the scratch database on (default: a temporary
        /// SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Clients, each seated in a group with a PHQ-9 and a GAD-7 every week.
        #[arg(long, default_value_t = 100_000)]
        clients: usize,
        /// Weekly measurements of each questionnaire per client.
        #[arg(long, default_value_t = 12)]
        weeks: u32,
    },
    /// What sealing and opening one clinical value costs, against reading one row.
    Seal,
    /// Serve the demo practice seeded at scale, on a fresh database removed when stopped,
    /// for measuring pages (`bench/pages.sh --scale`).
    Practice {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
        /// A PostgreSQL server to create the scratch database on (default: a temporary
        /// SQLite file).
        #[arg(long)]
        database_url: Option<String>,
        /// Clients, besides the demo's (0: the demo alone).
        #[arg(long, default_value_t = 100_000)]
        clients: usize,
        /// Groups, besides the demo's.
        #[arg(long, default_value_t = 5000)]
        groups: usize,
    },
    /// One client's recommendations against many groups, against a raw read of the groups.
    Recommend {
        #[arg(long, default_value_t = 5000)]
        groups: usize,
    },
    /// Solve a batch-placement instance in DIMACS min-cost-flow format (source → clients →
    /// groups → sink) and print `cost=N solve=S.SSs`; or write a generated instance.
    Match {
        /// The instance to solve.
        #[arg(long, conflicts_with = "generate")]
        dimacs: Option<std::path::PathBuf>,
        /// Write a generated instance instead: CLIENTS,GROUPS,CANDIDATES,CAPACITY,SEED.
        #[arg(long, requires = "out")]
        generate: Option<String>,
        /// Where to write the generated instance.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}
