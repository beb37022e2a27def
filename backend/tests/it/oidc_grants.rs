//! The OpenID Provider, part 2 (issue 18), against the independent relying party of part 1 (`openidconnect`):
//! dynamic registration, refresh tokens and their families, revocation, introspection, signing keys of three
//! algorithms and their rotation, on both databases. Tests named `oidcc_*` prove the behaviours of the OpenID
//! Foundation's test modules of that name (Basic OP and Config OP plans; the suite itself needs Docker).

use crate::both;
use crate::common::{Backend, TestApp, json_body, remember_secret};
use crate::oidc::{
    CB, Rp, Started, ann, exchange, follow, http, issuer, jws_header, now_of, param, path_of, payload, provider,
    register, register_with, relying_party, start, userinfo_status,
};
use crate::pages::{Browser, user};
use chrono::TimeDelta;
use gatehouse::crypto::jws::Alg;
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm, CoreTokenResponse};
use openidconnect::{CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RefreshToken, Scope, TokenResponse};
use serde_json::{Value, json};

/// A raw form POST to one of the issuer's client endpoints: status, JSON body (null when empty) and the
/// `WWW-Authenticate` header.
pub(crate) async fn client_post(
    app: &TestApp,
    tenant: &str,
    endpoint: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Value, Option<String>) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = app
        .client
        .post(format!("{}/oidc/{endpoint}", issuer(app, tenant)))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
    if let Some((id, secret)) = basic {
        use base64::Engine;
        let creds = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        req = req.insert_header(("Authorization", format!("Basic {creds}")));
    }
    let mut res = req.send_body(body).await.unwrap();
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.body().await.unwrap();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    (status, json, challenge)
}

/// An authorization with extra scopes (`offline_access`).
pub(crate) fn start_with(rp: &Rp, scopes: &[&str]) -> Started {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for s in scopes {
        req = req.add_scope(Scope::new((*s).into()));
    }
    let (url, state, nonce) = req.url();
    Started {
        url,
        state,
        nonce,
        verifier,
    }
}

/// ann signs in to `rp` in `b` (logging in if asked) and the code is exchanged.
pub(crate) async fn sign_in(app: &TestApp, rp: &Rp, b: &mut Browser<'_>, scopes: &[&str]) -> CoreTokenResponse {
    let started = start_with(rp, scopes);
    let j = follow(b, &started.url, Some(("ann", "ann's passphrase")), None).await;
    let (token, _) = exchange(app, rp, started, &j).await;
    if let Some(r) = token.refresh_token() {
        remember_secret(r.secret());
    }
    token
}

async fn refresh(rp: &Rp, token: &str) -> Result<CoreTokenResponse, String> {
    rp.exchange_refresh_token(&RefreshToken::new(token.to_owned()))
        .unwrap()
        .request_async(&http)
        .await
        .inspect(|t| {
            remember_secret(t.access_token().secret());
            if let Some(r) = t.refresh_token() {
                remember_secret(r.secret());
            }
        })
        .map_err(|e| format!("{e:?}"))
}

/// The `error` a raw refresh of `token` by a confidential client gets (or `ok`).
async fn refresh_error(app: &TestApp, client: (&str, &str), token: &str) -> String {
    let (status, body, _) = client_post(
        app,
        "default",
        "token",
        Some(client),
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await;
    if status == 200 {
        "ok".into()
    } else {
        assert_eq!(status, 400, "{body}");
        body["error"].as_str().unwrap().to_owned()
    }
}

/// The operations of the tenant's audit log, oldest first.
pub(crate) async fn audit_ops(app: &TestApp, tenant: &str) -> Vec<String> {
    let sso = &app.services.sso;
    let admin = sso.cli_admin(sso.resolve_tenant(tenant).await.unwrap());
    let page = sso
        .audit_entries(&admin, Default::default(), Some(1), Some(10_000))
        .await
        .unwrap();
    page.result.into_iter().map(|r| r.op).collect()
}

async fn native_ust(app: &TestApp, tenant: &str, name: &str) -> String {
    let mut res = app
        .client
        .post(app.url(&format!("/api/v1/t/{tenant}/login")))
        .insert_header(("X-Current-App", "CRM"))
        .send_json(&json!({"username": name, "password": format!("{name}'s passphrase")}))
        .await
        .unwrap();
    let body = json_body(&mut res).await;
    let ust = body["ust"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    remember_secret(&ust);
    ust
}

async fn register_call(app: &TestApp, tenant: &str, bearer: Option<&str>, body: Value) -> (u16, Value, Option<String>) {
    let mut req = app.client.post(format!("{}/oidc/register", issuer(app, tenant)));
    if let Some(t) = bearer {
        req = req.insert_header(("Authorization", format!("Bearer {t}")));
    }
    let mut res = req.send_json(&body).await.unwrap();
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, json_body(&mut res).await, challenge)
}

/// Dynamic registration (RFC 7591; the OpenID Foundation's Dynamic OP modules `oidcc-registration-*`): a
/// super-user's UST registers; no token, a bad one, another tenant's, an application's access token or a
/// non-super-user's are refused with the Bearer errors; unsafe redirect URIs and unsupported metadata get the
/// registration errors and write nothing; the registered client is an app that signs its users in.
async fn oidcc_dynamic_registration(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    user(&app, "root", |u| u.is_super_user = true).await;
    let root = native_ust(&app, "default", "root").await;
    let plain = native_ust(&app, "default", "ann").await;
    let body = json!({
        "client_name": "Registered shop",
        "redirect_uris": [CB],
        "post_logout_redirect_uris": ["http://127.0.0.1:9/bye"],
        "grant_types": ["authorization_code", "refresh_token"],
        "id_token_signed_response_alg": "ES256",
    });

    let (status, answer, challenge) = register_call(&app, "default", None, body.clone()).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_token")));
    assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""));
    let (status, answer, _) = register_call(&app, "default", Some("not-a-ust"), body.clone()).await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_token")));
    let (status, answer, challenge) = register_call(&app, "default", Some(&plain), body.clone()).await;
    assert_eq!((status, answer["error"].as_str()), (403, Some("insufficient_scope")));
    assert_eq!(challenge.as_deref(), Some("Bearer error=\"insufficient_scope\""));
    // Another tenant's super-user token is no token here.
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let (status, _, _) = register_call(&app, "acme", Some(&root), body.clone()).await;
    assert_eq!(status, 401);

    // Unsafe or unsupported metadata: the registration errors, and no app is left behind.
    let apps_before = sso
        .policy(&sso.resolve_tenant("default").await.unwrap())
        .await
        .unwrap()
        .apps
        .all
        .clone();
    for (bad, error) in [
        (
            json!({"redirect_uris": ["http://shop.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://shop.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": [CB], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [CB], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [CB], "id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [CB], "backchannel_logout_uri": "http://internal.example/logout"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [CB], "client_name": 7}),
            "invalid_client_metadata",
        ),
    ] {
        let (status, answer, _) = register_call(&app, "default", Some(&root), bad.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(error)),
            "{bad}: {answer}"
        );
    }
    let apps_after = sso
        .policy(&sso.resolve_tenant("default").await.unwrap())
        .await
        .unwrap()
        .apps
        .all
        .clone();
    assert_eq!(apps_before, apps_after, "a refused registration writes nothing");

    // Registered: 201, a client id, a secret shown once, the metadata as registered.
    let (status, registered, _) = register_call(&app, "default", Some(&root), body).await;
    assert_eq!(status, 201, "{registered}");
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap().to_owned();
    remember_secret(&secret);
    assert_eq!(registered["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(registered["redirect_uris"], json!([CB]));
    assert_eq!(registered["id_token_signed_response_alg"], "ES256");
    assert_eq!(registered["client_secret_expires_at"], 0);
    let audit = audit_ops(&app, "default").await;
    assert!(audit.iter().any(|op| op == "oidc.register"), "{audit:?}");

    // The registered client is an app: ann signs in (consent asked: its users have not heard of it), and its
    // ES256 ID token verifies with the RP's own checks.
    let rp = relying_party(&app, "default", &client_id, Some(secret)).await;
    let mut b = Browser::new(&app);
    b.login("ann", "ann's passphrase").await;
    let started = start(&rp, None, None);
    let first = b.get(&path_of(&started.url)).await;
    assert_eq!(first.status, 200, "consent is asked: {}", first.html);
    assert!(first.html.contains("Registered shop"), "{}", first.html);
    let request = crate::common::token_in(&first.html, r#"name="request" value=""#);
    let back = b
        .send(
            "POST",
            "/t/default/oidc/consent",
            &[("csrf", &first.csrf()), ("request", &request), ("decision", "allow")],
        )
        .await;
    let location = back.location.unwrap();
    let code = param(&location, "code").expect("a code");
    let token = rp
        .exchange_code(openidconnect::AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(started.verifier)
        .request_async(&http)
        .await
        .expect("the code exchanges");
    remember_secret(token.access_token().secret());
    let now = now_of(&app);
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256])
        .set_time_fn(move || now);
    token
        .id_token()
        .unwrap()
        .claims(&verifier, &started.nonce)
        .expect("the ES256 ID token verifies");
    assert!(
        token.refresh_token().is_some(),
        "a confidential client gets a refresh token"
    );
}
both!(oidcc_dynamic_registration);

/// Basic OP `oidcc-refresh-token`: a confidential client's refresh token gives a new access token (the old one
/// ends), a new refresh token (the old one is used up) and a new ID token for the same login without a nonce;
/// a refresh token presented again ends the whole family; another client's is unknown to it; a grant without
/// offline access ends with the browser's session and lives no longer than it may.
async fn oidcc_refresh_token(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let shop_secret = register(&app, "default", "shop", true, false).await.unwrap();
    let wiki_secret = register(&app, "default", "wiki", true, false).await.unwrap();
    let rp = relying_party(&app, "default", "shop", Some(shop_secret.clone())).await;
    let mut b = Browser::new(&app);
    let first = sign_in(&app, &rp, &mut b, &["email"]).await;
    let first_id = payload(&first.id_token().unwrap().to_string());
    let r1 = first.refresh_token().expect("a refresh token").secret().clone();
    assert!(r1.starts_with("ghrt_"));

    app.services.sso.clock.advance(TimeDelta::minutes(5));
    let second = refresh(&rp, &r1).await.expect("the refresh works");
    let r2 = second.refresh_token().expect("a new refresh token").secret().clone();
    assert_ne!(r1, r2, "refresh tokens rotate");
    assert_eq!(
        userinfo_status(&app, first.access_token().secret()).await,
        401,
        "the old access token ended"
    );
    assert_eq!(userinfo_status(&app, second.access_token().secret()).await, 200);
    // The new ID token verifies, names the same user and login, and carries no nonce.
    let id = payload(&second.id_token().expect("an ID token").to_string());
    assert_eq!(id["sub"], first_id["sub"]);
    assert_eq!(id["auth_time"], first_id["auth_time"]);
    assert_eq!(id["sid"], first_id["sid"]);
    assert!(id.get("nonce").is_none(), "{id}");
    assert!(id["iat"].as_i64() > first_id["iat"].as_i64());
    assert_eq!(second.scopes().map(|s| s.len()), Some(2), "openid email");

    // Another client cannot use it, and trying leaves it usable; nor can the same client of another tenant.
    assert_eq!(refresh_error(&app, ("wiki", &wiki_secret), &r2).await, "invalid_grant");
    app.services
        .sso
        .create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let acme_shop = register(&app, "acme", "shop", true, false).await.unwrap();
    let (status, body, _) = client_post(
        &app,
        "acme",
        "token",
        Some(("shop", &acme_shop)),
        &[("grant_type", "refresh_token"), ("refresh_token", &r2)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "another tenant's token"
    );
    // A narrower scope may be asked for; a wider one may not.
    let (status, body, _) = client_post(
        &app,
        "default",
        "token",
        Some(("shop", &shop_secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r2),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    let (status, body, _) = client_post(
        &app,
        "default",
        "token",
        Some(("shop", &shop_secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r2),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("openid")), "{body}");
    let r3 = body["refresh_token"].as_str().unwrap().to_owned();
    let a3 = body["access_token"].as_str().unwrap().to_owned();
    remember_secret(&r3);
    remember_secret(&a3);

    // r2 again (a replay): refused, and the family ends: r3 and its access token stop working.
    assert_eq!(refresh_error(&app, ("shop", &shop_secret), &r2).await, "invalid_grant");
    assert_eq!(refresh_error(&app, ("shop", &shop_secret), &r3).await, "invalid_grant");
    assert_eq!(userinfo_status(&app, &a3).await, 401);
    let audit = audit_ops(&app, "default").await;
    assert!(audit.iter().any(|op| op == "oidc.refresh"), "{audit:?}");
    assert!(audit.iter().any(|op| op == "oidc.refresh_reuse"), "{audit:?}");

    // Bad input: the RFC codes, never a 500.
    for (form, error) in [
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", "ghrt_nonsense")],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "refresh_token"), ("refresh_token", &"x".repeat(5000))],
            "invalid_grant",
        ),
        (
            vec![("grant_type", "password"), ("refresh_token", &r3)],
            "unsupported_grant_type",
        ),
    ] {
        let (status, body, _) = client_post(&app, "default", "token", Some(("shop", &shop_secret)), &form).await;
        assert_eq!((status, body["error"].as_str()), (400, Some(error)), "{form:?}");
    }

    // A grant without offline access ends with the browser's session: logging out ends its refresh token.
    let again = sign_in(&app, &rp, &mut b, &["email"]).await;
    let r = {
        let t = refresh(&rp, again.refresh_token().unwrap().secret()).await.unwrap();
        t.refresh_token().unwrap().secret().clone()
    };
    let account = b.get("/t/default/account").await;
    b.send("POST", "/t/default/logout", &[("csrf", &account.csrf())]).await;
    assert_eq!(refresh_error(&app, ("shop", &shop_secret), &r).await, "invalid_grant");

    // And an access token got by refresh lives no longer than the browser's session (60 minutes from the
    // login, by session.expiry).
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    app.services.sso.clock.advance(TimeDelta::minutes(50));
    let t = refresh(&rp, t.refresh_token().unwrap().secret()).await.unwrap();
    let left = t.expires_in().unwrap().as_secs();
    assert!(left <= 600, "{left} s: past the browser's session");
    app.services.sso.clock.advance(TimeDelta::minutes(11));
    assert_eq!(
        refresh_error(&app, ("shop", &shop_secret), t.refresh_token().unwrap().secret()).await,
        "invalid_grant",
        "the browser's session expired"
    );
}
both!(oidcc_refresh_token);

/// Who gets refresh tokens, and how long they live: a public client only with `offline_access`; a confidential
/// one also without, unless the tenant turns `oidc.refresh_for_confidential_clients` off; an offline grant
/// outlives the browser's session but not `oidc.offline_lifetime_days`, nor an account change that ends
/// sessions (here a lock by an administrator, and a password reset by the user).
async fn refresh_tokens_follow_the_tenants_rules(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let sso = &app.services.sso;
    let admin = || async { sso.cli_admin(sso.resolve_tenant("default").await.unwrap()) };
    let shop_secret = register(&app, "default", "shop", true, false).await.unwrap();
    register(&app, "default", "spa", false, false).await;
    let spa = relying_party(&app, "default", "spa", None).await;
    let shop = relying_party(&app, "default", "shop", Some(shop_secret.clone())).await;
    let mut b = Browser::new(&app);

    let t = sign_in(&app, &spa, &mut b, &["email"]).await;
    assert!(
        t.refresh_token().is_none(),
        "a public client without offline_access gets none"
    );
    let t = sign_in(&app, &spa, &mut b, &["offline_access"]).await;
    let offline = t.refresh_token().expect("offline_access gives one").secret().clone();
    assert!(t.scopes().unwrap().iter().any(|s| s.as_str() == "offline_access"));

    sso.set_setting(
        &admin().await,
        "oidc",
        "refresh_for_confidential_clients",
        Some(json!(false)),
    )
    .await
    .unwrap();
    let t = sign_in(&app, &shop, &mut b, &["email"]).await;
    assert!(t.refresh_token().is_none(), "the tenant turned them off");
    sso.set_setting(&admin().await, "oidc", "refresh_for_confidential_clients", None)
        .await
        .unwrap();

    // The offline grant outlives the browser's session.
    let account = b.get("/t/default/account").await;
    b.send("POST", "/t/default/logout", &[("csrf", &account.csrf())]).await;
    let t = refresh(&spa, &offline).await.expect("offline survives the logout");
    let offline = t.refresh_token().unwrap().secret().clone();
    // "End all other sessions" ends browser sessions, not applications (they have "End access").
    let mut other = Browser::new(&app);
    other.login("ann", "ann's passphrase").await;
    let account = other.get("/t/default/account").await;
    other
        .send(
            "POST",
            "/t/default/account/sessions/end-others",
            &[("csrf", &account.csrf())],
        )
        .await;
    let t = refresh(&spa, &offline)
        .await
        .expect("the offline grant is no other session");
    let offline = t.refresh_token().unwrap().secret().clone();
    assert_eq!(userinfo_status(&app, t.access_token().secret()).await, 200);

    // ... but not its lifetime.
    sso.set_setting(&admin().await, "oidc", "offline_lifetime_days", Some(json!(2)))
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    let short = sign_in(&app, &spa, &mut b, &["offline_access"]).await;
    let short = short.refresh_token().unwrap().secret().clone();
    sso.clock.advance(TimeDelta::days(2) + TimeDelta::minutes(1));
    assert!(refresh(&spa, &short).await.is_err(), "past oidc.offline_lifetime_days");
    let t = refresh(&spa, &offline).await.expect("the 30-day grant lives on");
    let offline = t.refresh_token().unwrap().secret().clone();
    let bad = sso
        .set_setting(&admin().await, "oidc", "offline_lifetime_days", Some(json!(0)))
        .await;
    assert!(bad.is_err(), "0 days is refused");

    // An account change that ends sessions ends every family, offline ones too.
    let ann_ref = gatehouse::sso::UserRef::Username("ann".into());
    sso.lock_user(&admin().await, &ann_ref).await.unwrap();
    assert!(refresh(&spa, &offline).await.is_err(), "a lock ends the offline family");
    sso.unlock_user(&admin().await, &ann_ref).await.unwrap();
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &spa, &mut b, &["offline_access"]).await;
    let offline = t.refresh_token().unwrap().secret().clone();
    sso.set_password(
        &admin().await,
        &ann_ref,
        gatehouse::crypto::password::Password::new("a brand new passphrase 9"),
        false,
        None,
    )
    .await
    .unwrap();
    assert!(refresh(&spa, &offline).await.is_err(), "a new password ends it");
}
both!(refresh_tokens_follow_the_tenants_rules);

/// Revocation (RFC 7009): a refresh token ends its family, an access token its session; an unknown token, a
/// malformed one or another client's is answered 200 and nothing happens; a client that does not authenticate
/// is refused; a token is needed.
async fn oidcc_token_revocation(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let shop_secret = register(&app, "default", "shop", true, false).await.unwrap();
    let wiki_secret = register(&app, "default", "wiki", true, false).await.unwrap();
    let rp = relying_party(&app, "default", "shop", Some(shop_secret.clone())).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let (access, refresh_token) = (
        t.access_token().secret().clone(),
        t.refresh_token().unwrap().secret().clone(),
    );
    let shop = Some(("shop", shop_secret.as_str()));
    let wiki = Some(("wiki", wiki_secret.as_str()));

    // Another client's tokens: 200, and they still work.
    for token in [&access, &refresh_token] {
        let (status, _, _) = client_post(&app, "default", "revoke", wiki, &[("token", token)]).await;
        assert_eq!(status, 200);
    }
    assert_eq!(userinfo_status(&app, &access).await, 200);
    assert_eq!(refresh_error(&app, ("shop", &shop_secret), &refresh_token).await, "ok");
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let (access, refresh_token) = (
        t.access_token().secret().clone(),
        t.refresh_token().unwrap().secret().clone(),
    );

    // Unknown and malformed tokens, a hint that says nothing: 200.
    for token in ["ghrt_unknown", "gAAAAnotafernettoken", &"x".repeat(10_000)] {
        let (status, _, _) = client_post(
            &app,
            "default",
            "revoke",
            shop,
            &[("token", token), ("token_type_hint", "whatever")],
        )
        .await;
        assert_eq!(status, 200, "{}", &token[..10.min(token.len())]);
    }
    // No client authentication, a wrong secret, no token.
    let (status, body, challenge) = client_post(&app, "default", "revoke", None, &[("token", &access)]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert!(challenge.is_some());
    let (status, _, _) = client_post(
        &app,
        "default",
        "revoke",
        Some(("shop", "ghcs_wrong")),
        &[("token", &access)],
    )
    .await;
    assert_eq!(status, 401);
    let (status, body, _) = client_post(&app, "default", "revoke", shop, &[]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    assert_eq!(
        userinfo_status(&app, &access).await,
        200,
        "nothing above revoked anything"
    );

    // The access token: its session ends, the family refreshes on.
    let (status, _, _) = client_post(
        &app,
        "default",
        "revoke",
        shop,
        &[("token", &access), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(userinfo_status(&app, &access).await, 401);
    let t = refresh(&rp, &refresh_token)
        .await
        .expect("the refresh token still works");
    let next = t.refresh_token().unwrap().secret().clone();
    // The refresh token: the family ends, its access token too.
    let (status, _, _) = client_post(&app, "default", "revoke", shop, &[("token", &next)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        refresh_error(&app, ("shop", &shop_secret), &next).await,
        "invalid_grant"
    );
    assert_eq!(userinfo_status(&app, t.access_token().secret()).await, 401);
    let audit = audit_ops(&app, "default").await;
    assert_eq!(audit.iter().filter(|op| *op == "oidc.revoke").count(), 2, "{audit:?}");
}
both!(oidcc_token_revocation);

/// Introspection (RFC 7662): a confidential client (a resource server) learns whether an access token is
/// active, whose, for which client, until when, with what scope and session; a refresh token only by its own
/// client; anything ended, unknown, malformed or of another tenant is `{"active": false}`; a public client
/// may not ask.
async fn oidcc_token_introspection(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let shop_secret = register(&app, "default", "shop", true, false).await.unwrap();
    let api_secret = register(&app, "default", "api", true, false).await.unwrap();
    register(&app, "default", "spa", false, false).await;
    let rp = relying_party(&app, "default", "shop", Some(shop_secret.clone())).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let id = payload(&t.id_token().unwrap().to_string());
    let (access, refresh_token) = (
        t.access_token().secret().clone(),
        t.refresh_token().unwrap().secret().clone(),
    );
    let api = Some(("api", api_secret.as_str()));

    let (status, body, _) = client_post(&app, "default", "introspect", api, &[("token", &access)]).await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["sub"], id["sub"]);
    assert_eq!(body["client_id"], "shop");
    assert_eq!(body["scope"], "openid email");
    assert_eq!(body["sid"], id["sid"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["exp"], id["exp"]);
    assert_eq!(body["iss"], json!(issuer(&app, "default")));

    // A refresh token: to its own client only.
    let (_, body, _) = client_post(&app, "default", "introspect", api, &[("token", &refresh_token)]).await;
    assert_eq!(body, json!({"active": false}));
    let (_, body, _) = client_post(
        &app,
        "default",
        "introspect",
        Some(("shop", &shop_secret)),
        &[("token", &refresh_token)],
    )
    .await;
    assert_eq!(
        (body["active"].as_bool(), body["token_type"].as_str()),
        (Some(true), Some("refresh_token")),
        "{body}"
    );

    // A public client may not ask; nobody unauthenticated may.
    let (status, body, _) = client_post(
        &app,
        "default",
        "introspect",
        None,
        &[("client_id", "spa"), ("token", &access)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, _, _) = client_post(&app, "default", "introspect", None, &[("token", &access)]).await;
    assert_eq!(status, 401);

    // Unknown, malformed, another tenant's: inactive.
    for token in ["ghrt_unknown", "nonsense", ""] {
        let (status, body, _) = client_post(&app, "default", "introspect", api, &[("token", token)]).await;
        if token.is_empty() {
            assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        } else {
            assert_eq!((status, body), (200, json!({"active": false})));
        }
    }
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let acme_secret = register(&app, "acme", "api", true, false).await.unwrap();
    let (_, body, _) = client_post(
        &app,
        "acme",
        "introspect",
        Some(("api", &acme_secret)),
        &[("token", &access)],
    )
    .await;
    assert_eq!(body, json!({"active": false}), "another tenant's token");

    // An ended session's token is inactive; so is it once the user is locked (every login rule, again).
    let t2 = sign_in(&app, &rp, &mut Browser::new(&app), &["email"]).await;
    let account = b.get("/t/default/account").await;
    b.send("POST", "/t/default/logout", &[("csrf", &account.csrf())]).await;
    let (_, body, _) = client_post(&app, "default", "introspect", api, &[("token", &access)]).await;
    assert_eq!(body, json!({"active": false}), "logged out");
    let (_, body, _) = client_post(
        &app,
        "default",
        "introspect",
        api,
        &[("token", t2.access_token().secret())],
    )
    .await;
    assert_eq!(body["active"], true);
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    sso.lock_user(&admin, &gatehouse::sso::UserRef::Username("ann".into()))
        .await
        .unwrap();
    let (_, body, _) = client_post(
        &app,
        "default",
        "introspect",
        api,
        &[("token", t2.access_token().secret())],
    )
    .await;
    assert_eq!(body, json!({"active": false}), "locked");
    let audit = audit_ops(&app, "default").await;
    assert!(
        audit.iter().filter(|op| *op == "oidc.introspect").count() >= 8,
        "{audit:?}"
    );
}
both!(oidcc_token_introspection);

/// Signing keys: a client asks for RS256, ES256 or EdDSA ID tokens and the RP verifies each against the JWKS;
/// `rotate-keys` publishes the next key before it signs, the old one keeps signing until then and stays
/// published until its tokens have expired, and then goes (Config OP `oidcc-discovery-jwks-uri` and
/// `oidcc-idtoken-kid` across a rotation).
async fn oidcc_signing_keys_and_rotation(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let sso = &app.services.sso;
    let mut b = Browser::new(&app);
    for (name, alg, core) in [
        ("rs", Alg::Rs256, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        ("es", Alg::Es256, CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        ("ed", Alg::EdDsa, CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let secret = register_with(&app, "default", name, |s| {
            s.confidential = true;
            s.id_token_alg = alg;
        })
        .await;
        let rp = relying_party(&app, "default", name, secret).await;
        let started = start_with(&rp, &["email"]);
        let j = follow(&mut b, &started.url, Some(("ann", "ann's passphrase")), None).await;
        let nonce = started.nonce.clone();
        let token = {
            let code = param(&j.back, "code").unwrap();
            rp.exchange_code(openidconnect::AuthorizationCode::new(code))
                .unwrap()
                .set_pkce_verifier(started.verifier)
                .request_async(&http)
                .await
                .unwrap()
        };
        remember_secret(token.access_token().secret());
        let now = now_of(&app);
        let verifier = rp
            .id_token_verifier()
            .set_allowed_algs([core.clone()])
            .set_time_fn(move || now);
        let claims = token.id_token().unwrap().claims(&verifier, &nonce);
        assert!(claims.is_ok(), "{name}: {claims:?}");
        let header = jws_header(&token.id_token().unwrap().to_string());
        assert_eq!(header["alg"], alg.as_str());
    }

    let jwks = || async {
        let mut res = app
            .client
            .get(format!("{}/oidc/jwks", issuer(&app, "default")))
            .send()
            .await
            .unwrap();
        json_body(&mut res).await["keys"].as_array().unwrap().clone()
    };
    let kids_of = |keys: &[Value], alg: &str| -> Vec<String> {
        keys.iter()
            .filter(|k| k["alg"] == alg)
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = jwks().await;
    assert_eq!(before.len(), 3);
    let old_kid = kids_of(&before, "RS256")[0].clone();
    let secret_rs2 = register(&app, "default", "rs2", true, false).await;
    let rp = relying_party(&app, "default", "rs2", secret_rs2.clone()).await;
    let kid_signing = |t: &CoreTokenResponse| -> String {
        jws_header(&t.id_token().unwrap().to_string())["kid"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    let rotated = sso.rotate_signing_keys(&admin).await.unwrap();
    assert_eq!(rotated.len(), 3, "every algorithm the tenant signs with");
    let after = jwks().await;
    assert_eq!(after.len(), 6, "the next keys are published at once");
    let new_kid = rotated.iter().find(|r| r.alg == "RS256").unwrap().kid.clone();
    assert!(kids_of(&after, "RS256").contains(&new_kid));
    let t = sign_in(&app, &rp, &mut b, &[]).await;
    assert_eq!(kid_signing(&t), old_kid, "the old key signs until the new one's time");

    // The RP refreshes its copy of the JWKS within the publication window (it caches it): from then on it
    // verifies the new key's tokens from the first.
    let rp = relying_party(&app, "default", "rs2", secret_rs2.clone()).await;
    sso.clock.advance(TimeDelta::minutes(61));
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &[]).await;
    assert_eq!(kid_signing(&t), new_kid, "the new key signs from its time");
    assert!(
        kids_of(&jwks().await, "RS256").contains(&old_kid),
        "the old key stays published"
    );

    // Past every token the old key could have signed (session.expiry after the switch, and a margin), it goes.
    sso.clock.advance(TimeDelta::minutes(66));
    sso.cleanup_once().await.unwrap();
    let last = jwks().await;
    assert_eq!(kids_of(&last, "RS256"), vec![new_kid]);
    assert_eq!(last.len(), 3);
}
both!(oidcc_signing_keys_and_rotation);

/// A code replayed after its grant has ended, and another grant has been made, ends nothing else: the code
/// names only what it issued (on SQLite a freed key could come back).
async fn a_replayed_code_ends_only_what_it_issued(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    user(&app, "bob", |_| {}).await;
    let secret = register(&app, "default", "shop", true, false).await.unwrap();
    let rp = relying_party(&app, "default", "shop", Some(secret.clone())).await;
    let mut b = Browser::new(&app);
    let started = start_with(&rp, &["email"]);
    let j = follow(&mut b, &started.url, Some(("ann", "ann's passphrase")), None).await;
    let code = param(&j.back, "code").unwrap();
    let verifier = started.verifier.secret().clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body, _) = client_post(&app, "default", "token", Some(("shop", &secret)), &form).await;
    assert_eq!(status, 200, "{body}");
    remember_secret(body["access_token"].as_str().unwrap());
    remember_secret(body["refresh_token"].as_str().unwrap());
    // ann's grant ends (she revokes it), then bob signs in: his grant may take the freed key.
    let (status, _, _) = client_post(
        &app,
        "default",
        "revoke",
        Some(("shop", &secret)),
        &[("token", body["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    let mut bob = Browser::new(&app);
    let started = start_with(&rp, &["email"]);
    let j = follow(&mut bob, &started.url, Some(("bob", "bob's passphrase")), None).await;
    let (bobs, _) = exchange(&app, &rp, started, &j).await;
    let (status, replay, _) = client_post(&app, "default", "token", Some(("shop", &secret)), &form).await;
    assert_eq!((status, replay["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        userinfo_status(&app, bobs.access_token().secret()).await,
        200,
        "bob's grant is untouched"
    );
    assert!(refresh(&rp, bobs.refresh_token().unwrap().secret()).await.is_ok());
}
both!(a_replayed_code_ends_only_what_it_issued);

/// Two refreshes racing with one token: one gets the next tokens, the other is a replay, and the replay ends
/// the family, the winner's new tokens included (OAuth 2.0 Security BCP §4.14: the server cannot tell the
/// thief from the client).
async fn racing_refreshes_end_the_family(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let secret = register(&app, "default", "shop", true, false).await.unwrap();
    let rp = relying_party(&app, "default", "shop", Some(secret.clone())).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let token = t.refresh_token().unwrap().secret().clone();
    let form = [("grant_type", "refresh_token"), ("refresh_token", token.as_str())];
    let (one, two) = futures_util::join!(
        client_post(&app, "default", "token", Some(("shop", &secret)), &form),
        client_post(&app, "default", "token", Some(("shop", &secret)), &form),
    );
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "{one:?} {two:?}");
    let (winner, loser) = if one.0 == 200 { (one.1, two.1) } else { (two.1, one.1) };
    assert_eq!(loser["error"], "invalid_grant");
    remember_secret(winner["access_token"].as_str().unwrap());
    remember_secret(winner["refresh_token"].as_str().unwrap());
    assert_eq!(
        refresh_error(&app, ("shop", &secret), winner["refresh_token"].as_str().unwrap()).await,
        "invalid_grant",
        "the family ended"
    );
    assert_eq!(
        userinfo_status(&app, winner["access_token"].as_str().unwrap()).await,
        401
    );
}
both!(racing_refreshes_end_the_family);

/// An offline grant's access token lives no longer than the grant, whether it was got by a refresh or renewed
/// with the session API; and introspection says so.
async fn an_offline_access_token_lives_no_longer_than_its_grant(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let sso = &app.services.sso;
    let admin = sso.cli_admin(sso.resolve_tenant("default").await.unwrap());
    sso.set_setting(&admin, "oidc", "offline_lifetime_days", Some(json!(1)))
        .await
        .unwrap();
    register(&app, "default", "spa", false, false).await;
    let api_secret = register(&app, "default", "api", true, false).await.unwrap();
    let spa = relying_party(&app, "default", "spa", None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &spa, &mut b, &["offline_access"]).await;
    let grant_ends = now_of(&app).naive_utc() + TimeDelta::days(1);
    sso.clock.advance(TimeDelta::hours(23) + TimeDelta::minutes(30));
    let t = refresh(&spa, t.refresh_token().unwrap().secret()).await.unwrap();
    assert_eq!(t.expires_in().unwrap().as_secs(), 30 * 60, "capped at the grant's end");
    sso.clock.advance(TimeDelta::minutes(10));
    let mut res = app
        .client
        .patch(app.url("/api/v1/t/default/session"))
        .insert_header(("Authorization", format!("Bearer {}", t.access_token().secret())))
        .insert_header(("X-Current-App", "spa"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let renewed = json_body(&mut res).await["expiration_time"]
        .as_str()
        .unwrap()
        .to_owned();
    let renewed = chrono::DateTime::parse_from_rfc3339(&renewed).unwrap().naive_utc();
    assert_eq!(renewed, grant_ends, "renewal stops at the grant's end");
    let (_, body, _) = client_post(
        &app,
        "default",
        "introspect",
        Some(("api", &api_secret)),
        &[("token", t.access_token().secret())],
    )
    .await;
    assert_eq!(body["exp"], json!(grant_ends.and_utc().timestamp()));
    sso.clock.advance(TimeDelta::minutes(21));
    let (_, body, _) = client_post(
        &app,
        "default",
        "introspect",
        Some(("api", &api_secret)),
        &[("token", t.access_token().secret())],
    )
    .await;
    assert_eq!(body, json!({"active": false}), "past the grant");
    assert!(refresh(&spa, t.refresh_token().unwrap().secret()).await.is_err());
}
both!(an_offline_access_token_lives_no_longer_than_its_grant);

/// Several first uses of a new tenant's keys at once make one key per algorithm, all of them used.
async fn first_uses_at_once_make_one_key_per_algorithm(backend: Backend) {
    let app = provider(backend).await;
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let fetch = || async {
        let mut res = app
            .client
            .get(format!("{}/oidc/jwks", issuer(&app, "acme")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        json_body(&mut res).await["keys"].as_array().unwrap().len()
    };
    let seen = futures_util::join!(fetch(), fetch(), fetch(), fetch());
    assert_eq!(seen, (3, 3, 3, 3), "each answer has one key per algorithm");
    assert_eq!(fetch().await, 3, "and no duplicate was stored");
}
both!(first_uses_at_once_make_one_key_per_algorithm);

/// The endpoints of part 2 are counted by client and outcome; a used refresh token is forgotten after a week
/// (a replay of it is then simply unknown, and the family lives on).
async fn part_two_is_counted_and_used_tokens_are_forgotten(backend: Backend) {
    let app = provider(backend).await;
    ann(&app).await;
    let sso = &app.services.sso;
    let shop_secret = register(&app, "default", "shop", true, false).await.unwrap();
    let api_secret = register(&app, "default", "api", true, false).await.unwrap();
    register(&app, "default", "spa", false, false).await;
    let shop = relying_party(&app, "default", "shop", Some(shop_secret.clone())).await;
    let spa = relying_party(&app, "default", "spa", None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &shop, &mut b, &["email"]).await;
    let t = refresh(&shop, t.refresh_token().unwrap().secret()).await.unwrap();
    let token = t.access_token().secret().clone();
    client_post(
        &app,
        "default",
        "introspect",
        Some(("api", &api_secret)),
        &[("token", &token)],
    )
    .await;
    client_post(
        &app,
        "default",
        "revoke",
        Some(("shop", &shop_secret)),
        &[("token", &token)],
    )
    .await;
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
    for line in [
        r#"gatehouse_oidc_requests_total{client="shop",endpoint="refresh",outcome="ok",tenant="default"} 1"#,
        r#"gatehouse_oidc_requests_total{client="api",endpoint="introspect",outcome="active",tenant="default"} 1"#,
        r#"gatehouse_oidc_requests_total{client="shop",endpoint="revoke",outcome="ok",tenant="default"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }

    let t = sign_in(&app, &spa, &mut b, &["offline_access"]).await;
    let first = t.refresh_token().unwrap().secret().clone();
    let second = refresh(&spa, &first).await.unwrap();
    sso.clock.advance(TimeDelta::days(8));
    sso.cleanup_once().await.unwrap();
    assert!(refresh(&spa, &first).await.is_err(), "the forgotten token is unknown");
    assert!(
        refresh(&spa, second.refresh_token().unwrap().secret()).await.is_ok(),
        "and its family lives on"
    );
}
both!(part_two_is_counted_and_used_tokens_are_forgotten);
