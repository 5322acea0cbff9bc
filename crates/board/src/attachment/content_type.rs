//! Content types of uploads: normalised, and checked against the file's first bytes when
//! they claim an image type that browsers would render.

/// What is stored when a part declares no usable content type.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// How many leading bytes [`matches_magic`] needs.
pub const MAGIC_LEN: usize = 12;

/// The declared type reduced to its lower-case essence (`type/subtype`), or
/// `application/octet-stream` when it is absent or not a well-formed media type.
pub fn normalize(declared: Option<&str>) -> String {
    let Some(essence) = declared.and_then(|d| d.split(';').next()).map(|e| e.trim().to_ascii_lowercase()) else {
        return OCTET_STREAM.to_owned();
    };
    let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c));
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) && essence.len() <= 128 => essence,
        _ => OCTET_STREAM.to_owned(),
    }
}

/// Whether the content may be what `content_type` says. Only the image types a browser
/// renders are checked (PNG, JPEG, GIF, WebP); any other type is taken as declared.
pub fn matches_magic(content_type: &str, head: &[u8]) -> bool {
    match content_type {
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "image/webp" => head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_are_normalised() {
        assert_eq!(normalize(Some("Image/PNG; charset=binary")), "image/png");
        assert_eq!(normalize(Some("text/plain")), "text/plain");
        assert_eq!(normalize(None), OCTET_STREAM);
        assert_eq!(normalize(Some("nonsense")), OCTET_STREAM);
        assert_eq!(normalize(Some("text/<script>")), OCTET_STREAM);
    }

    #[test]
    fn image_types_must_match_their_magic_bytes() {
        assert!(matches_magic("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(!matches_magic("image/png", b"<html>hello</html>"));
        assert!(matches_magic("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        assert!(!matches_magic("image/jpeg", b"JFIF"));
        assert!(matches_magic("image/gif", b"GIF89a\x01\x00"));
        assert!(!matches_magic("image/gif", b"GIF90a"));
        assert!(matches_magic("image/webp", b"RIFF\x24\0\0\0WEBPVP8 "));
        assert!(!matches_magic("image/webp", b"RIFF\x24\0\0\0WAVEfmt "));
        assert!(!matches_magic("image/png", b""), "an empty file is no image");
        assert!(matches_magic("text/plain", b"\x89PNG"), "other types are not checked");
    }
}
