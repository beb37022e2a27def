//! The authorization endpoint's decisions (OpenID Connect Core §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9207).
//!
//! A request is checked in an order that keeps redirects safe: first the client and its exact redirect URI
//! (a failure there is said on a page, never sent to an unverified URI), then everything else (a failure
//! there goes to the redirect URI with `state` and `iss`). A valid request is sealed with the keyring and
//! carried through the login and consent pages; it then meets the browser's session:
//! - no usable session, `prompt=login` (a login newer than the request) or `max_age` passed: log in first,
//!   or `login_required` with `prompt=none`;
//! - a client that needs consent, not yet given for this scope set (or `prompt=consent`): ask, or
//!   `consent_required` with `prompt=none`;
//! - else a code: single-use, [`super::CODE_SECONDS`] long, bound to the client, the redirect URI, the PKCE
//!   challenge, the nonce and the session.

use super::super::session::CurrentSession;
use super::super::{Ctx, Sso, SsoResult, audit};
use super::clients::KnownClient;
use super::{CODE_SECONDS, OAuthError, REQUEST_MINUTES};
use crate::crypto::{random_urlsafe, sha256_hex};
use crate::store::oidc::{self, CodeRow};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The longest `state` accepted (and echoed).
const MAX_STATE: usize = 2000;

/// What a sealed request starts with, so nothing else the keyring sealed (a UST, a continuation) passes as one.
const SEALED_PREFIX: &str = "oidc-authz:";

/// The parameters the endpoint reads; any other is ignored (RFC 6749 §3.1).
const KNOWN: [&str; 12] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
];

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    tenant: i64,
    pub client_id: String,
    pub redirect_uri: String,
    /// The scopes granted, known ones only, sorted, `openid` first among them.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    code_challenge: Option<String>,
    prompt_none: bool,
    prompt_login: bool,
    prompt_consent: bool,
    max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// When it arrived (seconds since the epoch): a login it forces must be newer.
    created: i64,
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// Send the browser here: the client's redirect URI with a code or an error.
    Redirect(String),
    /// Log in first (afresh when `fresh`), then come back with the sealed request.
    Login { request: String, fresh: bool },
    /// Ask the person whether the client may have these scopes.
    Consent {
        request: String,
        client_name: String,
        scopes: Vec<String>,
    },
    /// A request that must not be answered at its redirect URI; the words say why.
    Refused(String),
}

/// A parameter error for the client, at its redirect URI.
fn to_client(req_uri: &str, state: Option<&str>, issuer: &str, e: &OAuthError) -> Authorization {
    Authorization::Redirect(with_query(
        req_uri,
        &[
            ("error", Some(e.error)),
            ("error_description", Some(e.description.as_str())),
            ("state", state),
            ("iss", Some(issuer)),
        ],
    ))
}

/// `uri` with these parameters added to its query.
fn with_query(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if let Some(v) = v {
            query.append_pair(k, v);
        }
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", query.finish())
}

/// Whether a PKCE challenge has the form RFC 7636 §4.2 gives (the S256 of a verifier is 43 characters).
fn challenge_ok(c: &str) -> bool {
    (43..=128).contains(&c.len())
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 transform of a verifier (RFC 7636 §4.6).
pub fn s256(verifier: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::crypto::base64_urlsafe(&Sha256::digest(verifier.as_bytes()))
}

fn invalid(description: impl Into<String>) -> OAuthError {
    OAuthError::new("invalid_request", description)
}

impl Sso {
    /// Checks a new authorization request and decides what happens to it, given the browser's session.
    pub async fn authorize(
        &self,
        ctx: &Ctx,
        params: &[(String, String)],
        session: Option<&CurrentSession>,
    ) -> SsoResult<Authorization> {
        let one = |name: &str| -> Result<Option<&str>, ()> {
            let mut found = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
            let first = found.next();
            if found.next().is_some() {
                Err(())
            } else {
                Ok(first.filter(|v| !v.is_empty()))
            }
        };
        // 1. The client and the redirect URI: only a registered pair may receive anything.
        let (Ok(client_id), Ok(redirect_uri)) = (one("client_id"), one("redirect_uri")) else {
            return Ok(Authorization::Refused(
                "The request names its application or its return address more than once.".into(),
            ));
        };
        let Some(client_id) = client_id else {
            return Ok(Authorization::Refused(
                "The request does not say which application it is for.".into(),
            ));
        };
        let Some(client) = self.known_client(ctx, client_id).await? else {
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), "-", "authorize", "unknown_client");
            return Ok(Authorization::Refused(
                "The application that sent you here is not known to this organisation.".into(),
            ));
        };
        let Some(redirect_uri) = redirect_uri else {
            return Ok(Authorization::Refused(
                "The request does not say where to send you back, so it cannot be answered.".into(),
            ));
        };
        if !client.client.settings.redirect_uris.iter().any(|u| u == redirect_uri) {
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), client_id, "authorize", "invalid_redirect_uri");
            return Ok(Authorization::Refused(format!(
                "The application {} asked to send you back to an address it has not registered, so you were not \
                 sent there.",
                client.client.display_name()
            )));
        }
        let issuer = self.issuer(&ctx.tenant);
        // A state too long to be one is not echoed (it would make the redirect as long).
        let state = one("state").ok().flatten().filter(|s| s.len() <= MAX_STATE);
        let refuse = |e: OAuthError| {
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), client_id, "authorize", e.error);
            to_client(redirect_uri, state, &issuer, &e)
        };
        // 2. Everything else, answered at the redirect URI.
        match self.check_request(ctx, params, &client, redirect_uri).await? {
            Ok(request) => self.decide(ctx, request, session, false).await,
            Err(e) => Ok(refuse(e)),
        }
    }

    async fn check_request(
        &self,
        ctx: &Ctx,
        params: &[(String, String)],
        client: &KnownClient,
        redirect_uri: &str,
    ) -> SsoResult<Result<AuthorizationRequest, OAuthError>> {
        for (name, _) in params {
            if KNOWN.contains(&name.as_str()) && params.iter().filter(|(k, _)| k == name).count() > 1 {
                return Ok(Err(invalid(format!("`{name}` is given more than once"))));
            }
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        for (name, error) in [
            ("request", "request_not_supported"),
            ("request_uri", "request_uri_not_supported"),
            ("registration", "registration_not_supported"),
        ] {
            if get(name).is_some() {
                return Ok(Err(OAuthError::new(error, format!("`{name}` is not supported"))));
            }
        }
        match get("response_type") {
            None => return Ok(Err(invalid("`response_type` is missing"))),
            Some("code") => {}
            Some(_) => {
                return Ok(Err(OAuthError::new(
                    "unsupported_response_type",
                    "only the authorization code flow (`response_type=code`) is supported",
                )));
            }
        }
        if get("response_mode").is_some_and(|m| m != "query") {
            return Ok(Err(invalid("only `response_mode=query` is supported")));
        }
        let requested: Vec<&str> = get("scope")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if !requested.contains(&"openid") {
            return Ok(Err(OAuthError::new("invalid_scope", "the scope must include `openid`")));
        }
        // Unknown scopes are left out of the grant. Offline access (a refresh token that outlives the browser's
        // session) comes with a code, and a client that needs consent asks for it on the consent page, which
        // names it (OpenID Connect Core §11); the tenant's own apps (no consent) are trusted with it.
        let mut granted: Vec<&str> = super::SCOPES.into_iter().filter(|s| requested.contains(s)).collect();
        granted.dedup();
        let method = get("code_challenge_method");
        let challenge = get("code_challenge");
        match (challenge, method) {
            (Some(_), Some("S256")) => {}
            (Some(_), None) | (Some(_), Some("plain")) | (None, Some("plain")) => {
                return Ok(Err(invalid(
                    "PKCE `plain` is not supported: use `code_challenge_method=S256`",
                )));
            }
            (_, Some(_)) => return Ok(Err(invalid("the only `code_challenge_method` supported is `S256`"))),
            (None, None) if !client.client.settings.confidential => {
                return Ok(Err(invalid(
                    "a public client must use PKCE (`code_challenge` with S256)",
                )));
            }
            (None, None) => {}
        }
        if let Some(c) = challenge
            && !challenge_ok(c)
        {
            return Ok(Err(invalid(
                "`code_challenge` must be 43 to 128 characters of [A-Za-z0-9-._~]",
            )));
        }
        let prompt: Vec<&str> = get("prompt")
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .collect();
        if let Some(p) = prompt
            .iter()
            .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
        {
            return Ok(Err(invalid(format!("unknown `prompt` value `{p}`"))));
        }
        if prompt.contains(&"none") && prompt.len() > 1 {
            return Ok(Err(invalid("`prompt=none` cannot be combined with other values")));
        }
        let max_age = match get("max_age") {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => return Ok(Err(invalid("`max_age` must be a whole number of seconds, 0 or more"))),
            },
        };
        for (name, max) in [("state", MAX_STATE), ("nonce", 500), ("login_hint", 200)] {
            if get(name).is_some_and(|v| v.len() > max) {
                return Ok(Err(invalid(format!("`{name}` is longer than {max} characters"))));
            }
        }
        // The client must be allowed to log users in; under `apps.require_key` only a client that proves
        // itself (a confidential one) may.
        let policy = self.policy(&ctx.tenant).await?;
        if !super::super::login::app_listed(&policy.apps.login_allowed, &client.client.client_id) {
            return Ok(Err(OAuthError::new(
                "unauthorized_client",
                "this application may not log users in",
            )));
        }
        if policy.apps.require_key && !client.client.settings.confidential {
            return Ok(Err(OAuthError::new(
                "unauthorized_client",
                "this organisation requires applications to authenticate: a public client cannot",
            )));
        }
        Ok(Ok(AuthorizationRequest {
            tenant: ctx.tenant.pk,
            client_id: client.client.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            scope: granted.join(" "),
            state: get("state").map(str::to_owned),
            nonce: get("nonce").map(str::to_owned),
            code_challenge: challenge.map(str::to_owned),
            prompt_none: prompt.contains(&"none"),
            prompt_login: prompt.contains(&"login"),
            prompt_consent: prompt.contains(&"consent"),
            max_age,
            login_hint: get("login_hint").map(str::to_owned),
            created: ctx.now.and_utc().timestamp(),
        }))
    }

    fn seal_request(&self, request: &AuthorizationRequest) -> String {
        let text = format!("{SEALED_PREFIX}{}", json!(request));
        self.keyring.seal(text.as_bytes())
    }

    /// A request sealed by [`Sso::authorize`] for this tenant, if it is still fresh.
    pub fn open_request(&self, ctx: &Ctx, sealed: &str) -> Option<AuthorizationRequest> {
        let text = self.keyring.open_text(sealed)?;
        let request: AuthorizationRequest = serde_json::from_str(text.strip_prefix(SEALED_PREFIX)?).ok()?;
        let age = ctx.now.and_utc().timestamp() - request.created;
        (request.tenant == ctx.tenant.pk && (0..=REQUEST_MINUTES * 60).contains(&age)).then_some(request)
    }

    /// The origin of the redirect URI of a sealed request: the pages of its login and consent allow their forms
    /// to lead there (CSP `form-action` applies to the redirects that follow a form post).
    pub fn request_origin(&self, ctx: &Ctx, sealed: &str) -> Option<String> {
        let request = self.open_request(ctx, sealed)?;
        super::clients::Client::redirect_origin(&request.redirect_uri)
    }

    /// Goes on with a sealed request after a login (or when the browser comes back to it).
    pub async fn resume_authorization(
        &self,
        ctx: &Ctx,
        sealed: &str,
        session: Option<&CurrentSession>,
    ) -> SsoResult<Authorization> {
        match self.reopen(ctx, sealed).await? {
            Ok(request) => self.decide(ctx, request, session, false).await,
            Err(refused) => Ok(refused),
        }
    }

    /// The person's answer on the consent page.
    pub async fn answer_consent(
        &self,
        ctx: &Ctx,
        sealed: &str,
        session: Option<&CurrentSession>,
        allow: bool,
    ) -> SsoResult<Authorization> {
        let request = match self.reopen(ctx, sealed).await? {
            Ok(request) => request,
            Err(refused) => return Ok(refused),
        };
        let issuer = self.issuer(&ctx.tenant);
        if !allow {
            let e = OAuthError::new("access_denied", "the user did not allow it");
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), &request.client_id, "authorize", e.error);
            return Ok(to_client(&request.redirect_uri, request.state.as_deref(), &issuer, &e));
        }
        if let Some(current) = usable(session) {
            let (pk, user, app, scope, now) = (
                ctx.tenant.pk,
                current.user.pk,
                request.client_id.clone(),
                request.scope.clone(),
                ctx.now,
            );
            self.store
                .tenant(pk, move |conn| {
                    // What was allowed before stays allowed: the sets are merged, so alternating requests do
                    // not ask again and again.
                    let before = oidc::consent(conn, pk, user, &app)?.unwrap_or_default();
                    let mut all: Vec<&str> = before
                        .split(' ')
                        .chain(scope.split(' '))
                        .filter(|s| !s.is_empty())
                        .collect();
                    all.sort_unstable();
                    all.dedup();
                    oidc::put_consent(conn, pk, user, &app, &all.join(" "), now)
                })
                .await?;
        }
        self.decide(ctx, request, session, true).await
    }

    /// Opens a sealed request and checks that its client still has its redirect URI.
    async fn reopen(&self, ctx: &Ctx, sealed: &str) -> SsoResult<Result<AuthorizationRequest, Authorization>> {
        let Some(request) = self.open_request(ctx, sealed) else {
            return Ok(Err(Authorization::Refused(
                "This sign-in request has expired. Go back to the application and start again.".into(),
            )));
        };
        let registered = self
            .known_client(ctx, &request.client_id)
            .await?
            .is_some_and(|c| c.client.settings.redirect_uris.contains(&request.redirect_uri));
        if !registered {
            return Ok(Err(Authorization::Refused(
                "The application that sent you here is no longer registered for this address.".into(),
            )));
        }
        Ok(Ok(request))
    }

    async fn decide(
        &self,
        ctx: &Ctx,
        request: AuthorizationRequest,
        session: Option<&CurrentSession>,
        consented: bool,
    ) -> SsoResult<Authorization> {
        let issuer = self.issuer(&ctx.tenant);
        let back = |e: OAuthError| {
            self.metrics
                .observe_oidc(ctx.tenant.slug.as_str(), &request.client_id, "authorize", e.error);
            to_client(&request.redirect_uri, request.state.as_deref(), &issuer, &e)
        };
        let now = ctx.now.and_utc().timestamp();
        // A super-user signed in without the 2FA the tenant requires may only enrol: logging in again would
        // change nothing, so the request ends here (no loop through the login page).
        if session.is_some_and(|c| c.session.is_web_login() && c.second_factor_missing.is_some()) {
            if request.prompt_none {
                return Ok(back(OAuthError::new(
                    "interaction_required",
                    "the user must enable two-factor authentication",
                )));
            }
            return Ok(Authorization::Refused(
                "Your organisation requires administrators to use two-factor authentication. Enable it on your \
                 account page, then go back to the application."
                    .into(),
            ));
        }
        let current = usable(session).filter(|c| {
            let auth_time = c.session.auth_time.and_utc().timestamp();
            // A login made for this request satisfies it, whatever the clock says by the time it comes back.
            let since_request = auth_time >= request.created;
            let fresh_enough = !request.prompt_login || since_request;
            let young_enough = request
                .max_age
                .is_none_or(|max| since_request || now.saturating_sub(auth_time) <= max);
            fresh_enough && young_enough
        });
        let Some(current) = current else {
            if request.prompt_none {
                return Ok(back(OAuthError::new("login_required", "the user is not logged in")));
            }
            return Ok(Authorization::Login {
                fresh: request.prompt_login || request.max_age.is_some(),
                request: self.seal_request(&request),
            });
        };
        let client = self.known_client(ctx, &request.client_id).await?;
        let Some(client) = client else {
            return Ok(Authorization::Refused("The application is no longer known.".into()));
        };
        // `prompt=consent` asks whatever the client's setting (OpenID Connect Core §3.1.2.1).
        if (client.client.settings.consent_required || request.prompt_consent) && !consented {
            let (pk, user, app) = (ctx.tenant.pk, current.user.pk, request.client_id.clone());
            let given = self
                .store
                .tenant_read(pk, move |conn| oidc::consent(conn, pk, user, &app))
                .await?;
            let covers = given.is_some_and(|g| {
                let g: Vec<&str> = g.split(' ').collect();
                request.scope.split(' ').all(|s| g.contains(&s))
            });
            if request.prompt_consent || !covers {
                if request.prompt_none {
                    return Ok(back(OAuthError::new("consent_required", "the user has not consented")));
                }
                return Ok(Authorization::Consent {
                    request: self.seal_request(&request),
                    client_name: client.client.display_name().to_owned(),
                    scopes: request.scope.split(' ').map(str::to_owned).collect(),
                });
            }
        }
        let code = self.issue_code(ctx, &request, current).await?;
        Ok(Authorization::Redirect(with_query(
            &request.redirect_uri,
            &[
                ("code", Some(code.as_str())),
                ("state", request.state.as_deref()),
                ("iss", Some(issuer.as_str())),
            ],
        )))
    }

    async fn issue_code(
        &self,
        ctx: &Ctx,
        request: &AuthorizationRequest,
        current: &CurrentSession,
    ) -> SsoResult<String> {
        let code = random_urlsafe(32);
        let expiration_time = ctx
            .now
            .checked_add_signed(TimeDelta::seconds(CODE_SECONDS))
            .unwrap_or(ctx.now);
        let row = CodeRow {
            id: 0,
            tenant_id: ctx.tenant.pk,
            code_hash: sha256_hex(&code),
            app: request.client_id.clone(),
            sso_session_id: current.session.pk,
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            creation_time: ctx.now,
            expiration_time,
            used_time: None,
            issued_session_id: None,
            issued_grant_id: None,
        };
        let acting = current.acting(ctx);
        let target = current.user.user_id.clone();
        let extra = json!({"client_id": request.client_id, "scope": request.scope}).to_string();
        let pk = ctx.tenant.pk;
        self.store
            .tenant(pk, move |conn| {
                // Codes long expired are swept as new ones are made (kept a day, so a late replay is known).
                oidc::delete_codes_expired(conn, pk, row.creation_time - TimeDelta::days(1))?;
                oidc::insert_code(conn, &row)?;
                audit::append_ctx_extra(conn, &acting, "oidc.authorize", Some(&target), Ok(()), Some(extra))
            })
            .await?;
        self.metrics
            .observe_oidc(ctx.tenant.slug.as_str(), &request.client_id, "authorize", "ok");
        Ok(code)
    }
}

/// The browser's session, if a grant may be made from it: a login on the web UI's pages (not an app's
/// session, whose token a client holds), with the 2FA the tenant requires.
fn usable(session: Option<&CurrentSession>) -> Option<&CurrentSession> {
    session.filter(|c| c.session.is_web_login() && c.second_factor_missing.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn parameters_are_added_to_a_redirect_uri_encoded() {
        assert_eq!(
            with_query(
                "https://a.example/cb?x=1",
                &[("code", Some("a b")), ("state", None), ("iss", Some("h/t"))]
            ),
            "https://a.example/cb?x=1&code=a+b&iss=h%2Ft"
        );
    }

    #[test]
    fn a_challenge_has_the_rfc_7636_form() {
        assert!(challenge_ok(&"a".repeat(43)));
        assert!(!challenge_ok(&"a".repeat(42)));
        assert!(!challenge_ok(&format!("{}=", "a".repeat(43))));
    }
}
