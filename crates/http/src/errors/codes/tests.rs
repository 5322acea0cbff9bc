//! The registry's own checks: every entry is used and documented, and no code is written
//! outside it (Lemmy keeps the same test beside its error enum).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{Channel, ErrorCode};
use crate::errors::docs::{X_ERROR_CODES, X_FRAME_ERROR_CODES};

/// The sources of this crate, but the registry itself, as (path, text).
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("errors/codes.rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 20, "the crate's sources were not found");
    out
}

/// The name of a variant as written in code.
fn variant(code: ErrorCode) -> String {
    format!("{code:?}")
}

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    for code in ErrorCode::ALL {
        let text = code.code();
        assert!(seen.insert(text), "{text} is in the registry twice");
        let (area, name) = text.split_once('.').unwrap_or_default();
        let snake = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        assert!(snake(area) && snake(name), "{text} is not `area.snake_case`");
        assert!(code.status().is_client_error() || code.status().is_server_error(), "{text}: {}", code.status());
        assert!(!code.title().is_empty() && !code.meaning().is_empty(), "{text} needs a title and a meaning");
        assert_eq!(ErrorCode::parse(text), Some(*code));
    }
}

/// A code that no error is ever built with is dead weight clients still have to handle.
/// Documentation lists (`operation_errors!`) name variants without the `ErrorCode::` path,
/// so they do not count as uses.
#[test]
fn every_code_in_the_registry_is_used() {
    let sources = sources();
    let unused: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|code| {
            let needle = format!("ErrorCode::{}", variant(**code));
            !sources.iter().any(|(path, text)| {
                !path.ends_with("errors/docs.rs")
                    && text.match_indices(&needle).any(|(i, _)| {
                        // The whole variant name, not a prefix of a longer one.
                        !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                    })
            })
        })
        .map(|code| code.code())
        .collect();
    assert!(unused.is_empty(), "codes in the registry that no error uses: {unused:?}");
}

/// Codes are built only from registry entries: no file but the registry spells one, and
/// no string that looks like a code of the registry's areas is missing from it.
#[test]
fn no_code_is_written_outside_the_registry() {
    let areas: BTreeSet<&str> =
        ErrorCode::ALL.iter().filter_map(|c| c.code().split_once('.')).map(|(a, _)| a).collect();
    // Strings of the same shape that are not problem codes: audit actions in examples.
    let not_codes = ["board.create"];
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        // Every `"area.` opening a string, read up to its closing quote.
        let literals = areas.iter().flat_map(|area| {
            let opening = format!("\"{area}.");
            text.match_indices(&opening).filter_map(|(i, _)| text[i + 1..].split('"').next()).collect::<Vec<_>>()
        });
        for literal in literals {
            let Some((_, name)) = literal.split_once('.') else { continue };
            let looks_like_code = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !not_codes.contains(&literal);
            if looks_like_code {
                let known = if ErrorCode::parse(literal).is_some() { "spelled outside" } else { "not in" };
                offenders.push(format!("{}: {literal:?} ({known} the registry)", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "problem codes written outside the registry:\n{}", offenders.join("\n"));
}

/// Every entry a handler can answer is in the OpenAPI document of at least one operation
/// (fallback entries, answered when no operation matched, only in the whole list).
#[test]
fn every_code_is_documented_for_an_operation() {
    let api = serde_json::to_value(crate::openapi()).unwrap_or_default();
    let mut documented: BTreeMap<String, u64> = BTreeMap::new();
    let mut frames: BTreeSet<String> = BTreeSet::new();
    for item in api["paths"].as_object().into_iter().flat_map(|paths| paths.values()) {
        for operation in item.as_object().into_iter().flat_map(|ops| ops.values()) {
            let listed =
                operation[X_ERROR_CODES].as_object().unwrap_or_else(|| panic!("no {X_ERROR_CODES}: {operation}"));
            for (code, status) in listed {
                documented.insert(code.clone(), status.as_u64().unwrap_or_default());
                let response = &operation["responses"][status.to_string()];
                assert!(
                    response["description"].as_str().is_some_and(|d| d.contains(code.as_str())),
                    "{code} is listed but its {status} response does not describe it: {response}"
                );
            }
            for code in operation[X_FRAME_ERROR_CODES].as_array().into_iter().flatten() {
                frames.insert(code.as_str().unwrap_or_default().to_owned());
            }
        }
    }
    for code in ErrorCode::ALL {
        match code.channel() {
            Channel::Problem | Channel::Both => assert_eq!(
                documented.get(code.code()),
                Some(&u64::from(code.status().as_u16())),
                "{} is documented for no operation",
                code.code()
            ),
            Channel::Frame => {}
            Channel::Fallback => {}
        }
        if code.in_frames() {
            assert!(frames.contains(code.code()), "{} is documented for no WebSocket", code.code());
        }
    }
    for code in documented.keys() {
        assert!(ErrorCode::parse(code).is_some(), "{code} is documented but not in the registry");
    }
    let whole: Vec<&str> =
        api[X_ERROR_CODES].as_array().into_iter().flatten().filter_map(|e| e["code"].as_str()).collect();
    let all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
    assert_eq!(whole, all, "the document's {X_ERROR_CODES} is the whole registry");
}

#[test]
fn protected_operations_document_401_with_www_authenticate() {
    let api = serde_json::to_value(crate::openapi()).unwrap_or_default();
    let me = &api["paths"]["/api/v1/users/me"]["get"];
    assert_eq!(me[X_ERROR_CODES][ErrorCode::AuthTokenExpired.code()], 401);
    assert!(me["responses"]["401"]["headers"]["WWW-Authenticate"].is_object(), "{me}");
    let signup = &api["paths"]["/api/v1/auth/signup"]["post"];
    assert!(signup[X_ERROR_CODES].get(ErrorCode::AuthTokenMissing.code()).is_none(), "signup is public: {signup}");
    assert!(signup["responses"]["429"]["headers"]["Retry-After"].is_object(), "{signup}");
    for code in [ErrorCode::UserNameTaken, ErrorCode::RequestValidationFailed, ErrorCode::ServerInternal] {
        assert_eq!(signup[X_ERROR_CODES][code.code()], code.status().as_u16(), "{code}");
    }
}
