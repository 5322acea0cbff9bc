//! Bodies of the administration routes: users as admins see them, moderation, board
//! memberships and the audit trail.

use board::board::values::MAX_BOARD_IDS;
use chrono::{DateTime, Utc};
use identity::User;
use kernel::AuditRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::extract::validation::limit;

use crate::extract::page::{MAX_LIMIT, MIN_LIMIT};

/// `?q=&limit=&cursor=` of the user list.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AdminUsersQuery {
    /// Only users whose name or email contains this text (case-insensitive).
    pub q: Option<String>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    #[validate(range(min = MIN_LIMIT, max = MAX_LIMIT))]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page of the same list (same `q`).
    pub cursor: Option<String>,
}

/// A user as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub join_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// An administrator.
    pub is_superuser: bool,
    pub is_banned: bool,
    /// False once deactivated (by the user or an admin).
    pub is_active: bool,
}

impl From<User> for AdminUserDto {
    fn from(user: User) -> Self {
        AdminUserDto {
            id: user.id,
            name: user.name,
            email: user.email,
            join_date: user.join_date,
            update_date: user.update_date,
            is_superuser: user.is_superuser,
            is_banned: user.is_banned,
            is_active: user.is_active,
        }
    }
}

/// One user with its board memberships.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserDetailDto {
    #[serde(flatten)]
    pub user: AdminUserDto,
    /// The restricted boards the user is a member of, ascending.
    pub board_ids: Vec<i64>,
}

/// A moderation of a user; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct UserModerationRequest {
    /// True bans the user: every session ends at once, login is refused (403 `user.banned`).
    pub is_banned: Option<bool>,
    /// False deactivates the user: every session ends at once, login is refused.
    pub is_active: Option<bool>,
}

/// The restricted boards a user shall be a member of.
#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct UserBoardsRequest {
    /// Ids of restricted boards; unknown and public boards are refused with 422 naming
    /// them. The user's memberships of other restricted boards end.
    #[schema(max_items = 1000)]
    #[validate(length(max = limit(MAX_BOARD_IDS), code = "items"))]
    pub board_ids: Vec<i64>,
}

/// One recorded admin action.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: i64,
    /// The admin who acted; null for the server-side `admin-cli`.
    pub actor_id: Option<i64>,
    /// What was done: `user.ban`, `user.unban`, `user.activate`, `user.deactivate`,
    /// `user.create_admin`, `user.boards.replace`, `board.create`, `board.update`,
    /// `board.delete`, `board.member.grant`, `board.member.revoke`.
    #[schema(example = "board.create")]
    pub action: String,
    /// `user` or `board`.
    #[schema(example = "board")]
    pub target_type: String,
    pub target_id: Option<i64>,
    /// What changed, e.g. the fields a board update set.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub create_date: DateTime<Utc>,
}

impl From<AuditRecord> for AuditEntryDto {
    fn from(record: AuditRecord) -> Self {
        let entry = record.entry;
        AuditEntryDto {
            id: record.id,
            actor_id: entry.actor_id,
            action: entry.action,
            target_type: entry.target_type,
            target_id: entry.target_id,
            detail: entry.detail,
            create_date: entry.create_date,
        }
    }
}
