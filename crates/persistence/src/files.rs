//! The local-disk file store of attachments (`APP__STORAGE__DIR`).
//!
//! Files are named by the store itself (32 random hex digits) and live flat in one
//! directory; a name that is not one of ours is refused before any path is built, so no
//! client input ever reaches the file system.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use board::attachment::ports::{FileReader, FileSink, FileStore};
use kernel::InfraError;
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How much one read of a stored file returns.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct LocalFileStore {
    dir: PathBuf,
}

impl LocalFileStore {
    /// A store in `dir`, which is created when missing.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(LocalFileStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a name this store made, or `None` for anything else.
    fn path_of(&self, stored_name: &str) -> Option<PathBuf> {
        is_store_name(stored_name).then(|| self.dir.join(stored_name))
    }
}

/// Whether `name` has the shape of the names this store gives: 32 lower-case hex digits.
pub fn is_store_name(name: &str) -> bool {
    name.len() == 32 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn io_err(context: &str, err: std::io::Error) -> InfraError {
    InfraError::internal(format!("{context}: {err}"))
}

struct DiskSink {
    name: String,
    file: File,
}

#[async_trait]
impl FileSink for DiskSink {
    fn stored_name(&self) -> &str {
        &self.name
    }

    async fn write(&mut self, chunk: &[u8]) -> Result<(), InfraError> {
        self.file.write_all(chunk).await.map_err(|e| io_err("writing an upload", e))
    }

    async fn finish(mut self: Box<Self>) -> Result<(), InfraError> {
        self.file.flush().await.map_err(|e| io_err("flushing an upload", e))?;
        self.file.sync_all().await.map_err(|e| io_err("syncing an upload", e))
    }
}

struct DiskReader {
    file: File,
}

#[async_trait]
impl FileReader for DiskReader {
    async fn read(&mut self) -> Result<Option<Vec<u8>>, InfraError> {
        let mut buffer = vec![0; READ_CHUNK];
        let n = self.file.read(&mut buffer).await.map_err(|e| io_err("reading an attachment", e))?;
        if n == 0 {
            return Ok(None);
        }
        buffer.truncate(n);
        Ok(Some(buffer))
    }
}

#[async_trait]
impl FileStore for LocalFileStore {
    async fn create(&self) -> Result<Box<dyn FileSink>, InfraError> {
        let name = uuid::Uuid::new_v4().simple().to_string();
        let path = self.dir.join(&name);
        // `create_new` never opens an existing file, so a (vanishingly unlikely) clash of
        // random names fails instead of overwriting.
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| io_err("creating an upload file", e))?;
        Ok(Box::new(DiskSink { name, file }))
    }

    async fn open(&self, stored_name: &str) -> Result<Option<Box<dyn FileReader>>, InfraError> {
        let Some(path) = self.path_of(stored_name) else {
            return Ok(None);
        };
        match File::open(&path).await {
            Ok(file) => Ok(Some(Box::new(DiskReader { file }))),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(io_err("opening an attachment", err)),
        }
    }

    async fn remove(&self, stored_name: &str) -> Result<(), InfraError> {
        let Some(path) = self.path_of(stored_name) else {
            return Ok(());
        };
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(io_err("removing an attachment", err)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[tokio::test]
    async fn files_round_trip_under_random_names_and_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileStore::new(dir.path().join("files")).unwrap();
        let mut sink = store.create().await.unwrap();
        let name = sink.stored_name().to_owned();
        assert!(is_store_name(&name), "{name}");
        sink.write(b"hello ").await.unwrap();
        sink.write(b"world").await.unwrap();
        sink.finish().await.unwrap();

        let mut reader = store.open(&name).await.unwrap().expect("stored");
        let mut content = Vec::new();
        while let Some(chunk) = reader.read().await.unwrap() {
            content.extend(chunk);
        }
        assert_eq!(content, b"hello world");

        store.remove(&name).await.unwrap();
        assert!(store.open(&name).await.unwrap().is_none());
        store.remove(&name).await.unwrap();
        assert_eq!(std::fs::read_dir(store.dir()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn names_it_did_not_make_never_reach_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), b"x").unwrap();
        let store = LocalFileStore::new(dir.path().join("files")).unwrap();
        for name in ["../secret", "/etc/passwd", "..", "", "ABCDEF00000000000000000000000000"] {
            assert!(store.open(name).await.unwrap().is_none(), "{name}");
            store.remove(name).await.unwrap();
        }
        assert!(dir.path().join("secret").exists());
    }
}
