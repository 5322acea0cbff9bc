//! sea-orm entities, one module per table of the `migration` crate's schema.
//!
//! Column types follow the schema: ids are `i64`, instants `DateTimeUtc` (UTC, microsecond
//! precision), JSON documents `String` (adapters parse them), blobs `Vec<u8>`.

pub mod access_token_blacklist;
pub mod admin_audit;
pub mod ai_dataset;
pub mod ai_model;
pub mod ai_model_artifact;
pub mod attachment;
pub mod board;
pub mod board_member;
pub mod chat_message;
pub mod chat_session;
pub mod chat_session_member;
pub mod chat_ws_ticket;
pub mod comment;
pub mod inference_job;
pub mod login_throttle;
pub mod password_reset_token;
pub mod post;
pub mod post_like;
pub mod refresh_token;
pub mod refresh_token_family;
pub mod users;

/// Every `Entity` under its table's name in CamelCase.
pub mod prelude {
    pub use super::access_token_blacklist::Entity as AccessTokenBlacklist;
    pub use super::admin_audit::Entity as AdminAudit;
    pub use super::ai_dataset::Entity as AiDataset;
    pub use super::ai_model::Entity as AiModel;
    pub use super::ai_model_artifact::Entity as AiModelArtifact;
    pub use super::attachment::Entity as Attachment;
    pub use super::board::Entity as Board;
    pub use super::board_member::Entity as BoardMember;
    pub use super::chat_message::Entity as ChatMessage;
    pub use super::chat_session::Entity as ChatSession;
    pub use super::chat_session_member::Entity as ChatSessionMember;
    pub use super::chat_ws_ticket::Entity as ChatWsTicket;
    pub use super::comment::Entity as Comment;
    pub use super::inference_job::Entity as InferenceJob;
    pub use super::login_throttle::Entity as LoginThrottle;
    pub use super::password_reset_token::Entity as PasswordResetToken;
    pub use super::post::Entity as Post;
    pub use super::post_like::Entity as PostLike;
    pub use super::refresh_token::Entity as RefreshToken;
    pub use super::refresh_token_family::Entity as RefreshTokenFamily;
    pub use super::users::Entity as Users;
}
