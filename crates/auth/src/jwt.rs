//! HS256 JSON Web Tokens with a token type, so an access token is never taken for a
//! refresh token or the other way round.

use chrono::{DateTime, Utc};
use identity::ports::TokenCodec;
use identity::{AccessClaims, RefreshClaims, TokenError};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::{InfraError, Role};
use serde::{Deserialize, Serialize};

const ACCESS: &str = "access";
const REFRESH: &str = "refresh";

/// The claims as they travel: registered names plus `typ` (token type), `sid` (the login
/// session, i.e. refresh family) and, on access tokens, `role`.
#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    jti: String,
    iat: i64,
    exp: i64,
    typ: String,
    sid: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
}

/// Signs and checks tokens with one HMAC secret.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtCodec {
    pub fn new(secret: &[u8]) -> Self {
        crate::jwt_crypto::install();
        let mut validation = Validation::new(Algorithm::HS256);
        // Every instance shares one clock source; expiry means expiry.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat", "jti"]);
        JwtCodec { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation }
    }

    fn encode(&self, claims: &WireClaims) -> Result<String, InfraError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(InfraError::internal)
    }

    fn decode(&self, token: &str, typ: &str) -> Result<WireClaims, TokenError> {
        let data =
            jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &self.validation).map_err(|err| {
                match err.kind() {
                    ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                }
            })?;
        if data.claims.typ != typ {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

fn timestamp(seconds: i64) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(seconds, 0).ok_or(TokenError::Invalid)
}

fn user_id(sub: &str) -> Result<i64, TokenError> {
    sub.parse().map_err(|_| TokenError::Invalid)
}

impl TokenCodec for JwtCodec {
    fn encode_access(&self, claims: &AccessClaims) -> Result<String, InfraError> {
        self.encode(&WireClaims {
            sub: claims.user_id.to_string(),
            jti: claims.jti.clone(),
            iat: claims.issued_at.timestamp(),
            exp: claims.expires_at.timestamp(),
            typ: ACCESS.to_owned(),
            sid: claims.family_id,
            role: Some(claims.role),
        })
    }

    fn encode_refresh(&self, claims: &RefreshClaims) -> Result<String, InfraError> {
        self.encode(&WireClaims {
            sub: claims.user_id.to_string(),
            jti: claims.jti.clone(),
            iat: claims.issued_at.timestamp(),
            exp: claims.expires_at.timestamp(),
            typ: REFRESH.to_owned(),
            sid: claims.family_id,
            role: None,
        })
    }

    fn decode_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let wire = self.decode(token, ACCESS)?;
        Ok(AccessClaims {
            user_id: user_id(&wire.sub)?,
            role: wire.role.ok_or(TokenError::Invalid)?,
            jti: wire.jti,
            family_id: wire.sid,
            issued_at: timestamp(wire.iat)?,
            expires_at: timestamp(wire.exp)?,
        })
    }

    fn decode_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError> {
        let wire = self.decode(token, REFRESH)?;
        Ok(RefreshClaims {
            user_id: user_id(&wire.sub)?,
            jti: wire.jti,
            family_id: wire.sid,
            issued_at: timestamp(wire.iat)?,
            expires_at: timestamp(wire.exp)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::Duration;

    use super::*;

    fn codec() -> JwtCodec {
        JwtCodec::new(b"a-test-secret-that-is-long-enough-for-hs256")
    }

    fn access(expires_in: Duration) -> AccessClaims {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        AccessClaims {
            user_id: 42,
            role: Role::Admin,
            jti: "jti-1".into(),
            family_id: 7,
            issued_at: now,
            expires_at: now + expires_in,
        }
    }

    fn refresh() -> RefreshClaims {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        RefreshClaims {
            user_id: 42,
            jti: "jti-2".into(),
            family_id: 7,
            issued_at: now,
            expires_at: now + Duration::days(1),
        }
    }

    #[test]
    fn access_tokens_round_trip() {
        let claims = access(Duration::minutes(5));
        let token = codec().encode_access(&claims).unwrap();
        assert_eq!(codec().decode_access(&token).unwrap(), claims);
    }

    #[test]
    fn refresh_tokens_round_trip() {
        let claims = refresh();
        let token = codec().encode_refresh(&claims).unwrap();
        assert_eq!(codec().decode_refresh(&token).unwrap(), claims);
    }

    #[test]
    fn one_kind_is_never_accepted_as_the_other() {
        let access_token = codec().encode_access(&access(Duration::minutes(5))).unwrap();
        let refresh_token = codec().encode_refresh(&refresh()).unwrap();
        assert_eq!(codec().decode_refresh(&access_token), Err(TokenError::Invalid));
        assert_eq!(codec().decode_access(&refresh_token), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_reported_as_expired() {
        let token = codec().encode_access(&access(Duration::seconds(-10))).unwrap();
        assert_eq!(codec().decode_access(&token), Err(TokenError::Expired));
    }

    #[test]
    fn tokens_signed_with_another_secret_are_invalid() {
        let token = JwtCodec::new(b"another-secret-another-secret-another")
            .encode_access(&access(Duration::minutes(5)))
            .unwrap();
        assert_eq!(codec().decode_access(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn unsigned_alg_none_tokens_are_invalid() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let exp = Utc::now().timestamp() + 600;
        let payload = URL_SAFE_NO_PAD.encode(
            format!(r#"{{"sub":"42","jti":"x","iat":1,"exp":{exp},"typ":"access","sid":7,"role":"admin"}}"#).as_bytes(),
        );
        for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
            assert_eq!(codec().decode_access(&token), Err(TokenError::Invalid));
        }
    }

    #[test]
    fn tokens_of_another_hmac_algorithm_are_invalid() {
        let claims = access(Duration::minutes(5));
        let secret = b"a-test-secret-that-is-long-enough-for-hs256";
        let wire = WireClaims {
            sub: "42".into(),
            jti: claims.jti.clone(),
            iat: claims.issued_at.timestamp(),
            exp: claims.expires_at.timestamp(),
            typ: ACCESS.into(),
            sid: 7,
            role: Some(Role::Admin),
        };
        codec();
        let hs512 = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &wire, &EncodingKey::from_secret(secret));
        assert!(hs512.is_err(), "only HS256 is provided");
    }

    #[test]
    fn garbage_is_invalid() {
        for token in ["", "abc", "a.b.c", "Bearer x"] {
            assert_eq!(codec().decode_access(token), Err(TokenError::Invalid));
        }
    }
}
