//! One typed settings value, layered: defaults, then an optional TOML file, then
//! `HEARTH__SECTION__KEY` environment variables, then command-line flags.

use anyhow::Context as _;
use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    /// Where the SQLite file and generated keys live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; by default a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The address people use to reach Hearth (for links in invitations); by default
    /// `http://` and the bound address.
    pub public_url: Option<String>,
    /// `Secure` and `__Host-` cookies. Turn off only for plain-HTTP local use.
    pub secure_cookies: bool,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` / `Forwarded` headers are
    /// believed; empty by default, so no header can change a request's address. In the
    /// environment, a comma-separated list.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    pub log: LogSettings,
    pub argon2: Argon2Settings,
    pub encryption: EncryptionSettings,
    pub audit: AuditSettings,
    pub video: VideoSettings,
    #[serde(default)]
    pub auth: AuthSettings,
}

/// How people sign in.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct AuthSettings {
    /// `required` (the default): staff without a second factor may only enrol one.
    /// `optional`: staff may enrol from their account page (the demo's default).
    #[serde(default)]
    pub staff_second_factor: hearth_app::SecondFactorPolicy,
}

/// Signed checkpoints of the audit log's head, kept outside the database so that deleting
/// the newest rows shows. The audit key itself derives from the encryption keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditSettings {
    /// Where this node appends its checkpoints; by default `DATA_DIR/audit.checkpoints`.
    pub checkpoint_file: Option<PathBuf>,
    /// Seconds between checkpoints while serving (one is written only when the log grew),
    /// and one more at shutdown.
    pub checkpoint_seconds: u64,
}

/// The embedded SFU: one UDP port carries every participant's media.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VideoSettings {
    /// UDP address to listen on; port 0 picks a free one.
    pub bind: String,
    /// The address browsers send media to (the ICE host candidate), when it differs from the
    /// bound one: a public IP, or the address a NAT forwards to `bind`. Required when `bind`
    /// is unspecified (`0.0.0.0`).
    pub public_addr: Option<String>,
    /// How many SFUs share the media, one per core by default. Each takes its own UDP port:
    /// with a fixed `bind` port `P`, ports `P` to `P + shards - 1` (and the same count up from
    /// `public_addr`'s port).
    pub shards: Option<usize>,
}

/// Keys for clinical free text at rest, as `ID:BASE64` (32 bytes). With none configured,
/// a key is made once and kept in `DATA_DIR/encryption.keys`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EncryptionSettings {
    #[serde(default, skip_serializing)]
    pub keys: Vec<secrecy::SecretString>,
    /// The id of the key that seals new values; by default the first key's.
    #[serde(default)]
    pub current: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LogSettings {
    /// Emit JSON lines instead of text.
    pub json: bool,
    /// A `tracing` filter such as `info` or `hearth=debug,sqlx=warn`.
    pub filter: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once (each holds `memory_kib`); by default one per core.
    #[serde(default)]
    pub max_concurrent: Option<usize>,
    /// How long a login waits for a hashing turn before it is answered 503.
    #[serde(default = "default_hash_wait_ms")]
    pub wait_ms: u64,
}

fn default_hash_wait_ms() -> u64 {
    3_000
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./hearth-data"),
            database_url: None,
            public_url: None,
            secure_cookies: true,
            trusted_proxies: Vec::new(),
            log: LogSettings { json: false, filter: "info,sqlx=warn".to_owned() },
            argon2: Argon2Settings {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
                max_concurrent: None,
                wait_ms: default_hash_wait_ms(),
            },
            encryption: EncryptionSettings::default(),
            audit: AuditSettings { checkpoint_file: None, checkpoint_seconds: 60 },
            video: VideoSettings {
                bind: "127.0.0.1:0".to_owned(),
                public_addr: None,
                shards: None,
            },
            auth: AuthSettings::default(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load_from(Serialized::defaults(Settings::default()), file)
    }

    /// Like [`Settings::load`], but starting from other defaults (the demo's).
    pub fn load_from(defaults: Serialized<Settings>, file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(defaults);
        if let Some(file) = file {
            anyhow::ensure!(file.exists(), "the settings file {} does not exist", file.display());
            figment = figment.merge(Toml::file(file));
        }
        figment
            .merge(Env::prefixed("HEARTH__").split("__").lowercase(true))
            .extract()
            .context("reading the settings (defaults, file, HEARTH__… environment)")
    }

    /// The audit checkpoint file in force.
    pub fn audit_checkpoint_file(&self) -> PathBuf {
        self.audit
            .checkpoint_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit.checkpoints"))
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("hearth.db").display()))
    }
}

/// A list given as a list (TOML) or as one comma-separated string (the environment).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        One(String),
    }
    Ok(match Raw::deserialize(de)? {
        Raw::List(list) => list,
        Raw::One(one) => {
            one.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
    })
}
