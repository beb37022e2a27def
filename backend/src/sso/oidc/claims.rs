//! What Gatehouse says of a user to a client, by scope (OpenID Connect Core §5.4): `profile` gives the names,
//! `email` the address and whether it was confirmed; `sub` is always the user id.

use crate::domain::User;
use serde_json::{Map, Value, json};

/// The claims of `user` that `scope` (space-separated) releases, `sub` included.
pub fn user_claims(user: &User, scope: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.user_id));
    let has = |s: &str| scope.split_whitespace().any(|x| x == s);
    if has("profile") {
        let joined: Vec<&str> = [&user.first_name, &user.middle_name, &user.last_name]
            .into_iter()
            .filter_map(|n| n.as_deref().filter(|n| !n.trim().is_empty()))
            .collect();
        let name = user
            .display_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| (!joined.is_empty()).then(|| joined.join(" ")));
        claims.insert("preferred_username".into(), json!(user.username.as_str()));
        for (key, value) in [
            ("name", &name),
            ("given_name", &user.first_name),
            ("middle_name", &user.middle_name),
            ("family_name", &user.last_name),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                claims.insert(key.into(), json!(v));
            }
        }
    }
    if has("email")
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), json!(email.as_str()));
        claims.insert("email_verified".into(), json!(user.email_confirmed));
    }
    claims
}

/// The claims Gatehouse can release, for discovery.
pub const CLAIMS_SUPPORTED: [&str; 16] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "sid",
    "amr",
    "preferred_username",
    "name",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "email_verified",
];
