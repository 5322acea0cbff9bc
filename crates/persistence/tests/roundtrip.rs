//! The schema and the entities agree on every backend: migrate up, write and read back one
//! row per table, migrate down and up again.
//!
//! Runs on SQLite unless `AGORA_TEST_DATABASE_URL` names a PostgreSQL or MySQL/MariaDB
//! server; a named server that cannot be reached fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Debug;

use chrono::{DateTime, Duration, TimeZone, Utc};
use migration::{Migrator, MigratorTrait, SchemaManager};
use persistence::entity::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IdenStatic, IntoActiveModel,
    Iterable, ModelTrait, PaginatorTrait, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter, QueryOrder, SqlErr,
    TransactionTrait,
};
use testdb::{TEST_DATABASE_URL_VAR, TestDatabase, fresh_database_from_env};

const TABLES: [&str; 20] = [
    "users",
    "refresh_token_family",
    "refresh_token",
    "access_token_blacklist",
    "password_reset_token",
    "board",
    "board_member",
    "post",
    "comment",
    "post_like",
    "attachment",
    "chat_session",
    "chat_session_member",
    "chat_message",
    "chat_ws_ticket",
    "ai_dataset",
    "ai_model",
    "ai_model_artifact",
    "inference_job",
    "admin_audit",
];

async fn database() -> TestDatabase {
    fresh_database_from_env()
        .await
        .unwrap_or_else(|e| panic!("cannot prepare the test database ({TEST_DATABASE_URL_VAR}): {e}"))
}

/// An instant with microseconds, the precision every backend keeps.
fn instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + Duration::microseconds(123_456)
}

async fn assert_tables(db: &DatabaseConnection, present: bool) {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        assert_eq!(manager.has_table(table).await.unwrap(), present, "table {table} present");
    }
}

/// `model` ready to insert: every column set, except an auto-increment id, which the database
/// chooses.
fn for_insert<E, A>(model: E::Model) -> A
where
    E: EntityTrait,
    E::Model: IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E>,
{
    let mut active = model.into_active_model();
    if <E::PrimaryKey as PrimaryKeyTrait>::auto_increment() {
        for key in E::PrimaryKey::iter() {
            active.not_set(key.into_column());
        }
    }
    active
}

/// Inserts `expected`, checks that the returned row equals it column by column (but for an
/// auto-increment id), reads the row back by its key and checks that it equals the returned
/// one. Returns the stored row.
async fn round_trip<E, A>(db: &DatabaseConnection, expected: E::Model) -> E::Model
where
    E: EntityTrait,
    E::Model: IntoActiveModel<A> + Clone + Debug + PartialEq,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    let table = E::default().table_name().to_owned();
    let stored =
        for_insert::<E, A>(expected.clone()).insert(db).await.unwrap_or_else(|e| panic!("insert into {table}: {e}"));

    let keys: Vec<E::Column> = E::PrimaryKey::iter().map(|k| k.into_column()).collect();
    let auto_id = <E::PrimaryKey as PrimaryKeyTrait>::auto_increment();
    for column in E::Column::iter() {
        let name = column.as_str();
        if auto_id && keys.iter().any(|key| key.as_str() == name) {
            continue;
        }
        assert_eq!(stored.get(column), expected.get(column), "{table}.{name} after insert");
    }

    let mut select = E::find();
    for column in keys {
        select = select.filter(column.eq(stored.get(column)));
    }
    let found = select
        .one(db)
        .await
        .unwrap_or_else(|e| panic!("select from {table}: {e}"))
        .unwrap_or_else(|| panic!("{table}: inserted row not found"));
    assert_eq!(found, stored, "{table} read back");
    stored
}

/// One row in every table, in foreign-key order, with every nullable column set.
async fn fill_every_table(db: &DatabaseConnection) {
    let at = instant();
    let later = at + Duration::days(14);

    let user = round_trip::<users::Entity, _>(
        db,
        users::Model {
            id: 0,
            name: "Ada Lovelace ✓".into(),
            name_key: "ada lovelace ✓".into(),
            email: "ada@example.com".into(),
            password_hash: "$2b$12$abcdefghijklmnopqrstuuO7mHfQ6V8zqkC0GjH8UuM3yM3nUlY2a".into(),
            join_date: at,
            update_date: at,
            is_superuser: true,
            is_banned: true,
            is_active: false,
            banned_date: Some(at),
        },
    )
    .await;

    let family = round_trip::<refresh_token_family::Entity, _>(
        db,
        refresh_token_family::Model {
            id: 0,
            user_id: user.id,
            create_date: at,
            expire_date: later,
            revoke_date: Some(at),
            revoke_reason: Some("reuse".into()),
            last_used: Some(later),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133.0".into()),
            ip: Some("2001:db8::1".into()),
        },
    )
    .await;
    round_trip::<refresh_token::Entity, _>(
        db,
        refresh_token::Model {
            id: 0,
            family_id: family.id,
            user_id: user.id,
            jti: "0195f5c2-7a1b-7c3d-9e4f-a0b1c2d3e4f5".into(),
            create_date: at,
            expire_date: later,
            spent_date: Some(at),
        },
    )
    .await;
    round_trip::<access_token_blacklist::Entity, _>(
        db,
        access_token_blacklist::Model {
            id: 0,
            user_id: user.id,
            jti: "0195f5c2-7a1b-7c3d-9e4f-a0b1c2d3e4f6".into(),
            create_date: at,
            expire_date: later,
        },
    )
    .await;
    round_trip::<password_reset_token::Entity, _>(
        db,
        password_reset_token::Model {
            id: 0,
            user_id: user.id,
            token_hash: "a".repeat(64),
            create_date: at,
            expire_date: later,
            used_date: Some(at),
        },
    )
    .await;

    let board = round_trip::<board::Entity, _>(
        db,
        board::Model {
            id: 0,
            name: "General".into(),
            information: "i".repeat(512),
            is_visible: true,
            is_available: true,
            access: "restricted".into(),
            create_date: at,
            update_date: at,
            delete_date: Some(at),
        },
    )
    .await;
    round_trip::<board_member::Entity, _>(
        db,
        board_member::Model { board_id: board.id, user_id: user.id, create_date: at },
    )
    .await;
    let post = round_trip::<post::Entity, _>(
        db,
        post::Model {
            id: 0,
            board_id: board.id,
            user_id: user.id,
            title: "t".repeat(64),
            content: "c".repeat(1024),
            create_date: at,
            update_date: at,
            number_of_view: 5_000_000_000,
            number_of_comment: 1,
            number_of_like: 1,
            is_file_attached: true,
            is_visible: false,
        },
    )
    .await;
    let comment = round_trip::<comment::Entity, _>(
        db,
        comment::Model {
            id: 0,
            post_id: post.id,
            user_id: user.id,
            content: "é".repeat(256),
            create_date: at,
            update_date: at,
            is_file_attached: true,
            is_visible: false,
        },
    )
    .await;
    round_trip::<post_like::Entity, _>(db, post_like::Model { post_id: post.id, user_id: user.id, create_date: at })
        .await;
    round_trip::<attachment::Entity, _>(
        db,
        attachment::Model {
            id: 0,
            board_id: board.id,
            post_id: post.id,
            comment_id: Some(comment.id),
            user_id: user.id,
            stored_name: "6f1c2b9a4e5d4c3b8a7f6e5d4c3b2a19".into(),
            original_name: "résumé.pdf".into(),
            content_type: "application/pdf".into(),
            size: 12_345,
            create_date: at,
        },
    )
    .await;

    let session = round_trip::<chat_session::Entity, _>(
        db,
        chat_session::Model {
            id: 0,
            name: "Help".into(),
            information: "with my account".into(),
            creator_id: user.id,
            assignee_id: Some(user.id),
            is_closed: true,
            is_visible: false,
            create_date: at,
            update_date: at,
        },
    )
    .await;
    round_trip::<chat_session_member::Entity, _>(
        db,
        chat_session_member::Model { chat_session_id: session.id, user_id: user.id, create_date: at },
    )
    .await;
    round_trip::<chat_message::Entity, _>(
        db,
        chat_message::Model {
            id: 0,
            chat_session_id: session.id,
            user_id: user.id,
            content: "hello 👋".into(),
            create_date: at,
            update_date: at,
            is_visible: false,
        },
    )
    .await;
    round_trip::<chat_ws_ticket::Entity, _>(
        db,
        chat_ws_ticket::Model {
            id: 0,
            ticket_hash: "b".repeat(64),
            user_id: user.id,
            create_date: at,
            expire_date: later,
            used_date: Some(at),
        },
    )
    .await;

    // Larger than MySQL's 64 KiB `blob` and `text`, to prove the long types.
    let big_json = format!("[{}\"x\"]", "\"column\",".repeat(10_000));
    let big_blob: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let dataset = round_trip::<ai_dataset::Entity, _>(
        db,
        ai_dataset::Model {
            id: 0,
            name: "linear".into(),
            columns: big_json.clone(),
            row_count: 10_000,
            content: big_blob.clone(),
            user_id: Some(user.id),
            create_date: at,
        },
    )
    .await;
    let model = round_trip::<ai_model::Entity, _>(
        db,
        ai_model::Model {
            id: 0,
            name: "linear-regression".into(),
            description: "y from x0..x7".into(),
            algorithm: "linear_regression".into(),
            dataset_id: dataset.id,
            target: "y".into(),
            features: r#"["x0","x1"]"#.into(),
            status: "failed".into(),
            error: Some("e".repeat(1024)),
            metrics: Some(big_json.clone()),
            is_visible: true,
            is_available: true,
            task_id: Some("task-1".into()),
            user_id: Some(user.id),
            create_date: at,
            update_date: at,
            finish_date: Some(later),
            attempts: 3,
        },
    )
    .await;
    round_trip::<ai_model_artifact::Entity, _>(
        db,
        ai_model_artifact::Model {
            model_id: model.id,
            format: "smartcore-json".into(),
            content: big_blob,
            create_date: at,
        },
    )
    .await;
    round_trip::<inference_job::Entity, _>(
        db,
        inference_job::Model {
            id: 0,
            user_id: user.id,
            model_id: model.id,
            description: "predict".into(),
            status: "succeeded".into(),
            inputs: big_json.clone(),
            result: Some(r#"{"y":[1.5]}"#.into()),
            error: Some("none".into()),
            attempts: 1,
            task_id: Some("task-2".into()),
            create_date: at,
            update_date: at,
            finish_date: Some(later),
        },
    )
    .await;
    round_trip::<admin_audit::Entity, _>(
        db,
        admin_audit::Model {
            id: 0,
            actor_id: Some(user.id),
            action: "user.ban".into(),
            target_type: "user".into(),
            target_id: Some(user.id),
            detail: r#"{"reason":"spam"}"#.into(),
            create_date: at,
        },
    )
    .await;
}

#[tokio::test]
async fn migrates_up_round_trips_every_table_then_migrates_down_and_up() {
    let db = database().await;
    assert_tables(&db.conn, true).await;

    fill_every_table(&db.conn).await;

    Migrator::down(&db.conn, None).await.expect("migrate down");
    assert_tables(&db.conn, false).await;
    Migrator::up(&db.conn, None).await.expect("migrate up again");
    assert_tables(&db.conn, true).await;
    fill_every_table(&db.conn).await;

    db.close().await.expect("drop the test database");
}

fn user(name: &str, email: &str) -> users::Model {
    let at = instant();
    users::Model {
        id: 0,
        name: name.into(),
        name_key: name.to_lowercase(),
        email: email.into(),
        password_hash: "hash".into(),
        join_date: at,
        update_date: at,
        is_superuser: false,
        is_banned: false,
        is_active: true,
        banned_date: None,
    }
}

fn post(board_id: i64, user_id: i64) -> post::Model {
    let at = instant();
    post::Model {
        id: 0,
        board_id,
        user_id,
        title: "t".into(),
        content: "c".into(),
        create_date: at,
        update_date: at,
        number_of_view: 0,
        number_of_comment: 0,
        number_of_like: 0,
        is_file_attached: false,
        is_visible: true,
    }
}

#[tokio::test]
async fn reports_unique_and_foreign_key_violations_as_sql_errors() {
    let db = database().await;
    let ada =
        for_insert::<users::Entity, _>(user("Ada", "ada@example.com")).insert(&db.conn).await.expect("insert user");

    let err = for_insert::<users::Entity, _>(user("ADA", "other@example.com"))
        .insert(&db.conn)
        .await
        .expect_err("a second name_key is refused");
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message)) => {
            assert!(message.contains("name_key"), "message names the column: {message}");
        }
        other => panic!("expected a unique violation, got {other:?} from {err}"),
    }

    let err = for_insert::<post::Entity, _>(post(999_999, ada.id))
        .insert(&db.conn)
        .await
        .expect_err("a post on a missing board is refused");
    assert!(
        matches!(err.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))),
        "expected a foreign-key violation, got {:?} from {err}",
        err.sql_err()
    );

    db.close().await.expect("drop the test database");
}

#[tokio::test]
async fn orders_instants_chronologically() {
    let db = database().await;
    let bob =
        for_insert::<users::Entity, _>(user("Bob", "bob@example.com")).insert(&db.conn).await.expect("insert user");

    // On SQLite instants are RFC 3339 text with 0, 3, 6 or 9 fractional digits; comparisons
    // must still follow time.
    let second = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let expiries = [
        second + Duration::microseconds(500_000),
        second,
        second + Duration::microseconds(1),
        second + Duration::milliseconds(120),
        second + Duration::seconds(1),
    ];
    for (i, expire_date) in expiries.iter().enumerate() {
        for_insert::<access_token_blacklist::Entity, _>(access_token_blacklist::Model {
            id: 0,
            user_id: bob.id,
            jti: format!("jti-{i}"),
            create_date: second,
            expire_date: *expire_date,
        })
        .insert(&db.conn)
        .await
        .expect("insert blacklist row");
    }
    let expired: Vec<_> = access_token_blacklist::Entity::find()
        .filter(access_token_blacklist::Column::ExpireDate.lt(expiries[0]))
        .order_by_asc(access_token_blacklist::Column::ExpireDate)
        .all(&db.conn)
        .await
        .expect("select expired rows")
        .into_iter()
        .map(|row| row.expire_date)
        .collect();
    assert_eq!(expired, vec![expiries[1], expiries[2], expiries[3]]);

    db.close().await.expect("drop the test database");
}

#[tokio::test]
async fn counts_with_additive_updates() {
    let db = database().await;
    let bob =
        for_insert::<users::Entity, _>(user("Bob", "bob@example.com")).insert(&db.conn).await.expect("insert user");
    let at = instant();
    let board = for_insert::<board::Entity, _>(board::Model {
        id: 0,
        name: "b".into(),
        information: String::new(),
        is_visible: true,
        is_available: true,
        access: "public".into(),
        create_date: at,
        update_date: at,
        delete_date: None,
    })
    .insert(&db.conn)
    .await
    .expect("insert board");
    let post = for_insert::<post::Entity, _>(post(board.id, bob.id)).insert(&db.conn).await.expect("insert post");

    for _ in 0..3 {
        let result = post::Entity::update_many()
            .col_expr(post::Column::NumberOfView, Expr::col(post::Column::NumberOfView).add(40))
            .col_expr(post::Column::NumberOfLike, Expr::col(post::Column::NumberOfLike).add(1))
            .filter(post::Column::Id.eq(post.id))
            .exec(&db.conn)
            .await
            .expect("additive update");
        assert_eq!(result.rows_affected, 1);
    }
    let post = post::Entity::find_by_id(post.id).one(&db.conn).await.expect("select post").expect("post exists");
    assert_eq!((post.number_of_view, post.number_of_like), (120, 3));
    assert_eq!(
        post::Entity::find().filter(post::Column::BoardId.eq(board.id)).count(&db.conn).await.expect("count posts"),
        1
    );

    db.close().await.expect("drop the test database");
}

/// The portable way to like once: `on_conflict_do_nothing` cannot tell a duplicate from an
/// insert on MySQL (its polyfill reports one affected row either way), so insert plainly and
/// treat a duplicate key as "already liked". The insert comes first in its transaction because
/// on PostgreSQL any error aborts the rest of the transaction.
async fn like(db: &DatabaseConnection, post_id: i64, user_id: i64) -> bool {
    let txn = db.begin().await.expect("begin");
    let like = post_like::Model { post_id, user_id, create_date: instant() };
    match for_insert::<post_like::Entity, _>(like).insert(&txn).await {
        Ok(_) => {}
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await.expect("rollback");
            return false;
        }
        Err(e) => panic!("insert like: {e}"),
    }
    post::Entity::update_many()
        .col_expr(post::Column::NumberOfLike, Expr::col(post::Column::NumberOfLike).add(1))
        .filter(post::Column::Id.eq(post_id))
        .exec(&txn)
        .await
        .expect("count the like");
    txn.commit().await.expect("commit");
    true
}

async fn unlike(db: &DatabaseConnection, post_id: i64, user_id: i64) -> bool {
    let txn = db.begin().await.expect("begin");
    let deleted = post_like::Entity::delete_by_id((post_id, user_id)).exec(&txn).await.expect("delete like");
    if deleted.rows_affected == 1 {
        post::Entity::update_many()
            .col_expr(post::Column::NumberOfLike, Expr::col(post::Column::NumberOfLike).sub(1))
            .filter(post::Column::Id.eq(post_id))
            .exec(&txn)
            .await
            .expect("uncount the like");
    }
    txn.commit().await.expect("commit");
    deleted.rows_affected == 1
}

#[tokio::test]
async fn likes_once_by_treating_a_duplicate_key_as_already_liked() {
    let db = database().await;
    let bob =
        for_insert::<users::Entity, _>(user("Bob", "bob@example.com")).insert(&db.conn).await.expect("insert user");
    let at = instant();
    let board = for_insert::<board::Entity, _>(board::Model {
        id: 0,
        name: "b".into(),
        information: String::new(),
        is_visible: true,
        is_available: true,
        access: "public".into(),
        create_date: at,
        update_date: at,
        delete_date: None,
    })
    .insert(&db.conn)
    .await
    .expect("insert board");
    let post = for_insert::<post::Entity, _>(post(board.id, bob.id)).insert(&db.conn).await.expect("insert post");
    let likes = async || {
        post::Entity::find_by_id(post.id).one(&db.conn).await.expect("select post").expect("post exists").number_of_like
    };

    assert!(like(&db.conn, post.id, bob.id).await);
    assert!(!like(&db.conn, post.id, bob.id).await);
    assert_eq!(likes().await, 1);
    assert!(unlike(&db.conn, post.id, bob.id).await);
    assert!(!unlike(&db.conn, post.id, bob.id).await);
    assert_eq!(likes().await, 0);

    db.close().await.expect("drop the test database");
}
