//! Fresh, migrated databases for tests: a SQLite file in its own temporary directory, or a
//! new database on a PostgreSQL or MySQL/MariaDB server.
//!
//! Tests that can run on a server read its URL from [`TEST_DATABASE_URL_VAR`]; unset means
//! SQLite. A set but unreachable server is an error, never a silent fallback.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use tempfile::TempDir;
use url::Url;

/// The environment variable naming the server that adapter and end-to-end tests run on, e.g.
/// `postgres://postgres@127.0.0.1:5432/test` or `mysql://root@127.0.0.1:3306/test`.
pub const TEST_DATABASE_URL_VAR: &str = "AGORA_TEST_DATABASE_URL";

/// Prefix of every database created on a server, so that leftovers are easy to find.
pub const DATABASE_NAME_PREFIX: &str = "agora_t_";

/// Names a run: its databases are `agora_t_<run>_<random>`, so that one run can drop its
/// own leftovers without touching a concurrent run's.
pub const TEST_RUN_VAR: &str = "AGORA_TEST_RUN";

/// A migrated database that lives as long as this value (the SQLite directory is deleted on
/// drop; a server database is dropped by [`TestDatabase::close`]).
#[derive(Debug)]
pub struct TestDatabase {
    pub conn: DatabaseConnection,
    /// A URL that reaches the same database, e.g. for `APP__DATABASE__URL`.
    pub url: String,
    dir: Option<TempDir>,
    server: Option<ServerDatabase>,
}

#[derive(Debug)]
struct ServerDatabase {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// The backend this database runs on.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Closes the connection and removes the database (the SQLite directory, or the server
    /// database). A test that fails before calling this leaves a server database behind for
    /// inspection.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await?;
        if let Some(server) = self.server {
            let admin = Database::connect(server_options(&server.admin_url)).await?;
            let sql = match admin.get_database_backend() {
                DbBackend::Postgres => {
                    format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", server.name)
                }
                _ => format!("DROP DATABASE IF EXISTS {}", server.name),
            };
            admin.execute_unprepared(&sql).await?;
            admin.close().await?;
        }
        drop(self.dir);
        Ok(())
    }
}

/// A fresh database migrated to the latest schema: with `None`, a SQLite file in a new
/// temporary directory; with `Some(url)` of a PostgreSQL or MySQL/MariaDB server, a new
/// database `agora_t_<random>` created through that URL.
pub async fn fresh_database(base_url: Option<&str>) -> Result<TestDatabase, DbErr> {
    let db = match base_url {
        None => fresh_sqlite().await?,
        Some(url) => fresh_server_database(url).await?,
    };
    Migrator::up(&db.conn, None).await?;
    Ok(db)
}

/// [`fresh_database`] on the server named by [`TEST_DATABASE_URL_VAR`], or SQLite when it is
/// unset or empty.
pub async fn fresh_database_from_env() -> Result<TestDatabase, DbErr> {
    let url = std::env::var(TEST_DATABASE_URL_VAR).ok().filter(|url| !url.trim().is_empty());
    fresh_database(url.as_deref()).await
}

async fn fresh_sqlite() -> Result<TestDatabase, DbErr> {
    let dir = tempfile::Builder::new()
        .prefix("agora-test-")
        .tempdir()
        .map_err(|e| DbErr::Custom(format!("cannot create a temporary directory: {e}")))?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("agora.db").display());
    let mut options = ConnectOptions::new(url.clone());
    options.map_sqlx_sqlite_opts(persistence::db::tune_sqlite);
    let conn = Database::connect(options).await?;
    Ok(TestDatabase { conn, url, dir: Some(dir), server: None })
}

async fn fresh_server_database(base_url: &str) -> Result<TestDatabase, DbErr> {
    let admin = Database::connect(server_options(base_url))
        .await
        .map_err(|e| DbErr::Custom(format!("cannot reach the test database server {}: {e}", redact(base_url))))?;
    let run = std::env::var(TEST_RUN_VAR)
        .ok()
        .filter(|r| !r.is_empty() && r.len() <= 16 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(|r| format!("{r}_"))
        .unwrap_or_default();
    let name = format!("{DATABASE_NAME_PREFIX}{run}{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let create = match admin.get_database_backend() {
        DbBackend::MySql => {
            format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        }
        DbBackend::Postgres => format!("CREATE DATABASE {name}"),
        other => {
            return Err(DbErr::Custom(format!(
                "{other:?} is not a server backend; use fresh_database(None) for SQLite"
            )));
        }
    };
    admin.execute_unprepared(&create).await?;
    admin.close().await?;

    let url = with_database_name(base_url, &name)?;
    let conn = Database::connect(server_options(&url)).await?;
    Ok(TestDatabase { conn, url, dir: None, server: Some(ServerDatabase { admin_url: base_url.to_owned(), name }) })
}

/// Fails within seconds when the server is down, rather than after sqlx's 30-second default.
fn server_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options.connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(5));
    options
}

fn with_database_name(base_url: &str, name: &str) -> Result<String, DbErr> {
    let mut url =
        Url::parse(base_url).map_err(|e| DbErr::Custom(format!("bad database URL {}: {e}", redact(base_url))))?;
    url.set_path(&format!("/{name}"));
    Ok(url.into())
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.into()
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn replaces_the_database_name_and_keeps_the_query() {
        assert_eq!(
            with_database_name("postgres://u:p@h:5432/test?sslmode=disable", "agora_t_1").unwrap(),
            "postgres://u:p@h:5432/agora_t_1?sslmode=disable"
        );
        assert_eq!(
            with_database_name("mysql://root@127.0.0.1:3306/test", "agora_t_1").unwrap(),
            "mysql://root@127.0.0.1:3306/agora_t_1"
        );
    }

    #[test]
    fn hides_passwords_in_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
