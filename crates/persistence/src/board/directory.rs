//! Boards and memberships as the access rules read them.

use async_trait::async_trait;
use board::{Board, BoardAccess, BoardDirectory, BoardId};
use kernel::{InfraError, UserId};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::entity::{board as board_entity, board_member};
use crate::error::db_err;

#[derive(Debug, Clone)]
pub struct SqlBoardDirectory {
    db: DatabaseConnection,
}

impl SqlBoardDirectory {
    pub fn new(db: DatabaseConnection) -> Self {
        SqlBoardDirectory { db }
    }
}

/// A stored board; an unknown `access` value reads as restricted, the safe side.
pub(crate) fn board_to_domain(model: board_entity::Model) -> Board {
    Board {
        id: model.id,
        name: model.name,
        information: model.information,
        is_visible: model.is_visible,
        is_available: model.is_available,
        access: BoardAccess::parse(&model.access).unwrap_or(BoardAccess::Restricted),
        create_date: model.create_date,
        update_date: model.update_date,
        delete_date: model.delete_date,
    }
}

#[async_trait]
impl BoardDirectory for SqlBoardDirectory {
    async fn find(&self, id: BoardId) -> Result<Option<Board>, InfraError> {
        // `all()`, not `one()`: a bound `LIMIT ?` makes SQLite re-prepare the statement on
        // every execution, and every board read and write path asks this first.
        let model = board_entity::Entity::find_by_id(id).all(&self.db).await.map_err(db_err)?.pop();
        Ok(model.map(board_to_domain))
    }

    async fn is_member(&self, board_id: BoardId, user_id: UserId) -> Result<bool, InfraError> {
        let count = board_member::Entity::find()
            .filter(board_member::Column::BoardId.eq(board_id))
            .filter(board_member::Column::UserId.eq(user_id))
            .count(&self.db)
            .await
            .map_err(db_err)?;
        Ok(count > 0)
    }
}
