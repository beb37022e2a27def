//! The Fernet keyring: the first key encrypts, every key decrypts, so keys rotate without logging anyone out.
//! Tokens are interoperable with Python's `cryptography.fernet` for the same key.

use fernet::{Fernet, MultiFernet};
use std::fmt;

#[derive(Clone)]
pub struct Keyring {
    fernet: std::sync::Arc<MultiFernet>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring([redacted])")
    }
}

impl Keyring {
    /// Builds the ring from keys already checked by `keys::load`; `None` if any is not a Fernet key.
    pub fn new(keys: &[String]) -> Option<Keyring> {
        let fernets = keys
            .iter()
            .map(|k| Fernet::new(k))
            .collect::<Option<Vec<_>>>()?;
        if fernets.is_empty() {
            return None;
        }
        Some(Keyring {
            fernet: std::sync::Arc::new(MultiFernet::new(fernets)),
        })
    }

    /// Seals a value with the first key (a fresh IV each time, so equal inputs give different tokens).
    pub fn seal(&self, plaintext: &[u8]) -> String {
        self.fernet.encrypt(plaintext)
    }

    /// Opens a token sealed by any key of the ring; `None` for anything else.
    pub fn open(&self, token: &str) -> Option<Vec<u8>> {
        self.fernet.decrypt(token).ok()
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
    }
}
