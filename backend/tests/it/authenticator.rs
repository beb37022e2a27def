//! A software passkey for the tests: a P-256 key that makes a discoverable credential (it keeps the user
//! handle and answers an empty allow list), as a platform authenticator would, and that can be made to lie
//! (another origin or relying party, no user verification, a counter that goes backwards, a bad signature).
//! webauthn-authenticator-rs's softpasskey makes no resident keys and returns no user handle, hence this.
//!
//! The wire format is WebAuthn's: `clientDataJSON`, `authenticatorData` (RP ID hash, flags, counter, and at
//! registration the attested credential with its COSE key), an attestation object of format `none`, and an
//! ECDSA signature (DER) over `authenticatorData || SHA-256(clientDataJSON)`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_cbor_2::Value as Cbor;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

pub const ORIGIN: &str = "http://localhost:8080";

pub struct Authenticator {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    user_handle: Option<Vec<u8>>,
    /// What the authenticator says it signs for; `None`: the options' RP ID.
    pub rp_id: Option<String>,
    pub origin: String,
    pub counter: u32,
    pub user_verified: bool,
    /// A synchronised credential (backup eligible and backed up).
    pub synced: bool,
    /// Flip a bit of the next signatures.
    pub forge: bool,
    /// The type written in the client data (`webauthn.get` unless changed).
    pub get_type: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

impl Default for Authenticator {
    fn default() -> Self {
        Authenticator::new()
    }
}

impl Authenticator {
    pub fn new() -> Authenticator {
        let key = loop {
            if let Ok(k) = SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                break k;
            }
        };
        Authenticator {
            key,
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            user_handle: None,
            rp_id: None,
            origin: ORIGIN.to_owned(),
            counter: 0,
            user_verified: true,
            synced: false,
            forge: false,
            get_type: "webauthn.get".to_owned(),
        }
    }

    /// A counting authenticator (a security key): its counter moves with each use.
    pub fn counting() -> Authenticator {
        let mut a = Authenticator::new();
        a.counter = 1;
        a
    }

    fn flags(&self) -> u8 {
        let mut f = UP;
        if self.user_verified {
            f |= UV;
        }
        if self.synced {
            f |= BE | BS;
        }
        f
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn rp_hash(&self, options_rp: &str) -> Vec<u8> {
        Sha256::digest(self.rp_id.as_deref().unwrap_or(options_rp).as_bytes()).to_vec()
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut map = BTreeMap::new();
        map.insert(Cbor::Integer(1), Cbor::Integer(2));
        map.insert(Cbor::Integer(3), Cbor::Integer(-7));
        map.insert(Cbor::Integer(-1), Cbor::Integer(1));
        map.insert(Cbor::Integer(-2), Cbor::Bytes(point.x().expect("x").to_vec()));
        map.insert(Cbor::Integer(-3), Cbor::Bytes(point.y().expect("y").to_vec()));
        serde_cbor_2::to_vec(&Cbor::Map(map)).expect("cbor")
    }

    /// Answers `navigator.credentials.create(options)`: a new discoverable credential for the options' user.
    pub fn create(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rp"]["id"].as_str().expect("an RP ID").to_owned();
        self.user_handle = Some(unb64(pk["user"]["id"].as_str().expect("a user id")));
        let client_data = self.client_data("webauthn.create", challenge);
        let mut auth_data = self.rp_hash(&rp_id);
        auth_data.push(self.flags() | AT);
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.credential_id);
        auth_data.extend_from_slice(&self.cose_key());
        let mut att = BTreeMap::new();
        att.insert(Cbor::Text("fmt".into()), Cbor::Text("none".into()));
        att.insert(Cbor::Text("attStmt".into()), Cbor::Map(BTreeMap::new()));
        att.insert(Cbor::Text("authData".into()), Cbor::Bytes(auth_data));
        let attestation = serde_cbor_2::to_vec(&Cbor::Map(att)).expect("cbor");
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&client_data),
            },
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get(options)` with this credential (an empty allow list: discoverable).
    pub fn get(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().expect("a challenge");
        let rp_id = pk["rpId"].as_str().expect("an RP ID").to_owned();
        if let Some(allowed) = pk["allowCredentials"].as_array().filter(|a| !a.is_empty()) {
            let mine = b64(&self.credential_id);
            assert!(
                allowed.iter().any(|c| c["id"].as_str() == Some(mine.as_str())),
                "the allow list names this credential"
            );
        }
        if self.counter > 0 {
            self.counter += 1;
        }
        let client_data = self.client_data(&self.get_type.clone(), challenge);
        let mut auth_data = self.rp_hash(&rp_id);
        auth_data.push(self.flags());
        auth_data.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&signed);
        let mut der = signature.to_der().as_bytes().to_vec();
        if self.forge {
            let last = der.len() - 1;
            der[last] ^= 0x01;
        }
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(&der),
                "userHandle": self.user_handle.as_deref().map(b64),
            },
            "extensions": {},
        })
    }
}
