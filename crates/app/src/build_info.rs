//! What the binaries were built from: the version and the git commit (embedded by
//! `build.rs`; "unknown" when built without git and without `AGORA_GIT_COMMIT`).

/// The workspace version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The abbreviated git commit, or `unknown`.
pub const COMMIT: &str = env!("AGORA_GIT_COMMIT");

/// What `--version` prints after the program name: `0.1.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("AGORA_GIT_COMMIT"), ")");
