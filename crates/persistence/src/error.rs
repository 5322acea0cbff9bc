//! Database errors as the domains see them: "unavailable, try again" or "internal".

use std::ops::Deref;

use kernel::InfraError;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Classifies a database error. Connection trouble, pool exhaustion, lock timeouts and a
/// server shutting down are `Unavailable` (the HTTP layer answers 503); the rest `Internal`.
pub fn db_err(err: DbErr) -> InfraError {
    if is_transient(&err) { InfraError::unavailable(&err) } else { InfraError::internal(&err) }
}

fn is_transient(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => is_transient_sqlx(e.deref()),
        _ => false,
    }
}

fn is_transient_sqlx(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => {
            // MySQL/MariaDB report SQLSTATEs as codes; their own error numbers tell more:
            // 1205 lock wait timeout, 1213 deadlock, 2006/2013 server gone, 1053 shutdown.
            if let Some(mysql) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
                return matches!(mysql.number(), 1053 | 1205 | 1213 | 2006 | 2013);
            }
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLite: 5 BUSY, 6 LOCKED (and their extended codes, e.g. 517, 261).
            // PostgreSQL: class 08 connection exceptions, 57P01..57P03 shutdown/cannot connect,
            // 40001 serialization failure, 40P01 deadlock.
            matches!(code.as_str(), "5" | "6" | "517" | "261" | "40001" | "40P01")
                || code.starts_with("08")
                || code.starts_with("57P0")
        }
        _ => false,
    }
}

/// True when the transaction lost a race with another one (deadlock or serialization
/// failure on PostgreSQL and MySQL/MariaDB): running it again may succeed.
pub fn is_deadlock(err: &DbErr) -> bool {
    let sqlx = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e.deref(),
        _ => return false,
    };
    match sqlx {
        sea_orm::sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLSTATE: MySQL reports its deadlock (1213) as 40001 too.
            matches!(code.as_str(), "40001" | "40P01")
        }
        _ => false,
    }
}

/// True when the error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Escapes `%`, `_` and `\` so that user text matches literally inside a LIKE pattern
/// (used with `ESCAPE '\'`).
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
