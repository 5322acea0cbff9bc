//! Embeds the git commit the binaries are built from as `AGORA_GIT_COMMIT`: the variable of
//! that name when set (container builds, which have no `.git`), else `git rev-parse`, else
//! "unknown".

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Rebuild when HEAD moves: HEAD itself (a checkout), and the branch it points to (a commit).
fn watch_head() {
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=AGORA_GIT_COMMIT");
    let commit = match std::env::var("AGORA_GIT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().chars().take(40).collect(),
        _ => {
            watch_head();
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_owned())
        }
    };
    println!("cargo:rustc-env=AGORA_GIT_COMMIT={commit}");
}
