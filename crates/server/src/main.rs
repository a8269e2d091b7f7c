//! `hearth`: a whole online therapy practice in one binary.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use figment::providers::Serialized;
use hearth::bench::BenchCommand;
use hearth::{Server, Settings, demo, shutdown_signal, system_clock, telemetry};
use hearth_app::NewStaff;
use hearth_store::AuditVerification;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hearth", version, about = "An online therapy practice in one binary")]
struct Cli {
    /// A TOML settings file (layered over the defaults, under HEARTH__… variables).
    #[arg(long, global = true, env = "HEARTH_CONFIG")]
    config: Option<PathBuf>,
    /// Log JSON lines instead of text.
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone, Default)]
struct Place {
    /// Where the SQLite database and keys live (default ./hearth-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB (default: a SQLite file in the data directory).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start a whole practice with demo data on SQLite, over plain HTTP on this machine.
    Demo {
        #[arg(long)]
        bind: Option<String>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Run the server.
    Serve {
        #[arg(long)]
        bind: Option<String>,
        #[command(flatten)]
        place: Place,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        place: Place,
    },
    /// Staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Baselines and measurements for BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account directly in the database.
    Create {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// admin, coordinator or therapist
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        timezone: Option<String>,
        /// Enrol this TOTP secret (base32, at least 128 bits) as the account's second
        /// factor, confirmed; without it the account enrols at its first login.
        #[arg(long, value_name = "BASE32")]
        totp_secret: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's chain against the newest signed checkpoint and name the first
    /// broken row (exit 3).
    Verify {
        #[command(flatten)]
        place: Place,
    },
    /// Append a signed checkpoint of the audit log's head to the checkpoint file now (the
    /// server also writes one every minute the log grows, and at shutdown).
    Checkpoint {
        #[command(flatten)]
        place: Place,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: starting the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings_for(
    cli: &Cli,
    demo: bool,
    bind: Option<&String>,
    place: &Place,
) -> anyhow::Result<Settings> {
    let defaults = if demo {
        // The demo runs on this machine over plain HTTP, so cookies cannot be `Secure`; and a
        // newcomer should be able to try every role at once without an authenticator app.
        let mut settings = Settings { secure_cookies: false, ..Settings::default() };
        settings.auth.staff_second_factor = hearth_app::SecondFactorPolicy::Optional;
        settings
    } else {
        Settings::default()
    };
    let mut settings = Settings::load_from(Serialized::defaults(defaults), cli.config.as_deref())?;
    if let Some(bind) = bind {
        settings.bind.clone_from(bind);
    }
    if let Some(dir) = &place.data_dir {
        settings.data_dir.clone_from(dir);
    }
    if let Some(url) = &place.database_url {
        settings.database_url = Some(url.clone());
    }
    if cli.log_json {
        settings.log.json = true;
    }
    Ok(settings)
}

/// `hearth demo`: seeds the demo practice once, sets up a session about to start, serves.
async fn run_demo(
    cli: &Cli,
    bind: Option<&String>,
    data_dir: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let place = Place { data_dir: data_dir.cloned(), database_url: None };
    let settings = settings_for(cli, true, bind, &place)?;
    telemetry::init(&settings.log);
    let db = hearth::open_database(&settings).await?;
    hearth::ensure_key_file(&settings)?;
    let app = hearth::build_app(&settings, db.clone(), system_clock())?;
    hearth::seal_plain_fields(&app).await?;
    let logins =
        demo::seed(&app, &db).await.map_err(|e| anyhow::anyhow!("seeding the demo: {e}"))?;
    let room = demo::session_about_to_start(&app, &db)
        .await
        .map_err(|e| anyhow::anyhow!("setting up the demo session: {e}"))?;
    let server = Server::bind(&settings, db, app).await?;
    let shutdown = shutdown_signal();
    let mut out = std::io::stdout().lock();
    writeln!(out, "Hearth demo practice (data in {})", settings.data_dir.display())?;
    writeln!(out, "Demo logins (password for all: \"{}\"):", demo::DEMO_PASSWORD)?;
    for login in logins {
        writeln!(out, "  {:<12} {}", login.role, login.email)?;
    }
    if let Some(room) = room {
        writeln!(
            out,
            "A group session starts in a few minutes: log in as the therapist and the client (two browsers) and open http://{}{room}",
            server.addr
        )?;
    }
    writeln!(
        out,
        "Staff may turn on two-factor sign-in from their account page (Account → Set up two-factor sign-in)."
    )?;
    writeln!(out, "listening on http://{}", server.addr)?;
    out.flush()?;
    drop(out);
    server.run(shutdown).await?;
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Demo { bind, data_dir } => {
            run_demo(&cli, bind.as_ref(), data_dir.as_ref()).await?;
        }
        Command::Serve { bind, place } => {
            let settings = settings_for(&cli, false, bind.as_ref(), place)?;
            telemetry::init(&settings.log);
            let db = hearth::open_database(&settings).await?;
            hearth::ensure_key_file(&settings)?;
            let app = hearth::build_app(&settings, db.clone(), system_clock())?;
            hearth::seal_plain_fields(&app).await?;
            let server = Server::bind(&settings, db, app).await?;
            let shutdown = shutdown_signal();
            println!("listening on http://{}", server.addr);
            std::io::stdout().flush()?;
            server.run(shutdown).await?;
        }
        Command::Migrate { place } => {
            let settings = settings_for(&cli, false, None, place)?;
            telemetry::init(&settings.log);
            hearth::open_database(&settings).await?.close().await;
            println!("migrations applied to {}", redact_url(&settings.database_url()));
        }
        Command::Admin { command: AdminCommand::Create { place, .. } } => {
            let settings = settings_for(&cli, false, None, place)?;
            return admin_create(&settings, &cli.command).await;
        }
        Command::Audit { command: AuditCommand::Verify { place } } => {
            let settings = settings_for(&cli, false, None, place)?;
            return audit_verify(&settings).await;
        }
        Command::Audit { command: AuditCommand::Checkpoint { place } } => {
            let settings = settings_for(&cli, false, None, place)?;
            audit_checkpoint(&settings).await?;
        }
        Command::Bench { command: BenchCommand::BareHttp { bind } } => {
            hearth::bench::bare_http(bind, shutdown_signal()).await?;
        }
        Command::Bench { command: BenchCommand::Argon2 { rounds } } => {
            let settings = settings_for(&cli, false, None, &Place::default())?;
            let a = settings.argon2;
            let median = hearth::bench::argon2(a, (*rounds).max(1)).await?;
            println!(
                "argon2id m={} KiB t={} p={}: median {median:.1} ms per hash over {rounds} hashes",
                a.memory_kib, a.iterations, a.parallelism
            );
        }
        Command::Bench { command: BenchCommand::Seats { database_url, clients, concurrency } } => {
            let report =
                hearth::bench::seats(database_url.as_deref(), *clients, *concurrency).await?;
            println!("{report}");
            if !report.holds() {
                eprintln!("error: seat reservations broke capacity or lost clients");
                return Ok(ExitCode::from(4));
            }
        }
        Command::Bench {
            command: BenchCommand::Practice { bind, database_url, clients, groups },
        } => {
            let settings = settings_for(&cli, true, Some(bind), &Place::default())?;
            telemetry::init(&settings.log);
            let scale = hearth::scale::Scale { clients: *clients, groups: *groups };
            hearth::bench::practice(settings, database_url.as_deref(), scale, shutdown_signal())
                .await?;
        }
        Command::Bench { command: BenchCommand::Seal } => {
            print!("{}", hearth::bench::seal().await?);
        }
        Command::Bench { command: BenchCommand::Recommend { groups } } => {
            let (ours, raw) = hearth::bench::recommend(*groups).await?;
            println!(
                "recommendations: 1 client x {groups} groups on sqlite: median {:.2} ms (raw read of the groups {:.2} ms, ratio {:.2})",
                ours.as_secs_f64() * 1000.0,
                raw.as_secs_f64() * 1000.0,
                raw.as_secs_f64() / ours.as_secs_f64()
            );
        }
        Command::Bench { command: BenchCommand::Match { dimacs, generate, out } } => {
            return hearth::bench_match::placement(
                dimacs.as_deref(),
                generate.as_deref(),
                out.as_deref(),
            );
        }
        Command::Bench { command: BenchCommand::Report { database_url, clients, weeks } } => {
            let report = hearth::bench::report(database_url.as_deref(), *clients, *weeks).await?;
            println!("{report}");
            if !report.holds() {
                eprintln!(
                    "error: the report considered {} clients and the raw read returned {} rows, \
                     for {clients} clients",
                    report.outcome.considered, report.raw_rows
                );
                return Ok(ExitCode::from(4));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `hearth admin create`: exit 2 with the fields at fault when the input is not valid.
async fn admin_create(settings: &Settings, command: &Command) -> anyhow::Result<ExitCode> {
    let Command::Admin {
        command: AdminCommand::Create { email, password, role, name, timezone, totp_secret, .. },
    } = command
    else {
        anyhow::bail!("not an admin create command");
    };
    telemetry::init(&settings.log);
    let db = hearth::open_database(settings).await?;
    // Setting up the first accounts comes before the first start, so it may make the key.
    hearth::ensure_key_file(settings)?;
    let app = hearth::build_app(settings, db.clone(), system_clock())?;
    let staff = NewStaff {
        email: email.clone(),
        password: password.clone(),
        role: role.clone(),
        display_name: name.clone(),
        timezone: timezone.clone(),
    };
    let checked =
        totp_secret.as_deref().map_or(Ok(()), hearth_app::App::check_second_factor_secret);
    let outcome = match checked {
        Ok(()) => app.create_staff(&staff).await,
        Err(err) => Err(err),
    };
    let outcome = match outcome {
        Ok(id) => match totp_secret {
            Some(secret) => app.enrol_second_factor_secret(id, secret).await.map(|c| (id, c)),
            None => Ok((id, Vec::new())),
        },
        Err(err) => Err(err),
    };
    db.close().await;
    match outcome {
        Ok((id, recovery_codes)) => {
            println!("created {role} account {id}");
            if !recovery_codes.is_empty() {
                println!(
                    "two-factor sign-in is on; recovery codes (each works once, shown only now):"
                );
                for code in recovery_codes {
                    println!("  {code}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(hearth_app::AppError::Invalid(fields)) => {
            eprintln!("error: {}", fields.summary());
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(anyhow::anyhow!(err)).context("creating the account"),
    }
}

/// `hearth audit verify`: exit 3 naming the first broken row, or the checkpoint line that
/// does not verify. It only reads: without the practice's keys it refuses before opening
/// (and so creating) anything.
async fn audit_verify(settings: &Settings) -> anyhow::Result<ExitCode> {
    use hearth::checkpoints::{self, CheckpointFile};
    telemetry::init(&settings.log);
    hearth::load_vault(settings)?;
    let db = hearth::open_database(settings).await?;
    let app = hearth::build_app(settings, db.clone(), system_clock())?;
    let file = settings.audit_checkpoint_file();
    let checkpoint = match checkpoints::read(&app, &file)? {
        CheckpointFile::Latest(checkpoint) => Some(checkpoint),
        CheckpointFile::Missing => {
            eprintln!(
                "warning: no audit checkpoint in {}: checking the chain only, so deleting the \
                 newest rows would not show",
                file.display()
            );
            None
        }
        CheckpointFile::Broken(err) => {
            db.close().await;
            println!("audit checkpoints BROKEN in {}: {err}", file.display());
            return Ok(ExitCode::from(3));
        }
    };
    let verdict =
        app.verify_audit_log_against(checkpoint.as_ref()).await.map_err(|e| anyhow::anyhow!(e))?;
    db.close().await;
    match verdict {
        AuditVerification::Intact { rows } => {
            print!("audit log intact: {rows} rows verified");
            match checkpoint {
                Some(c) => println!(
                    ", reaching the checkpoint of {} (row {}, {} rows)",
                    c.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    c.head.last_id,
                    c.head.rows
                ),
                None => println!(),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditVerification::Broken { row_id, reason } => {
            println!("audit log BROKEN at row {row_id}: {reason}");
            Ok(ExitCode::from(3))
        }
    }
}

/// `hearth audit checkpoint`: appends the log's head to the checkpoint file.
async fn audit_checkpoint(settings: &Settings) -> anyhow::Result<()> {
    telemetry::init(&settings.log);
    let db = hearth::open_database(settings).await?;
    let app = hearth::build_app(settings, db.clone(), system_clock())?;
    let file = settings.audit_checkpoint_file();
    hearth::checkpoints::prepare(&file)?;
    let written = hearth::checkpoints::write(&app, &file, None).await;
    db.close().await;
    match written? {
        Some(c) => println!(
            "audit checkpoint written to {}: row {}, {} rows",
            file.display(),
            c.head.last_id,
            c.head.rows
        ),
        None => println!("the audit log is empty: no checkpoint written"),
    }
    Ok(())
}

/// A database URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
