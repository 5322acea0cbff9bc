//! The one JWT algorithm Agora uses, HS256, as `jsonwebtoken`'s crypto provider.
//!
//! `jsonwebtoken`'s bundled backends bring every algorithm: `rust_crypto` pulls `rsa` 0.9
//! (RUSTSEC-2023-0071, no fix) and `aws_lc_rs` a C library. Agora signs and checks HS256
//! only, so it installs this provider, built on `hmac` and `sha2`, and enables neither.

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{self, Signer, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HS256 and nothing else: any other algorithm is refused as `InvalidAlgorithm`; JWK key
/// utilities are not provided (Agora reads no JWKs).
static HS256_ONLY: CryptoProvider =
    CryptoProvider { signer_factory: signer, verifier_factory: verifier, key_utils: KeyUtils::new_unimplemented() };

/// Makes the HS256 provider the process's; idempotent. Must run before the first encode or
/// decode (`JwtCodec::new` calls it).
pub fn install() {
    // `Err` means a provider is already installed: ours, by an earlier call.
    let _ = HS256_ONLY.install_default();
}

fn hmac_key(family: AlgorithmFamily, algorithm: Algorithm, bytes: &[u8]) -> Result<HmacSha256> {
    if algorithm != Algorithm::HS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    if family != AlgorithmFamily::Hmac {
        return Err(ErrorKind::InvalidKeyFormat.into());
    }
    HmacSha256::new_from_slice(bytes).map_err(|_| ErrorKind::InvalidKeyFormat.into())
}

fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    Ok(Box::new(Hs256(hmac_key(key.family(), *algorithm, key.as_bytes())?)))
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    Ok(Box::new(Hs256(hmac_key(key.family(), *algorithm, key.try_get_as_bytes()?)?)))
}

struct Hs256(HmacSha256);

impl Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, message: &[u8], tag: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(message);
        // Constant-time comparison.
        mac.verify_slice(tag).map_err(signature::Error::from_source)
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}
