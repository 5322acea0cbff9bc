//! Column and table types chosen per database backend, so that one migration means the same
//! thing on SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! sea-query's generic types are not enough on MySQL: its `timestamp` ends in 2038 and drops
//! microseconds, `blob` holds 64 KiB and `text` 64 KiB. Everything else (strings, integers,
//! booleans) uses the generic helpers of `sea_orm_migration::schema` directly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The backend a migration runs on, and the column types that follow from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Types {
    backend: DbBackend,
}

impl Types {
    pub(crate) fn of(manager: &SchemaManager) -> Self {
        Self { backend: manager.get_database_backend() }
    }

    /// `CREATE TABLE` with, on MySQL, InnoDB (the engine that enforces foreign keys) and utf8mb4
    /// with a binary collation: text then compares byte for byte, as it does on PostgreSQL and
    /// SQLite, so uniqueness and lookups behave the same on every backend.
    pub(crate) fn create_table(self, table: impl IntoIden + 'static) -> TableCreateStatement {
        let mut create = Table::create();
        create.table(table);
        if self.backend == DbBackend::MySql {
            create.engine("InnoDB").character_set("utf8mb4").collate("utf8mb4_bin");
        }
        create
    }

    /// A UTC instant with microsecond precision that round-trips through `DateTimeUtc`:
    /// PostgreSQL `timestamp with time zone`; MySQL `DATETIME(6)` (sqlx reads and writes it as
    /// naive UTC); SQLite text in RFC 3339 form, which sorts chronologically because every
    /// value carries the same `+00:00` offset.
    pub(crate) fn timestamp(self, col: impl IntoIden) -> ColumnDef {
        self.timestamp_column(col).not_null().take()
    }

    pub(crate) fn timestamp_null(self, col: impl IntoIden) -> ColumnDef {
        self.timestamp_column(col).null().take()
    }

    /// Text without a practical size limit (JSON documents): MySQL `LONGTEXT`, else `text`.
    pub(crate) fn large_text(self, col: impl IntoIden) -> ColumnDef {
        self.large_text_column(col).not_null().take()
    }

    pub(crate) fn large_text_null(self, col: impl IntoIden) -> ColumnDef {
        self.large_text_column(col).null().take()
    }

    /// Bytes without a practical size limit: MySQL `LONGBLOB`, PostgreSQL `bytea`, SQLite `blob`.
    pub(crate) fn large_blob(self, col: impl IntoIden) -> ColumnDef {
        let mut def = ColumnDef::new(col);
        match self.backend {
            DbBackend::MySql => def.custom("LONGBLOB"),
            _ => def.blob(),
        };
        def.not_null().take()
    }

    fn timestamp_column(self, col: impl IntoIden) -> ColumnDef {
        let mut def = ColumnDef::new(col);
        match self.backend {
            DbBackend::MySql => def.custom("DATETIME(6)"),
            _ => def.timestamp_with_time_zone(),
        };
        def
    }

    fn large_text_column(self, col: impl IntoIden) -> ColumnDef {
        let mut def = ColumnDef::new(col);
        match self.backend {
            DbBackend::MySql => def.custom("LONGTEXT"),
            _ => def.text(),
        };
        def
    }
}
