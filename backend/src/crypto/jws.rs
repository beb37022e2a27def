//! Signing and verifying JSON Web Tokens (compact JWS) with aws-lc-rs: RS256 (RSASSA-PKCS1-v1_5 with SHA-256
//! over 2048-bit keys; aws-lc-rs's RSA private-key operations are constant-time, the `rsa` crate's are not:
//! RUSTSEC-2023-0071), ES256 (ECDSA P-256, fixed-length signatures) and EdDSA (Ed25519). A key is generated
//! here, kept as PKCS#8 DER (sealed by the caller before it is stored), and published as a JWK; its `kid` is
//! its RFC 7638 thumbprint. A compact JWS is three base64url parts: header, payload, signature.

use super::base64_urlsafe;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, ED25519, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use serde_json::{Value, json};

/// The algorithms a key signs with, by their JOSE names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Alg {
    #[default]
    Rs256,
    Es256,
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::Rs256, Alg::Es256, Alg::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

enum Pair {
    Rsa(KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A signing key: its id, its algorithm and the parsed key pair.
pub struct SigningKey {
    pub kid: String,
    pub alg: Alg,
    pair: Pair,
}

// The private key never reaches a debug print.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("key generation failed")]
    Generate,
    #[error("stored signing key {0} is not a PKCS#8 key of its algorithm")]
    BadKey(String),
    #[error("signing failed")]
    Sign,
    #[error("not a compact JWS")]
    Malformed,
    #[error("signed by no key of this issuer")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
}

fn b64(part: &str) -> Result<Vec<u8>, JwsError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed)
}

impl SigningKey {
    /// A new key of `alg`, with its PKCS#8 DER (to be sealed and stored).
    pub fn generate(alg: Alg) -> Result<(SigningKey, Vec<u8>), JwsError> {
        let (pair, der) = match alg {
            Alg::Rs256 => {
                let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| JwsError::Generate)?;
                let der = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| JwsError::Generate)?;
                let der = der.as_ref().to_vec();
                (Pair::Rsa(pair), der)
            }
            Alg::Es256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| JwsError::Generate)?;
                let der = pair.to_pkcs8v1().map_err(|_| JwsError::Generate)?.as_ref().to_vec();
                (Pair::Ec(pair), der)
            }
            Alg::EdDsa => {
                let pair = Ed25519KeyPair::generate().map_err(|_| JwsError::Generate)?;
                let der = pair.to_pkcs8v1().map_err(|_| JwsError::Generate)?.as_ref().to_vec();
                (Pair::Ed(pair), der)
            }
        };
        let mut key = SigningKey {
            kid: String::new(),
            alg,
            pair,
        };
        key.kid = key.thumbprint();
        Ok((key, der))
    }

    /// A stored key, from its id, algorithm and PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, alg: Alg, der: &[u8]) -> Result<SigningKey, JwsError> {
        let bad = |_| JwsError::BadKey(kid.to_owned());
        let pair = match alg {
            Alg::Rs256 => Pair::Rsa(KeyPair::from_pkcs8(der).map_err(bad)?),
            Alg::Es256 => Pair::Ec(EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(bad)?),
            Alg::EdDsa => Pair::Ed(Ed25519KeyPair::from_pkcs8(der).map_err(bad)?),
        };
        Ok(SigningKey {
            kid: kid.to_owned(),
            alg,
            pair,
        })
    }

    /// The public members of the JWK, in lexicographic order (as RFC 7638 §3 needs them).
    fn public_members(&self) -> Vec<(&'static str, String)> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = pair.public_key();
                vec![
                    ("e", base64_urlsafe(public.exponent().big_endian_without_leading_zero())),
                    ("kty", "RSA".to_owned()),
                    ("n", base64_urlsafe(public.modulus().big_endian_without_leading_zero())),
                ]
            }
            Pair::Ec(pair) => {
                // An uncompressed point: 0x04, then x and y of 32 bytes each.
                let point = pair.public_key().as_ref();
                vec![
                    ("crv", "P-256".to_owned()),
                    ("kty", "EC".to_owned()),
                    ("x", base64_urlsafe(&point[1..33])),
                    ("y", base64_urlsafe(&point[33..65])),
                ]
            }
            Pair::Ed(pair) => vec![
                ("crv", "Ed25519".to_owned()),
                ("kty", "OKP".to_owned()),
                ("x", base64_urlsafe(pair.public_key().as_ref())),
            ],
        }
    }

    fn thumbprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let members: Vec<String> = self
            .public_members()
            .iter()
            .map(|(k, v)| format!("\"{k}\":\"{v}\""))
            .collect();
        let canonical = format!("{{{}}}", members.join(","));
        base64_urlsafe(&Sha256::digest(canonical.as_bytes())[..16])
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        let mut jwk = serde_json::Map::new();
        for (k, v) in self.public_members() {
            jwk.insert(k.to_owned(), Value::String(v));
        }
        jwk.insert("use".into(), json!("sig"));
        jwk.insert("alg".into(), json!(self.alg.as_str()));
        jwk.insert("kid".into(), json!(self.kid));
        Value::Object(jwk)
    }

    /// `claims` signed as a compact JWS of type `JWT`, with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> Result<String, JwsError> {
        self.sign_typed("JWT", claims)
    }

    /// `claims` signed as a compact JWS with the header's `typ` (a logout token's is `logout+jwt`).
    pub fn sign_typed(&self, typ: &str, claims: &Value) -> Result<String, JwsError> {
        let header = json!({"alg": self.alg.as_str(), "typ": typ, "kid": self.kid});
        let input = format!(
            "{}.{}",
            base64_urlsafe(header.to_string().as_bytes()),
            base64_urlsafe(claims.to_string().as_bytes())
        );
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut signature,
                )
                .map_err(|_| JwsError::Sign)?;
                signature
            }
            Pair::Ec(pair) => pair
                .sign(&SystemRandom::new(), input.as_bytes())
                .map_err(|_| JwsError::Sign)?
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{input}.{}", base64_urlsafe(&signature)))
    }

    /// Whether `signature` is this key's over `input`.
    fn verifies(&self, input: &[u8], signature: &[u8]) -> bool {
        match &self.pair {
            Pair::Rsa(pair) => UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref())
                .verify(input, signature)
                .is_ok(),
            Pair::Ec(pair) => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
                .verify(input, signature)
                .is_ok(),
            Pair::Ed(pair) => UnparsedPublicKey::new(&ED25519, pair.public_key().as_ref())
                .verify(input, signature)
                .is_ok(),
        }
    }
}

/// The claims of a compact JWS signed by one of `keys` (found by `kid`, its `alg` the key's own: no `none`,
/// no algorithm chosen by the token). Says nothing of the claims themselves: the caller checks them.
pub fn verify(keys: &[SigningKey], token: &str) -> Result<Value, JwsError> {
    if token.len() > 16 * 1024 {
        return Err(JwsError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed);
    };
    let header: Value = serde_json::from_slice(&b64(h)?).map_err(|_| JwsError::Malformed)?;
    let (Some(kid), Some(alg)) = (header["kid"].as_str(), header["alg"].as_str()) else {
        return Err(JwsError::Malformed);
    };
    let key = keys
        .iter()
        .find(|k| k.kid == kid && k.alg.as_str() == alg)
        .ok_or(JwsError::UnknownKey)?;
    if !key.verifies(format!("{h}.{p}").as_bytes(), &b64(sig)?) {
        return Err(JwsError::BadSignature);
    }
    let claims: Value = serde_json::from_slice(&b64(p)?).map_err(|_| JwsError::Malformed)?;
    if !claims.is_object() {
        return Err(JwsError::Malformed);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_of_each_algorithm_verifies_with_its_key_and_not_after_tampering() {
        for alg in Alg::ALL {
            let (key, der) = SigningKey::generate(alg).unwrap();
            let again = SigningKey::from_pkcs8(&key.kid, alg, &der).unwrap();
            assert_eq!(again.jwk(), key.jwk());
            assert_eq!(key.jwk()["alg"], alg.as_str());
            let token = again.sign(&json!({"sub": "zusr1", "aud": "app"})).unwrap();
            let parts: Vec<&str> = token.split('.').collect();
            assert_eq!(parts.len(), 3);
            let header: Value = serde_json::from_slice(&b64(parts[0]).unwrap()).unwrap();
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(header["kid"], key.kid.as_str());
            assert_eq!(verify(std::slice::from_ref(&key), &token).unwrap()["sub"], "zusr1");
            let forged = format!(
                "{}.{}.{}",
                parts[0],
                base64_urlsafe(br#"{"sub":"zusr2","aud":"app"}"#),
                parts[2]
            );
            assert_eq!(verify(std::slice::from_ref(&key), &forged), Err(JwsError::BadSignature));
            assert!(!format!("{key:?}").contains(&base64_urlsafe(&der)[..20]));
        }
    }

    #[test]
    fn a_token_names_its_key_and_cannot_choose_another_algorithm() {
        let (rsa, _) = SigningKey::generate(Alg::Rs256).unwrap();
        let (ec, _) = SigningKey::generate(Alg::Es256).unwrap();
        let token = rsa.sign(&json!({"sub": "a"})).unwrap();
        assert_eq!(verify(std::slice::from_ref(&ec), &token), Err(JwsError::UnknownKey));
        // The header says none, or another algorithm, for the same kid: refused.
        let claims = token.split('.').nth(1).unwrap();
        for alg in ["none", "HS256", "ES256"] {
            let header = base64_urlsafe(json!({"alg": alg, "kid": rsa.kid}).to_string().as_bytes());
            let forged = format!("{header}.{claims}.");
            assert!(verify(std::slice::from_ref(&rsa), &forged).is_err(), "{alg}");
        }
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.e30"] {
            assert!(verify(std::slice::from_ref(&rsa), junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_stored_key_that_is_not_of_its_algorithm_is_refused() {
        let (_, der) = SigningKey::generate(Alg::EdDsa).unwrap();
        assert!(matches!(
            SigningKey::from_pkcs8("k", Alg::Rs256, b"not a key"),
            Err(JwsError::BadKey(_))
        ));
        assert!(matches!(
            SigningKey::from_pkcs8("k", Alg::Es256, &der),
            Err(JwsError::BadKey(_))
        ));
    }
}
