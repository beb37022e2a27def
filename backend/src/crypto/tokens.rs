//! Session tokens. A session has a secret id (`zust` + 128 random bits), which the client only ever sees sealed
//! in a Fernet token (the UST) and the database only as its SHA-256; and a public, non-secret `session_id` for
//! listing and ending sessions.

use super::keyring::Keyring;
use super::random_u128;
use gatehouse_shared::Ust;
use gatehouse_shared::ids::crockford_u128;

const SECRET_PREFIX: &str = "zust";
const SESSION_ID_PREFIX: &str = "zses";

/// A new session's identifiers.
pub struct NewSessionIds {
    pub ust: Ust,
    pub secret_hash: String,
    pub session_id: String,
}

impl std::fmt::Debug for NewSessionIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSessionIds")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

pub fn new_session(keyring: &Keyring) -> NewSessionIds {
    let secret = format!("{SECRET_PREFIX}{}", crockford_u128(random_u128()));
    NewSessionIds {
        ust: Ust::new(keyring.seal(secret.as_bytes())),
        secret_hash: hash_secret(&secret),
        session_id: format!("{SESSION_ID_PREFIX}{}", crockford_u128(random_u128())),
    }
}

/// The hash a session is stored and found by, from the UST the client sent. Only a Fernet token sealed by the
/// keyring around a session secret qualifies: a raw secret, or anything else, is `None`.
pub fn lookup_hash(keyring: &Keyring, ust: &str) -> Option<String> {
    let secret = keyring.open_text(ust)?;
    secret.starts_with(SECRET_PREFIX).then(|| hash_secret(&secret))
}

fn hash_secret(secret: &str) -> String {
    super::sha256_hex(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ust_opens_to_its_hash_and_nothing_else_does() {
        let keyring = Keyring::new(&[fernet::Fernet::generate_key()]).unwrap();
        let ids = new_session(&keyring);
        assert!(ids.ust.expose().starts_with("gAAAAA"));
        assert!(ids.session_id.starts_with("zses"));
        assert_eq!(
            lookup_hash(&keyring, ids.ust.expose()).as_deref(),
            Some(ids.secret_hash.as_str())
        );
        assert_eq!(ids.secret_hash.len(), 64);
        // The raw secret is not accepted (reference quirk Q3), nor a token of another keyring, nor a sealed
        // value that is not a session secret.
        let secret = keyring.open_text(ids.ust.expose()).unwrap();
        assert!(lookup_hash(&keyring, &secret).is_none());
        let other = Keyring::new(&[fernet::Fernet::generate_key()]).unwrap();
        assert!(lookup_hash(&other, ids.ust.expose()).is_none());
        assert!(lookup_hash(&keyring, &keyring.seal(b"hello")).is_none());
        assert_ne!(new_session(&keyring).secret_hash, ids.secret_hash);
        assert!(!format!("{ids:?}").contains(ids.ust.expose()));
    }
}
