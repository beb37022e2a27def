//! The token endpoint's authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core §3.1.3):
//! the client authenticates (a confidential client by its secret, Basic or in the body; a public one by its
//! id and its PKCE verifier), the code is used up atomically, and in one transaction the app session is made
//! from the SSO session the code came from: the access token is its UST. A code presented again is refused
//! and ends the session its first exchange made. Every login rule that can change after the authorization
//! (lock, approval, password expiry, allow-list, the app's listing) is checked again here.

use super::super::account_state::{self, ExpiryCheck};
use super::super::{Ctx, Sso, SsoError, audit, session_end};
use super::authorize::s256;
use super::claims::user_claims;
use super::{OAuthError, SCOPES};
use crate::config::StringList;
use crate::crypto::jws::{Alg, SigningKey};
use crate::crypto::{sha256_hex, tokens};
use crate::domain::{Session, User};
use crate::store::oidc::{self, Taken};
use crate::store::oidc_grants::{self, GrantRow};
use crate::store::{TenantPk, address_lists, sessions};
use chrono::{NaiveDateTime, TimeDelta};
use gatehouse_shared::Ust;
use serde_json::{Value, json};

/// How a client authenticated at the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic { client_id: String, secret: String },
    /// `client_secret_post`.
    Post { client_id: String, secret: String },
    /// `none`: a public client names itself.
    None { client_id: String },
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (method, id) = match self {
            ClientAuth::Basic { client_id, .. } => ("basic", client_id),
            ClientAuth::Post { client_id, .. } => ("post", client_id),
            ClientAuth::None { client_id } => ("none", client_id),
        };
        f.debug_struct("ClientAuth")
            .field("method", &method)
            .field("client_id", id)
            .finish_non_exhaustive()
    }
}

impl ClientAuth {
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::Basic { client_id, .. }
            | ClientAuth::Post { client_id, .. }
            | ClientAuth::None { client_id } => client_id,
        }
    }
}

/// A token request's form, as the adapter parsed it (each parameter at most once).
#[derive(Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// What a successful exchange returns.
pub struct Tokens {
    pub access_token: Ust,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
    /// The family's next refresh token, when the grant has them.
    pub refresh_token: Option<RefreshToken>,
}

/// A refresh token, shown to its client once (only its SHA-256 is kept).
pub struct RefreshToken(pub(super) String);

impl RefreshToken {
    pub(super) fn new() -> (RefreshToken, String) {
        let token = format!("ghrt_{}", crate::crypto::random_urlsafe(32));
        let hash = sha256_hex(&token);
        (RefreshToken(token), hash)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token)
            .finish_non_exhaustive()
    }
}

/// The `sid` an ID token names the SSO session by: derived from its public id, which it does not reveal.
pub fn sid_of(session: &Session) -> String {
    sha256_hex(&format!("oidc-sid:{}", session.session_id))[..32].to_owned()
}

/// The `at_hash` of an access token (OpenID Connect Core §3.1.3.6): the left half of its hash, by the
/// hash of the token's signature algorithm (SHA-256 for RS256 and ES256, SHA-512 for EdDSA over Ed25519).
fn at_hash(token: &str, alg: Alg) -> String {
    use sha2::{Digest, Sha256, Sha512};
    match alg {
        Alg::EdDsa => crate::crypto::base64_urlsafe(&Sha512::digest(token.as_bytes())[..32]),
        Alg::Rs256 | Alg::Es256 => crate::crypto::base64_urlsafe(&Sha256::digest(token.as_bytes())[..16]),
    }
}

/// What an ID token says of the login behind a grant.
pub(super) struct IdTokenFor<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub sid: &'a str,
    pub auth_time: NaiveDateTime,
    pub amr: &'a [String],
    pub expiration: NaiveDateTime,
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
}

pub(super) fn grant_error(description: &str) -> OAuthError {
    OAuthError::new("invalid_grant", description)
}

/// What the transaction decided.
enum Exchange {
    Refused(OAuthError),
    Granted(Box<Grant>),
}

struct Grant {
    user: User,
    sso: Session,
    app_session: Session,
    ust: Ust,
    nonce: Option<String>,
    scope: String,
    refresh: Option<RefreshToken>,
}

impl Sso {
    /// Authenticates the client of a token request; a failure is `invalid_client` (or `unauthorized_client`
    /// for a public client the tenant's `apps.require_key` shuts out).
    pub(crate) async fn authenticate_client(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
    ) -> Result<super::clients::KnownClient, OAuthError> {
        let unknown = || OAuthError::new("invalid_client", "client authentication failed");
        let Some(auth) = auth else {
            return Err(OAuthError::new("invalid_client", "the client did not authenticate"));
        };
        let client = self.known_client(ctx, auth.client_id()).await?.ok_or_else(unknown)?;
        let confidential = client.client.settings.confidential;
        let ok = match auth {
            ClientAuth::Basic { secret, .. } | ClientAuth::Post { secret, .. } => {
                confidential && client.secret_matches(secret)
            }
            ClientAuth::None { .. } => !confidential,
        };
        if !ok {
            return Err(unknown());
        }
        let policy = self.policy(&ctx.tenant).await?;
        if policy.apps.require_key && !confidential {
            return Err(OAuthError::new(
                "unauthorized_client",
                "this organisation requires applications to authenticate: a public client cannot",
            ));
        }
        if !super::super::login::app_listed(&policy.apps.login_allowed, &client.client.client_id) {
            return Err(OAuthError::new(
                "unauthorized_client",
                "this application may not log users in",
            ));
        }
        Ok(client)
    }

    /// The token endpoint: an authorization code, or a refresh token, for an access token (a UST), an ID
    /// token and (when the grant has them) the next refresh token.
    pub async fn token(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        request: TokenRequest,
    ) -> Result<Tokens, OAuthError> {
        // Only an authenticated client's id labels the count, so no label takes a caller's raw input.
        let mut authenticated = None;
        let (endpoint, result) = match request.grant_type.as_deref() {
            None => (
                "token",
                Err(OAuthError::new("invalid_request", "`grant_type` is missing")),
            ),
            Some("authorization_code") => (
                "token",
                self.exchange_steps(ctx, auth, request, &mut authenticated).await,
            ),
            Some("refresh_token") => (
                "refresh",
                self.refresh_steps(ctx, auth, request, &mut authenticated).await,
            ),
            Some(_) => (
                "token",
                Err(OAuthError::new(
                    "unsupported_grant_type",
                    "the grant types supported are `authorization_code` and `refresh_token`",
                )),
            ),
        };
        let outcome = result.as_ref().map_or_else(|e| e.error, |_| "ok");
        let client = authenticated.as_deref().unwrap_or("-");
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), client, endpoint, outcome);
        result
    }

    /// Signs an ID token for a grant's client with the key it was fetched with.
    pub(super) fn id_token(&self, ctx: &Ctx, key: &SigningKey, t: IdTokenFor<'_>) -> Result<String, OAuthError> {
        let mut claims = user_claims(t.user, t.scope);
        let iat = ctx.now.and_utc().timestamp();
        for (k, v) in [
            ("iss", json!(self.issuer(&ctx.tenant))),
            ("aud", json!(t.client_id)),
            ("iat", json!(iat)),
            ("exp", json!(t.expiration.and_utc().timestamp())),
            ("auth_time", json!(t.auth_time.and_utc().timestamp())),
            ("sid", json!(t.sid)),
            ("amr", json!(t.amr)),
            ("at_hash", json!(at_hash(t.access_token, key.alg))),
        ] {
            claims.insert(k.into(), v);
        }
        if let Some(nonce) = t.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        key.sign(&Value::Object(claims))
            .map_err(|e| OAuthError::from(SsoError::Internal(e.to_string())))
    }

    async fn exchange_steps(
        &self,
        ctx: &Ctx,
        auth: Option<&ClientAuth>,
        request: TokenRequest,
        authenticated: &mut Option<String>,
    ) -> Result<Tokens, OAuthError> {
        let client = self.authenticate_client(ctx, auth).await?;
        *authenticated = Some(client.client.client_id.clone());
        let Some(code) = request.code.filter(|c| !c.is_empty()) else {
            return Err(OAuthError::new("invalid_request", "`code` is missing"));
        };
        let Some(redirect_uri) = request.redirect_uri.filter(|r| !r.is_empty()) else {
            return Err(OAuthError::new("invalid_request", "`redirect_uri` is missing"));
        };
        let policy = self.policy(&ctx.tenant).await?;
        // The key is at hand before anything is written, so a grant is never half made.
        let key = self
            .signing_key_for(&ctx.tenant, client.client.settings.id_token_alg)
            .await?;
        let expiration = super::super::clock::minutes_after(
            ctx.now,
            policy.session.expiry.min(policy.session.max_lifetime_minutes.max(1)),
        );
        let refresh_online = client.client.settings.confidential && policy.oidc.refresh_for_confidential_clients;
        let offline_days = policy.oidc.offline_lifetime_days;
        let max_lifetime = policy.session.max_lifetime_minutes;
        let (pk, now, hash) = (ctx.tenant.pk, ctx.now, sha256_hex(&code));
        let (keyring, app) = (self.keyring.clone(), client.client.client_id.clone());
        let verifier = request.code_verifier.clone();
        let confidential = client.client.settings.confidential;
        let base_ctx = Ctx {
            current_app: app.clone(),
            ..ctx.clone()
        };
        let exchanged = self
            .store
            .tenant_with(pk, move |conn| -> Result<Exchange, SsoError> {
                let refused = |d: &str| Ok(Exchange::Refused(grant_error(d)));
                let row = match oidc::take_code(conn, pk, &hash, &app, now)? {
                    Taken::Unknown => return refused("the code is not valid"),
                    Taken::Again(row) => {
                        // A replayed code: what its first exchange issued is revoked (RFC 6749 §4.1.2), with
                        // every refresh of it since.
                        // Only the grant this code made: a key can come back on SQLite once its row is gone.
                        if let Some(grant) = row.issued_grant_id
                            && let Some(issued) = oidc_grants::by_id(conn, pk, grant)?
                            && issued.app == row.app
                            && issued.sso_session_pk == Some(row.sso_session_id)
                            && issued.creation_time >= row.creation_time
                        {
                            session_end::end_grants(conn, pk, &[issued.id], now)?;
                        }
                        audit::append_ctx_extra(
                            conn,
                            &base_ctx,
                            "oidc.code_replay",
                            None,
                            Err(gatehouse_shared::SubStatus::AuthNotAllowed),
                            Some(json!({"client_id": row.app}).to_string()),
                        )?;
                        return refused("the code has been used already");
                    }
                    Taken::First(row) => row,
                };
                if row.expiration_time <= now {
                    return refused("the code has expired");
                }
                if row.redirect_uri != redirect_uri {
                    return refused("`redirect_uri` is not the one the code was issued for");
                }
                match (&row.code_challenge, &verifier) {
                    (Some(challenge), Some(v)) if s256(v) == *challenge => {}
                    (Some(_), Some(_)) => return refused("the `code_verifier` does not match the challenge"),
                    (Some(_), None) => return refused("`code_verifier` is missing"),
                    (None, Some(_)) => return refused("the code was issued without a PKCE challenge"),
                    // Issued while the client was confidential: a public one proves nothing without PKCE.
                    (None, None) if !confidential => return refused("a public client's code needs PKCE"),
                    (None, None) => {}
                }
                let Some((sso_row, user_row, list)) = sessions::live_by_pk(conn, pk, row.sso_session_id, now)? else {
                    return refused("the session the code was issued in has ended");
                };
                let user = user_row.to_user(&keyring)?;
                let sso = sso_row.to_session();
                // The app session ends no later than the SSO session it hangs on.
                let expiration = expiration.min(sso.expiration_time);
                // The user's address is the browser's, as the SSO session saw it.
                let user_ctx = Ctx {
                    remote_addr: Some(sso.remote_addr.clone()).filter(|a| !a.is_empty()),
                    ..base_ctx.clone()
                };
                let list = list.map(|text| StringList(address_lists::parse(&text)));
                if account_state::check_user(&policy, &user, list.as_ref(), &user_ctx, now, ExpiryCheck::Enforce)
                    .and_then(|()| {
                        account_state::super_user_second_factor(&policy, &user, &sso_row.auth_methods, &user_ctx)
                    })
                    .is_err()
                {
                    return refused("the account may not log in now");
                }
                let offline = row.scope.split(' ').any(|s| s == "offline_access");
                // A new exchange from the same browser session replaces the client's grant from it.
                let replaced = oidc_grants::online_of_session_and_app(conn, pk, sso.pk(), &app)?;
                oidc_grants::delete_ids(conn, pk, &replaced)?;
                let grant = GrantRow {
                    id: 0,
                    tenant_id: pk,
                    user_pk: user.pk(),
                    app: app.clone(),
                    scope: row.scope.clone(),
                    offline,
                    sso_session_pk: Some(sso.pk()),
                    sid: sid_of(&sso),
                    auth_time: sso.auth_time,
                    auth_methods: sso.auth_methods.join(" "),
                    remote_addr: sso.remote_addr.clone(),
                    user_agent: sso.user_agent.clone(),
                    creation_time: now,
                    last_used_time: now,
                    expiration_time: if offline {
                        now + TimeDelta::days(i64::from(offline_days))
                    } else {
                        super::super::clock::minutes_after(sso.creation_time, max_lifetime)
                    },
                };
                let grant_id = oidc_grants::insert(conn, &grant)?;
                let ids = tokens::new_session(&keyring);
                let app_row = app_session_row(pk, &grant, grant_id, &ids, now, expiration);
                sessions::insert(conn, &app_row)?;
                oidc::set_issued(conn, pk, row.id, &ids.session_id, grant_id)?;
                let refresh = (offline || refresh_online).then(RefreshToken::new);
                if let Some((_, hash)) = &refresh {
                    oidc_grants::insert_refresh(conn, pk, grant_id, hash, now)?;
                }
                let extra =
                    json!({"client_id": app, "scope": row.scope, "offline": offline, "refresh": refresh.is_some()})
                        .to_string();
                let acting = Ctx {
                    actor: super::super::Actor::User(user.user_id.clone()),
                    ..user_ctx
                };
                audit::append_ctx_extra(conn, &acting, "oidc.token", Some(&user.user_id), Ok(()), Some(extra))?;
                Ok(Exchange::Granted(Box::new(Grant {
                    user,
                    sso,
                    app_session: app_row.to_session(),
                    ust: ids.ust,
                    nonce: row.nonce,
                    scope: row.scope,
                    refresh: refresh.map(|(token, _)| token),
                })))
            })
            .await?;
        let Grant {
            user,
            sso,
            app_session,
            ust,
            nonce,
            scope,
            refresh,
        } = match exchanged {
            Exchange::Refused(e) => return Err(e),
            Exchange::Granted(grant) => *grant,
        };
        let id_token = self.id_token(
            ctx,
            &key,
            IdTokenFor {
                user: &user,
                client_id: &client.client.client_id,
                scope: &scope,
                sid: &sid_of(&sso),
                auth_time: sso.auth_time,
                amr: &sso.auth_methods,
                expiration: app_session.expiration_time,
                nonce: nonce.as_deref(),
                access_token: ust.expose(),
            },
        )?;
        Ok(Tokens {
            access_token: ust,
            expires_in: (app_session.expiration_time - ctx.now).num_seconds().max(0),
            id_token,
            scope,
            refresh_token: refresh,
        })
    }

    /// The claims UserInfo returns for an access token: the session it names must be an app session granted
    /// by OpenID Connect and usable now (every check a UST gets, its user's state included).
    pub async fn userinfo(&self, ctx: &Ctx, access_token: &str) -> Result<Value, OAuthError> {
        let invalid = || OAuthError::new("invalid_token", "the access token is not valid");
        let current = match self.bearer_session(ctx, access_token).await {
            Ok(current) => current,
            Err(SsoError::Refused { .. }) => {
                self.metrics
                    .observe_oidc(ctx.tenant.slug.as_str(), "-", "userinfo", "invalid_token");
                return Err(invalid());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(scope) = current
            .session()
            .scope
            .clone()
            .filter(|s| s.split(' ').any(|x| x == "openid"))
        else {
            return Err(invalid());
        };
        self.metrics.observe_oidc(
            ctx.tenant.slug.as_str(),
            &current.session().current_app,
            "userinfo",
            "ok",
        );
        Ok(Value::Object(user_claims(current.user(), &scope)))
    }
}

/// The app session a grant's exchange or refresh makes: it ends with its grant, and (unless offline) with the
/// browser's session the grant hangs on.
pub(super) fn app_session_row(
    tenant: TenantPk,
    grant: &GrantRow,
    grant_id: i64,
    ids: &tokens::NewSessionIds,
    now: NaiveDateTime,
    expiration: NaiveDateTime,
) -> sessions::SessionRow {
    sessions::SessionRow {
        id: 0,
        tenant_id: tenant,
        user_pk: grant.user_pk,
        session_id: ids.session_id.clone(),
        secret_hash: ids.secret_hash.clone(),
        creation_time: now,
        expiration_time: expiration,
        remote_addr: grant.remote_addr.clone(),
        user_agent: grant.user_agent.clone(),
        current_app: grant.app.clone(),
        parent_id: if grant.offline { None } else { grant.sso_session_pk },
        auth_time: Some(grant.auth_time),
        auth_methods: grant.auth_methods.clone(),
        scope: Some(grant.scope.clone()),
        grant_id: Some(grant_id),
    }
}

/// The scopes discovery lists.
pub fn scopes_supported() -> Vec<&'static str> {
    SCOPES.to_vec()
}
