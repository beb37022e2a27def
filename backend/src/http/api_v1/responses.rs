//! The failures many calls share, declared once for the OpenAPI document. A `#[utoipa::path]` lists the sets
//! that apply to it beside the responses particular to it: `responses((status = 204, ...), SuperUserErrors,
//! NoSuchUser)`.
//!
//! One status often carries several failures (a 403 for a regular caller and another for a suspended tenant),
//! but OpenAPI keeps one response per status and utoipa's builder keeps the last one listed. So a set files its
//! responses under `"<status> <set>"`, and [`OneResponsePerStatus`], a modifier of the document, folds them into
//! the status's response when the document is built: the descriptions joined, the path's own first, then the
//! sets' in the order of their names.

use std::collections::BTreeMap;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::{OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify};

/// A documented failure: the HTTP status, and the sub-status codes that come with it and what they mean.
struct Failure(u16, &'static str);

const NO_TENANT: Failure = Failure(404, "E012001: no such tenant");
const SUSPENDED: Failure = Failure(403, "E012002: the tenant is suspended");
const BAD_UST: Failure = Failure(
    401,
    "E007001: no, invalid, expired, logged-out or foreign UST; E005002, E005003, E005004, E003004, E004001 or \
     E005001 when the user may no longer use the session",
);
const NOT_SUPER_USER: Failure = Failure(403, "E005001: the caller is not a super-user of the tenant");
const BAD_OPERATOR_UST: Failure = Failure(401, "E007001: no valid UST of the system tenant");
const NOT_OPERATOR: Failure = Failure(403, "E005001: not an operator");
const MALFORMED: Failure = Failure(400, "E008002: malformed input; E008003: missing input");
const NO_SUCH_USER: Failure = Failure(404, "E001100: no such user in this tenant");
const NOT_OWNER: Failure = Failure(403, "E005001: neither the owner nor a super-user");
const NO_SUCH_ATTR: Failure = Failure(404, "E009002: no such attribute");
const ATTR_EXISTS: Failure = Failure(409, "E009001: the attribute exists");
const HASH_QUEUE_FULL: Failure = Failure(429, "E011002: the hashing queue is full");
const PASSWORD_POLICY: Failure = Failure(
    422,
    "E003001, E003002, E003003, E003008, E003009: the policy refused the password; E003010: it is the current \
     password",
);
const APP_KEY: Failure = Failure(401, "E004003: the app's key is missing or invalid");
const NO_SUCH_TOKEN: Failure = Failure(404, "E005006: no such (or an expired) token");
const CONFIRMED: Failure = Failure(409, "E005007: already confirmed");
const NO_SUCH_APP: Failure = Failure(404, "E004001: no such app");
const PASSKEYS_OFF: Failure = Failure(
    403,
    "E013001: passkeys are off (the server's public address is not a domain)",
);
const NO_SUCH_CEREMONY: Failure = Failure(401, "E013002: the ceremony is unknown, used, expired or another's");
const PASSKEY_INVALID: Failure = Failure(
    401,
    "E013003: the answer does not verify (challenge, origin, relying party, user verification, signature)",
);
const PASSKEY_UNKNOWN: Failure = Failure(401, "E013004: the credential is not a passkey of this tenant");
const COUNTER_REGRESSED: Failure = Failure(401, "E013005: the signature counter went backwards (audited)");
const PASSKEY_CONFLICT: Failure = Failure(409, "E013006: already registered; E013007: 20 passkeys already");
const NO_SUCH_PASSKEY: Failure = Failure(404, "E013004: no such passkey of this user");
const NO_PASSKEY: Failure = Failure(400, "E013008: the account has no passkey");
const MALFORMED_CREDENTIAL: Failure = Failure(422, "E008002: the credential is not a WebAuthn credential");

macro_rules! sets {
    ($($(#[$doc:meta])* $set:ident = [$($failure:ident),+ $(,)?];)+) => {$(
        $(#[$doc])*
        pub struct $set;

        impl IntoResponses for $set {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problems(stringify!($set), &[$($failure),+])
            }
        }
    )+};
}

sets! {
    /// Every call under `/api/v1/t/{tenant}`: the tenant must exist and be active.
    TenantErrors = [NO_TENANT, SUSPENDED];
    /// A call with a UST (`Authorization: Bearer`), checked on every use.
    SessionErrors = [BAD_UST, NO_TENANT, SUSPENDED];
    /// A super-user's call.
    SuperUserErrors = [BAD_UST, NOT_SUPER_USER, NO_TENANT, SUSPENDED];
    /// An operator's call, `/api/v1/tenants` (a UST of the `system` tenant).
    OperatorErrors = [BAD_OPERATOR_UST, NOT_OPERATOR];
    /// An operator's call on `/api/v1/tenants/{slug}`.
    NoSuchTenant = [NO_TENANT];
    /// A call that reads a JSON body.
    BodyErrors = [MALFORMED];
    /// A call on `/users/{user_id}...`.
    NoSuchUser = [NO_SUCH_USER];
    /// A call on what a user owns, which the user or a super-user may make: `/users/{user_id}/attrs...`.
    OwnerErrors = [BAD_UST, NOT_OWNER, NO_SUCH_USER, NO_TENANT, SUSPENDED];
    /// A call on an attribute that must exist.
    NoSuchAttr = [NO_SUCH_ATTR];
    /// A call that creates attributes.
    AttrExists = [ATTR_EXISTS];
    /// A call that hashes a password: the queue bounds the work the server takes on.
    HashQueueFull = [HASH_QUEUE_FULL];
    /// A call that sets a password.
    PasswordPolicy = [PASSWORD_POLICY];
    /// An anonymous call an app may have to make with its key (`X-App-Key`).
    AppKeyErrors = [APP_KEY];
    /// A call with the token of a confirmation e-mail.
    ConfirmationErrors = [NO_SUCH_TOKEN, CONFIRMED];
    /// A passkey login (its ceremony's answer counts as a login attempt: a refusal is a failed login).
    PasskeyLoginErrors = [PASSKEYS_OFF, NO_SUCH_CEREMONY, PASSKEY_INVALID, PASSKEY_UNKNOWN, COUNTER_REGRESSED];
    /// Adding a passkey.
    PasskeyRegistrationErrors = [PASSKEYS_OFF, NO_SUCH_CEREMONY, PASSKEY_INVALID, PASSKEY_CONFLICT];
    /// A call on `/passkeys/{passkey_id}`.
    NoSuchPasskey = [NO_SUCH_PASSKEY];
    /// A ceremony with the account's own passkeys.
    NoPasskey = [NO_PASSKEY];
    /// A call that reads a WebAuthn credential.
    CredentialErrors = [MALFORMED_CREDENTIAL];
    /// A call on `/apps/{name}...`.
    NoSuchApp = [NO_SUCH_APP];
}

/// Problem responses, one per status, filed under `"<status> <set>"` for [`OneResponsePerStatus`].
fn problems(set: &str, failures: &[Failure]) -> BTreeMap<String, RefOr<Response>> {
    let mut described: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for Failure(status, description) in failures {
        described.entry(*status).or_default().push(description);
    }
    described
        .into_iter()
        .map(|(status, descriptions)| (format!("{status} {set}"), problem(&descriptions.join("; ")).into()))
        .collect()
}

/// A response with a problem+json body.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Folds the responses the sets filed under `"<status> <set>"` into one response per status.
pub struct OneResponsePerStatus;

impl Modify for OneResponsePerStatus {
    fn modify(&self, doc: &mut OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                fold(&mut operation.responses.responses);
            }
        }
    }
}

fn fold(responses: &mut BTreeMap<String, RefOr<Response>>) {
    // In key order, a path's own `"403"` comes before the sets' `"403 <set>"`.
    let mut folded: BTreeMap<String, RefOr<Response>> = BTreeMap::new();
    for (key, response) in std::mem::take(responses) {
        let status = key.split(' ').next().unwrap_or(&key).to_owned();
        match (folded.get_mut(&status), response) {
            (Some(RefOr::T(kept)), RefOr::T(more)) => {
                kept.description = format!("{}; {}", kept.description, more.description);
            }
            (Some(_), _) => {}
            (None, response) => {
                folded.insert(status, response);
            }
        }
    }
    *responses = folded;
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::OpenApi as _;

    #[test]
    fn every_response_of_the_document_is_filed_under_its_status() {
        let doc = super::super::ApiDoc::openapi();
        for (path, item) in &doc.paths.paths {
            for operation in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                for status in operation.responses.responses.keys() {
                    assert!(
                        status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()),
                        "{path}: {status:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_status_keeps_every_failure_the_path_and_its_sets_describe() {
        let mut responses = SuperUserErrors::responses();
        responses.insert("403".into(), problem("E008001: deleting oneself").into());
        responses.extend(NoSuchUser::responses());
        fold(&mut responses);
        let description = |status: &str| match &responses[status] {
            RefOr::T(r) => r.description.clone(),
            RefOr::Ref(_) => String::new(),
        };
        assert_eq!(
            description("403"),
            "E008001: deleting oneself; E005001: the caller is not a super-user of the tenant; E012002: the \
             tenant is suspended"
        );
        assert_eq!(
            description("404"),
            "E001100: no such user in this tenant; E012001: no such tenant"
        );
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["401", "403", "404"]);
    }
}
