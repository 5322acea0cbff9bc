//! Free text of posts and comments: a length in characters (not bytes), never blank.

/// Checks that `raw` has `min..=max` characters and is not only whitespace.
pub(crate) fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let count = raw.chars().count();
    if count < min || count > max {
        return Err(format!("must be {min} to {max} characters long"));
    }
    if raw.trim().is_empty() {
        return Err("must not be blank".to_owned());
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(bounded_text(&"é".repeat(64), 1, 64).is_ok());
        assert!(bounded_text(&"é".repeat(65), 1, 64).is_err());
        assert!(bounded_text("🦀", 1, 1).is_ok());
    }

    #[test]
    fn rejects_empty_and_whitespace_only() {
        assert!(bounded_text("", 1, 64).is_err());
        assert!(bounded_text(" \t\n ", 1, 64).is_err());
        assert!(bounded_text("\u{3000}", 1, 64).is_err(), "ideographic space is whitespace");
        assert_eq!(bounded_text(" a ", 1, 64).as_deref(), Ok(" a "));
    }
}
