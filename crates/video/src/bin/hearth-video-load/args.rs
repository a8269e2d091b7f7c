//! The command line.

const USAGE: &str =
    "usage: hearth-video-load [--rooms N] [--room-size N] [--seconds S] [--no-relay]";

#[derive(Debug, Clone, Copy)]
pub struct Args {
    pub rooms: usize,
    pub room_size: usize,
    pub seconds: u64,
    /// Whether the bare relay runs after the SFU, as a baseline.
    pub relay: bool,
}

/// `--rooms N` (4), `--room-size N` (10, at most 16), `--seconds S` (20), `--no-relay`; the
/// message (usage included) on a mistake or `--help`.
pub fn parse_args() -> Result<Args, String> {
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
