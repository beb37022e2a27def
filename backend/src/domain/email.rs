//! An e-mail address, parsed once: trimmed, and a valid address by RFC 5321's rules as `lettre` reads them.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an e-mail address")]
pub struct EmailError;

impl Email {
    /// Surrounding spaces are dropped; what remains must be an address.
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        let s = s.trim();
        s.parse::<lettre::Address>().map_err(|_| EmailError)?;
        Ok(Email(s.to_owned()))
    }

    /// An address read back from the store, which parsed it on the way in (or imported it as it was).
    pub fn stored(s: String) -> Self {
        Email(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form addresses are compared and looked up in: case-insensitive.
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

// Addresses are personal data: they stay out of debug output.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email([redacted])")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_at_the_edge() {
        assert_eq!(Email::parse("  Ann@Example.org ").unwrap().as_str(), "Ann@Example.org");
        assert_eq!(Email::parse("Ann@Example.org").unwrap().normalised(), "ann@example.org");
        for bad in ["", "ann", "ann@", "@example.org", "a b@example.org"] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", Email::parse("ann@example.org").unwrap()),
            "Email([redacted])"
        );
    }
}
