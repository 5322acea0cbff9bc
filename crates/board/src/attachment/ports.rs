//! What the attachment use cases need: metadata storage, a file store, and the incoming parts
//! of an upload.

use async_trait::async_trait;
use kernel::InfraError;

use crate::attachment::model::{AttachTarget, Attachment, AttachmentId, AttachmentRecord, NewAttachment};
use crate::error::BoardError;

/// Why attachments could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AttachWriteError {
    /// The post or comment was deleted meanwhile.
    #[error("the post or comment is gone")]
    TargetGone,
    /// The target would exceed the count limit.
    #[error("too many files")]
    TooMany,
    #[error(transparent)]
    Infra(#[from] InfraError),
}

/// Storage of attachment metadata.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AttachmentRepository: Send + Sync {
    /// How many files the post (its own, not its comments') or the comment has.
    async fn count(&self, target: AttachTarget) -> Result<u64, InfraError>;

    /// Records all `files` for `target` in ONE transaction, all or none, and sets the target's
    /// `is_file_attached` in that transaction. MUST take the target's row lock first and
    /// refuse with `TooMany` when the target would then have more than `max_files` files (so
    /// concurrent uploads cannot pass the limit together), and with `TargetGone` when the
    /// target (or its post) was deleted. Returns the records in the order given.
    async fn create_all(
        &self,
        target: AttachTarget,
        files: Vec<NewAttachment>,
        max_files: u32,
    ) -> Result<Vec<Attachment>, AttachWriteError>;

    /// An attachment whose post (and comment, if any) still exists.
    async fn find(&self, id: AttachmentId) -> Result<Option<AttachmentRecord>, InfraError>;

    /// Deletes the record and, in the same transaction, sets the target's `is_file_attached`
    /// to whether it still has files (by SQL, after locking the target row). False when the
    /// record was already gone.
    async fn delete(&self, id: AttachmentId) -> Result<bool, InfraError>;
}

/// A file being written. Dropping it without [`finish`](FileSink::finish) leaves a partial
/// file that the caller removes with [`FileStore::remove`].
#[async_trait]
pub trait FileSink: Send {
    /// The file's name in the store.
    fn stored_name(&self) -> &str;
    async fn write(&mut self, chunk: &[u8]) -> Result<(), InfraError>;
    /// Flushes the file to durable storage.
    async fn finish(self: Box<Self>) -> Result<(), InfraError>;
}

/// A stored file being read, chunk by chunk.
#[async_trait]
pub trait FileReader: Send {
    /// The next chunk, `None` at the end.
    async fn read(&mut self) -> Result<Option<Vec<u8>>, InfraError>;
}

/// Where the bytes of attachments live.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// A new, empty file under a fresh random name (never derived from client input).
    async fn create(&self) -> Result<Box<dyn FileSink>, InfraError>;
    /// The file, or `None` when it does not exist. MUST refuse names it did not make (no
    /// path ever reaches the disk from outside).
    async fn open(&self, stored_name: &str) -> Result<Option<Box<dyn FileReader>>, InfraError>;
    /// Deletes the file; a file that does not exist is not an error.
    async fn remove(&self, stored_name: &str) -> Result<(), InfraError>;
}

/// The head of one uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingFile {
    /// The file name the client sent, if any (raw, unsanitised).
    pub file_name: Option<String>,
    /// The content type the client declared, if any (raw).
    pub content_type: Option<String>,
}

/// The files of an upload request, read as they arrive (the HTTP adapter implements it over
/// multipart). Not `Send`: it lives on the request's worker thread.
#[async_trait(?Send)]
pub trait UploadParts {
    /// Moves to the next file, skipping what is left of the current one. `None` at the end.
    /// Errors are `UploadMalformed` or `Validation` (e.g. a part that is not a file).
    async fn next_file(&mut self) -> Result<Option<IncomingFile>, BoardError>;
    /// The next chunk of the current file, `None` at its end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BoardError>;
}
