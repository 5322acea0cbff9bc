//! `cargo run -p migration -- up`: the sea-orm-migration command line (`up`, `down`,
//! `status`, `fresh`, `refresh`, `reset`) for the Agora schema.
//!
//! The database is the first of: `--database-url`/`-u`, `DATABASE_URL` (also read from a
//! `.env` file, as the sea-orm CLI does), `APP__DATABASE__URL` (the server's own setting), and
//! the embedded default, a SQLite file under `data/`.

use std::path::Path;

use sea_orm_migration::cli;
use sea_orm_migration::sea_orm::{ConnectOptions, Database, DbErr};

const DEFAULT_DATABASE_URL: &str = "sqlite://data/agora.db?mode=rwc";

#[tokio::main]
async fn main() {
    cli::run_cli_with_custom_connection(migration::Migrator, async || {
        let url = database_url();
        create_sqlite_parent_dir(&url)?;
        Database::connect(ConnectOptions::new(url)).await
    })
    .await;
}

fn database_url() -> String {
    url_from_args(std::env::args().skip(1))
        .or_else(|| non_empty_var("DATABASE_URL"))
        .or_else(|| non_empty_var("APP__DATABASE__URL"))
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The value of `-u`/`--database-url`, which the sea-orm CLI parses (and validates) but hands
/// only to its own connection builder.
fn url_from_args(args: impl IntoIterator<Item = String>) -> Option<String> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "-u" || arg == "--database-url" {
            return args.next();
        }
        if let Some(url) = arg.strip_prefix("--database-url=") {
            return Some(url.to_owned());
        }
        if let Some(url) = arg.strip_prefix("-u").filter(|url| !url.is_empty()) {
            return Some(url.trim_start_matches('=').to_owned());
        }
    }
    None
}

/// SQLite creates a missing file (`mode=rwc`) but not its directory.
fn create_sqlite_parent_dir(url: &str) -> Result<(), DbErr> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reads_database_url_flag_in_every_spelling() {
        let url = Some("sqlite://x.db".to_owned());
        assert_eq!(url_from_args(args(&["-u", "sqlite://x.db", "up"])), url);
        assert_eq!(url_from_args(args(&["up", "--database-url", "sqlite://x.db"])), url);
        assert_eq!(url_from_args(args(&["--database-url=sqlite://x.db"])), url);
        assert_eq!(url_from_args(args(&["-usqlite://x.db"])), url);
        assert_eq!(url_from_args(args(&["up", "-n", "1"])), None);
    }

    #[test]
    fn creates_the_directory_of_a_sqlite_file() {
        let dir = std::env::temp_dir().join(format!("agora-migration-{}", std::process::id()));
        let url = format!("sqlite://{}/nested/agora.db?mode=rwc", dir.display());
        assert!(create_sqlite_parent_dir(&url).is_ok());
        assert!(dir.join("nested").is_dir());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(create_sqlite_parent_dir("postgres://localhost/x").is_ok());
        assert!(create_sqlite_parent_dir("sqlite::memory:").is_ok());
    }
}
