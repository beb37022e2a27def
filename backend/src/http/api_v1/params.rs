//! The parameters many calls share, declared once for the OpenAPI document: `params(Authenticated, UserId)` in a
//! `#[utoipa::path]`. Each is a required string.

use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

const TENANT: (&str, ParameterIn, &str) = ("tenant", ParameterIn::Path, "The tenant's slug");
const APP: (&str, ParameterIn, &str) = (
    "X-Current-App",
    ParameterIn::Header,
    "The calling application (the reference's current_app)",
);
const BEARER: (&str, ParameterIn, &str) = ("Authorization", ParameterIn::Header, "`Bearer <ust>`");

macro_rules! params {
    ($($(#[$doc:meta])* $name:ident = [$($param:expr),+ $(,)?];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![$(string($param)),+]
            }
        }
    )+};
}

params! {
    /// A call in a tenant without a session.
    Anonymous = [TENANT, APP];
    /// A call in a tenant with a session.
    Authenticated = [TENANT, APP, BEARER];
    /// `POST /logout`, which needs no app.
    LoggingOut = [TENANT, BEARER];
    /// An operator's call, `/api/v1/tenants`.
    Operator = [
        (
            "X-Current-App",
            ParameterIn::Header,
            "The calling application, an app of the `system` tenant (required, as on every native call)",
        ),
        ("Authorization", ParameterIn::Header, "`Bearer <ust>` of a super-user of `system`"),
    ];
    /// `/users/{user_id}...`.
    UserId = [("user_id", ParameterIn::Path, "A user id (`zusr...`)")];
    /// `/attrs/{name}`.
    AttrName = [("name", ParameterIn::Path, "An attribute name")];
    /// `/apps/{name}...`.
    AppName = [("name", ParameterIn::Path, "The app")];
    /// `/apps/{name}/keys/{key_id}`.
    KeyId = [("key_id", ParameterIn::Path, "The key's id")];
    /// `/users/.../passkeys/{passkey_id}`.
    PasskeyId = [("passkey_id", ParameterIn::Path, "The passkey's id (`pk_...`)")];
    /// `/api/v1/tenants/{slug}`.
    Slug = [("slug", ParameterIn::Path, "The tenant's slug")];
}

fn string((name, at, description): (&str, ParameterIn, &str)) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}
