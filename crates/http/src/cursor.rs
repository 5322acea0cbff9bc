//! Opaque, tamper-evident pagination cursors: a position signed with a server key and
//! bound to the list it came from, so a forged or foreign cursor is refused with 400.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use kernel::Cursor;
use sha2::Sha256;

use crate::problem::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Signs and reads cursors.
#[derive(Clone)]
pub struct CursorCodec {
    key: Vec<u8>,
}

impl CursorCodec {
    /// `secret` should be server-private; deriving it from the JWT secret is fine because
    /// the scope prefix keeps the two uses apart.
    pub fn new(secret: &[u8]) -> Self {
        let mut key = b"agora-cursor-v1:".to_vec();
        key.extend_from_slice(secret);
        CursorCodec { key }
    }

    fn mac(&self, scope: &str, payload: &str) -> HmacSha256 {
        // Hmac accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(scope.as_bytes());
        mac.update(b"|");
        mac.update(payload.as_bytes());
        mac
    }

    /// Encodes a position of the list named `scope` (e.g. `posts:new:board=3`).
    pub fn encode(&self, scope: &str, cursor: Cursor) -> String {
        let payload = format!("{}.{}", cursor.key, cursor.id);
        let tag = self.mac(scope, &payload).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(&tag[..16]))
    }

    /// Reads a cursor made by [`encode`](Self::encode) for the same scope.
    pub fn decode(&self, scope: &str, raw: &str) -> Result<Cursor, ApiError> {
        let invalid = || {
            ApiError::new(
                crate::errors::ErrorCode::PaginationInvalidCursor,
                "The cursor is not one this server made for this list.",
            )
        };
        let (payload, tag) = raw.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let payload = String::from_utf8(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(scope, &payload).verify_truncated_left(&tag).map_err(|_| invalid())?;
        if tag.len() != 16 {
            return Err(invalid());
        }
        let (key, id) = payload.split_once('.').ok_or_else(invalid)?;
        Ok(Cursor { key: key.parse().map_err(|_| invalid())?, id: id.parse().map_err(|_| invalid())? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_within_their_scope() {
        let codec = CursorCodec::new(b"secret");
        let raw = codec.encode("users", Cursor { key: -3, id: 42 });
        assert_eq!(codec.decode("users", &raw).unwrap(), Cursor { key: -3, id: 42 });
    }

    #[test]
    fn forged_foreign_and_garbage_cursors_are_refused() {
        let codec = CursorCodec::new(b"secret");
        let raw = codec.encode("users", Cursor::by_id(42));
        assert!(codec.decode("boards", &raw).is_err(), "other list");
        assert!(CursorCodec::new(b"other").decode("users", &raw).is_err(), "other key");
        let forged = format!("{}.{}", URL_SAFE_NO_PAD.encode("1.1"), raw.split_once('.').unwrap().1);
        assert!(codec.decode("users", &forged).is_err(), "changed position");
        for garbage in ["", ".", "abc", "MTIz", "a.b.c", "%%%"] {
            let err = codec.decode("users", garbage).unwrap_err();
            assert_eq!(err.code, crate::errors::ErrorCode::PaginationInvalidCursor);
        }
    }
}
