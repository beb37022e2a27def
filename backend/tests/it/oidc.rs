//! The OpenID Provider (issue 17) against an independent relying party, the `openidconnect` crate: discovery,
//! the code flow with PKCE, the ID token checked against the JWKS, UserInfo, single sign-on, `prompt`,
//! `max_age`, consent, and the errors, on both databases. Tests named `basic_op_*` and `config_op_*` prove the
//! behaviours of the OpenID Foundation's Basic OP and Config OP test plans (named in each test's comment);
//! their conformance suite itself needs Docker, which this machine does not have.

use crate::both;
use crate::common::{Backend, TestApp, free_port, json_body, remember_secret, test_client};
use crate::pages::{Browser, user};
use chrono::TimeDelta;
use gatehouse::sso::oidc::clients::ClientSettings;
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::url::Url;
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

// ---- the relying party's HTTP, through awc ----

#[derive(Debug)]
pub struct HttpError(String);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

pub(crate) async fn http(req: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpError> {
    let err = |e: &dyn std::fmt::Display| HttpError(e.to_string());
    let method = awc::http::Method::from_bytes(req.method().as_str().as_bytes()).map_err(|e| err(&e))?;
    let mut out = test_client().request(method, req.uri().to_string());
    for (name, value) in req.headers() {
        out = out.insert_header((name.as_str(), value.to_str().unwrap_or_default()));
    }
    let mut res = out.send_body(req.body().clone()).await.map_err(|e| err(&e))?;
    let body = res.body().limit(1 << 20).await.map_err(|e| err(&e))?;
    let mut answer = openidconnect::http::Response::builder().status(res.status().as_u16());
    for (name, value) in res.headers() {
        answer = answer.header(name.as_str(), value.as_bytes());
    }
    answer.body(body.to_vec()).map_err(|e| err(&e))
}

// ---- the provider and its clients ----

pub(crate) const CB: &str = "http://127.0.0.1:9/cb";

/// Gatehouse with its public URL set to where it listens, so the issuer is the address the RP discovers.
pub(crate) async fn provider(backend: Backend) -> TestApp {
    provider_with(backend, |_| {}).await
}

/// Like [`provider`], the configuration adjusted.
pub(crate) async fn provider_with(backend: Backend, adjust: impl FnOnce(&mut gatehouse::config::Config)) -> TestApp {
    let port = free_port();
    TestApp::spawn_with(backend, |c| {
        c.server.bind = format!("127.0.0.1:{port}");
        c.server.public_url = format!("http://127.0.0.1:{port}");
        adjust(c);
    })
    .await
}

pub(crate) fn issuer(app: &TestApp, tenant: &str) -> String {
    format!("{}/t/{tenant}", app.base)
}

/// Makes `name` an app of `tenant` and a client; returns its secret when confidential.
pub(crate) async fn register(
    app: &TestApp,
    tenant: &str,
    name: &str,
    confidential: bool,
    consent: bool,
) -> Option<String> {
    register_with(app, tenant, name, |s| {
        s.confidential = confidential;
        s.consent_required = consent;
    })
    .await
}

/// Like [`register`], the client's settings adjusted.
pub(crate) async fn register_with(
    app: &TestApp,
    tenant: &str,
    name: &str,
    adjust: impl FnOnce(&mut ClientSettings),
) -> Option<String> {
    let sso = &app.services.sso;
    let admin = || async { sso.cli_admin(sso.resolve_tenant(tenant).await.unwrap()) };
    sso.put_app(&admin().await, name, true, true, false).await.unwrap();
    let mut settings = ClientSettings {
        client_name: format!("The {name} app"),
        redirect_uris: vec![CB.to_owned()],
        post_logout_redirect_uris: vec![],
        confidential: false,
        consent_required: false,
        backchannel_logout_uri: None,
        id_token_alg: Default::default(),
    };
    adjust(&mut settings);
    let (_, secret) = sso.put_client(&admin().await, name, settings).await.unwrap();
    secret.map(|s| {
        remember_secret(s.expose());
        s.expose().to_owned()
    })
}

pub(crate) type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

pub(crate) async fn relying_party(app: &TestApp, tenant: &str, client_id: &str, secret: Option<String>) -> Rp {
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(app, tenant)).unwrap(), &http)
        .await
        .expect("discovery");
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.to_owned()),
        secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(CB.to_owned()).unwrap())
}

/// An authorization request the RP built, with what it must keep.
pub(crate) struct Started {
    pub(crate) url: Url,
    pub(crate) state: CsrfToken,
    pub(crate) nonce: Nonce,
    pub(crate) verifier: PkceCodeVerifier,
}

pub(crate) fn start(rp: &Rp, prompt: Option<CoreAuthPrompt>, max_age: Option<u64>) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    if let Some(p) = prompt {
        req = req.add_prompt(p);
    }
    if let Some(secs) = max_age {
        req = req.set_max_age(std::time::Duration::from_secs(secs));
    }
    let (url, state, nonce) = req.url();
    Started {
        url,
        state,
        nonce,
        verifier,
    }
}

pub(crate) fn path_of(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

pub(crate) fn query(location: &str) -> Vec<(String, String)> {
    Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

pub(crate) fn param(location: &str, name: &str) -> Option<String> {
    query(location).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// What the browser went through: every path it was shown, and where it was sent back to the client.
pub(crate) struct Journey {
    pub(crate) shown: Vec<String>,
    pub(crate) back: String,
}

/// Follows an authorization through Gatehouse's pages in the browser, logging in with `password` (and `code`,
/// when asked) when the login page is shown; stops when the browser is sent to the client.
pub(crate) async fn follow(
    b: &mut Browser<'_>,
    url: &Url,
    password: Option<(&str, &str)>,
    code: Option<&str>,
) -> Journey {
    let mut shown = vec![];
    let mut page = b.get(&path_of(url)).await;
    for _ in 0..8 {
        let Some(location) = page.location.clone() else {
            panic!("the journey stopped at a page ({}): {}", page.status, page.html);
        };
        if location.starts_with(CB) {
            return Journey { shown, back: location };
        }
        shown.push(location.clone());
        let form = b.get(&location).await;
        if location.contains("/login/code") {
            let code = code.expect("a code was asked for");
            page = b
                .send(
                    "POST",
                    "/t/default/login/code",
                    &[("csrf", &form.csrf()), ("code", code), ("next", &next_of(&form))],
                )
                .await;
        } else if location.contains("/login") && form.status == 200 {
            let (username, password) = password.expect("a password was asked for");
            let fields = [
                ("csrf", form.csrf()),
                ("username", username.to_owned()),
                ("password", password.to_owned()),
                ("next", next_of(&form)),
            ];
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            page = b.send("POST", &login_action(&location), &fields).await;
        } else {
            page = form;
        }
    }
    panic!("the journey did not end");
}

pub(crate) fn login_action(location: &str) -> String {
    location.split('?').next().unwrap_or(location).to_owned()
}

pub(crate) fn next_of(page: &crate::pages::Page) -> String {
    let marker = r#"name="next" value=""#;
    let start = page.html.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    page.html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&")
}

/// The app's clock as the RP's idea of now (the tests run on a manual clock).
pub(crate) fn now_of(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    app.services.sso.clock.now().and_utc()
}

/// Exchanges the code the journey brought back and checks the ID token; returns the token response.
pub(crate) async fn exchange(
    app: &TestApp,
    rp: &Rp,
    started: Started,
    journey: &Journey,
) -> (openidconnect::core::CoreTokenResponse, CoreIdTokenClaims) {
    assert_eq!(
        param(&journey.back, "state").as_deref(),
        Some(started.state.secret().as_str())
    );
    assert_eq!(
        param(&journey.back, "iss").as_deref(),
        Some(issuer(app, "default").as_str())
    );
    let code = param(&journey.back, "code").expect("a code");
    let token = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http)
        .await
        .expect("the code exchanges");
    remember_secret(token.access_token().secret());
    let now = now_of(app);
    let verifier = rp.id_token_verifier().set_time_fn(move || now);
    let claims = token
        .id_token()
        .expect("an ID token")
        .claims(&verifier, &started.nonce)
        .expect("the ID token verifies against the JWKS")
        .clone();
    (token, claims)
}

/// The JSON payload of a JWS, read without verifying (the verification is the RP's).
pub(crate) fn payload(jws: &str) -> Value {
    jws_part(jws, 1)
}

/// The JSON header of a JWS, read without verifying.
pub(crate) fn jws_header(jws: &str) -> Value {
    jws_part(jws, 0)
}

fn jws_part(jws: &str, n: usize) -> Value {
    use base64::Engine;
    let part = jws.split('.').nth(n).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub(crate) async fn ann(app: &TestApp) {
    user(app, "ann", |u| {
        u.email = Some("ann@example.com".into());
        u.display_name = Some("Ann Example".into());
    })
    .await;
}

// ---- the tests ----

/// Config OP: OP-Discovery-Config, OP-Discovery-issuer, OP-Discovery-jwks_uri, OP-Discovery-claims_supported,
/// OP-Discovery-scopes (the provider configuration, its issuer equal to the discovery URL's, the keys); and the
/// endpoints of part 2 with back-channel logout (`oidcc-backchannel-discovery` of the back-channel plan).
async fn config_op_discovery_lists_what_exists(backend: Backend) {
    let app = provider(backend).await;
    let mut res = app
        .client
        .get(format!("{}/.well-known/openid-configuration", issuer(&app, "default")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("access-control-allow-origin").unwrap(), "*");
    let doc = json_body(&mut res).await;
    let iss = issuer(&app, "default");
    assert_eq!(doc["issuer"], iss);
    for (key, path) in [
        ("authorization_endpoint", "/oidc/authorize"),
        ("token_endpoint", "/oidc/token"),
        ("userinfo_endpoint", "/oidc/userinfo"),
        ("jwks_uri", "/oidc/jwks"),
        ("registration_endpoint", "/oidc/register"),
        ("revocation_endpoint", "/oidc/revoke"),
        ("introspection_endpoint", "/oidc/introspect"),
        ("end_session_endpoint", "/oidc/logout"),
    ] {
        assert_eq!(doc[key], format!("{iss}{path}"), "{key}");
    }
    assert_eq!(doc["backchannel_logout_supported"], json!(true));
    assert_eq!(doc["backchannel_logout_session_supported"], json!(true));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256", "EdDSA"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], json!(true));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    for scope in ["openid", "profile", "email", "offline_access"] {
        assert!(
            doc["scopes_supported"].as_array().unwrap().contains(&json!(scope)),
            "{scope}"
        );
    }
    for claim in ["sub", "sid", "amr", "email", "preferred_username"] {
        assert!(
            doc["claims_supported"].as_array().unwrap().contains(&json!(claim)),
            "{claim}"
        );
    }
    // The keys: one of each algorithm, by kid; the same on a second fetch (made once, kept).
    let jwks = json_body(&mut app.client.get(format!("{iss}/oidc/jwks")).send().await.unwrap()).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "{jwks}");
    let of = |alg: &str| {
        keys.iter()
            .find(|k| k["alg"] == alg)
            .unwrap_or_else(|| panic!("no {alg} key"))
    };
    let key = of("RS256");
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()) && key["n"].as_str().unwrap().len() > 300);
    let ec = of("ES256");
    assert_eq!((ec["kty"].as_str(), ec["crv"].as_str()), (Some("EC"), Some("P-256")));
    assert_eq!(
        (ec["x"].as_str().unwrap().len(), ec["y"].as_str().unwrap().len()),
        (43, 43)
    );
    let ed = of("EdDSA");
    assert_eq!((ed["kty"].as_str(), ed["crv"].as_str()), (Some("OKP"), Some("Ed25519")));
    assert_eq!(ed["x"].as_str().unwrap().len(), 43);
    let again = json_body(&mut app.client.get(format!("{iss}/oidc/jwks")).send().await.unwrap()).await;
    assert_eq!(again, jwks);
    assert!(!jwks.to_string().contains("\"d\""), "no private part is published");
    // The independent RP reads the same document.
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(iss).unwrap(), &http)
        .await
        .unwrap();
    assert_eq!(metadata.jwks().keys().len(), 3);
    // An unknown tenant has no configuration.
    let res = app
        .client
        .get(format!("{}/.well-known/openid-configuration", issuer(&app, "nosuch")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
both!(config_op_discovery_lists_what_exists);

/// Basic OP: OP-Response-code, OP-IDToken-RS256, OP-IDToken-kid, OP-IDToken-Signature, OP-nonce-code,
/// OP-scope-profile, OP-scope-email, OP-UserInfo-Endpoint, OP-UserInfo-Header, OP-UserInfo-Body,
/// OP-ClientAuth-Basic-Static; and the access token is the UST of an app session of the SSO session.
async fn basic_op_code_flow_signs_in_and_the_tokens_verify(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let secret = register(&app, "default", "shop", true, false).await;
    let rp = relying_party(&app, "default", "shop", secret).await;
    let started = start(&rp, None, None);
    let mut b = Browser::new(&app);
    let journey = follow(&mut b, &started.url, Some(("ann", "ann's passphrase")), None).await;
    assert!(
        journey.shown[0].starts_with("/t/default/login?next="),
        "{:?}",
        journey.shown
    );
    let nonce = started.nonce.secret().clone();
    let (token, claims) = exchange(&app, &rp, started, &journey).await;
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some("ann"));
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ann@example.com"));
    assert_eq!(
        claims.email_verified(),
        Some(true),
        "an administrator's user has a confirmed address"
    );
    let raw = payload(&token.id_token().unwrap().to_string());
    let stored = crate::common::stored_user(
        &app.services.sso,
        &app.services.ctx("default").await,
        &gatehouse::sso::UserRef::Username("ann".into()),
    )
    .await
    .unwrap();
    assert_eq!(raw["sub"], stored.user_id.as_str());
    assert_eq!(raw["aud"], "shop");
    assert_eq!(raw["nonce"], nonce.as_str());
    assert_eq!(raw["amr"], json!(["pwd"]));
    assert!(raw["sid"].as_str().is_some_and(|s| s.len() == 32));
    assert!(raw["auth_time"].as_i64().unwrap() <= raw["iat"].as_i64().unwrap());
    assert_eq!(token.token_type().as_ref(), "bearer");
    let expires = token.expires_in().unwrap().as_secs();
    let tenant = app.services.sso.resolve_tenant("default").await.unwrap();
    let minutes = app.services.sso.policy(&tenant).await.unwrap().session.expiry;
    assert_eq!(expires, u64::from(minutes) * 60, "the app session's expiry");
    assert_eq!(token.scopes().map(|s| s.len()), Some(3));

    // UserInfo, by header (GET) and in the body (POST), with the claims of the scope.
    let info: CoreUserInfoClaims = rp
        .user_info(token.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), stored.user_id.as_str());
    assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("ann"));
    let ust = token.access_token().secret().clone();
    let mut res = app
        .client
        .post(format!("{}/oidc/userinfo", issuer(&app, "default")))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(format!("access_token={ust}"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(&mut res).await["name"], "Ann Example");

    // The access token is a UST: the native API accepts it, and the user sees the app session among theirs.
    let mut res = app
        .client
        .get(app.url("/api/v1/t/default/sessions"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .insert_header(("X-Current-App", "shop"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let sessions = json_body(&mut res).await;
    let listed = sessions["sessions"].as_array().or(sessions.as_array()).expect("a list");
    assert_eq!(listed.len(), 2, "the browser's session and the app's: {sessions}");
    assert_eq!(listed.iter().filter(|s| s["current"] == json!(true)).count(), 1);

    // Logging out of Gatehouse (the SSO session) ends the app session too.
    let account = b.get("/t/default/account").await;
    b.send("POST", "/t/default/logout", &[("csrf", account.csrf().as_str())])
        .await;
    let res = app
        .client
        .get(format!("{}/oidc/userinfo", issuer(&app, "default")))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}
both!(basic_op_code_flow_signs_in_and_the_tokens_verify);

/// Single sign-on: a second client gets in without a password; `prompt=none` with a session returns a code
/// (OP-prompt-none-LoggedIn), without one `login_required` at the redirect URI (OP-prompt-none-NotLoggedIn);
/// `prompt=login` (OP-prompt-login) and `max_age=1` (OP-Req-max_age=1) ask for the password again and give a
/// newer `auth_time`, `max_age=10000` (OP-Req-max_age=10000) does not; unknown parameters are ignored
/// (OP-Req-NotUnderstood); client_secret_post (OP-ClientAuth-SecretPost-Static); a public client with PKCE.
async fn basic_op_single_sign_on_prompt_and_max_age(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let shop = register(&app, "default", "shop", true, false).await;
    register(&app, "default", "wiki", false, false).await;
    let rp = relying_party(&app, "default", "shop", shop.clone()).await;
    let wiki = relying_party(&app, "default", "wiki", None).await;

    // prompt=none before any login.
    let mut b = Browser::new(&app);
    let started = start(&wiki, Some(CoreAuthPrompt::None), None);
    let j = follow(&mut b, &started.url, None, None).await;
    assert_eq!(param(&j.back, "error").as_deref(), Some("login_required"));
    assert_eq!(
        param(&j.back, "state").as_deref(),
        Some(started.state.secret().as_str())
    );
    assert!(param(&j.back, "code").is_none());

    let first = start(&rp, None, None);
    let j = follow(&mut b, &first.url, Some(("ann", "ann's passphrase")), None).await;
    let (_, first_claims) = exchange(&app, &rp, first, &j).await;

    // The second app: no page at all, straight back with a code (and an unknown parameter is ignored).
    let started = start(&wiki, None, None);
    let mut url = started.url.clone();
    url.query_pairs_mut().append_pair("frobnicate", "1");
    let j = follow(&mut b, &url, None, None).await;
    assert!(j.shown.is_empty(), "no login page: {:?}", j.shown);
    let (_, claims) = exchange(&app, &wiki, started, &j).await;
    assert_eq!(claims.subject(), first_claims.subject());
    let sid = |c: &CoreIdTokenClaims| c.auth_time().unwrap();
    assert_eq!(sid(&claims), sid(&first_claims), "the same SSO login");

    // prompt=none with a session: a code.
    let started = start(&wiki, Some(CoreAuthPrompt::None), None);
    let j = follow(&mut b, &started.url, None, None).await;
    assert!(param(&j.back, "code").is_some(), "{}", j.back);

    // max_age=10000: no new login.
    app.services.sso.clock.advance(TimeDelta::seconds(5));
    let started = start(&rp, None, Some(10_000));
    let j = follow(&mut b, &started.url, None, None).await;
    assert!(j.shown.is_empty());
    // max_age=1 five seconds after the login, and prompt=login: the password again, a newer auth_time.
    for (prompt, max_age) in [(None, Some(1)), (Some(CoreAuthPrompt::Login), None)] {
        app.services.sso.clock.advance(TimeDelta::seconds(5));
        let started = start(&rp, prompt, max_age);
        let j = follow(&mut b, &started.url, Some(("ann", "ann's passphrase")), None).await;
        assert!(j.shown[0].contains("prompt=login"), "{:?}", j.shown);
        let (_, claims) = exchange(&app, &rp, started, &j).await;
        assert!(claims.auth_time().unwrap() > first_claims.auth_time().unwrap());
    }

    // client_secret_post.
    let post = CoreClient::from_provider_metadata(
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer(&app, "default")).unwrap(), &http)
            .await
            .unwrap(),
        ClientId::new("shop".into()),
        shop.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(CB.to_owned()).unwrap())
    .set_auth_type(AuthType::RequestBody);
    let started = start(&post, None, None);
    let j = follow(&mut b, &started.url, None, None).await;
    exchange(&app, &post, started, &j).await;
}
both!(basic_op_single_sign_on_prompt_and_max_age);

/// A raw token request.
pub(crate) async fn token_call(
    app: &TestApp,
    tenant: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = app
        .client
        .post(format!("{}/oidc/token", issuer(app, tenant)))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
    if let Some((id, secret)) = basic {
        use base64::Engine;
        let creds = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        req = req.insert_header(("Authorization", format!("Basic {creds}")));
    }
    let mut res = req.send_body(body).await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    (status, json_body(&mut res).await)
}

/// A code for `client` through a logged-in browser, with its PKCE verifier.
pub(crate) async fn code_for(b: &mut Browser<'_>, rp: &Rp) -> (String, String) {
    let started = start(rp, None, None);
    let j = follow(b, &started.url, Some(("ann", "ann's passphrase")), None).await;
    (
        param(&j.back, "code").expect("a code"),
        started.verifier.secret().clone(),
    )
}

/// Basic OP: OP-OAuth-2nd (a code used twice is refused), OP-OAuth-2nd-Revokes (and what it issued is
/// revoked), OP-OAuth-2nd-30s (an expired code); a wrong verifier, secret, redirect URI or client; another
/// tenant's code; never a 500.
async fn basic_op_codes_are_single_use_short_lived_and_bound(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let secret = register(&app, "default", "shop", true, false).await.unwrap();
    register(&app, "default", "wiki", false, false).await;
    let rp = relying_party(&app, "default", "shop", Some(secret.clone())).await;
    let mut b = Browser::new(&app);
    let (code, verifier) = code_for(&mut b, &rp).await;
    let form = |code: &str, verifier: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", CB.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ]
    };
    let call = |f: Vec<(&'static str, String)>| {
        let app = &app;
        let secret = secret.clone();
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_call(app, "default", Some(("shop", &secret)), &f).await
        }
    };
    let (status, ok) = call(form(&code, &verifier)).await;
    assert_eq!(status, 200, "{ok}");
    let ust = ok["access_token"].as_str().unwrap().to_owned();
    remember_secret(&ust);
    let session_ok = |ust: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/t/default/session"))
                .insert_header(("Authorization", format!("Bearer {ust}")))
                .insert_header(("X-Current-App", "shop"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(session_ok(ust.clone()).await, 200);
    // Again: refused, and the token it gave no longer works.
    let (status, again) = call(form(&code, &verifier)).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(session_ok(ust).await, 401);

    // A wrong verifier burns the code: the right one after it is refused too.
    let (code, verifier) = code_for(&mut b, &rp).await;
    let (status, wrong) = call(form(&code, &format!("{verifier}x"))).await;
    assert_eq!((status, wrong["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(call(form(&code, &verifier)).await.0, 400);
    // No verifier, another redirect URI.
    let (code, verifier) = code_for(&mut b, &rp).await;
    let mut no_verifier = form(&code, &verifier);
    no_verifier.pop();
    assert_eq!(call(no_verifier).await.1["error"], "invalid_grant");
    let (code, verifier) = code_for(&mut b, &rp).await;
    let mut other_uri = form(&code, &verifier);
    other_uri[2].1 = "http://127.0.0.1:9/other".into();
    assert_eq!(call(other_uri).await.1["error"], "invalid_grant");
    // Expired after 60 s.
    let (code, verifier) = code_for(&mut b, &rp).await;
    app.services.sso.clock.advance(TimeDelta::seconds(61));
    assert_eq!(call(form(&code, &verifier)).await.1["error"], "invalid_grant");

    // The client must authenticate, as itself.
    let (code, verifier) = code_for(&mut b, &rp).await;
    let f = form(&code, &verifier);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = token_call(&app, "default", Some(("shop", "ghcs_wrong")), &f).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body) = token_call(&app, "default", None, &f).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    // Another client (the public wiki) cannot use shop's code, nor use it up.
    let mut as_wiki = f.clone();
    as_wiki.push(("client_id", "wiki"));
    let (status, body) = token_call(&app, "default", None, &as_wiki).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    // Another tenant: the same client name there knows nothing of this code.
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let other = register(&app, "acme", "shop", true, false).await.unwrap();
    let (status, body) = token_call(&app, "acme", Some(("shop", &other)), &f).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, body) = token_call(&app, "acme", Some(("shop", &secret)), &f).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    // The code, untouched by all this, still works once in its own tenant.
    assert_eq!(call(form(&code, &verifier)).await.0, 200);

    // Bad requests: the protocol's codes, never a 500.
    for (form, status, error) in [
        (vec![("grant_type", "password")], 400, "unsupported_grant_type"),
        (vec![("code", "x")], 400, "invalid_request"),
        (
            vec![("grant_type", "authorization_code"), ("code", "x"), ("code", "y")],
            400,
            "invalid_request",
        ),
        (vec![("grant_type", "authorization_code")], 400, "invalid_request"),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", CB),
            ],
            400,
            "invalid_grant",
        ),
    ] {
        let (got, body) = token_call(&app, "default", Some(("shop", &secret)), &form).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{form:?}");
    }
    let res = app
        .client
        .post(format!("{}/oidc/token", issuer(&app, "default")))
        .insert_header(("Content-Type", "application/json"))
        .send_body("{}")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
both!(basic_op_codes_are_single_use_short_lived_and_bound);

/// A GET of the authorization endpoint, not followed.
async fn authorize_raw(b: &mut Browser<'_>, params: &[(&str, &str)]) -> crate::pages::Page {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    b.get(&format!("/t/default/oidc/authorize?{q}")).await
}

/// Basic OP: OP-redirect_uri-NotReg and OP-redirect_uri-Missing (a page, never a redirect), OP-Response-Missing
/// (no response_type: `invalid_request` at the redirect URI), `unsupported_response_type`, `invalid_scope`
/// without `openid`, PKCE refused as `plain` or missing for a public client, a public client under
/// `apps.require_key`, an unknown client.
async fn basic_op_authorization_errors_go_where_they_may(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    register(&app, "default", "wiki", false, false).await;
    let mut b = Browser::new(&app);
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let good = [
        ("client_id", "wiki"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s1"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    fn changed<'a>(good: &[(&'a str, &'a str)], changes: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
        let mut p: Vec<(&str, &str)> = good.to_vec();
        for (k, v) in changes {
            p.retain(|(name, _)| name != k);
            if let Some(v) = v {
                p.push((k, v));
            }
        }
        p
    }
    let with = |changes: &[(&'static str, Option<&'static str>)]| changed(&good, changes);
    // Never to an unregistered or missing redirect URI, nor for an unknown client: a page in words.
    for (changes, words) in [
        (
            vec![("redirect_uri", Some("http://127.0.0.1:9/evil"))],
            "has not registered",
        ),
        (vec![("redirect_uri", None)], "where to send you back"),
        (vec![("client_id", Some("nosuch"))], "not known"),
        (vec![("client_id", None)], "which application"),
    ] {
        let page = authorize_raw(&mut b, &with(&changes)).await;
        assert_eq!(page.status, 400, "{changes:?}");
        assert!(
            page.location.is_none() && page.html.contains(words),
            "{changes:?}: {}",
            page.html
        );
    }
    let dup = [good.to_vec(), vec![("redirect_uri", "http://127.0.0.1:9/evil")]].concat();
    assert_eq!(authorize_raw(&mut b, &dup).await.status, 400);
    // The rest go back to the client, with state and iss.
    for (changes, error) in [
        (vec![("response_type", None)], "invalid_request"),
        (vec![("response_type", Some("token"))], "unsupported_response_type"),
        (vec![("scope", Some("profile"))], "invalid_scope"),
        (vec![("code_challenge_method", Some("plain"))], "invalid_request"),
        (
            vec![("code_challenge", None), ("code_challenge_method", None)],
            "invalid_request",
        ),
        (vec![("code_challenge", Some("short"))], "invalid_request"),
        (vec![("prompt", Some("none login"))], "invalid_request"),
        (vec![("max_age", Some("-1"))], "invalid_request"),
        (vec![("request", Some("eyJ"))], "request_not_supported"),
    ] {
        let page = authorize_raw(&mut b, &with(&changes)).await;
        let location = page.location.unwrap_or_else(|| panic!("{changes:?}: {}", page.html));
        assert!(location.starts_with(CB), "{location}");
        assert_eq!(param(&location, "error").as_deref(), Some(error), "{changes:?}");
        assert_eq!(param(&location, "state").as_deref(), Some("s1"));
        assert_eq!(
            param(&location, "iss").as_deref(),
            Some(issuer(&app, "default").as_str())
        );
    }
    // Under apps.require_key, a public client is unauthorized.
    let sso = &app.services.sso;
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    sso.set_setting(&admin, "apps", "require_key", Some(json!(true)))
        .await
        .unwrap();
    let page = authorize_raw(&mut b, &good).await;
    assert_eq!(
        param(&page.location.unwrap(), "error").as_deref(),
        Some("unauthorized_client")
    );
}
both!(basic_op_authorization_errors_go_where_they_may);

/// Consent once per app and scope set; a refusal is `access_denied`; the pages of an authorization allow the
/// client's origin in `form-action` and name the app; the session cookie is SameSite=Lax.
async fn consent_is_asked_once_and_pages_allow_the_clients_origin(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    register(&app, "default", "wiki", false, true).await;
    let rp = relying_party(&app, "default", "wiki", None).await;
    let mut b = Browser::new(&app);
    let started = start(&rp, None, None);
    let mut url = started.url.clone();
    url.query_pairs_mut().append_pair("login_hint", "ann");
    let first = b.get(&path_of(&url)).await;
    let login = b.get(first.location.as_deref().unwrap()).await;
    assert!(
        login.html.contains(r#"value="ann""#),
        "the login_hint fills the username"
    );
    let csp = login
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9;"), "{csp}");
    assert!(login.html.contains("to continue to") && login.html.contains("The wiki app"));
    let fields = [
        ("csrf", login.csrf()),
        ("username", "ann".to_owned()),
        ("password", "ann's passphrase".to_owned()),
        ("next", next_of(&login)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = b.send("POST", "/t/default/login", &fields).await;
    let cookie = done.set_cookies.iter().find(|c| c.starts_with("gh_session=")).unwrap();
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let consent = b.get(done.location.as_deref().unwrap()).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    assert!(consent.html.contains("Allow The wiki app to use your account?"));
    assert!(consent.html.contains("See your e-mail address"));
    let csp = consent
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9;"), "{csp}");
    let request = crate::common::token_in(&consent.html, r#"name="request" value=""#);
    // Without the form token, nothing.
    let forged = b
        .send(
            "POST",
            "/t/default/oidc/consent",
            &[("request", &request), ("decision", "allow")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // Deny: access_denied at the client.
    let denied = b
        .send(
            "POST",
            "/t/default/oidc/consent",
            &[("csrf", &consent.csrf()), ("request", &request), ("decision", "deny")],
        )
        .await;
    assert_eq!(
        param(denied.location.as_deref().unwrap(), "error").as_deref(),
        Some("access_denied")
    );
    // Allow: a code, and the next time no question.
    let allowed = b
        .send(
            "POST",
            "/t/default/oidc/consent",
            &[("csrf", &consent.csrf()), ("request", &request), ("decision", "allow")],
        )
        .await;
    let back = allowed.location.unwrap();
    assert!(param(&back, "code").is_some(), "{back}");
    let again = start(&rp, None, None);
    let j = follow(&mut b, &again.url, None, None).await;
    assert!(j.shown.is_empty() && param(&j.back, "code").is_some());
    // prompt=none when consent is missing for a new scope set is consent_required... (the set here is the same:
    // prompt=consent asks again).
    let asked = start(&rp, Some(CoreAuthPrompt::Consent), None);
    let page = b.get(&path_of(&asked.url)).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Allow The wiki app"));
    // prompt=consent asks for a client that needs no consent too (OpenID Connect Core §3.1.2.1).
    let shop = register(&app, "default", "shop", true, false).await;
    let shop = relying_party(&app, "default", "shop", shop).await;
    let plain = start(&shop, None, None);
    assert!(follow(&mut b, &plain.url, None, None).await.shown.is_empty());
    let asked = start(&shop, Some(CoreAuthPrompt::Consent), None);
    let page = b.get(&path_of(&asked.url)).await;
    assert!(
        page.status == 200 && page.html.contains("Allow The shop app"),
        "{:?}",
        page.location
    );
}
both!(consent_is_asked_once_and_pages_allow_the_clients_origin);

/// Every login rule holds: the TOTP step comes before the code (and `amr` says so); a user locked after the
/// code was issued gets no token; one tenant's tokens and clients are worthless in another; an app session's
/// UST in the cookie signs no browser in.
async fn login_rules_hold_and_tenants_stay_apart(backend: Backend) {
    let app = provider(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    user(&app, "ann", |u| u.totp_key = Some(key.into())).await;
    let secret = register(&app, "default", "shop", true, false).await;
    let rp = relying_party(&app, "default", "shop", secret).await;
    let mut b = Browser::new(&app);
    let started = start(&rp, None, None);
    let code = gatehouse::sso::totp::code_at(key, app.services.sso.clock.now()).unwrap();
    let j = follow(&mut b, &started.url, Some(("ann", "ann's passphrase")), Some(&code)).await;
    assert!(j.shown.iter().any(|p| p.contains("/login/code")), "{:?}", j.shown);
    let (token, _) = exchange(&app, &rp, started, &j).await;
    assert_eq!(
        payload(&token.id_token().unwrap().to_string())["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    let ust = token.access_token().secret().clone();

    // Another tenant's userinfo, and its pages, know nothing of it.
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let res = app
        .client
        .get(format!("{}/oidc/userinfo", issuer(&app, "acme")))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let mut other = Browser::new(&app);
    let page = other
        .get(&format!(
            "/t/acme/oidc/authorize?client_id=shop&redirect_uri={}&response_type=code&scope=openid",
            form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(page.status, 400, "shop is not a client of acme");

    // An app session's UST set as the browser's cookie is not a login on the pages.
    let mut thief = Browser::new(&app);
    thief.cookies.insert("gh_session".into(), ust.clone());
    let account = thief.get("/t/default/account").await;
    assert_eq!(account.status, 303, "redirected to the login");
    let stolen = start(&rp, Some(CoreAuthPrompt::None), None);
    let j = follow(&mut thief, &stolen.url, None, None).await;
    assert_eq!(param(&j.back, "error").as_deref(), Some("login_required"));

    // Locked after the code was issued: no token; the access token already given stops working.
    let started = start(&rp, None, None);
    let j = follow(&mut b, &started.url, None, None).await;
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    let id = crate::common::stored_user(sso, admin.ctx(), &gatehouse::sso::UserRef::Username("ann".into()))
        .await
        .unwrap()
        .user_id;
    sso.lock_user(&admin, &gatehouse::sso::UserRef::Id(id)).await.unwrap();
    let result = rp
        .exchange_code(AuthorizationCode::new(param(&j.back, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http)
        .await;
    assert!(result.is_err(), "a locked user gets no token");
    let res = app
        .client
        .get(format!("{}/oidc/userinfo", issuer(&app, "default")))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Metrics count the grants by client.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .body()
        .await
        .unwrap();
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains(
            r#"gatehouse_oidc_requests_total{client="shop",endpoint="token",outcome="ok",tenant="default"} 1"#
        ),
        "{metrics}"
    );
}
both!(login_rules_hold_and_tenants_stay_apart);

/// The client settings on the native API: set (a secret once), read (never the secret), a bad redirect URI
/// named, a new secret, removal; a regular user is refused.
async fn client_settings_on_the_native_api(backend: Backend) {
    let app = provider(backend).await;
    let sso = &app.services.sso;
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    sso.put_app(&admin, "shop", true, true, false).await.unwrap();
    user(&app, "root", |u| u.is_super_user = true).await;
    user(&app, "bob", |_| {}).await;
    let login = |name: &'static str| {
        let app = &app;
        async move {
            let mut res = app
                .client
                .post(app.url("/api/v1/t/default/login"))
                .insert_header(("X-Current-App", "shop"))
                .send_json(&json!({"username": name, "password": format!("{name}'s passphrase")}))
                .await
                .unwrap();
            let ust = json_body(&mut res).await["ust"].as_str().unwrap().to_owned();
            remember_secret(&ust);
            ust
        }
    };
    let root = login("root").await;
    let call = |method: &str, path: &str, ust: &str, body: Option<Value>| {
        let req = app
            .client
            .request(
                method.parse().unwrap(),
                app.url(&format!("/api/v1/t/default/apps/shop/client{path}")),
            )
            .insert_header(("Authorization", format!("Bearer {ust}")))
            .insert_header(("X-Current-App", "shop"));
        async move {
            let mut res = match body {
                Some(b) => req.send_json(&b).await.unwrap(),
                None => req.send().await.unwrap(),
            };
            let status = res.status().as_u16();
            let body = res.body().await.unwrap();
            (status, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
        }
    };
    assert_eq!(call("GET", "", &root, None).await.0, 404);
    let settings = json!({"client_name": "The Shop", "redirect_uris": [CB], "confidential": true});
    let (status, made) = call("PUT", "", &root, Some(settings.clone())).await;
    assert_eq!(status, 200, "{made}");
    let secret = made["client_secret"].as_str().unwrap().to_owned();
    remember_secret(&secret);
    assert!(secret.starts_with("ghcs_") && made["has_secret"] == json!(true));
    let (_, read) = call("GET", "", &root, None).await;
    assert!(read.get("client_secret").is_none() && read["redirect_uris"] == json!([CB]));
    let (_, again) = call("PUT", "", &root, Some(settings)).await;
    assert!(
        again.get("client_secret").is_none(),
        "an unchanged confidential client keeps its secret"
    );
    for (uri, words) in [
        ("http://app.example.com/cb", "use https"),
        ("javascript:alert(1)", "cannot be a redirect URI"),
    ] {
        let (status, problem) = call(
            "PUT",
            "",
            &root,
            Some(json!({"redirect_uris": [uri], "confidential": true})),
        )
        .await;
        assert_eq!(status, 422, "{uri}");
        assert!(
            problem.to_string().contains("redirect_uris") && problem.to_string().contains(words),
            "{problem}"
        );
    }
    let (status, _) = call(
        "PUT",
        "",
        &root,
        Some(json!({"redirect_uris": [CB], "confidential": true, "extra": 1})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, fresh) = call("POST", "/secret", &root, None).await;
    assert_eq!(status, 201);
    let new_secret = fresh["client_secret"].as_str().unwrap().to_owned();
    remember_secret(&new_secret);
    assert_ne!(new_secret, secret);
    // The old secret no longer authenticates; the new one does (an unknown code then).
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", CB),
    ];
    assert_eq!(
        token_call(&app, "default", Some(("shop", &secret)), &form).await.1["error"],
        "invalid_client"
    );
    assert_eq!(
        token_call(&app, "default", Some(("shop", &new_secret)), &form).await.1["error"],
        "invalid_grant"
    );
    // A regular user may not.
    let bob = login("bob").await;
    assert_eq!(call("GET", "", &bob, None).await.0, 403);
    // Removed: no client any more.
    assert_eq!(call("DELETE", "", &root, None).await.0, 204);
    assert_eq!(
        token_call(&app, "default", Some(("shop", &new_secret)), &form).await.1["error"],
        "invalid_client"
    );
    crate::common::assert_no_secrets_logged();
}
both!(client_settings_on_the_native_api);

pub(crate) async fn userinfo_status(app: &TestApp, ust: &str) -> u16 {
    app.client
        .get(format!("{}/oidc/userinfo", issuer(app, "default")))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// What the review of the change found, each now a rule: an access token never administers and belongs to
/// its client; an application signing in again and again never logs the user out elsewhere; a super-user
/// without the required 2FA meets a page, not a redirect loop; `max_age=0` is met by the login it asked for
/// however late it comes back; removing a client (or its app) ends its tokens; a request of too many
/// parameters is refused.
async fn access_tokens_are_the_users_not_an_administrators(backend: Backend) {
    let app = provider(backend).await;
    user(&app, "root", |u| u.is_super_user = true).await;
    user(&app, "ann", |_| {}).await;
    let secret = register(&app, "default", "shop", true, false).await;
    register(&app, "default", "wiki", false, false).await;
    let rp = relying_party(&app, "default", "shop", secret.clone()).await;
    let sso = &app.services.sso;
    let admin = || async { sso.cli_admin(sso.resolve_tenant("default").await.unwrap()) };
    sso.set_setting(&admin().await, "session", "max_per_user", Some(json!(2)))
        .await
        .unwrap();

    // root signs in to the shop: the token reads root's own session, but administers nothing.
    let mut b = Browser::new(&app);
    let started = start(&rp, None, None);
    let j = follow(&mut b, &started.url, Some(("root", "root's passphrase")), None).await;
    let (token, _) = exchange(&app, &rp, started, &j).await;
    let ust = token.access_token().secret().clone();
    let api = |path: &'static str, app_name: &'static str| {
        let (app, ust) = (&app, ust.clone());
        async move {
            app.client
                .get(app.url(&format!("/api/v1/t/default{path}")))
                .insert_header(("Authorization", format!("Bearer {ust}")))
                .insert_header(("X-Current-App", app_name))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(api("/session", "shop").await, 200);
    assert_eq!(
        api("/users", "shop").await,
        403,
        "no administration with an application's token"
    );
    assert_eq!(api("/settings", "shop").await, 403);
    assert_eq!(
        api("/session", "wiki").await,
        401,
        "another app cannot present the shop's token"
    );

    // Renewed later, the app session lives no longer than the SSO session it hangs on.
    app.services.sso.clock.advance(TimeDelta::minutes(10));
    let mut res = app
        .client
        .patch(app.url("/api/v1/t/default/session"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .insert_header(("X-Current-App", "shop"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let renewed = json_body(&mut res).await["expiration_time"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut res = app
        .client
        .get(app.url("/api/v1/t/default/sessions"))
        .insert_header(("Authorization", format!("Bearer {ust}")))
        .insert_header(("X-Current-App", "shop"))
        .send()
        .await
        .unwrap();
    let listed = json_body(&mut res).await;
    let listed = listed["sessions"].as_array().or(listed.as_array()).unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|s| s["expiration_time"] == json!(renewed)),
        "{listed:?} vs {renewed}"
    );

    // ann on two devices; the shop signs her in four times on the second: the first device stays signed in.
    let mut laptop = Browser::new(&app);
    laptop.login("ann", "ann's passphrase").await;
    let mut phone = Browser::new(&app);
    let mut last = String::new();
    for _ in 0..4 {
        let started = start(&rp, None, None);
        let j = follow(&mut phone, &started.url, Some(("ann", "ann's passphrase")), None).await;
        last = exchange(&app, &rp, started, &j).await.0.access_token().secret().clone();
    }
    assert_eq!(
        laptop.get("/t/default/account").await.status,
        200,
        "the laptop is still signed in"
    );
    assert_eq!(userinfo_status(&app, &last).await, 200);

    // max_age=0: the login it asks for satisfies it even when the way back arrives seconds later.
    app.services.sso.clock.advance(TimeDelta::seconds(5));
    let started = start(&rp, None, Some(0));
    let first = phone.get(&path_of(&started.url)).await;
    let login = phone.get(first.location.as_deref().unwrap()).await;
    let fields = [
        ("csrf", login.csrf()),
        ("username", "ann".to_owned()),
        ("password", "ann's passphrase".to_owned()),
        ("next", next_of(&login)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = phone.send("POST", "/t/default/login", &fields).await;
    app.services.sso.clock.advance(TimeDelta::seconds(3));
    let back = phone.get(done.location.as_deref().unwrap()).await;
    let to = back.location.unwrap_or_else(|| panic!("{}", back.html));
    assert!(to.starts_with(CB) && param(&to, "code").is_some(), "{to}");

    // Removing the client settings ends the tokens granted to it; so does removing the app by a settings change.
    assert_eq!(userinfo_status(&app, &last).await, 200);
    sso.delete_client(&admin().await, "shop").await.unwrap();
    assert_eq!(userinfo_status(&app, &last).await, 401);
    let wiki = relying_party(&app, "default", "wiki", None).await;
    let started = start(&wiki, None, None);
    let j = follow(&mut phone, &started.url, None, None).await;
    let wiki_token = exchange(&app, &wiki, started, &j)
        .await
        .0
        .access_token()
        .secret()
        .clone();
    assert_eq!(userinfo_status(&app, &wiki_token).await, 200);
    sso.set_setting(&admin().await, "apps", "all", Some(json!(["shop"])))
        .await
        .unwrap();
    assert_eq!(userinfo_status(&app, &wiki_token).await, 401);
    sso.put_app(&admin().await, "wiki", true, true, false).await.unwrap();
    assert!(
        sso.client(&admin().await, "wiki").await.is_err(),
        "a re-added app is no client until made one"
    );

    // Too many parameters.
    let many: Vec<(String, String)> = (0..100).map(|i| (format!("k{i}"), String::new())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = token_call(&app, "default", None, &many).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}
both!(access_tokens_are_the_users_not_an_administrators);

/// A super-user the tenant requires 2FA of, signed in without it, is told so on a page (never a loop through
/// the login), and `prompt=none` answers `interaction_required`.
async fn a_super_user_without_required_2fa_meets_a_page(backend: Backend) {
    let app = provider(backend).await;
    user(&app, "root", |u| u.is_super_user = true).await;
    let secret = register(&app, "default", "shop", true, false).await;
    let rp = relying_party(&app, "default", "shop", secret).await;
    let sso = &app.services.sso;
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    sso.set_setting(&admin, "login", "require_totp_for_super_users", Some(json!(true)))
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    let started = start(&rp, None, None);
    let first = b.get(&path_of(&started.url)).await;
    let login = b.get(first.location.as_deref().unwrap()).await;
    let fields = [
        ("csrf", login.csrf()),
        ("username", "root".to_owned()),
        ("password", "root's passphrase".to_owned()),
        ("next", next_of(&login)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = b.send("POST", "/t/default/login", &fields).await;
    let page = b.get(done.location.as_deref().unwrap()).await;
    assert_eq!(page.status, 400, "{:?}", page.location);
    assert!(page.html.contains("two-factor authentication"), "{}", page.html);
    let silent = start(&rp, Some(CoreAuthPrompt::None), None);
    let back = b.get(&path_of(&silent.url)).await;
    assert_eq!(
        param(back.location.as_deref().unwrap(), "error").as_deref(),
        Some("interaction_required")
    );
}
both!(a_super_user_without_required_2fa_meets_a_page);

/// Protocol details the review asked for: an over-long `state` is not echoed; every `invalid_client` 401 names
/// its scheme; an unreadable Basic header is `invalid_client`; consents merge (a second scope set asked for
/// alone, then the first again, asks nothing more); the code step's "Start again" keeps the way back; no 404
/// for the browser's icon.
async fn protocol_details_hold(backend: Backend) {
    let app = provider(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    user(&app, "ann", |u| u.totp_key = Some(key.into())).await;
    register(&app, "default", "wiki", false, true).await;
    let mut b = Browser::new(&app);
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let long_state = "s".repeat(3000);
    let page = authorize_raw(
        &mut b,
        &[
            ("client_id", "wiki"),
            ("redirect_uri", CB),
            ("response_type", "token"),
            ("scope", "openid"),
            ("state", &long_state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let location = page.location.unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("unsupported_response_type"));
    assert!(
        param(&location, "state").is_none() && location.len() < 500,
        "{location}"
    );

    let form = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", CB),
    ];
    let res = app
        .client
        .post(format!("{}/oidc/token", issuer(&app, "default")))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body("grant_type=authorization_code&code=x&client_id=nosuch")
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let res = app
        .client
        .post(format!("{}/oidc/token", issuer(&app, "default")))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header((
            "Authorization",
            awc::http::header::HeaderValue::from_bytes(b"Basic \xff\xfe").unwrap(),
        ))
        .send_body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                // With the header ignored, the public wiki named here would pass as the client (then 400).
                .append_pair("client_id", "wiki")
                .finish(),
        )
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "an unreadable Basic header is a failed authentication"
    );

    // Consent for `openid profile`, then for `openid email`: asking for `openid profile` again asks nothing.
    let rp = relying_party(&app, "default", "wiki", None).await;
    let ask = |scope: &'static str| {
        let rp = &rp;
        move || {
            let (challenge, _) = PkceCodeChallenge::new_random_sha256();
            rp.authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new(scope.into()))
            .set_pkce_challenge(challenge)
            .url()
            .0
        }
    };
    let code = gatehouse::sso::totp::code_at(key, app.services.sso.clock.now()).unwrap();
    let first = b.get(&path_of(&ask("profile")())).await;
    let login = b.get(first.location.as_deref().unwrap()).await;
    let fields = [
        ("csrf", login.csrf()),
        ("username", "ann".to_owned()),
        ("password", "ann's passphrase".to_owned()),
        ("next", next_of(&login)),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let step = b.send("POST", "/t/default/login", &fields).await;
    let code_page = b.get(step.location.as_deref().unwrap()).await;
    let again = format!(
        "/t/default/login?next={}",
        form_urlencoded::byte_serialize(next_of(&code_page).as_bytes()).collect::<String>()
    );
    assert!(
        code_page.html.contains(&again.replace('&', "&amp;")),
        "Start again keeps the way back"
    );
    let done = b
        .send(
            "POST",
            "/t/default/login/code",
            &[
                ("csrf", &code_page.csrf()),
                ("code", &code),
                ("next", &next_of(&code_page)),
            ],
        )
        .await;
    let mut consent = b.get(done.location.as_deref().unwrap()).await;
    for scope in ["profile", "email"] {
        if scope == "email" {
            consent = b.get(&path_of(&ask("email")())).await;
        }
        assert!(
            consent.html.contains("Allow The wiki app"),
            "{scope}: {:?}",
            consent.location
        );
        let request = crate::common::token_in(&consent.html, r#"name="request" value=""#);
        let allowed = b
            .send(
                "POST",
                "/t/default/oidc/consent",
                &[("csrf", &consent.csrf()), ("request", &request), ("decision", "allow")],
            )
            .await;
        assert!(param(allowed.location.as_deref().unwrap(), "code").is_some());
    }
    let back = b.get(&path_of(&ask("profile")())).await;
    assert!(
        back.location.as_deref().is_some_and(|l| l.starts_with(CB)),
        "the first scope set is still allowed"
    );

    let icon = app.client.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(icon.status(), 204);
}
both!(protocol_details_hold);
