//! The text rules every domain shares: lengths count characters (not bytes), names and
//! titles are single-line, contents are never blank, and no text holds NUL or another
//! control character (multi-line fields keep newlines and tabs). Messages read the same
//! everywhere.

/// Why a text with a control character is refused: NUL cannot be stored by PostgreSQL at
/// all, and the others hide text or forge lines in logs and mails.
pub const CONTROL_CHARACTERS: &str = "must not contain control characters";

/// A name: trimmed, 1..=`max` characters, no control characters (no line breaks).
pub fn name(raw: &str, max: usize) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    at_most(name, max)?;
    single_line(name)?;
    Ok(name.to_owned())
}

/// A single line typed by a user (a title): like [`content`], but no control character
/// at all, line breaks included.
pub fn line(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let line = content(raw, min, max)?;
    single_line(&line)?;
    Ok(line)
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
    multi_line(raw)?;
    Ok(raw.to_owned())
}

/// Optional free text (descriptions): at most `max` characters, may be empty; kept as given.
pub fn optional(raw: &str, max: usize) -> Result<String, String> {
    at_most(raw, max)?;
    multi_line(raw)?;
    Ok(raw.to_owned())
}

/// Whether `text` has a control character that no field accepts: every one but the line
/// break, the tab and a carriage return that begins a CRLF line break.
pub fn has_forbidden_control(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            _ => !c.is_control(),
        };
        if !allowed {
            return true;
        }
    }
    false
}

fn single_line(text: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) { Err(CONTROL_CHARACTERS.to_owned()) } else { Ok(()) }
}

fn multi_line(text: &str) -> Result<(), String> {
    if has_forbidden_control(text) { Err(CONTROL_CHARACTERS.to_owned()) } else { Ok(()) }
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
    fn multi_line_text_keeps_line_breaks_and_tabs_but_refuses_other_controls() {
        assert!(content("one\ntwo\tthree\r\nfour", 1, 64).is_ok());
        assert!(optional("one\r\ntwo", 64).is_ok());
        for bad in ["nul\0here", "bell\u{7}", "esc\u{1b}[31m", "lone\rreturn", "del\u{7f}", "c1\u{85}"] {
            assert_eq!(content(bad, 1, 64), Err(CONTROL_CHARACTERS.to_owned()), "{bad:?}");
            assert_eq!(optional(bad, 64), Err(CONTROL_CHARACTERS.to_owned()), "{bad:?}");
        }
    }

    #[test]
    fn lines_refuse_every_control_character() {
        assert_eq!(line(" kept as typed ", 1, 64).as_deref(), Ok(" kept as typed "));
        for bad in ["two\nlines", "tab\there", "nul\0", "crlf\r\n"] {
            assert_eq!(line(bad, 1, 64), Err(CONTROL_CHARACTERS.to_owned()), "{bad:?}");
        }
        assert!(line("   ", 1, 64).is_err());
    }

    #[test]
    fn optional_text_may_be_empty_but_not_long() {
        assert_eq!(optional("", 8).as_deref(), Ok(""));
        assert_eq!(optional(" kept \n", 8).as_deref(), Ok(" kept \n"));
        assert!(optional(&"x".repeat(9), 8).is_err());
    }
}
