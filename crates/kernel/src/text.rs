//! The text rules every domain shares: lengths count characters (not bytes), names are
//! single-line, contents are never blank. Messages read the same everywhere.

/// A name: trimmed, 1..=`max` characters, no control characters (no line breaks).
pub fn name(raw: &str, max: usize) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    at_most(name, max)?;
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(name.to_owned())
}

/// Content typed by a user: `min..=max` characters and not only whitespace; kept as
/// typed (leading spaces and line breaks are the author's).
pub fn content(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let count = raw.chars().count();
    if count < min || count > max {
        return Err(format!("must be {min} to {max} characters long"));
    }
    if raw.trim().is_empty() {
        return Err("must not be blank".to_owned());
    }
    Ok(raw.to_owned())
}

/// Optional free text (descriptions): at most `max` characters, may be empty; kept as given.
pub fn optional(raw: &str, max: usize) -> Result<String, String> {
    at_most(raw, max)?;
    Ok(raw.to_owned())
}

fn at_most(text: &str, max: usize) -> Result<(), String> {
    if text.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_single_line_and_bounded_in_characters() {
        assert_eq!(name("  Billing  ", 64).as_deref(), Ok("Billing"));
        assert!(name(&"名".repeat(64), 64).is_ok());
        assert!(name(&"名".repeat(65), 64).is_err());
        assert!(name("   ", 64).is_err());
        assert!(name("two\nlines", 64).is_err());
        assert!(name("tab\there", 64).is_err());
    }

    #[test]
    fn contents_count_characters_and_are_never_blank() {
        assert!(content(&"é".repeat(64), 1, 64).is_ok());
        assert!(content(&"é".repeat(65), 1, 64).is_err());
        assert!(content("🦀", 1, 1).is_ok());
        assert!(content("", 1, 64).is_err());
        assert!(content(" \t\n ", 1, 64).is_err());
        assert!(content("\u{3000}", 1, 64).is_err(), "ideographic space is whitespace");
        assert_eq!(content(" a ", 1, 64).as_deref(), Ok(" a "));
    }

    #[test]
    fn optional_text_may_be_empty_but_not_long() {
        assert_eq!(optional("", 8).as_deref(), Ok(""));
        assert_eq!(optional(" kept \n", 8).as_deref(), Ok(" kept \n"));
        assert!(optional(&"x".repeat(9), 8).is_err());
    }
}
