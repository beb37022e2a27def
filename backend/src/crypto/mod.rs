//! Cryptography: password hashing on its own pool, the Fernet keys, random secrets.

pub mod argon2_worker;
pub mod hash_queue;
pub mod jws;
pub mod keyring;
pub mod keys;
pub mod password;
pub mod tokens;

use rand::RngCore;

/// `n` random bytes as URL-safe base64 without padding (Zato's generated passwords are 24 bytes of this).
pub fn random_urlsafe(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    base64_urlsafe(&bytes)
}

/// The SHA-256 of a text, in hex: how high-entropy one-time secrets (tokens, keys, codes) are stored.
pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A random 128-bit value.
pub fn random_u128() -> u128 {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    u128::from_le_bytes(bytes)
}

pub fn base64_urlsafe(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of unpadded base64url text; `None` if it is not that.
pub fn base64_urlsafe_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlsafe_base64_matches_rfc4648_vectors() {
        assert_eq!(base64_urlsafe(b""), "");
        assert_eq!(base64_urlsafe(b"f"), "Zg");
        assert_eq!(base64_urlsafe(b"fo"), "Zm8");
        assert_eq!(base64_urlsafe(b"foo"), "Zm9v");
        assert_eq!(base64_urlsafe(&[0xfb, 0xff]), "-_8");
        assert_eq!(random_urlsafe(24).len(), 32);
        assert_ne!(random_urlsafe(24), random_urlsafe(24));
    }
}
