//! The Fernet keyring: the first key encrypts, every key decrypts, so keys rotate without logging anyone out.
//! Tokens are interoperable with Python's `cryptography.fernet` for the same key.

use fernet::{Fernet, MultiFernet};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Clone)]
pub struct Keyring {
    fernet: std::sync::Arc<MultiFernet>,
    /// The key of lookup hashes (e-mail search when e-mails are sealed). Stored in the database sealed with the
    /// ring (see `sso::key_rotation`), so that it outlives the keys; until it is read from there, the one a
    /// store made before it was stored used: derived from the oldest key of the ring.
    lookup_key: std::sync::Arc<[u8; 32]>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring([redacted])")
    }
}

impl Keyring {
    /// Builds the ring from keys already checked by `keys::load`; `None` if any is not a Fernet key.
    pub fn new(keys: &[String]) -> Option<Keyring> {
        let fernets = keys.iter().map(|k| Fernet::new(k)).collect::<Option<Vec<_>>>()?;
        if fernets.is_empty() {
            return None;
        }
        let oldest = keys.last()?;
        let lookup_key: [u8; 32] = Sha256::new()
            .chain_update(b"gatehouse lookup hash v1\0")
            .chain_update(oldest.as_bytes())
            .finalize()
            .into();
        Some(Keyring {
            fernet: std::sync::Arc::new(MultiFernet::new(fernets)),
            lookup_key: std::sync::Arc::new(lookup_key),
        })
    }

    /// The lookup key in use.
    pub fn lookup_key(&self) -> [u8; 32] {
        *self.lookup_key
    }

    /// The same ring with another lookup key.
    pub fn with_lookup_key(&self, key: [u8; 32]) -> Keyring {
        Keyring {
            fernet: self.fernet.clone(),
            lookup_key: std::sync::Arc::new(key),
        }
    }

    /// A ring with only the first key, which seals; for checking that a value was sealed with it.
    pub fn first_only(keys: &[String]) -> Option<Keyring> {
        Keyring::new(keys.get(..1)?)
    }

    /// Seals a value with the first key (a fresh IV each time, so equal inputs give different tokens).
    pub fn seal(&self, plaintext: &[u8]) -> String {
        self.fernet.encrypt(plaintext)
    }

    /// Opens a token sealed by any key of the ring; `None` for anything else.
    pub fn open(&self, token: &str) -> Option<Vec<u8>> {
        self.fernet.decrypt(token).ok()
    }

    /// A keyed hash for finding a sealed value by equality (HMAC-SHA256, hex).
    pub fn lookup_hash(&self, value: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.lookup_key.as_slice()).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Opens a token that must hold UTF-8 text.
    pub fn open_text(&self, token: &str) -> Option<String> {
        self.open(token).and_then(|b| String::from_utf8(b).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_key_seals_every_key_opens() {
        let old = Fernet::generate_key();
        let new = Fernet::generate_key();
        let before = Keyring::new(std::slice::from_ref(&old)).unwrap();
        let token = before.seal(b"secret");
        assert!(token.starts_with("gAAAAA"));
        let rotated = Keyring::new(&[new.clone(), old]).unwrap();
        assert_eq!(rotated.open(&token).unwrap(), b"secret");
        let fresh = rotated.seal(b"x");
        assert!(Keyring::new(&[new]).unwrap().open(&fresh).is_some());
        assert!(
            before.open(&fresh).is_none(),
            "a token sealed by the new key is not opened by the old ring"
        );
        assert!(rotated.open("zust-not-a-token").is_none());
        assert!(Keyring::new(&["short".to_owned()]).is_none());
        // Lookup hashes are stable across a rotation that keeps the oldest key, and keyed.
        let before_hash = before.lookup_hash("alice@example.com");
        assert_eq!(rotated.lookup_hash("alice@example.com"), before_hash);
        assert_ne!(before.lookup_hash("bob@example.com"), before_hash);
        assert_ne!(
            Keyring::new(&[Fernet::generate_key()])
                .unwrap()
                .lookup_hash("alice@example.com"),
            before_hash
        );
    }
}
