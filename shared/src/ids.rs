//! Identifiers that can only be made by parsing (or, for user ids, from random bits).

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a tenant slug is 1 to 63 characters of a-z, 0-9 and '-', starting with a letter or digit")]
    TenantSlug,
    #[error("a user id is 'zusr' followed by up to 26 lower-case Crockford base32 characters")]
    UserId,
}

/// A tenant's slug: `[a-z0-9][a-z0-9-]{0,62}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// The tenant that holds the operators.
    pub const SYSTEM: &'static str = "system";
    /// The tenant made on first start for a single-tenant deployment.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bytes = s.as_bytes();
        let first_ok = bytes
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if first_ok && rest_ok && bytes.len() <= 63 {
            Ok(TenantSlug(s.to_owned()))
        } else {
            Err(IdError::TenantSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_system(&self) -> bool {
        self.0 == Self::SYSTEM
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        TenantSlug::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Crockford's base32 alphabet, lower-cased as Zato writes it.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Encodes a number in lower-case Crockford base32, most significant digit first, without padding: the way Zato
/// turns a UUID's integer value into the tail of a user id.
pub fn crockford_u128(mut value: u128) -> String {
    if value == 0 {
        return "0".to_owned();
    }
    let mut digits = Vec::with_capacity(26);
    while value > 0 {
        digits.push(CROCKFORD[(value & 31) as usize]);
        value >>= 5;
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// A user's public id, in Zato's shape: `zusr` + the lower-case Crockford base32 of a random 128-bit value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub const PREFIX: &'static str = "zusr";

    /// Makes a user id from random bits supplied by the caller (this crate has no random source).
    pub fn from_random(bits: u128) -> Self {
        UserId(format!("{}{}", Self::PREFIX, crockford_u128(bits)))
    }

    pub fn parse(s: &str) -> Result<Self, IdError> {
        let tail = s.strip_prefix(Self::PREFIX).ok_or(IdError::UserId)?;
        if !tail.is_empty() && tail.len() <= 26 && tail.bytes().all(|b| CROCKFORD.contains(&b)) {
            Ok(UserId(s.to_owned()))
        } else {
            Err(IdError::UserId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        UserId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_rules() {
        for ok in ["a", "acme", "0", "a-b-c", "x1-", &"a".repeat(63)] {
            assert!(TenantSlug::parse(ok).is_ok(), "{ok} should parse");
        }
        for bad in ["", "-a", "Acme", "a_b", "a b", "ä", &"a".repeat(64), "a.b", "a/b"] {
            assert_eq!(
                TenantSlug::parse(bad),
                Err(IdError::TenantSlug),
                "{bad} should not parse"
            );
        }
        assert!(TenantSlug::parse("system").unwrap().is_system());
    }

    #[test]
    fn crockford_matches_known_values() {
        assert_eq!(crockford_u128(0), "0");
        assert_eq!(crockford_u128(31), "z");
        assert_eq!(crockford_u128(32), "10");
        assert_eq!(crockford_u128(1234), "16j");
        // The largest 128-bit value needs 26 digits, the first of which is at most 7.
        let max = crockford_u128(u128::MAX);
        assert_eq!(max.len(), 26);
        assert!(max.starts_with('7'));
    }

    #[test]
    fn user_ids_have_zatos_shape_and_parse_back() {
        let id = UserId::from_random(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        assert!(id.as_str().starts_with("zusr"));
        assert_eq!(UserId::parse(id.as_str()).unwrap(), id);
        assert!(UserId::parse("zusr").is_err());
        assert!(UserId::parse("zusrIL").is_err());
        assert!(UserId::parse("abc").is_err());
        assert!(UserId::parse("zusr3bs97qry6g82hsgp4g6wz97rhz").is_ok());
    }
}
