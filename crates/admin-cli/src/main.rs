//! `admin-cli`: administration from the server side, with the server's configuration.
//!
//! Exit status: 0 on success, 1 on an error (one line on standard error), 2 on a usage
//! error.

use std::io::BufRead;
use std::process::ExitCode;

use app::{Services, Settings};
use clap::{Parser, Subcommand};
use identity::IdentityError;
use identity::ports::UserFilter;
use identity::service::SignupInput;
use kernel::PageRequest;

#[derive(Debug, Parser)]
#[command(name = "admin-cli", version, about = "Administer an Agora server from its host")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an administrator account.
    CreateAdmin {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of prompting.
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

fn read_password(from_stdin: bool) -> Result<String, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
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

async fn services() -> Result<Services, Failure> {
    let settings = Settings::load().map_err(|e| Failure(e.to_string()))?;
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

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::CreateAdmin { name, email, password_stdin } => {
            let password = read_password(password_stdin)?;
            let services = services().await?;
            let admin = services.accounts.create_admin(SignupInput { name, email, password }).await?;
            println!("created admin {} ({}, id {})", admin.name, admin.email, admin.id);
        }
        Command::ListUsers { q, limit } => {
            let services = services().await?;
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
            let services = services().await?;
            let target = services.accounts.find_user(&user).await?;
            let banned = services.accounts.set_banned(None, target.id, true).await?;
            println!("banned {} (id {}); every session ended", banned.name, banned.id);
        }
        Command::Unban { user } => {
            let services = services().await?;
            let target = services.accounts.find_user(&user).await?;
            let unbanned = services.accounts.set_banned(None, target.id, false).await?;
            println!("unbanned {} (id {})", unbanned.name, unbanned.id);
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("admin-cli: {message}");
            ExitCode::FAILURE
        }
    }
}
