//! The built `admin-cli` binary against a real, fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use persistence::testdb::{TestDatabase, fresh_database_from_env};

struct Cli {
    db: TestDatabase,
    dir: tempfile::TempDir,
}

impl Cli {
    async fn new() -> Cli {
        Cli { db: fresh_database_from_env().await.unwrap(), dir: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_admin-cli"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("APP_ENV", "test")
            .env("APP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
            .env("APP__DATABASE__URL", &self.db.url)
            .env("APP__STORAGE__DIR", self.dir.path().join("files"))
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_lists_the_admin() {
    let cli = Cli::new().await;
    let out = cli.run(
        &["create-admin", "--name", "root", "--email", "Root@Example.com", "--password-stdin"],
        Some("s3cret-password\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created admin root (root@example.com"));

    let out = cli.run(&["list-users"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    assert!(listing.lines().any(|l| l.contains("\troot\troot@example.com\tadmin")), "{listing}");
}

#[tokio::test]
async fn errors_exit_1_with_one_line_and_usage_errors_exit_2() {
    let cli = Cli::new().await;
    let out = cli.run(&["create-admin", "--name", "x", "--email", "bad", "--password-stdin"], Some("short\n"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("admin-cli: invalid input:"), "{stderr}");

    cli.run(
        &["create-admin", "--name", "root", "--email", "root@example.com", "--password-stdin"],
        Some("s3cret-password\n"),
    );
    let out = cli.run(
        &["create-admin", "--name", "ROOT", "--email", "other@example.com", "--password-stdin"],
        Some("s3cret-password\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("name is already taken"));

    let out = cli.run(&["ban", "--user", "nobody"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("user not found"));

    assert_eq!(cli.run(&["no-such-command"], None).status.code(), Some(2));
    assert_eq!(cli.run(&["ban"], None).status.code(), Some(2));
}

#[tokio::test]
async fn ban_and_unban_by_name_id_or_email() {
    let cli = Cli::new().await;
    cli.run(
        &["create-admin", "--name", "root", "--email", "root@example.com", "--password-stdin"],
        Some("s3cret-password\n"),
    );
    let out = cli.run(&["ban", "--user", "root@example.com"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&cli.run(&["list-users", "--q", "roo"], None).stdout).contains("admin,banned"));
    let out = cli.run(&["unban", "--user", "1"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&cli.run(&["list-users"], None).stdout).contains("banned"));
}
