use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, Version};
use hearth_domain::Password;

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) by default.
#[derive(Clone, Copy, Debug)]
pub struct PasswordHasher {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

impl PasswordHasher {
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        Self { memory_kib, iterations, parallelism }
    }

    fn argon2(self) -> anyhow::Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes on a blocking thread: argon2 is deliberately slow and must not stall the runtime.
    pub async fn hash(self, password: &Password) -> anyhow::Result<String> {
        let password = password.clone();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            self.argon2()?
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await
        .context("the hashing task stopped")?
    }

    /// Checks a password against a stored hash (whose own parameters are used).
    pub async fn verify(self, password: &Password, stored: &str) -> anyhow::Result<bool> {
        let password = password.clone();
        let stored = stored.to_owned();
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            Ok(self.argon2()?.verify_password(password.expose().as_bytes(), &parsed).is_ok())
        })
        .await
        .context("the verifying task stopped")?
    }

    /// A hash of nothing in particular, checked when an email is unknown so that a login
    /// takes as long whether or not the account exists.
    pub async fn dummy_hash(self) -> anyhow::Result<String> {
        let password = Password::for_login("no account has this password").context("dummy")?;
        self.hash(&password).await
    }

    /// The parameters, for BENCHMARKS.md and start-up logs.
    pub fn describe(self) -> String {
        format!("argon2id m={} KiB, t={}, p={}", self.memory_kib, self.iterations, self.parallelism)
    }
}
