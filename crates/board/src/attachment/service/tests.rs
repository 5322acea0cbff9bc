//! Rules of the attachment service: limits, ownership, all-or-nothing uploads.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use kernel::InfraError;
use mockall::predicate::eq;

use super::*;
use crate::attachment::model::AttachmentRecord;
use crate::attachment::ports::{FileSink, IncomingFile, MockAttachmentRepository};
use crate::board::model::BoardAccess;
use crate::comment::model::{Comment, LocatedComment};
use crate::comment::ports::MockCommentRepository;
use crate::post::model::Author;
use crate::post::ports::MockPostRepository;
use crate::test_support::{admin, board, clock, gate, open_gate, post, t0, user};

/// A file store in memory; it records every file that exists.
#[derive(Default, Clone)]
struct MemoryStore {
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    next: Arc<Mutex<u32>>,
}

impl MemoryStore {
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.files.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }
}

struct MemorySink {
    name: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

#[async_trait]
impl FileSink for MemorySink {
    fn stored_name(&self) -> &str {
        &self.name
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), InfraError> {
        self.files.lock().unwrap().entry(self.name.clone()).or_default().extend_from_slice(chunk);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<(), InfraError> {
        Ok(())
    }
}

struct MemoryReader(Option<Vec<u8>>);

#[async_trait]
impl FileReader for MemoryReader {
    async fn read(&mut self) -> Result<Option<Vec<u8>>, InfraError> {
        Ok(self.0.take())
    }
}

#[async_trait]
impl FileStore for MemoryStore {
    async fn create(&self) -> Result<Box<dyn FileSink>, InfraError> {
        let mut next = self.next.lock().unwrap();
        *next += 1;
        let name = format!("f{next}");
        self.files.lock().unwrap().insert(name.clone(), Vec::new());
        Ok(Box::new(MemorySink { name, files: self.files.clone() }))
    }

    async fn open(&self, stored_name: &str) -> Result<Option<Box<dyn FileReader>>, InfraError> {
        let data = self.files.lock().unwrap().get(stored_name).cloned();
        Ok(data.map(|d| Box::new(MemoryReader(Some(d))) as Box<dyn FileReader>))
    }

    async fn remove(&self, stored_name: &str) -> Result<(), InfraError> {
        self.files.lock().unwrap().remove(stored_name);
        Ok(())
    }
}

/// Upload parts given up front: each file with its chunks.
struct Parts {
    files: VecDeque<(IncomingFile, VecDeque<Vec<u8>>)>,
    current: VecDeque<Vec<u8>>,
    /// How many chunks were pulled, to prove that limits stop the stream early.
    pulled: usize,
}

impl Parts {
    fn new(files: Vec<(&str, &str, Vec<Vec<u8>>)>) -> Self {
        let files = files
            .into_iter()
            .map(|(name, kind, chunks)| {
                let head = IncomingFile { file_name: Some(name.to_owned()), content_type: Some(kind.to_owned()) };
                (head, chunks.into_iter().collect())
            })
            .collect();
        Parts { files, current: VecDeque::new(), pulled: 0 }
    }
}

#[async_trait(?Send)]
impl UploadParts for Parts {
    async fn next_file(&mut self) -> Result<Option<IncomingFile>, BoardError> {
        Ok(self.files.pop_front().map(|(head, chunks)| {
            self.current = chunks;
            head
        }))
    }

    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BoardError> {
        let chunk = self.current.pop_front();
        self.pulled += usize::from(chunk.is_some());
        Ok(chunk)
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

struct Fixture {
    attachments: MockAttachmentRepository,
    posts: MockPostRepository,
    comments: MockCommentRepository,
    store: MemoryStore,
    gate: BoardGate,
    limits: UploadLimits,
}

impl Fixture {
    fn new() -> Self {
        let mut posts = MockPostRepository::new();
        posts.expect_find().with(eq(5)).returning(|_| Ok(Some(post(5, 2))));
        posts.expect_find().returning(|_| Ok(None));
        let mut comments = MockCommentRepository::new();
        comments.expect_find().with(eq(8)).returning(|_| {
            let comment = Comment {
                id: 8,
                post_id: 5,
                author: Author { id: 3, name: "user3".into() },
                content: "c".into(),
                create_date: t0(),
                update_date: t0(),
                is_file_attached: false,
                attachments: vec![],
            };
            Ok(Some(LocatedComment { comment, board_id: 1 }))
        });
        Fixture {
            attachments: MockAttachmentRepository::new(),
            posts,
            comments,
            store: MemoryStore::default(),
            gate: open_gate(),
            limits: UploadLimits { max_file_bytes: 16, max_files: 2 },
        }
    }

    fn with_existing(&mut self, count: u64) {
        self.attachments.expect_count().returning(move |_| Ok(count));
    }

    /// `create_all` echoes its input as records with ids 1, 2, ...
    fn accepting(&mut self) {
        self.attachments.expect_create_all().returning(|target, files, _| {
            Ok(files
                .into_iter()
                .enumerate()
                .map(|(i, f)| Attachment {
                    id: i as i64 + 1,
                    post_id: 5,
                    comment_id: match target {
                        AttachTarget::Comment(id) => Some(id),
                        AttachTarget::Post(_) => None,
                    },
                    user_id: f.user_id,
                    original_name: f.original_name,
                    content_type: f.content_type,
                    size: f.size,
                    create_date: f.at,
                })
                .collect())
        });
    }

    fn build(self) -> (AttachmentService, MemoryStore) {
        let store = self.store.clone();
        let service = AttachmentService::new(
            AttachmentPorts {
                attachments: Arc::new(self.attachments),
                posts: Arc::new(self.posts),
                comments: Arc::new(self.comments),
                files: Arc::new(self.store),
                clock: clock(),
            },
            self.gate,
            self.limits,
        );
        (service, store)
    }
}

#[tokio::test]
async fn files_are_streamed_to_the_store_and_recorded_with_sanitised_metadata() {
    let mut f = Fixture::new();
    f.with_existing(0);
    f.accepting();
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![
        ("../../etc/passwd", "text/plain", vec![b"root:x:0:0".to_vec()]),
        ("pic.png", "image/png", vec![PNG[..4].to_vec(), PNG[4..].to_vec()]),
    ]);
    let attachments = service.upload(&user(2), AttachTarget::Post(5), &mut parts).await.unwrap();
    assert_eq!(attachments.len(), 2);
    assert_eq!(attachments[0].original_name, "passwd");
    assert_eq!(attachments[0].size, 10);
    assert_eq!((attachments[1].content_type.as_str(), attachments[1].size), ("image/png", PNG.len() as i64));
    assert_eq!(store.names(), vec!["f1", "f2"]);
    assert_eq!(store.files.lock().unwrap()["f2"], PNG);
}

#[tokio::test]
async fn a_file_over_the_size_limit_stops_the_stream_and_leaves_nothing() {
    let mut f = Fixture::new();
    f.with_existing(0);
    f.attachments.expect_create_all().never();
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![
        ("ok.txt", "text/plain", vec![b"fine".to_vec()]),
        ("big.bin", "application/octet-stream", vec![vec![0; 10], vec![0; 10], vec![0; 10], vec![0; 10]]),
    ]);
    let err = service.upload(&user(2), AttachTarget::Post(5), &mut parts).await.unwrap_err();
    assert!(matches!(err, BoardError::UploadTooLarge { limit: 16 }), "{err:?}");
    assert_eq!(parts.pulled, 3, "reading stopped at the chunk that crossed the limit");
    assert!(store.names().is_empty(), "the accepted first file was removed too");
}

#[tokio::test]
async fn the_count_limit_counts_existing_files_and_is_enforced_while_streaming() {
    let mut f = Fixture::new();
    f.with_existing(1);
    f.attachments.expect_create_all().never();
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![
        ("a.txt", "text/plain", vec![b"a".to_vec()]),
        ("b.txt", "text/plain", vec![b"b".to_vec()]),
        ("c.txt", "text/plain", vec![b"c".to_vec()]),
    ]);
    let err = service.upload(&user(2), AttachTarget::Post(5), &mut parts).await.unwrap_err();
    assert!(matches!(err, BoardError::TooManyFiles { limit: 2 }), "{err:?}");
    assert_eq!(parts.files.len(), 1, "the third file was never read");
    assert!(store.names().is_empty());
}

#[tokio::test]
async fn a_race_lost_in_the_transaction_removes_the_files() {
    let mut f = Fixture::new();
    f.with_existing(0);
    f.attachments.expect_create_all().times(1).returning(|_, _, _| Err(AttachWriteError::TooMany));
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![("a.txt", "text/plain", vec![b"a".to_vec()])]);
    let err = service.upload(&user(2), AttachTarget::Post(5), &mut parts).await.unwrap_err();
    assert!(matches!(err, BoardError::TooManyFiles { .. }));
    assert!(store.names().is_empty());
}

#[tokio::test]
async fn an_image_type_that_the_content_contradicts_is_415_and_leaves_nothing() {
    let mut f = Fixture::new();
    f.with_existing(0);
    f.attachments.expect_create_all().never();
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![("evil.png", "image/png", vec![b"<script>alert(1)".to_vec()])]);
    let err = service.upload(&user(2), AttachTarget::Post(5), &mut parts).await.unwrap_err();
    assert!(matches!(err, BoardError::TypeMismatch { ref declared, .. } if declared == "image/png"), "{err:?}");
    assert!(store.names().is_empty());
}

#[tokio::test]
async fn an_upload_without_files_is_422() {
    let mut f = Fixture::new();
    f.with_existing(0);
    let (service, _) = f.build();
    let err = service.upload(&user(2), AttachTarget::Post(5), &mut Parts::new(vec![])).await.unwrap_err();
    assert!(matches!(err, BoardError::Validation(_)));
}

#[tokio::test]
async fn only_the_author_or_an_admin_may_attach() {
    let mut f = Fixture::new();
    f.with_existing(0);
    f.accepting();
    let (service, _) = f.build();
    let one = || Parts::new(vec![("a.txt", "text/plain", vec![b"a".to_vec()])]);
    assert!(matches!(
        service.upload(&user(3), AttachTarget::Post(5), &mut one()).await,
        Err(BoardError::NotPostAuthor)
    ));
    assert!(matches!(
        service.upload(&user(2), AttachTarget::Comment(8), &mut one()).await,
        Err(BoardError::NotCommentAuthor)
    ));
    assert!(service.upload(&user(3), AttachTarget::Comment(8), &mut one()).await.is_ok());
    assert!(service.upload(&admin(1), AttachTarget::Post(5), &mut one()).await.is_ok());
    assert!(matches!(service.upload(&user(2), AttachTarget::Post(6), &mut one()).await, Err(BoardError::PostNotFound)));
}

#[tokio::test]
async fn closed_boards_refuse_uploads_before_reading_anything() {
    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Public, true, false), vec![]);
    f.attachments.expect_count().never();
    let (service, store) = f.build();
    let mut parts = Parts::new(vec![("a.txt", "text/plain", vec![b"a".to_vec()])]);
    assert!(matches!(service.upload(&user(2), AttachTarget::Post(5), &mut parts).await, Err(BoardError::Closed)));
    assert_eq!(parts.files.len(), 1);
    assert!(store.names().is_empty());
}

fn record(uploader: i64, target_author: i64) -> AttachmentRecord {
    AttachmentRecord {
        attachment: Attachment {
            id: 4,
            post_id: 5,
            comment_id: None,
            user_id: uploader,
            original_name: "a.txt".into(),
            content_type: "text/plain".into(),
            size: 1,
            create_date: t0(),
        },
        stored_name: "f1".into(),
        board_id: 1,
        target_author,
    }
}

#[tokio::test]
async fn deleting_removes_the_record_then_the_file_for_owners_only() {
    let mut f = Fixture::new();
    f.attachments.expect_find().with(eq(4)).returning(|_| Ok(Some(record(2, 2))));
    f.attachments.expect_delete().with(eq(4)).times(1).returning(|_| Ok(true));
    let (service, store) = f.build();
    store.files.lock().unwrap().insert("f1".into(), b"a".to_vec());
    assert!(matches!(service.delete(&user(3), 4).await, Err(BoardError::NotAttachmentOwner)));
    assert_eq!(store.names(), vec!["f1"]);
    service.delete(&user(2), 4).await.unwrap();
    assert!(store.names().is_empty());
}

#[tokio::test]
async fn downloads_need_read_access_to_the_board() {
    let mut f = Fixture::new();
    f.gate = gate(board(1, BoardAccess::Restricted, true, false), vec![7]);
    f.attachments.expect_find().returning(|_| Ok(Some(record(2, 2))));
    let (service, store) = f.build();
    store.files.lock().unwrap().insert("f1".into(), b"a".to_vec());
    assert!(matches!(service.download(&user(3), 4).await, Err(BoardError::Forbidden)));
    let mut download = service.download(&user(7), 4).await.unwrap();
    assert_eq!(download.reader.read().await.unwrap(), Some(b"a".to_vec()));
    assert_eq!(download.attachment.id, 4);
}
