//! Users and the value types that make invalid account data unrepresentable.

use kernel::{Role, Timestamp, UserId};

/// A user as stored. The password hash never leaves the domain in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub password_hash: PasswordHash,
    pub join_date: Timestamp,
    pub update_date: Timestamp,
    pub is_superuser: bool,
    pub is_banned: bool,
    pub is_active: bool,
}

impl User {
    pub fn role(&self) -> Role {
        if self.is_superuser { Role::Admin } else { Role::User }
    }
}

/// A bcrypt hash (it carries its own salt and cost). Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(hash: String) -> Self {
        PasswordHash(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// The data of an account about to be created.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: UserName,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub is_superuser: bool,
    pub join_date: Timestamp,
}

/// A validated change of profile fields.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub name: Option<UserName>,
    pub email: Option<Email>,
}

/// 3..64 characters: letters of one script (no Latin mixed with Cyrillic), digits, `_`
/// and `-`. Names are unique by their [`UserName::key_of`], so two names that look alike
/// cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let count = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&count) {
            return Err(format!("must be {} to {} characters long", Self::MIN_CHARS, Self::MAX_CHARS));
        }
        if !raw.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err("may contain only letters, digits, '_' and '-'".to_owned());
        }
        if !unicode_security::MixedScript::is_single_script(raw) {
            return Err("must not mix letters of different scripts".to_owned());
        }
        // The stored key must obey the same rules: NFKC turns some characters into others
        // ("½" into "1⁄2") and may lengthen the name past the key's column.
        let key = Self::key_of(raw);
        if !key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return Err("may contain only letters, digits, '_' and '-'".to_owned());
        }
        if key.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters long once normalised", Self::MAX_CHARS));
        }
        Ok(UserName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that names are unique by and looked up with.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The NFKC case-folded form of a name (Unicode's `NFKC_Casefold` in spirit: NFKC,
    /// full case folding, NFKC again), so `ＲＯＯＴ`, `Root` and `root` are one name.
    pub fn key_of(raw: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let folded = caseless::default_case_fold_str(&raw.nfkc().collect::<String>());
        folded.nfkc().collect()
    }
}

/// An email address, lower-cased, at most 256 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if email.chars().count() > Self::MAX_CHARS {
            return Err(format!("must be at most {} characters long", Self::MAX_CHARS));
        }
        let invalid = || "is not a valid email address".to_owned();
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok { Ok(Email(email)) } else { Err(invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plain-text password on its way to the hasher: 8..72 bytes, because bcrypt reads only
/// 72 bytes and a longer password must be refused rather than silently cut.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 8;
    pub const MAX_BYTES: usize = 72;

    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() < Self::MIN_BYTES {
            return Err(format!("must be at least {} characters long", Self::MIN_BYTES));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!("must be at most {} bytes long", Self::MAX_BYTES));
        }
        if raw.chars().any(char::is_control) {
            return Err(kernel::text::CONTROL_CHARACTERS.to_owned());
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_name_accepts_letters_of_any_script_digits_underscore_and_dash() {
        for name in ["bob", "Zoë_1", "用户名", "a-b_c", "abc", &"x".repeat(64)] {
            assert!(UserName::parse(name).is_ok(), "{name} should be valid");
        }
    }

    #[test]
    fn user_name_rejects_wrong_length_and_symbols() {
        for name in ["ab", "", &"x".repeat(65), "bob smith", "bob!", "a.b", "<script>"] {
            assert!(UserName::parse(name).is_err(), "{name} should be invalid");
        }
    }

    #[test]
    fn user_name_key_is_lower_case() {
        assert_eq!(UserName::parse("AlIcE").map(|n| n.key()), Ok("alice".to_owned()));
    }

    #[test]
    fn user_name_refuses_mixed_scripts() {
        // "rооt" with two Cyrillic o: it would pass for "root".
        assert!(UserName::parse("r\u{43e}\u{43e}t").is_err());
        assert!(UserName::parse("p\u{430}ypal").is_err());
        for single in ["root", "\u{440}\u{443}\u{442}", "ユーザー", "用户_01", "Zoë-2"] {
            assert!(UserName::parse(single).is_ok(), "{single} is one script");
        }
    }

    #[test]
    fn user_name_key_folds_compatibility_forms_and_case() {
        let key = |raw: &str| UserName::parse(raw).map(|n| n.key());
        assert_eq!(key("\u{ff32}\u{ff2f}\u{ff2f}\u{ff34}"), Ok("root".to_owned()), "fullwidth letters");
        assert_eq!(key("Stra\u{df}e"), key("STRASSE"), "sharp s folds to ss");
        assert_eq!(UserName::key_of("Ro\u{301}ot"), UserName::key_of("R\u{f3}ot"), "composed and decomposed accents");
        assert!(UserName::parse("a\u{bd}b").is_err(), "one half becomes 1, fraction slash, 2");
        assert!(UserName::parse(&"\u{3392}".repeat(30)).is_err(), "each square MHz becomes three letters");
    }

    #[test]
    fn email_is_lower_cased_and_validated() {
        assert_eq!(Email::parse(" Alice@Example.COM ").map(|e| e.0), Ok("alice@example.com".to_owned()));
        for bad in ["", "alice", "alice@", "@example.com", "a@b", "a b@example.com", "a@-x.com", "a..b@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be invalid");
        }
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_refuses_control_characters() {
        assert!(Password::parse("pass\0word-1").is_err());
        assert!(Password::parse("pass\tword-1").is_err());
        assert!(Password::parse("correct horse battery").is_ok());
    }

    #[test]
    fn password_is_eight_to_seventy_two_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"p".repeat(72)).is_ok());
        assert!(Password::parse(&"p".repeat(73)).is_err());
        // 36 two-byte characters are 72 bytes; 37 are 74.
        assert!(Password::parse(&"é".repeat(36)).is_ok());
        assert!(Password::parse(&"é".repeat(37)).is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
        let hash = PasswordHash::new("$2b$12$secret".to_owned());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
