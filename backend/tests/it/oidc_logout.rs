//! Logout at the OpenID Provider (issue 18): RP-initiated logout and back-channel logout, with a test HTTP
//! receiver standing in for the client's back channel, on both databases. Tests named `oidcc_*` prove the
//! behaviours of the OpenID Foundation's RP-Initiated Logout and Back-Channel Logout test modules of that name.

use crate::both;
use crate::common::{Backend, TestApp, json_body, remember_secret};
use crate::oidc::{CB, http, issuer, payload, provider, provider_with, register_with, relying_party};
use crate::oidc_grants::{audit_ops, sign_in};
use crate::pages::{Browser, user};
use chrono::TimeDelta;
use gatehouse::sso::UserRef;
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKey, OAuth2TokenResponse, TokenResponse};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

const BYE: &str = "http://127.0.0.1:9/bye";

/// A client's back channel: records each request's body and answers with the status set (0: never answers).
pub(crate) struct Receiver {
    pub(crate) uri: String,
    bodies: Arc<Mutex<Vec<String>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://127.0.0.1:{}/backchannel", listener.local_addr().unwrap().port());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (b, s) = (Arc::clone(&bodies), Arc::clone(&status));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (b, s) = (Arc::clone(&b), Arc::clone(&s));
                std::thread::spawn(move || {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 4096];
                    let body = loop {
                        let Ok(n) = stream.read(&mut buf) else { return };
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&data).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let length = text[..end]
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if data.len() >= end + 4 + length {
                                break String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string();
                            }
                        }
                    };
                    b.lock().unwrap().push(body);
                    let status = s.load(Ordering::SeqCst);
                    if status == 0 {
                        std::thread::sleep(std::time::Duration::from_secs(5));
                        return;
                    }
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                });
            }
        });
        Receiver { uri, bodies, status }
    }

    pub(crate) fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The logout tokens received so far.
    pub(crate) fn tokens(&self) -> Vec<String> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .filter_map(|b| {
                form_urlencoded::parse(b.as_bytes())
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v.into_owned())
            })
            .collect()
    }
}

/// Gatehouse for these tests: the receiver is on loopback, so private networks are allowed. A notice that
/// the receiver answers must not miss its deadline on a loaded machine (the suite runs many tests on 2 cores),
/// so the deadline is generous here; the test of a hanging client sets a short one.
async fn logout_provider(backend: Backend) -> TestApp {
    logout_provider_with_deadline(backend, 5000).await
}

async fn logout_provider_with_deadline(backend: Backend, request_timeout_ms: u64) -> TestApp {
    provider_with(backend, |c| {
        c.oidc.allow_private_network_requests = true;
        c.oidc.request_timeout_ms = request_timeout_ms;
    })
    .await
}

/// ann, and the `shop` (confidential, with a post-logout URI and, given one, a back channel).
async fn shop(app: &TestApp, backchannel: Option<&str>) -> crate::oidc::Rp {
    user(app, "ann", |u| u.email = Some("ann@example.com".into())).await;
    let secret = register_with(app, "default", "shop", |s| {
        s.confidential = true;
        s.post_logout_redirect_uris = vec![BYE.into(), format!("{BYE}?from=shop")];
        s.backchannel_logout_uri = backchannel.map(str::to_owned);
    })
    .await;
    relying_party(app, "default", "shop", secret).await
}

fn logout_path(params: &[(&str, &str)]) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("/t/default/oidc/logout?{q}")
}

async fn signed_in(b: &mut Browser<'_>) -> bool {
    b.get("/t/default/account").await.status == 200
}

/// RP-initiated logout, `oidcc-rp-initiated-logout`: with the ID token as hint, a registered
/// post-logout URI and a state, the browser's session ends at once (the hint names it), its access token
/// with it, and the browser goes back with the state; the logout is audited.
async fn oidcc_rp_initiated_logout(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let hint = t.id_token().unwrap().to_string();
    let page = b
        .get(&logout_path(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
            ("state", "s 1"),
        ]))
        .await;
    assert_eq!(page.status, 302, "{}", page.html);
    assert_eq!(page.location.as_deref(), Some(format!("{BYE}?state=s+1").as_str()));
    assert!(
        page.set_cookies.iter().any(|c| c.contains("Max-Age=0")),
        "{:?}",
        page.set_cookies
    );
    assert!(!signed_in(&mut b).await);
    assert_eq!(crate::oidc::userinfo_status(&app, t.access_token().secret()).await, 401);
    assert!(audit_ops(&app, "default").await.iter().any(|op| op == "oidc.logout"));

    // By a form post from the relying party's site: the browser sends no SameSite=Lax cookie with it, so the
    // request comes back as a top-level GET (which carries the cookie) instead of looking logged out.
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let hint = t.id_token().unwrap().to_string();
    // The relying party's page posts without the browser's cookies (a browser of its own, here).
    let mut cross_site = Browser::new(&app);
    let res = cross_site
        .send(
            "POST",
            "/t/default/oidc/logout",
            &[
                ("id_token_hint", hint.as_str()),
                ("post_logout_redirect_uri", BYE),
                ("state", "p"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let again = res.location.unwrap();
    assert!(again.starts_with("/t/default/oidc/logout?id_token_hint="), "{again}");
    assert!(signed_in(&mut b).await, "the post alone ended nothing");
    let page = b.get(&again).await;
    assert_eq!(page.location.as_deref(), Some(format!("{BYE}?state=p").as_str()));
    assert!(!signed_in(&mut b).await);
}
both!(oidcc_rp_initiated_logout);

/// `oidcc-rp-initiated-logout-bad-post-logout-redirect-uri`: a URI the client did not register is refused on a
/// page, never followed, and the session stays.
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let hint = t.id_token().unwrap().to_string();
    for uri in [
        "https://evil.example/bye",
        "http://127.0.0.1:9/bye/",
        "http://127.0.0.1:9/BYE",
    ] {
        let page = b
            .get(&logout_path(&[
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", uri),
            ]))
            .await;
        assert_eq!((page.status, page.location.as_deref()), (400, None), "{uri}");
        assert!(
            page.html.contains("not registered for this application"),
            "{}",
            page.html
        );
    }
    // A URI without anything naming its client is refused too.
    let page = b.get(&logout_path(&[("post_logout_redirect_uri", BYE)])).await;
    assert_eq!((page.status, page.location.as_deref()), (400, None));
    assert!(signed_in(&mut b).await, "nothing ended");
}
both!(oidcc_rp_initiated_logout_bad_post_logout_redirect_uri);

/// `oidcc-rp-initiated-logout-no-post-logout-redirect-uri`: the session ends and a page says so.
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let page = b
        .get(&logout_path(&[("id_token_hint", &t.id_token().unwrap().to_string())]))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("You are logged out"), "{}", page.html);
    assert!(!signed_in(&mut b).await);
}
both!(oidcc_rp_initiated_logout_no_post_logout_redirect_uri);

/// `oidcc-rp-initiated-logout-modified-id-token-hint` and `-bad-id-token-hint`: a hint whose signature does
/// not verify, one of another tenant (issuer), or one that is no JWT is refused; nothing ends.
async fn oidcc_rp_initiated_logout_modified_id_token_hint(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let hint = t.id_token().unwrap().to_string();
    let parts: Vec<&str> = hint.split('.').collect();
    let mut claims = payload(&hint);
    claims["sub"] = json!("someone-else");
    let forged = {
        use base64::Engine;
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{}.{body}.{}", parts[0], parts[2])
    };
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    for bad in [
        forged.as_str(),
        unsigned.as_str(),
        "not.a.jwt",
        "x",
        &"a".repeat(20_000),
    ] {
        let page = b
            .get(&logout_path(&[
                ("id_token_hint", bad),
                ("post_logout_redirect_uri", BYE),
            ]))
            .await;
        assert_eq!((page.status, page.location.as_deref()), (400, None));
        assert!(
            page.html.contains("is not an ID token this organisation issued"),
            "{}",
            page.html
        );
    }
    // Another tenant's issuer: its own keys do not verify ours, and ours not its.
    let sso = &app.services.sso;
    sso.create_tenant("acme", Some("Acme"), gatehouse::sso::Actor::Anonymous, "cid")
        .await
        .unwrap();
    let page = b
        .get(&format!(
            "/t/acme/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
            form_urlencoded::byte_serialize(BYE.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!((page.status, page.location.as_deref()), (400, None));
    assert!(signed_in(&mut b).await, "nothing ended");
}
both!(oidcc_rp_initiated_logout_modified_id_token_hint);

/// `oidcc-rp-initiated-logout-no-id-token-hint`: the person is asked (a link alone logs nobody out); the
/// answer needs the page's form token; "Stay logged in" keeps the session, "Log out" ends it and goes back
/// to the registered URI with the state. A hint of another browser's session is asked about too.
async fn oidcc_rp_initiated_logout_no_id_token_hint(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let params = [
        ("client_id", "shop"),
        ("post_logout_redirect_uri", BYE),
        ("state", "abc"),
    ];
    let question = b.get(&logout_path(&params)).await;
    assert_eq!(question.status, 200, "{}", question.html);
    assert!(
        question.html.contains("Log out?") && question.html.contains("The shop app"),
        "{}",
        question.html
    );
    assert!(signed_in(&mut b).await, "asking ends nothing");
    let csp = question
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self' http://127.0.0.1:9"), "{csp}");
    let mut answer: Vec<(&str, &str)> = params.to_vec();
    answer.push(("decision", "logout"));
    // Without the form token: asked again, nothing ended (a cross-site form cannot log anyone out).
    let forged = b.send("POST", "/t/default/oidc/logout", &answer).await;
    assert_eq!(forged.status, 200);
    assert!(signed_in(&mut b).await);
    let csrf = question.csrf();
    let mut stay: Vec<(&str, &str)> = params.to_vec();
    stay.extend([("decision", "stay"), ("csrf", csrf.as_str())]);
    let stayed = b.send("POST", "/t/default/oidc/logout", &stay).await;
    assert_eq!(stayed.location.as_deref(), Some("/t/default/account"));
    assert!(signed_in(&mut b).await, "stayed");
    answer.push(("csrf", csrf.as_str()));
    let done = b.send("POST", "/t/default/oidc/logout", &answer).await;
    assert_eq!(done.location.as_deref(), Some(format!("{BYE}?state=abc").as_str()));
    assert!(!signed_in(&mut b).await);

    // Another browser's ID token does not name this browser's session: asked.
    let mut other = Browser::new(&app);
    let theirs = sign_in(&app, &rp, &mut other, &["email"]).await;
    let mut mine = Browser::new(&app);
    sign_in(&app, &rp, &mut mine, &["email"]).await;
    let _ = t;
    let page = mine
        .get(&logout_path(&[(
            "id_token_hint",
            &theirs.id_token().unwrap().to_string(),
        )]))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Log out?"));
    assert!(signed_in(&mut mine).await && signed_in(&mut other).await);
}
both!(oidcc_rp_initiated_logout_no_id_token_hint);

/// `oidcc-rp-initiated-logout-no-state` and `-query-added-to-post-logout-redirect-uri`: without a state none
/// is added; a registered URI with a query keeps it and gets the state after `&`. Logging out a browser that
/// is not signed in simply goes back.
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(backend: Backend) {
    let app = provider(backend).await;
    let rp = shop(&app, None).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let hint = t.id_token().unwrap().to_string();
    let with_query = format!("{BYE}?from=shop");
    let page = b
        .get(&logout_path(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", &with_query),
            ("state", "z"),
        ]))
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some(format!("{BYE}?from=shop&state=z").as_str())
    );
    // No state, and no session any more: straight back, as registered.
    let page = b
        .get(&logout_path(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
        ]))
        .await;
    assert_eq!(page.location.as_deref(), Some(BYE));
    // Parameters given twice are refused.
    let page = b.get("/t/default/oidc/logout?state=a&state=b&client_id=shop").await;
    assert_eq!(page.status, 400);
}
both!(oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri);

/// The logout tokens `receiver` got, each verified with the RP's own JWKS code (signature, `typ`) and read.
async fn verified_logout_tokens(app: &TestApp, receiver: &Receiver) -> Vec<Value> {
    let mut res = app
        .client
        .get(format!("{}/oidc/jwks", issuer(app, "default")))
        .send()
        .await
        .unwrap();
    let jwks: CoreJsonWebKeySet = serde_json::from_value(json_body(&mut res).await).unwrap();
    receiver
        .tokens()
        .iter()
        .map(|token| {
            use base64::Engine;
            let parts: Vec<&str> = token.split('.').collect();
            let b64 = |p: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap();
            let header: Value = serde_json::from_slice(&b64(parts[0])).unwrap();
            assert_eq!(header["typ"], "logout+jwt");
            let key = jwks
                .keys()
                .iter()
                .find(|k| k.key_id().map(|id| id.as_str()) == header["kid"].as_str())
                .expect("signed by a published key");
            key.verify_signature(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                format!("{}.{}", parts[0], parts[1]).as_bytes(),
                &b64(parts[2]),
            )
            .expect("the logout token's signature verifies");
            serde_json::from_slice(&b64(parts[1])).unwrap()
        })
        .collect()
}

/// Back-channel logout, `oidcc-backchannel-rp-initiated-logout`: the RP-initiated logout sends the client a
/// logout token naming the user and the session it was given (the ID token's `sub` and `sid`), signed, with
/// the back-channel event, no nonce, a `jti` and a short life; sent once.
async fn oidcc_backchannel_rp_initiated_logout(backend: Backend) {
    let app = logout_provider(backend).await;
    let receiver = Receiver::start();
    let rp = shop(&app, Some(&receiver.uri)).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let id = payload(&t.id_token().unwrap().to_string());
    let page = b
        .get(&logout_path(&[
            ("id_token_hint", &t.id_token().unwrap().to_string()),
            ("post_logout_redirect_uri", BYE),
        ]))
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some(BYE),
        "the logout did not wait for the client"
    );
    assert!(
        receiver.tokens().is_empty(),
        "delivered by the outbox, not in the request"
    );
    let sso = &app.services.sso;
    let done = sso.deliver_due().await.unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    let tokens = verified_logout_tokens(&app, &receiver).await;
    assert_eq!(tokens.len(), 1);
    let lt = &tokens[0];
    assert_eq!(lt["iss"], json!(issuer(&app, "default")));
    assert_eq!(lt["aud"], "shop");
    assert_eq!(lt["sub"], id["sub"]);
    assert_eq!(lt["sid"], id["sid"]);
    assert_eq!(
        lt["events"],
        json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    assert!(lt.get("nonce").is_none());
    assert!(lt["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let (iat, exp) = (lt["iat"].as_i64().unwrap(), lt["exp"].as_i64().unwrap());
    assert!(exp > iat && exp - iat <= 300);
    assert_eq!(sso.deliver_due().await.unwrap().sent, 0, "sent once");
    assert_eq!(receiver.tokens().len(), 1);
}
both!(oidcc_backchannel_rp_initiated_logout);

/// Back-channel logout whenever a session ends: an administrator ending it, the browser's session expiring,
/// an account change (which also ends offline grants), the user ending an app's access on the account
/// page's domain call, an administrator ending a grant. A refresh's replacement of an app session is no logout.
async fn backchannel_logout_on_every_session_end(backend: Backend) {
    let app = logout_provider(backend).await;
    let receiver = Receiver::start();
    let rp = shop(&app, Some(&receiver.uri)).await;
    user(&app, "root", |u| u.is_super_user = true).await;
    let sso = &app.services.sso;
    let ctx = gatehouse::sso::Ctx {
        current_app: "CRM".into(),
        ..app.services.ctx("default").await
    };
    let admin = || async { sso.cli_admin(sso.resolve_tenant("default").await.unwrap()) };
    let deliver = || async { sso.deliver_due().await.unwrap().sent };
    let ann = UserRef::Username("ann".into());

    // A refresh is no logout.
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let refreshed = rp
        .exchange_refresh_token(t.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    remember_secret(refreshed.access_token().secret());
    assert_eq!(deliver().await, 0);

    // An administrator ends ann's browser session.
    let root_ust = {
        let mut res = app
            .client
            .post(app.url("/api/v1/t/default/login"))
            .insert_header(("X-Current-App", "CRM"))
            .send_json(&json!({"username": "root", "password": "root's passphrase"}))
            .await
            .unwrap();
        json_body(&mut res).await["ust"].as_str().unwrap().to_owned()
    };
    remember_secret(&root_ust);
    let root = sso.current_session(&ctx, &root_ust).await.unwrap();
    let sessions = sso.list_sessions(&ctx, &root, Some(ann.clone())).await.unwrap();
    let browser = sessions.iter().find(|s| s.scope.is_none()).unwrap();
    sso.end_session(&ctx, &root, &browser.session_id).await.unwrap();
    assert_eq!(deliver().await, 1, "ended by an administrator");
    assert_eq!(
        crate::oidc::userinfo_status(&app, refreshed.access_token().secret()).await,
        401
    );

    // The browser's session expires (cleanup finds it).
    let mut b = Browser::new(&app);
    sign_in(&app, &rp, &mut b, &["email"]).await;
    sso.clock.advance(TimeDelta::minutes(61));
    sso.cleanup_once().await.unwrap();
    assert_eq!(deliver().await, 1, "expired");

    // An account change ends every family, offline ones too: one notice per session the client was given.
    let mut b = Browser::new(&app);
    sign_in(&app, &rp, &mut b, &["offline_access"]).await;
    let account = b.get("/t/default/account").await;
    b.send("POST", "/t/default/logout", &[("csrf", &account.csrf())]).await;
    assert_eq!(
        deliver().await,
        0,
        "an offline grant outlives the logout, so its client is not told"
    );
    let mut b = Browser::new(&app);
    sign_in(&app, &rp, &mut b, &["email"]).await;
    sso.lock_user(&admin().await, &ann).await.unwrap();
    // Three messages: a logout token for each of the two grants, and ann's own notice of the lock.
    assert_eq!(deliver().await, 3, "the lock ended the offline grant and the other");
    let kinds: Vec<String> = crate::common::outbox_rows(sso)
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "account_locked").count(), 1, "{kinds:?}");
    sso.unlock_user(&admin().await, &ann).await.unwrap();

    // The user ends the app's access on the account page.
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let account = b.get("/t/default/account").await;
    assert!(
        account.html.contains("Applications you signed in to"),
        "{}",
        account.html
    );
    assert!(
        account.html.contains("The shop app") && account.html.contains("End access"),
        "{}",
        account.html
    );
    assert!(
        account.html.contains("who you are, your e-mail address"),
        "{}",
        account.html
    );
    let ended = b
        .send(
            "POST",
            "/t/default/account/apps/end",
            &[("csrf", &account.csrf()), ("app", "shop")],
        )
        .await;
    assert_eq!(ended.location.as_deref(), Some("/t/default/account?done=app"));
    assert_eq!(deliver().await, 1, "the user ended the app's access");
    assert_eq!(crate::oidc::userinfo_status(&app, t.access_token().secret()).await, 401);
    let account = b.get("/t/default/account?done=app").await;
    assert!(
        account.html.contains("You have not signed in to any application"),
        "{}",
        account.html
    );
    assert!(signed_in(&mut b).await, "the browser's own session stays");

    // An administrator ends a grant on the settings page.
    let mut ann_browser = Browser::new(&app);
    sign_in(&app, &rp, &mut ann_browser, &["email"]).await;
    let grants = sso.app_grants(&admin().await, "shop").await.unwrap();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0].username, "ann");
    let mut boss = Browser::new(&app);
    boss.login("root", "root's passphrase").await;
    let settings = boss.get("/t/default/admin/settings").await;
    assert!(
        settings.html.contains("Signed in") && settings.html.contains("End the grant of ann"),
        "{}",
        settings.html
    );
    let id = grants[0].id.to_string();
    // Asked first; nothing ends until the question is answered.
    let asked = boss
        .send(
            "POST",
            "/t/default/admin/settings/apps/shop/client/grants/end",
            &[("csrf", &settings.csrf()), ("grant", &id)],
        )
        .await;
    assert!(
        asked.html.contains("End this sign-in to shop?")
            && asked.html.contains(&format!(r#"name="grant" value="{id}""#))
    );
    assert_eq!(deliver().await, 0);
    let ended = boss
        .send(
            "POST",
            "/t/default/admin/settings/apps/shop/client/grants/end",
            &[("csrf", &settings.csrf()), ("grant", &id), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(
        ended.location.as_deref(),
        Some("/t/default/admin/settings?done=grant-ended")
    );
    assert_eq!(deliver().await, 1, "an administrator ended the grant");
    assert!(sso.app_grants(&admin().await, "shop").await.unwrap().is_empty());
    // A grant id of nothing, or of another app, is not found.
    let settings = boss.get("/t/default/admin/settings").await;
    let missing = boss
        .send(
            "POST",
            "/t/default/admin/settings/apps/shop/client/grants/end",
            &[("csrf", &settings.csrf()), ("grant", "999999"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(missing.status, 404);
    let tokens = verified_logout_tokens(&app, &receiver).await;
    assert_eq!(tokens.len(), 6);
    assert!(tokens.iter().all(|t| t["aud"] == "shop" && t["sid"].is_string()));
}
both!(backchannel_logout_on_every_session_end);

/// A client that answers 500 or never answers is retried with backoff, and the logout never waits for it; a
/// 4xx is given up on (retrying cannot help).
async fn backchannel_failures_are_retried_and_never_block_the_logout(backend: Backend) {
    // A client that never answers is given up on quickly.
    let app = logout_provider_with_deadline(backend, 500).await;
    let receiver = Receiver::start();
    let rp = shop(&app, Some(&receiver.uri)).await;
    let sso = &app.services.sso;
    let outbox = || async {
        sso.all_mail()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == "oidc.backchannel_logout")
            .collect::<Vec<_>>()
    };
    receiver.answer(500);
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    let started = std::time::Instant::now();
    let page = b
        .get(&logout_path(&[
            ("id_token_hint", &t.id_token().unwrap().to_string()),
            ("post_logout_redirect_uri", BYE),
        ]))
        .await;
    assert_eq!(page.location.as_deref(), Some(BYE));
    let _ = started;
    let done = sso.deliver_due().await.unwrap();
    assert_eq!((done.sent, done.retried), (0, 1), "{done:?}");
    let row = &outbox().await[0];
    assert_eq!(row.attempts, 1);
    assert!(
        row.last_error.as_deref().unwrap().contains("500"),
        "{:?}",
        row.last_error
    );
    assert!(row.next_attempt_time > sso.clock.now(), "backoff");
    assert_eq!(sso.deliver_due().await.unwrap().retried, 0, "not before its time");

    // Now it hangs: the deadline (500 ms) ends the attempt, retried later.
    receiver.answer(0);
    sso.clock.advance(TimeDelta::seconds(10));
    let done = sso.deliver_due().await.unwrap();
    assert_eq!(done.retried, 1, "{done:?}");
    // Back: delivered.
    receiver.answer(204);
    sso.clock.advance(TimeDelta::seconds(30));
    assert_eq!(sso.deliver_due().await.unwrap().sent, 1);
    assert_eq!(receiver.tokens().len(), 3, "three attempts reached the client");

    // A 400: given up at once.
    receiver.answer(400);
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    b.get(&logout_path(&[("id_token_hint", &t.id_token().unwrap().to_string())]))
        .await;
    assert_eq!(sso.deliver_due().await.unwrap().failed, 1);
    assert!(outbox().await.iter().any(|r| r.failed_time.is_some()));
}
both!(backchannel_failures_are_retried_and_never_block_the_logout);

/// Outbound requests are refused on the address actually connected to, unless private networks are
/// allowed: a back channel on 127.0.0.1, or on `localhost` (a name that resolves to loopback), is given up on
/// without a byte reaching it.
async fn outbound_requests_refuse_internal_addresses(backend: Backend) {
    let app = provider(backend).await;
    let receiver = Receiver::start();
    let by_name = receiver.uri.replace("127.0.0.1", "localhost");
    let sso = &app.services.sso;
    for uri in [receiver.uri.as_str(), by_name.as_str()] {
        let outbound = sso.outbound();
        let e = outbound.post_form(uri, &[("logout_token", "x")]).await.unwrap_err();
        assert!(e.permanent, "{uri}: {e:?}");
        assert!(e.message.contains("not a public address"), "{uri}: {}", e.message);
    }
    let rp = shop(&app, Some(&receiver.uri)).await;
    let mut b = Browser::new(&app);
    let t = sign_in(&app, &rp, &mut b, &["email"]).await;
    b.get(&logout_path(&[("id_token_hint", &t.id_token().unwrap().to_string())]))
        .await;
    let done = sso.deliver_due().await.unwrap();
    assert_eq!((done.sent, done.failed), (0, 1), "{done:?}");
    assert!(receiver.tokens().is_empty(), "nothing reached the internal address");
    // Bad URIs are refused before any connection.
    for uri in ["ftp://example.com/x", "not a uri", "http:///nohost"] {
        assert!(sso.outbound().post_form(uri, &[]).await.unwrap_err().permanent, "{uri}");
    }
    let _ = CB;
}
both!(outbound_requests_refuse_internal_addresses);
