//! What every request carries: its correlation id and the surface it arrived on. The envelope middleware
//! (`envelope.rs`) sets both, echoes `X-Correlation-ID`, and shapes every error response for the surface.

pub const CORRELATION_HEADER: &str = "x-correlation-id";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/api/...`: JSON and problem+json.
    Native,
    /// `/zato/sso/...` and `/t/{tenant}/zato/sso/...`: Zato's wire format.
    Zato,
    /// Everything else (health, pages).
    Web,
}

impl Surface {
    pub fn of(path: &str) -> Surface {
        if path.starts_with("/api/") {
            return Surface::Native;
        }
        let zato = path.starts_with("/zato/sso")
            || path
                .strip_prefix("/t/")
                .and_then(|rest| rest.split_once('/'))
                .is_some_and(|(_, rest)| rest.starts_with("zato/sso"));
        // The OpenID Provider's machine endpoints answer in JSON; its authorization and consent are pages.
        let machine = path
            .strip_prefix("/t/")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(_, rest)| {
                rest.starts_with(".well-known/")
                    || (rest.starts_with("oidc/")
                        && !rest.starts_with("oidc/authorize")
                        && !rest.starts_with("oidc/consent")
                        && !rest.starts_with("oidc/logout"))
            });
        if zato {
            Surface::Zato
        } else if machine {
            Surface::Native
        } else {
            Surface::Web
        }
    }
}

#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub cid: String,
    pub surface: Surface,
    /// For pages: the tenant slug of the path, to show it on an error page.
    pub tenant_hint: Option<String>,
}

/// A caller's correlation id is kept when it is a sane token: 1 to 64 characters of letters, digits, `-`, `_`,
/// `.` and `:`. Anything else is replaced, so a header cannot inject text into logs.
pub fn sane_cid(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub fn new_cid() -> String {
    format!(
        "zcid{}",
        gatehouse_shared::ids::crockford_u128(crate::crypto::random_u128())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces_by_path() {
        assert_eq!(Surface::of("/api/v1/t/acme/login"), Surface::Native);
        assert_eq!(Surface::of("/zato/sso/user/login"), Surface::Zato);
        assert_eq!(Surface::of("/t/acme/zato/sso/user/login"), Surface::Zato);
        assert_eq!(Surface::of("/t/acme/login"), Surface::Web);
        assert_eq!(Surface::of("/healthz"), Surface::Web);
    }

    #[test]
    fn only_sane_correlation_ids_are_kept() {
        assert!(sane_cid("abc-123_x.y:z"));
        assert!(!sane_cid(""));
        assert!(!sane_cid(&"a".repeat(65)));
        assert!(!sane_cid("a b"));
        assert!(!sane_cid("a\r\nb"));
        assert!(new_cid().starts_with("zcid"));
    }
}
