//! The user session token in its client form: a Fernet token (`gAAAAA...`). It is a bearer credential, so its
//! `Debug` prints nothing of it.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ust(String);

impl Ust {
    pub fn new(token: impl Into<String>) -> Ust {
        Ust(token.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Ust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ust([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let ust = Ust::new("gAAAAABsecret");
        assert_eq!(format!("{ust:?}"), "Ust([redacted])");
        assert_eq!(serde_json::to_string(&ust).unwrap(), "\"gAAAAABsecret\"");
    }
}
