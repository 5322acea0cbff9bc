//! The attachment use cases: upload (streamed, limited, all or nothing), download, delete.

use std::sync::Arc;

use kernel::{Actor, Clock, FieldErrors, InfraError, UserId};

use crate::attachment::content_type::{MAGIC_LEN, matches_magic, normalize};
use crate::attachment::model::{AttachTarget, Attachment, AttachmentId, NewAttachment, sanitize_original_name};
use crate::attachment::ports::{AttachWriteError, AttachmentRepository, FileReader, FileStore, UploadParts};
use crate::board::access::BoardGate;
use crate::board::model::BoardId;
use crate::comment::ports::CommentRepository;
use crate::error::BoardError;
use crate::post::ports::PostRepository;
use crate::post::service::is_author_or_admin;

/// Limits of uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The largest file, in bytes.
    pub max_file_bytes: u64,
    /// The most files one post, or one comment, may have.
    pub max_files: u32,
}

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits { max_file_bytes: 10 * 1024 * 1024, max_files: 10 }
    }
}

/// A file on its way to a reader.
pub struct Download {
    pub attachment: Attachment,
    pub reader: Box<dyn FileReader>,
}

/// The ports the service is built from.
pub struct AttachmentPorts {
    pub attachments: Arc<dyn AttachmentRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub comments: Arc<dyn CommentRepository>,
    pub files: Arc<dyn FileStore>,
    pub clock: Arc<dyn Clock>,
}

/// Attachments of posts and comments.
pub struct AttachmentService {
    attachments: Arc<dyn AttachmentRepository>,
    posts: Arc<dyn PostRepository>,
    comments: Arc<dyn CommentRepository>,
    files: Arc<dyn FileStore>,
    gate: BoardGate,
    clock: Arc<dyn Clock>,
    limits: UploadLimits,
}

/// Files written so far by one upload, removed again unless the upload succeeds.
#[derive(Default)]
struct Received {
    /// Every file created in the store, the partial one included.
    written: Vec<String>,
    /// Complete files that passed every check.
    accepted: Vec<NewAttachment>,
}

impl AttachmentService {
    pub fn new(ports: AttachmentPorts, gate: BoardGate, limits: UploadLimits) -> Self {
        AttachmentService {
            attachments: ports.attachments,
            posts: ports.posts,
            comments: ports.comments,
            files: ports.files,
            gate,
            clock: ports.clock,
            limits,
        }
    }

    pub fn limits(&self) -> UploadLimits {
        self.limits
    }

    /// The board and author of a visible post or comment.
    async fn locate(&self, target: AttachTarget) -> Result<(BoardId, UserId), BoardError> {
        match target {
            AttachTarget::Post(id) => {
                let post = self.posts.find(id).await?.ok_or(BoardError::PostNotFound)?;
                Ok((post.board_id, post.author.id))
            }
            AttachTarget::Comment(id) => {
                let located = self.comments.find(id).await?.ok_or(BoardError::CommentNotFound)?;
                Ok((located.board_id, located.comment.author.id))
            }
        }
    }

    /// Receives the files of `parts` and attaches them to `target`, all or none. Each file is
    /// streamed to the store chunk by chunk; the size and count limits are enforced while
    /// streaming, and a refused upload leaves no file and no record behind.
    pub async fn upload(
        &self,
        actor: &Actor,
        target: AttachTarget,
        parts: &mut dyn UploadParts,
    ) -> Result<Vec<Attachment>, BoardError> {
        let (board_id, author) = self.locate(target).await?;
        let missing = match target {
            AttachTarget::Post(_) => BoardError::PostNotFound,
            AttachTarget::Comment(_) => BoardError::CommentNotFound,
        };
        self.gate.writable(actor, board_id).await.map_err(|err| err.hidden_as(missing))?;
        if !is_author_or_admin(actor, author) {
            return Err(match target {
                AttachTarget::Post(_) => BoardError::NotPostAuthor,
                AttachTarget::Comment(_) => BoardError::NotCommentAuthor,
            });
        }
        let existing = self.attachments.count(target).await?;
        let room = u64::from(self.limits.max_files).saturating_sub(existing);

        let mut received = Received::default();
        if let Err(err) = self.receive(actor, parts, room, &mut received).await {
            self.discard(&received.written).await;
            return Err(err);
        }
        if received.accepted.is_empty() {
            return Err(BoardError::Validation(FieldErrors::single("file", "send at least one `file` part")));
        }
        let count = received.accepted.len();
        let created = self.attachments.create_all(target, received.accepted, self.limits.max_files).await;
        match created {
            Ok(attachments) => {
                tracing::info!(?target, files = count, "attachments uploaded");
                Ok(attachments)
            }
            Err(err) => {
                self.discard(&received.written).await;
                Err(match err {
                    AttachWriteError::TooMany => BoardError::TooManyFiles { limit: self.limits.max_files },
                    AttachWriteError::TargetGone => match target {
                        AttachTarget::Post(_) => BoardError::PostNotFound,
                        AttachTarget::Comment(_) => BoardError::CommentNotFound,
                    },
                    AttachWriteError::Infra(err) => BoardError::Infra(err),
                })
            }
        }
    }

    async fn receive(
        &self,
        actor: &Actor,
        parts: &mut dyn UploadParts,
        room: u64,
        received: &mut Received,
    ) -> Result<(), BoardError> {
        let max_bytes = self.limits.max_file_bytes;
        while let Some(file) = parts.next_file().await? {
            if received.accepted.len() as u64 >= room {
                return Err(BoardError::TooManyFiles { limit: self.limits.max_files });
            }
            let content_type = normalize(file.content_type.as_deref());
            let original_name = sanitize_original_name(file.file_name.as_deref());
            let mut sink = self.files.create().await?;
            let stored_name = sink.stored_name().to_owned();
            received.written.push(stored_name.clone());
            let mut size: u64 = 0;
            let mut head = Vec::with_capacity(MAGIC_LEN);
            while let Some(chunk) = parts.next_chunk().await? {
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(BoardError::UploadTooLarge { limit: max_bytes });
                }
                if head.len() < MAGIC_LEN {
                    let take = (MAGIC_LEN - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                }
                sink.write(&chunk).await?;
            }
            if !matches_magic(&content_type, &head) {
                return Err(BoardError::TypeMismatch { name: original_name, declared: content_type });
            }
            sink.finish().await?;
            received.accepted.push(NewAttachment {
                stored_name,
                original_name,
                content_type,
                size: i64::try_from(size).map_err(InfraError::internal)?,
                user_id: actor.id,
                at: self.clock.now(),
            });
        }
        Ok(())
    }

    /// Removes files of a refused upload; a file that cannot be removed is logged.
    async fn discard(&self, names: &[String]) {
        for name in names {
            if let Err(err) = self.files.remove(name).await {
                tracing::error!(stored_name = %name, error = %err, "could not remove a refused upload");
            }
        }
    }

    /// A file for a reader of its board.
    pub async fn download(&self, actor: &Actor, id: AttachmentId) -> Result<Download, BoardError> {
        let record = self.attachments.find(id).await?.ok_or(BoardError::AttachmentNotFound)?;
        self.gate
            .readable(actor, record.board_id)
            .await
            .map_err(|err| err.hidden_as(BoardError::AttachmentNotFound))?;
        let Some(reader) = self.files.open(&record.stored_name).await? else {
            tracing::error!(attachment = id, stored_name = %record.stored_name, "attachment file is missing");
            return Err(BoardError::AttachmentNotFound);
        };
        Ok(Download { attachment: record.attachment, reader })
    }

    /// Deletes a file: its uploader, the author of its post or comment, or an admin.
    pub async fn delete(&self, actor: &Actor, id: AttachmentId) -> Result<(), BoardError> {
        let record = self.attachments.find(id).await?.ok_or(BoardError::AttachmentNotFound)?;
        self.gate
            .writable(actor, record.board_id)
            .await
            .map_err(|err| err.hidden_as(BoardError::AttachmentNotFound))?;
        let owner = actor.is_admin() || record.attachment.user_id == actor.id || record.target_author == actor.id;
        if !owner {
            return Err(BoardError::NotAttachmentOwner);
        }
        if !self.attachments.delete(id).await? {
            return Err(BoardError::AttachmentNotFound);
        }
        // The record is gone first: a file that cannot be removed is an orphan on disk, never
        // a record pointing at nothing.
        if let Err(err) = self.files.remove(&record.stored_name).await {
            tracing::error!(attachment = id, error = %err, "could not remove the file of a deleted attachment");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
