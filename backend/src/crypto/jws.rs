//! Signing ID tokens: RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over 2048-bit RSA keys, with aws-lc-rs, whose RSA
//! private-key operations are constant-time (the `rsa` crate's are not: RUSTSEC-2023-0071). A key is generated
//! here, kept as PKCS#8 DER (sealed by the caller before it is stored), and published as a JWK by its modulus
//! and exponent. A JWS in compact form is three base64url parts: header, payload, signature.

use super::base64_urlsafe;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use serde_json::{Value, json};

/// A signing key: its id and the parsed key pair.
pub struct SigningKey {
    pub kid: String,
    pair: KeyPair,
}

// The private key never reaches a debug print.
impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("RSA key generation failed")]
    Generate,
    #[error("stored signing key {0} is not an RSA PKCS#8 key")]
    BadKey(String),
    #[error("signing failed")]
    Sign,
}

impl SigningKey {
    /// A new 2048-bit key, with its PKCS#8 DER (to be sealed and stored). The key id is the JWK thumbprint's
    /// first 16 bytes (RFC 7638), so it names the key's public part.
    pub fn generate() -> Result<(SigningKey, Vec<u8>), JwsError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| JwsError::Generate)?;
        let der = AsDer::<Pkcs8V1Der>::as_der(&pair)
            .map_err(|_| JwsError::Generate)?
            .as_ref()
            .to_vec();
        let mut key = SigningKey {
            kid: String::new(),
            pair,
        };
        key.kid = key.thumbprint();
        Ok((key, der))
    }

    /// A stored key, from its id and PKCS#8 DER.
    pub fn from_pkcs8(kid: &str, der: &[u8]) -> Result<SigningKey, JwsError> {
        let pair = KeyPair::from_pkcs8(der).map_err(|_| JwsError::BadKey(kid.to_owned()))?;
        Ok(SigningKey {
            kid: kid.to_owned(),
            pair,
        })
    }

    fn n_e(&self) -> (String, String) {
        let public = self.pair.public_key();
        (
            base64_urlsafe(public.modulus().big_endian_without_leading_zero()),
            base64_urlsafe(public.exponent().big_endian_without_leading_zero()),
        )
    }

    fn thumbprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let (n, e) = self.n_e();
        // The members in lexicographic order, no white space (RFC 7638 §3).
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        base64_urlsafe(&Sha256::digest(canonical.as_bytes())[..16])
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        let (n, e) = self.n_e();
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": n, "e": e})
    }

    /// `claims` signed as a compact JWS (RS256, with this key's `kid`).
    pub fn sign(&self, claims: &Value) -> Result<String, JwsError> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            base64_urlsafe(header.to_string().as_bytes()),
            base64_urlsafe(claims.to_string().as_bytes())
        );
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| JwsError::Sign)?;
        Ok(format!("{input}.{}", base64_urlsafe(&signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
    use base64::Engine;

    fn b64(part: &str) -> Vec<u8> {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()
    }

    #[test]
    fn a_token_verifies_with_the_published_key_and_not_after_tampering() {
        let (key, der) = SigningKey::generate().unwrap();
        let again = SigningKey::from_pkcs8(&key.kid, &der).unwrap();
        assert_eq!(again.jwk(), key.jwk());
        let token = again.sign(&json!({"sub": "zusr1", "aud": "app"})).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&b64(parts[0])).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], key.kid.as_str());
        let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.pair.public_key().as_ref().to_vec());
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(public.verify(input.as_bytes(), &b64(parts[2])).is_ok());
        let forged = format!("{}.{}", parts[0], base64_urlsafe(br#"{"sub":"zusr2","aud":"app"}"#));
        assert!(public.verify(forged.as_bytes(), &b64(parts[2])).is_err());
        assert!(!format!("{key:?}").contains(&base64_urlsafe(&der)[..20]));
    }

    #[test]
    fn a_stored_key_that_is_not_rsa_is_refused() {
        assert!(matches!(
            SigningKey::from_pkcs8("k", b"not a key"),
            Err(JwsError::BadKey(_))
        ));
    }
}
