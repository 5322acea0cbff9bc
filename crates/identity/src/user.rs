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

/// 3..64 characters: letters of any script, digits, `_` and `-`.
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
        Ok(UserName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key that names are unique by.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
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
    fn email_is_lower_cased_and_validated() {
        assert_eq!(Email::parse(" Alice@Example.COM ").map(|e| e.0), Ok("alice@example.com".to_owned()));
        for bad in ["", "alice", "alice@", "@example.com", "a@b", "a b@example.com", "a@-x.com", "a..b@x.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be invalid");
        }
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(Email::parse(&long).is_err());
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
