//! Foreign keys and indexes with explicit names, so that every name is predictable, unique in
//! its database and within MySQL's 64-character limit.

use sea_orm_migration::prelude::*;

/// MySQL's limit on identifier length; PostgreSQL's (63) is checked by the server itself.
const MAX_NAME_LEN: usize = 64;

/// `CONSTRAINT name FOREIGN KEY (from.1) REFERENCES to.0 (to.1) ON DELETE on_delete`.
///
/// Always declared inside `CREATE TABLE`, since SQLite cannot add one afterwards.
pub(crate) fn foreign_key(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    debug_assert!(name.len() <= MAX_NAME_LEN, "name too long: {name}");
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(on_delete).take()
}

/// A plain index over `cols`, in order.
pub(crate) fn index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    debug_assert!(name.len() <= MAX_NAME_LEN, "name too long: {name}");
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index
}

/// A unique index over one column.
pub(crate) fn unique(name: &str, table: impl IntoIden, col: impl IntoIden) -> IndexCreateStatement {
    index(name, table, [col]).unique().take()
}

/// Drops `tables` in the given order (children before parents); their indexes and foreign
/// keys go with them on every backend.
pub(crate) async fn drop_tables<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = T>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(table).to_owned()).await?;
    }
    Ok(())
}
