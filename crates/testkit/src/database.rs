use anyhow::Context as _;
use rand::Rng as _;
use sqlx::Connection as _;

/// Which engine a test database runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists only for one test: a SQLite file in a temporary directory, or a
/// new PostgreSQL database dropped when the test ends.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub engine: Engine,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDatabase {
    /// The engine the environment names: `HEARTH_TEST_ENGINE=sqlite|postgres`, or by default
    /// PostgreSQL when `TEST_DATABASE_URL` is set and SQLite otherwise.
    pub async fn from_env() -> anyhow::Result<Self> {
        let url = Self::postgres_url();
        match (std::env::var("HEARTH_TEST_ENGINE").as_deref(), url) {
            (Ok("sqlite"), _) | (Err(_), None) => Self::sqlite(),
            (Ok("postgres") | Err(_), Some(url)) => Self::postgres(&url).await,
            (Ok("postgres"), None) => {
                anyhow::bail!("HEARTH_TEST_ENGINE=postgres needs TEST_DATABASE_URL")
            }
            (Ok(other), _) => {
                anyhow::bail!("HEARTH_TEST_ENGINE must be sqlite or postgres, not {other}")
            }
        }
    }

    pub fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let url = format!("sqlite://{}", dir.path().join("hearth-test.db").display());
        Ok(Self { url, engine: Engine::Sqlite, _dir: Some(dir), pg_admin: None })
    }

    /// A fresh database on the server `admin_url` points at.
    pub async fn postgres(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("hearth_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        let mut conn = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| "connecting to TEST_DATABASE_URL")?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .context("creating a test database")?;
        conn.close().await.ok();
        let url = replace_database(admin_url, &name);
        Ok(Self {
            url,
            engine: Engine::Postgres,
            _dir: None,
            pg_admin: Some((admin_url.to_owned(), name)),
        })
    }

    /// The PostgreSQL server to test on, if the environment names one.
    pub fn postgres_url() -> Option<String> {
        std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host_part = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg_admin.take() else {
            return;
        };
        // Drop runs outside any runtime we may use, so clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn the_database_name_is_replaced_keeping_host_and_options() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "t2"),
            "postgres://u@h/t2?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "t3"), "postgres://u@h/t3");
    }
}
