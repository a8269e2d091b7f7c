use anyhow::Context as _;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use hearth_domain::Password;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) by default.
///
/// Every hash runs on a bounded pool: at most `concurrency` at once (the core count by
/// default), each in one of as many reusable memory buffers. A burst of logins therefore
/// costs at most `concurrency × memory` and the buffers are reused rather than allocated
/// per attempt (which left glibc holding gigabytes after a burst). A caller that cannot get
/// a turn within `wait` is told the server is busy.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    pool: Arc<HashPool>,
}

#[derive(Debug)]
struct HashPool {
    turns: Arc<Semaphore>,
    /// Idle argon2 work areas and when each was last used; never more than the number of
    /// turns.
    buffers: Mutex<Vec<(Vec<Block>, Instant)>>,
    wait: Duration,
}

/// A work area unused this long is given back to the operating system (each is one
/// `mmap`ed block, so freeing it returns the memory at once).
const KEEP_IDLE_WORK_AREA: Duration = Duration::from_secs(10);

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing turn stayed taken for longer than the pool's wait.
    #[error("the password hashing pool is busy")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new(19 * 1024, 2, 1)
    }
}

impl PasswordHasher {
    /// How long a login waits for a hashing turn before it is told to come back.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(3);

    /// A hasher with one turn per core.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::with_pool(memory_kib, iterations, parallelism, cores, Self::DEFAULT_WAIT)
    }

    /// A hasher with `concurrency` turns, each waited for at most `wait`.
    pub fn with_pool(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        concurrency: usize,
        wait: Duration,
    ) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            memory_kib,
            iterations,
            parallelism,
            pool: Arc::new(HashPool {
                turns: Arc::new(Semaphore::new(concurrency)),
                buffers: Mutex::new(Vec::with_capacity(concurrency)),
                wait,
            }),
        }
    }

    fn params(&self) -> anyhow::Result<Params> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))
    }

    /// Runs `job` with a work area on a blocking thread, once a turn is free.
    async fn on_pool<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<R> + Send + 'static,
    ) -> Result<R, HashError> {
        let turn = tokio::time::timeout(self.pool.wait, self.pool.turns.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .context("the hashing pool closed")?;
        let pool = Arc::clone(&self.pool);
        let result = tokio::task::spawn_blocking(move || {
            let mut buffer = pool.take_buffer();
            let result = job(&mut buffer);
            pool.return_buffer(buffer);
            drop(turn);
            result
        })
        .await
        .context("the hashing task stopped")??;
        // Once logins stop, the work areas go back to the operating system, so a burst
        // leaves nothing behind.
        let pool = Arc::clone(&self.pool);
        tokio::spawn(async move {
            tokio::time::sleep(KEEP_IDLE_WORK_AREA).await;
            pool.release_idle(KEEP_IDLE_WORK_AREA);
        });
        Ok(result)
    }

    /// Hashes a new password into a PHC string (argon2id, a fresh 16-byte salt).
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.clone();
        let params = self.params()?;
        self.on_pool(move |buffer| {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            let mut salt_bytes = [0_u8; 64];
            let salt_bytes = salt
                .decode_b64(&mut salt_bytes)
                .map_err(|e| anyhow::anyhow!("decoding the salt: {e}"))?;
            let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
            compute(
                Algorithm::Argon2id,
                Version::V0x13,
                &params,
                password.expose().as_bytes(),
                salt_bytes,
                &mut out,
                buffer,
            )?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params)
                    .map_err(|e| anyhow::anyhow!("encoding the parameters: {e}"))?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("the output: {e}"))?),
            };
            Ok(phc.to_string())
        })
        .await
    }

    /// Checks a password against a stored PHC hash (whose own parameters are used).
    pub async fn verify(&self, password: &Password, stored: &str) -> Result<bool, HashError> {
        let password = password.clone();
        let stored = stored.to_owned();
        self.on_pool(move |buffer| {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            let algorithm = Algorithm::try_from(parsed.algorithm)
                .map_err(|e| anyhow::anyhow!("stored hash algorithm: {e}"))?;
            let version = parsed
                .version
                .map(Version::try_from)
                .transpose()
                .map_err(|e| anyhow::anyhow!("stored hash version: {e}"))?
                .unwrap_or_default();
            let params = Params::try_from(&parsed)
                .map_err(|e| anyhow::anyhow!("stored hash parameters: {e}"))?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                anyhow::bail!("the stored hash has no salt or no output");
            };
            let mut salt_bytes = [0_u8; 64];
            let salt_bytes = salt
                .decode_b64(&mut salt_bytes)
                .map_err(|e| anyhow::anyhow!("stored salt: {e}"))?;
            let mut out = vec![0_u8; expected.len()];
            compute(
                algorithm,
                version,
                &params,
                password.expose().as_bytes(),
                salt_bytes,
                &mut out,
                buffer,
            )?;
            // `Output`'s equality is constant-time.
            Ok(Output::new(&out).is_ok_and(|actual| actual == expected))
        })
        .await
    }

    /// A hash of nothing in particular, checked when an email is unknown so that a login
    /// costs one verification whether or not the account exists.
    pub async fn dummy_hash(&self) -> Result<String, HashError> {
        let password = Password::for_login("no account has this password").context("dummy")?;
        self.hash(&password).await
    }

    /// The parameters, for BENCHMARKS.md and start-up logs.
    pub fn describe(&self) -> String {
        format!(
            "argon2id m={} KiB, t={}, p={}, {} at once",
            self.memory_kib,
            self.iterations,
            self.parallelism,
            self.pool.turns.available_permits()
        )
    }
}

impl HashPool {
    fn take_buffer(&self) -> Vec<Block> {
        self.buffers.lock().ok().and_then(|mut idle| idle.pop()).map(|(b, _)| b).unwrap_or_default()
    }

    fn return_buffer(&self, buffer: Vec<Block>) {
        if let Ok(mut idle) = self.buffers.lock() {
            idle.push((buffer, Instant::now()));
        }
    }

    /// Frees the work areas nobody used for `idle`.
    fn release_idle(&self, idle: Duration) {
        let freed: Vec<Vec<Block>> = match self.buffers.lock() {
            Ok(mut buffers) => {
                let (old, keep) = buffers.drain(..).partition(|(_, used)| used.elapsed() >= idle);
                *buffers = keep;
                old.into_iter().map(|(b, _)| b).collect()
            }
            Err(_) => return,
        };
        drop(freed);
    }
}

/// Work areas are reserved at least this large (33 MiB of 1 KiB blocks).
const ALWAYS_MAPPED_BLOCKS: usize = 33 * 1024;

/// One argon2 computation in `buffer`, grown (once) to the parameters' size.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    buffer: &mut Vec<Block>,
) -> anyhow::Result<()> {
    let blocks = params.block_count();
    if buffer.len() != blocks {
        // Reserved past glibc's largest mmap threshold (32 MiB on 64-bit), so the area is
        // always its own mapping and freeing it returns the memory at once; only the pages
        // argon2 touches become resident. (Below that size glibc raises its threshold after
        // the first free and serves later areas from a heap it does not give back.)
        *buffer = Vec::with_capacity(blocks.max(ALWAYS_MAPPED_BLOCKS));
        buffer.resize(blocks, Block::default());
    }
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, salt, out, &mut buffer[..])
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier as _;

    fn cheap() -> PasswordHasher {
        PasswordHasher::with_pool(1024, 1, 1, 2, Duration::from_millis(50))
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let hasher = cheap();
        let right = Password::for_login("lantern orchard violet").expect("password");
        let wrong = Password::for_login("lantern orchard violey").expect("password");
        let stored = hasher.hash(&right).await.expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{stored}");
        assert!(hasher.verify(&right, &stored).await.expect("verify"));
        assert!(!hasher.verify(&wrong, &stored).await.expect("verify"));
    }

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_that_the_argon2_crate_accepts() {
        // Hashes made before the pool existed were made by `argon2`'s own hasher; both ways
        // must agree in each direction.
        let hasher = cheap();
        let password = Password::for_login("lantern orchard violet").expect("password");
        let ours = hasher.hash(&password).await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(Argon2::default().verify_password(b"lantern orchard violet", &parsed).is_ok());

        let theirs = argon2::PasswordHasher::hash_password(
            &Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(2048, 2, 1, None).expect("params"),
            ),
            b"lantern orchard violet",
            &SaltString::generate(&mut rand::rngs::OsRng),
        )
        .expect("hash")
        .to_string();
        assert!(hasher.verify(&password, &theirs).await.expect("verify"));
    }

    #[tokio::test]
    async fn a_caller_that_cannot_get_a_turn_in_time_is_told_the_pool_is_busy() {
        let hasher = PasswordHasher::with_pool(64 * 1024, 8, 1, 1, Duration::from_millis(1));
        let password = Password::for_login("lantern orchard violet").expect("password");
        let (a, b) = tokio::join!(hasher.hash(&password), hasher.hash(&password));
        assert!(
            matches!((&a, &b), (Ok(_), Err(HashError::Busy)) | (Err(HashError::Busy), Ok(_))),
            "one hashes, the other is turned away: {a:?} {b:?}"
        );
    }

    #[tokio::test]
    async fn work_areas_are_reused_and_never_outnumber_the_turns() {
        let hasher = PasswordHasher::with_pool(1024, 1, 1, 2, Duration::from_secs(30));
        let password = Password::for_login("lantern orchard violet").expect("password");
        let stored = hasher.hash(&password).await.expect("hash");
        let checks = (0..20).map(|_| hasher.verify(&password, &stored));
        for ok in futures::future::join_all(checks).await {
            assert!(ok.expect("verify"));
        }
        let idle = hasher.pool.buffers.lock().expect("lock").len();
        assert!((1..=2).contains(&idle), "{idle} work areas for 2 turns");
        hasher.pool.release_idle(Duration::ZERO);
        assert_eq!(hasher.pool.buffers.lock().expect("lock").len(), 0, "all given back");
    }
}
