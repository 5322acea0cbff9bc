//! Datasets: named numeric tables, uploaded as CSV, that models train on.

use kernel::{Id, Timestamp, UserId};

/// A dataset's id.
pub type DatasetId = Id;

/// A stored dataset, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub id: DatasetId,
    pub name: String,
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Data rows, not counting the header.
    pub rows: u64,
    /// The uploader; `None` for the dataset shipped with Agora.
    pub user_id: Option<UserId>,
    pub create_date: Timestamp,
}

/// A dataset about to be stored: its parsed shape and the CSV bytes it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDataset {
    pub name: DatasetName,
    pub columns: Vec<String>,
    pub rows: u64,
    pub content: Vec<u8>,
    pub user_id: Option<UserId>,
    pub create_date: Timestamp,
}

/// Leaves the content out: it can be megabytes long.
impl std::fmt::Debug for NewDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDataset")
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("rows", &self.rows)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .finish_non_exhaustive()
    }
}

/// 1..64 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetName(String);

impl DatasetName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::name(raw, Self::MAX_CHARS).map(DatasetName)
    }

    /// The default name of an uploaded file: its base name without the extension
    /// (`reports/sales.2024.csv` gives `sales.2024`).
    pub fn from_file_name(file_name: &str) -> Result<Self, String> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let stem = match base.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => base,
        };
        Self::parse(stem)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DatasetName::parse("  sales ").unwrap().as_str(), "sales");
        assert!(DatasetName::parse("   ").is_err());
        assert!(DatasetName::parse(&"n".repeat(64)).is_ok());
        assert!(DatasetName::parse(&"n".repeat(65)).is_err());
        assert!(DatasetName::parse("a\nb").is_err());
    }

    #[test]
    fn default_name_is_the_file_name_without_directory_and_extension() {
        let name = |file: &str| DatasetName::from_file_name(file).map(|n| n.as_str().to_owned());
        assert_eq!(name("sales.csv").unwrap(), "sales");
        assert_eq!(name("reports/sales.2024.csv").unwrap(), "sales.2024");
        assert_eq!(name("C:\\data\\prices.CSV").unwrap(), "prices");
        assert_eq!(name("noext").unwrap(), "noext");
        assert_eq!(name(".hidden").unwrap(), ".hidden");
        assert!(name("").is_err());
    }
}
