//! The built `admin-cli` binary against a real, fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use identity::ports::UserRepository;
use identity::{Email, NewUser, PasswordHash, UserName};
use kernel::{AuditLog, Clock, PageRequest, SystemClock};
use persistence::audit::SqlAuditLog;
use persistence::identity::SqlUserRepository;
use testdb::{TestDatabase, fresh_database_from_env};

struct Cli {
    db: TestDatabase,
    dir: tempfile::TempDir,
}

impl Cli {
    async fn new() -> Cli {
        Cli { db: fresh_database_from_env().await.unwrap(), dir: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_cli(self.dir.path(), &self.db.url, args, stdin)
    }

    /// Runs a command that must succeed and returns its standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Runs a command that must fail with status 1 and one line on standard error; returns it.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("admin-cli: "), "{stderr}");
        stderr
    }

    /// A regular user, stored directly (no CLI command creates one).
    async fn user(&self, name: &str) -> i64 {
        let user = NewUser {
            name: UserName::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.com")).unwrap(),
            password_hash: PasswordHash::new("not-a-real-hash".to_owned()),
            is_superuser: false,
            join_date: SystemClock.now(),
        };
        SqlUserRepository::new(self.db.conn.clone()).create(user).await.unwrap().id
    }
}

/// Runs the binary in `dir` on `database_url`, without a terminal: standard input is a pipe
/// that carries `stdin` (if any) and then ends.
fn run_cli(dir: &std::path::Path, database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_admin-cli"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("APP_ENV", "test")
        .env("APP_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
        .env("APP__DATABASE__URL", database_url)
        .env("APP__STORAGE__DIR", dir.join("files"))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
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

/// The data rows of a tab-separated listing, each split into its columns.
fn rows(listing: &str) -> Vec<Vec<String>> {
    listing.lines().skip(1).map(|l| l.split('\t').map(str::to_owned).collect()).collect()
}

#[tokio::test]
async fn boards_are_created_granted_revoked_and_listed_by_name_or_id() {
    let cli = Cli::new().await;
    let alice = cli.user("alice").await;

    let out = cli.ok(&["create-board", "--name", "general"]);
    assert!(out.starts_with("created board general (id 1, public)"), "{out}");
    let out = cli.ok(&["create-board", "--name", "staff", "--access", "restricted", "--information", "Staff only"]);
    assert!(out.starts_with("created board staff (id 2, restricted)"), "{out}");
    let out = cli.ok(&["create-board", "--name", "attic", "--hidden", "--closed"]);
    assert!(out.contains("hidden,closed"), "{out}");

    let out = cli.ok(&["grant", "--user", "alice", "--board", "staff"]);
    assert_eq!(out.trim(), format!("granted alice (id {alice}) access to board staff (id 2)"));
    let out = cli.ok(&["grant", "--user", &alice.to_string(), "--board", "2"]);
    assert!(out.contains("is already a member"), "{out}");

    let listing = cli.ok(&["list-boards"]);
    assert_eq!(listing.lines().next(), Some("id\tname\taccess\tflags\tmembers"));
    assert_eq!(
        rows(&listing),
        [
            ["1", "general", "public", "", "0"],
            ["2", "staff", "restricted", "", "1"],
            ["3", "attic", "public", "hidden,closed", "0"],
        ]
    );
    let readable = cli.ok(&["list-boards", "--user", "alice@example.com"]);
    assert_eq!(rows(&readable), [["1", "general", "public", "", "yes"], ["2", "staff", "restricted", "", "yes"]]);

    let out = cli.ok(&["revoke", "--user", "alice", "--board", "staff"]);
    assert!(out.starts_with("revoked the access of alice"), "{out}");
    assert!(cli.ok(&["revoke", "--user", "alice", "--board", "staff"]).contains("was no member"));
    let readable = cli.ok(&["list-boards", "--user", "alice"]);
    assert_eq!(rows(&readable), [["1", "general", "public", "", "yes"]]);
    assert_eq!(rows(&cli.ok(&["list-boards", "--limit", "2"])).len(), 2);
}

#[tokio::test]
async fn board_commands_validate_like_the_api_and_exit_1_or_2() {
    let cli = Cli::new().await;
    cli.user("alice").await;
    cli.ok(&["create-board", "--name", "general"]);

    assert!(cli.fails(&["create-board", "--name", "general"]).contains("a board with this name already exists"));
    let invalid = cli.fails(&["create-board", "--name", " "]);
    assert!(invalid.starts_with("admin-cli: invalid input:"), "{invalid}");
    assert!(invalid.contains("name: must not be empty"), "{invalid}");
    let long = "x".repeat(513);
    assert!(
        cli.fails(&["create-board", "--name", "x", "--information", &long])
            .contains("information: must be at most 512")
    );

    let public = cli.fails(&["grant", "--user", "alice", "--board", "general"]);
    assert!(public.contains("public boards need no membership"), "{public}");
    assert!(cli.fails(&["grant", "--user", "alice", "--board", "nope"]).contains("board not found"));
    assert!(cli.fails(&["grant", "--user", "nobody", "--board", "general"]).contains("user not found"));
    assert!(cli.fails(&["list-boards", "--user", "nobody"]).contains("user not found"));

    for usage in [
        &["create-board"][..],
        &["grant", "--user", "alice"][..],
        &["revoke", "--board", "general"][..],
        &["create-board", "--name", "x", "--hidden", "yes"][..],
        &["list-boards", "--limit", "many"][..],
    ] {
        assert_eq!(cli.run(usage, None).status.code(), Some(2), "{usage:?}");
    }
}

#[tokio::test]
async fn board_commands_are_audited_without_an_actor() {
    let cli = Cli::new().await;
    let alice = cli.user("alice").await;
    cli.ok(&["create-board", "--name", "staff", "--access", "restricted"]);
    cli.ok(&["grant", "--user", "alice", "--board", "staff"]);
    cli.ok(&["revoke", "--user", "alice", "--board", "staff"]);
    cli.ok(&["ban", "--user", "alice"]);

    let trail = SqlAuditLog::new(cli.db.conn.clone()).list(PageRequest::with_limit(10)).await.unwrap();
    let actions: Vec<(&str, Option<i64>, Option<i64>)> =
        trail.items.iter().map(|r| (r.entry.action.as_str(), r.entry.actor_id, r.entry.target_id)).collect();
    assert_eq!(
        actions,
        [
            ("user.ban", None, Some(alice)),
            ("board.member.revoke", None, Some(1)),
            ("board.member.grant", None, Some(1)),
            ("board.create", None, Some(1)),
        ]
    );
    assert_eq!(trail.items[1].entry.detail, serde_json::json!({"user_id": alice}));
}

#[test]
fn a_bad_access_is_a_usage_error_that_lists_the_valid_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), "sqlite::memory:", &["create-board", "--name", "x", "--access", "secret"], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("invalid value 'secret'"), "{stderr}");
    assert!(stderr.contains("[possible values: public, restricted]"), "{stderr}");
}

#[test]
fn help_documents_every_option_and_the_environment_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), "sqlite::memory:", &["--help"], None);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for documented in ["APP__DATABASE__URL", "APP_ENV", "APP_CONFIG_DIR", "--create-database", "Exit status"] {
        assert!(help.contains(documented), "{documented} missing from --help:\n{help}");
    }
    let out = run_cli(dir.path(), "sqlite::memory:", &["create-board", "--help"], None);
    let help = text(&out.stdout);
    assert!(help.contains("Who may read it"), "{help}");
    assert!(help.contains("restricted: Its members"), "{help}");
    let out = run_cli(dir.path(), "sqlite::memory:", &["create-admin", "--help"], None);
    let help = text(&out.stdout);
    for documented in ["--name <NAME>", "The account name", "The account's email", "--password-stdin", "terminal"] {
        assert!(help.contains(documented), "{documented} missing:\n{help}");
    }
}

#[test]
fn a_sqlite_database_that_is_not_there_is_refused_unless_asked_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere").join("agora.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let out = run_cli(dir.path(), &url, &["list-users"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("does not exist") && stderr.contains("--create-database"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(!file.exists(), "nothing is created");

    // Relative to the folder admin-cli runs in, like the server's default.
    let relative = run_cli(dir.path(), "sqlite://data/agora.db?mode=rwc", &["list-users"], None);
    assert_eq!(relative.status.code(), Some(1));
    assert!(text(&relative.stderr).contains(&dir.path().join("data/agora.db").display().to_string()));
    assert!(!dir.path().join("data").exists());

    let out = run_cli(dir.path(), &url, &["list-users", "--create-database"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(file.exists());
    let out = run_cli(dir.path(), &url, &["list-users"], None);
    assert_eq!(out.status.code(), Some(0), "an existing database is used: {}", text(&out.stderr));
}

#[tokio::test]
async fn without_a_terminal_the_password_is_read_from_the_pipe() {
    let cli = Cli::new().await;
    let out = cli.run(&["create-admin", "--name", "piped", "--email", "piped@example.com"], Some("a-long-password\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("os error"), "{}", text(&out.stderr));
    assert!(cli.ok(&["list-users", "--q", "piped"]).contains("piped@example.com"));

    let out = cli.run(&["create-admin", "--name", "nopass", "--email", "nopass@example.com"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no password on standard input"), "{}", text(&out.stderr));
}
