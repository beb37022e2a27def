//! Passkeys on the native API: the login ceremony (a first factor, or the second step after the password),
//! the caller's passkeys (add, list, rename, remove with proof), and an administrator's view of a user's. A
//! ceremony's handle comes with its options and goes back with the answer; the answer is WebAuthn's JSON.

use super::Caller;
use super::auth::{authed, authed_super};
use super::params::{Anonymous, Authenticated, PasskeyId, UserId};
use super::responses::{
    BodyErrors, CredentialErrors, HashQueueFull, NoPasskey, NoSuchPasskey, NoSuchUser, PasskeyLoginErrors,
    PasskeyRegistrationErrors, PasswordPolicy, SessionErrors, SuperUserErrors, TenantErrors,
};
use super::session::session_info;
use crate::crypto::password::Password;
use crate::http::call::{Call, rfc3339};
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::sso::login::LoginRequest;
use crate::sso::passkeys::assertion::PasskeyAnswer;
use crate::sso::passkeys::enrolment::PasskeyInfo;
use crate::sso::passkeys::{Ceremony, CeremonyHandle};
use crate::sso::totp_enrolment::FactorProof;
use crate::sso::{Sso, SsoError, UserRef};
use actix_web::{HttpResponse, web};
use gatehouse_shared::api;

fn ceremony(c: Ceremony) -> api::PasskeyCeremony {
    api::PasskeyCeremony {
        ceremony: c.handle.0,
        options: c.options,
    }
}

fn passkey(p: &PasskeyInfo) -> api::Passkey {
    api::Passkey {
        passkey_id: p.passkey_id.clone(),
        name: p.name.clone(),
        creation_time: rfc3339(p.creation_time),
        last_used_time: p.last_used_time.map(rfc3339),
        backup_eligible: p.backup_eligible,
        backup_state: p.backup_state,
    }
}

/// A credential of the body, as webauthn-rs reads it: one that is not is malformed input (`E008002`).
fn credential<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        ApiError::Sso(SsoError::Invalid {
            key: "credential".to_owned(),
            message: format!("not a WebAuthn credential: {e}"),
        })
    })
}

/// The proof of a body: the password, a code, or a passkey's answer to a proof ceremony.
fn factor_proof(body: api::FactorProof) -> Result<FactorProof, ApiError> {
    let passkey = match (body.ceremony, body.credential) {
        (Some(handle), Some(value)) => Some(PasskeyAnswer {
            ceremony: CeremonyHandle(handle),
            credential: Box::new(credential(value)?),
        }),
        _ => None,
    };
    Ok(FactorProof {
        password: Some(Password::new(body.password)),
        code: body.code.filter(|c| !c.trim().is_empty()),
        passkey,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/login/passkey/options",
    tag = "passkeys",
    params(Anonymous),
    request_body = api::PasskeyLoginStart,
    responses(
        (status = 200, description = "The ceremony: its handle and the options for `navigator.credentials.get()`. Without a username, any passkey of the tenant may answer; with the username and password (every rule of `/login` up to its second step, failures counted), only that user's", body = api::PasskeyCeremony),
        (status = 401, description = "With a password: as `/login` (E005001 wrong credentials or a hidden reason; E005002 locked; E005003, E005004, E004001, E003004 ...)", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, HashQueueFull, NoPasskey, PasskeyLoginErrors, TenantErrors,
    ),
)]
pub async fn login_options(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<api::PasskeyLoginStart>,
) -> Result<web::Json<api::PasskeyCeremony>, ApiError> {
    let body = body.take()?;
    let ceremony_started = if body.username.is_none() && body.password.is_none() {
        sso.passkey_login_options(&call.ctx).await?
    } else {
        sso.passkey_step_options(&call.ctx, body.username, body.password.map(Password::new))
            .await?
    };
    Ok(web::Json(ceremony(ceremony_started)))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/login/passkey",
    tag = "passkeys",
    params(Anonymous),
    request_body = api::PasskeyLogin,
    responses(
        (status = 200, description = "The new session, as from `/login`: a passkey login counts as two factors (`amr` hwk or swk, user, mfa); every other rule of `/login` applies", body = api::SessionInfo),
        (status = 401, description = "As `/login`: E005001, E005002 locked, E005003, E005004, E004001, E003004 expired, E003006, E003007 new password required (send `new_password`), E006001", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, CredentialErrors, HashQueueFull, PasskeyLoginErrors, PasswordPolicy, TenantErrors,
    ),
)]
pub async fn login(
    sso: web::Data<Sso>,
    call: Call,
    body: JsonBody<api::PasskeyLogin>,
) -> Result<web::Json<api::SessionInfo>, ApiError> {
    let body = body.take()?;
    let request = LoginRequest {
        passkey: Some(PasskeyAnswer {
            ceremony: CeremonyHandle(body.ceremony),
            credential: Box::new(credential(body.credential)?),
        }),
        new_password: body.new_password.map(Password::new),
        ..LoginRequest::default()
    };
    Ok(web::Json(session_info(sso.login(&call.ctx, request).await?)))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/passkeys/options",
    tag = "passkeys",
    params(Authenticated),
    request_body = api::FactorProof,
    responses(
        (status = 200, description = "The ceremony: its handle and the options for `navigator.credentials.create()` (a discoverable credential, user verification required)", body = api::PasskeyCeremony),
        (status = 403, description = "E005001: the password, code or passkey is wrong, which counts toward `login.max_failures`; E008001: an application's session (an OpenID Connect access token) cannot add a passkey", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, CredentialErrors, PasskeyRegistrationErrors, SessionErrors,
    ),
)]
pub async fn register_options(
    (sso, call, req): Caller,
    body: JsonBody<api::FactorProof>,
) -> Result<web::Json<api::PasskeyCeremony>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let proof = factor_proof(body.take()?)?;
    Ok(web::Json(ceremony(
        sso.passkey_registration_options(&a.ctx, &a.current, &proof).await?,
    )))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/passkeys",
    tag = "passkeys",
    params(Authenticated),
    request_body = api::PasskeyRegistration,
    responses(
        (status = 201, description = "The new passkey", body = api::Passkey),
        (status = 422, description = "E008002: the name is not 1 to 64 characters without control characters, or the credential is not one", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, PasskeyRegistrationErrors, SessionErrors,
    ),
)]
pub async fn register(
    (sso, call, req): Caller,
    body: JsonBody<api::PasskeyRegistration>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let answer = credential(body.credential)?;
    let added = sso
        .register_passkey(
            &a.ctx,
            &a.current,
            &CeremonyHandle(body.ceremony),
            &answer,
            body.name.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(HttpResponse::Created().json(passkey(&added)))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/me/passkeys",
    tag = "passkeys",
    params(Authenticated),
    responses((status = 200, description = "The caller's passkeys, oldest first", body = Vec<api::Passkey>), SessionErrors),
)]
pub async fn list((sso, call, req): Caller) -> Result<web::Json<Vec<api::Passkey>>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let found = sso.my_passkeys(&a.ctx, &a.current).await?;
    Ok(web::Json(found.iter().map(passkey).collect()))
}

#[utoipa::path(
    patch,
    path = "/api/v1/t/{tenant}/users/me/passkeys/{passkey_id}",
    tag = "passkeys",
    params(Authenticated, PasskeyId),
    request_body = api::PasskeyRename,
    responses(
        (status = 200, description = "The renamed passkey", body = api::Passkey),
        (status = 422, description = "E008002: the name is not 1 to 64 characters without control characters", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, NoSuchPasskey, SessionErrors,
    ),
)]
pub async fn rename(
    (sso, call, req): Caller,
    path: web::Path<(String, String)>,
    body: JsonBody<api::PasskeyRename>,
) -> Result<web::Json<api::Passkey>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let body = body.take()?;
    let renamed = sso
        .rename_passkey(&a.ctx, &a.current, &path.into_inner().1, &body.name)
        .await?;
    Ok(web::Json(passkey(&renamed)))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/users/me/passkeys/proof",
    tag = "passkeys",
    params(Authenticated),
    responses(
        (status = 200, description = "A proof ceremony: any of the caller's passkeys may answer it, in the `ceremony` and `credential` of a removal (of a passkey)", body = api::PasskeyCeremony),
        NoPasskey, PasskeyLoginErrors, SessionErrors,
    ),
)]
pub async fn proof_options((sso, call, req): Caller) -> Result<web::Json<api::PasskeyCeremony>, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    Ok(web::Json(ceremony(
        sso.passkey_proof_options(&a.ctx, &a.current).await?,
    )))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/me/passkeys/{passkey_id}",
    tag = "passkeys",
    params(Authenticated, PasskeyId),
    request_body = api::FactorProof,
    responses(
        (status = 204, description = "The passkey is removed; the caller's other sessions end"),
        (status = 403, description = "E005001: the password, code or passkey is wrong, which counts toward `login.max_failures`", body = api::Problem, content_type = "application/problem+json"),
        BodyErrors, CredentialErrors, NoSuchPasskey, SessionErrors,
    ),
)]
pub async fn remove(
    (sso, call, req): Caller,
    path: web::Path<(String, String)>,
    body: JsonBody<api::FactorProof>,
) -> Result<HttpResponse, ApiError> {
    let a = authed(&sso, &call, &req).await?;
    let proof = factor_proof(body.take()?)?;
    sso.remove_passkey(&a.ctx, &a.current, &path.into_inner().1, &proof)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/users/{user_id}/passkeys",
    tag = "passkeys",
    params(Authenticated, UserId),
    responses((status = 200, description = "The user's passkeys", body = Vec<api::Passkey>), NoSuchUser, SuperUserErrors),
)]
pub async fn user_list(
    (sso, call, req): Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<Vec<api::Passkey>>, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let found = sso.user_passkeys(&admin, &UserRef::Id(path.into_inner().1)).await?;
    Ok(web::Json(found.iter().map(passkey).collect()))
}

#[utoipa::path(
    delete,
    path = "/api/v1/t/{tenant}/users/{user_id}/passkeys/{passkey_id}",
    tag = "passkeys",
    params(Authenticated, UserId, PasskeyId),
    responses(
        (status = 204, description = "The passkey is removed; the user's sessions end"),
        (status = 403, description = "E008001: one's own passkey goes only with proof (`DELETE /users/me/passkeys/{passkey_id}`)", body = api::Problem, content_type = "application/problem+json"),
        NoSuchPasskey, NoSuchUser, SuperUserErrors,
    ),
)]
pub async fn user_remove(
    (sso, call, req): Caller,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let admin = authed_super(&sso, &call, &req).await?;
    let (_, user_id, passkey_id) = path.into_inner();
    sso.admin_remove_passkey(&admin, &UserRef::Id(user_id), &passkey_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
