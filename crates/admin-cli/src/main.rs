//! `admin-cli`: administration from the server side, with the server's configuration.
//!
//! Exit status: 0 on success, 1 on an error (one line on standard error), 2 on a usage
//! error.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use app::{Services, Settings};
use board::{Board, BoardError, BoardInput};
use clap::{Parser, Subcommand, ValueEnum};
use identity::IdentityError;
use identity::ports::UserFilter;
use identity::service::SignupInput;
use kernel::{Actor, Page, PageRequest};

const ENVIRONMENT_HELP: &str = "\
Environment (the server's configuration, read the same way):
  APP__DATABASE__URL   the database, e.g. postgres://agora@db/agora; default
                       sqlite://data/agora.db?mode=rwc, relative to the current folder
  APP_ENV              development (default) | test | production: which config file applies
  APP_CONFIG_DIR       the folder of default.toml and $APP_ENV.toml (default ./config)
  APP__SECTION__KEY    any other setting of config/default.toml

A SQLite database that does not exist is an error (run admin-cli where the server runs, or
point APP__DATABASE__URL at its file) unless --create-database is given.

Exit status: 0 on success, 1 on an error (one line on standard error), 2 on a usage error.";

#[derive(Debug, Parser)]
#[command(
    name = "admin-cli",
    version = app::build_info::VERSION_LINE,
    about = "Administer an Agora server from its host, with the server's configuration",
    after_help = ENVIRONMENT_HELP
)]
struct Cli {
    /// Create (and migrate) the SQLite database when its file does not exist yet, instead
    /// of refusing.
    #[arg(long, global = true)]
    create_database: bool,
    #[command(subcommand)]
    command: Command,
}

/// Who may read a board.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Access {
    /// Every active user.
    Public,
    /// Its members (and admins) only.
    Restricted,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an administrator account. The password is prompted for twice on a terminal;
    /// otherwise it is the first line of standard input.
    CreateAdmin {
        /// The account name (letters, digits, '_' or '-', as at signup); unique.
        #[arg(long)]
        name: String,
        /// The account's email address; unique.
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input even on a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (id, name, email, flags).
    ListUsers {
        /// Only users whose name or email contains this text.
        #[arg(long)]
        q: Option<String>,
        /// At most this many users.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Ban a user: every session ends at once and login is refused.
    Ban {
        /// The user's id, name or email.
        #[arg(long)]
        user: String,
    },
    /// Lift a ban.
    Unban {
        /// The user's id, name or email.
        #[arg(long)]
        user: String,
    },
    /// Create a board (public, visible and open unless told otherwise).
    CreateBoard {
        /// 1..128 characters; unique.
        #[arg(long)]
        name: String,
        /// 0..512 characters.
        #[arg(long, default_value = "")]
        information: String,
        /// Who may read it.
        #[arg(long, value_enum, default_value_t = Access::Public)]
        access: Access,
        /// Hide the board from users (404 for them).
        #[arg(long)]
        hidden: bool,
        /// Close the board for writing.
        #[arg(long)]
        closed: bool,
    },
    /// Admit a user to a restricted board.
    Grant {
        /// The user's id, name or email.
        #[arg(long)]
        user: String,
        /// The board's id or name.
        #[arg(long)]
        board: String,
    },
    /// Remove a user from a board's members.
    Revoke {
        /// The user's id, name or email.
        #[arg(long)]
        user: String,
        /// The board's id or name.
        #[arg(long)]
        board: String,
    },
    /// List every board (id, name, access, flags, members), or with --user the boards that
    /// user may read and whether it may write there.
    ListBoards {
        /// The user's id, name or email.
        #[arg(long)]
        user: Option<String>,
        /// At most this many boards.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

/// An error that ends the command with status 1 and one line on standard error.
struct Failure(String);

impl From<IdentityError> for Failure {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::Validation(errors) => Failure(format!("invalid input: {errors}")),
            other => Failure(other.to_string()),
        }
    }
}

impl From<BoardError> for Failure {
    fn from(err: BoardError) -> Self {
        match err {
            BoardError::Validation(errors) => Failure(format!("invalid input: {errors}")),
            other => Failure(other.to_string()),
        }
    }
}

/// Prompts on the terminal; without one (a pipe, a script, a container without `-t`), or
/// with `--password-stdin`, reads the first line of standard input instead.
fn read_password(from_stdin: bool) -> Result<String, Failure> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
        if read == 0 {
            return Err(Failure("no password on standard input (its first line is the password)".to_owned()));
        }
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        return Ok(password.to_owned());
    }
    let first =
        rpassword::prompt_password("Password: ").map_err(|e| Failure(format!("cannot read the password: {e}")))?;
    let second = rpassword::prompt_password("Repeat password: ")
        .map_err(|e| Failure(format!("cannot read the password: {e}")))?;
    if first != second {
        return Err(Failure("the passwords differ".to_owned()));
    }
    Ok(first)
}

/// The file of a SQLite URL (`sqlite://data/agora.db?mode=rwc` gives `data/agora.db`);
/// `None` for other databases and in-memory ones.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// Refuses a SQLite file that is not there: SQLite would create it, empty, and the command
/// would act on a database the server never reads (admin-cli run from the wrong folder).
fn check_database_exists(url: &str, create: bool) -> Result<(), Failure> {
    let Some(file) = sqlite_file(url) else { return Ok(()) };
    if create || file.exists() {
        return Ok(());
    }
    let shown = std::path::absolute(&file).unwrap_or_else(|_| file.clone());
    Err(Failure(format!(
        "the database {} does not exist; run admin-cli where the server runs, set APP__DATABASE__URL to \
         its database, or pass --create-database to create it",
        shown.display()
    )))
}

async fn services(create_database: bool) -> Result<Services, Failure> {
    let settings = Settings::load().map_err(|e| Failure(e.to_string()))?;
    check_database_exists(settings.database.url.expose(), create_database)?;
    let db = app::wiring::connect_database(&settings).await.map_err(|e| Failure(e.to_string()))?;
    app::wiring::build_services(&settings, db).await.map_err(|e| Failure(e.to_string()))
}

fn flags(user: &identity::User) -> String {
    let mut flags = Vec::new();
    if user.is_superuser {
        flags.push("admin");
    }
    if user.is_banned {
        flags.push("banned");
    }
    if !user.is_active {
        flags.push("inactive");
    }
    flags.join(",")
}

fn board_flags(board: &Board) -> String {
    let mut flags = Vec::new();
    if !board.is_visible {
        flags.push("hidden");
    }
    if !board.is_available {
        flags.push("closed");
    }
    if board.delete_date.is_some() {
        flags.push("deleted");
    }
    flags.join(",")
}

/// Up to `limit` items of a paged list, fetched page by page.
async fn collect<T, E, F, Fut>(limit: u32, mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, E>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::with_limit(limit.min(100));
    while (items.len() as u64) < u64::from(limit) {
        let result = fetch(page).await?;
        items.extend(result.items);
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    items.truncate(limit as usize);
    Ok(items)
}

async fn run(command: Command, create_database: bool) -> Result<(), Failure> {
    let connect = || services(create_database);
    match command {
        Command::CreateAdmin { name, email, password_stdin } => {
            let services = connect().await?;
            let password = read_password(password_stdin)?;
            let admin = services.accounts.create_admin(SignupInput { name, email, password }).await?;
            println!("created admin {} ({}, id {})", admin.name, admin.email, admin.id);
        }
        Command::ListUsers { q, limit } => {
            let services = connect().await?;
            let mut remaining = limit;
            let mut page = PageRequest::with_limit(limit.min(100));
            println!("id\tname\temail\tflags");
            while remaining > 0 {
                let result = services.accounts.list_users(UserFilter { q: q.clone() }, page).await?;
                for user in result.items.iter().take(remaining as usize) {
                    println!("{}\t{}\t{}\t{}", user.id, user.name, user.email, flags(user));
                }
                remaining = remaining.saturating_sub(result.items.len() as u32);
                match result.next {
                    Some(next) => page.after = Some(next),
                    None => break,
                }
            }
        }
        Command::Ban { user } => {
            let services = connect().await?;
            let target = services.accounts.find_user(&user).await?;
            let banned = services.accounts.set_banned(None, target.id, true).await?;
            println!("banned {} (id {}); every session ended", banned.name, banned.id);
        }
        Command::Unban { user } => {
            let services = connect().await?;
            let target = services.accounts.find_user(&user).await?;
            let unbanned = services.accounts.set_banned(None, target.id, false).await?;
            println!("unbanned {} (id {})", unbanned.name, unbanned.id);
        }
        Command::CreateBoard { name, information, access, hidden, closed } => {
            let services = connect().await?;
            let input = BoardInput {
                name,
                information: Some(information),
                is_visible: Some(!hidden),
                is_available: Some(!closed),
                access: Some(access.as_str().to_owned()),
                member_ids: None,
            };
            let created = services.boards.create_board(None, input).await?.board;
            let flags = board_flags(&created);
            let flags = if flags.is_empty() { String::new() } else { format!(", {flags}") };
            println!("created board {} (id {}, {}{flags})", created.name, created.id, created.access.as_str());
        }
        Command::Grant { user, board } => {
            let services = connect().await?;
            let user = services.accounts.find_user(&user).await?;
            let board = services.boards.find_board(&board).await?;
            if services.boards.grant(None, board.id, user.id).await? {
                println!("granted {} (id {}) access to board {} (id {})", user.name, user.id, board.name, board.id);
            } else {
                println!(
                    "{} (id {}) is already a member of board {} (id {})",
                    user.name, user.id, board.name, board.id
                );
            }
        }
        Command::Revoke { user, board } => {
            let services = connect().await?;
            let user = services.accounts.find_user(&user).await?;
            let board = services.boards.find_board(&board).await?;
            if services.boards.revoke(None, board.id, user.id).await? {
                println!(
                    "revoked the access of {} (id {}) to board {} (id {})",
                    user.name, user.id, board.name, board.id
                );
            } else {
                println!("{} (id {}) was no member of board {} (id {})", user.name, user.id, board.name, board.id);
            }
        }
        Command::ListBoards { user: None, limit } => {
            let services = connect().await?;
            let boards = collect(limit, |page| services.boards.list_all(None, page)).await?;
            println!("id\tname\taccess\tflags\tmembers");
            for admin_board in boards {
                let board = &admin_board.board;
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    board.id,
                    board.name,
                    board.access.as_str(),
                    board_flags(board),
                    admin_board.member_ids.len()
                );
            }
        }
        Command::ListBoards { user: Some(user), limit } => {
            let services = connect().await?;
            let user = services.accounts.find_user(&user).await?;
            let actor = Actor { id: user.id, name: user.name.clone(), role: user.role() };
            let boards = collect(limit, |page| services.boards.list_readable(&actor, page)).await?;
            println!("id\tname\taccess\tflags\tcan_write");
            for readable in boards {
                let board = &readable.board;
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    board.id,
                    board.name,
                    board.access.as_str(),
                    board_flags(board),
                    if readable.can_write { "yes" } else { "no" }
                );
            }
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command, cli.create_database).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            let _ = writeln!(std::io::stderr(), "admin-cli: {message}");
            ExitCode::FAILURE
        }
    }
}
