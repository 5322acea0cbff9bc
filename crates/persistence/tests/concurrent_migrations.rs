//! Several instances starting at once migrate one at a time and all succeed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migration::{Migrator, MigratorTrait, SchemaManager};
use testdb::fresh_database_from_env;

#[tokio::test]
async fn concurrent_exclusive_migrations_all_succeed_on_an_empty_database() {
    let db = fresh_database_from_env().await.unwrap();
    Migrator::down(&db.conn, None).await.unwrap();
    assert!(!SchemaManager::new(&db.conn).has_table("users").await.unwrap());

    let mut instances = Vec::new();
    for _ in 0..3 {
        let url = db.url.clone();
        instances.push(tokio::spawn(async move {
            let conn = persistence::connect(&url, &persistence::PoolSettings::default()).await.unwrap();
            migration::up_exclusive(&conn).await
        }));
    }
    for instance in instances {
        instance.await.unwrap().expect("every instance migrates or finds nothing to do");
    }
    assert!(SchemaManager::new(&db.conn).has_table("users").await.unwrap());
    assert!(Migrator::get_pending_migrations(&db.conn).await.unwrap().is_empty());
    db.close().await.unwrap();
}
