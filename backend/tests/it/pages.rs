//! The web pages over HTTP (the browser tests in e2e/ drive the same pages in Chromium): security headers and
//! cookies, form tokens, every login step, the account page, sign-up and reset pages.

use crate::both;
use crate::common::{Backend, TestApp, token_in};
use chrono::TimeDelta;
use gatehouse::crypto::password::Password;
use gatehouse::sso::{NewUser, UserRef};
use serde_json::json;
use std::collections::HashMap;

/// A browser's view of one tenant: its cookies, and the pages it gets.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: awc::Client,
    pub(crate) cookies: HashMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) headers: awc::http::header::HeaderMap,
    pub(crate) html: String,
}

impl Page {
    pub(crate) fn csrf(&self) -> String {
        token_in(&self.html, r#"name="csrf" value=""#)
    }
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Browser<'a> {
        // Redirects are looked at, not followed.
        Browser {
            app,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(std::time::Duration::from_secs(60))
                .finish(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let mut req = self.client.request(method.parse().unwrap(), self.app.url(path));
        if !self.cookies.is_empty() {
            req = req.insert_header(("Cookie", self.cookie_header()));
        }
        let mut res = if method == "POST" {
            let body: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body(body)
                .await
                .unwrap()
        } else {
            req.send().await.unwrap()
        };
        let set_cookies: Vec<String> = res
            .headers()
            .get_all("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                crate::common::remember_secret(v);
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        let headers = res.headers().clone();
        let html = String::from_utf8(res.body().limit(1 << 20).await.unwrap().to_vec()).unwrap();
        Page {
            status: res.status().as_u16(),
            location,
            set_cookies,
            headers,
            html,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, &[]).await
    }

    /// Gets `page`, then posts its form to `action` with the page's form token.
    pub(crate) async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.send("POST", action, &all).await
    }

    pub(crate) async fn login(&mut self, username: &str, password: &str) -> Page {
        self.submit(
            "/t/default/login",
            "/t/default/login",
            &[("username", username), ("password", password)],
        )
        .await
    }
}

pub(crate) async fn user(app: &TestApp, name: &str, adjust: impl FnOnce(&mut NewUser)) {
    let mut new = NewUser {
        username: name.into(),
        password: Some(Password::new(format!("{name}'s passphrase"))),
        auto_approve: true,
        ..NewUser::default()
    };
    adjust(&mut new);
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .create_user(&app.services.sso.cli_admin(ctx.tenant.clone()), new)
        .await
        .unwrap();
}

async fn pages_carry_security_headers_and_cookies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "ann", |_| {}).await;
    let mut b = Browser::new(&app);
    let root = b.get("/").await;
    assert_eq!((root.status, root.location.as_deref()), (302, Some("/t/default/login")));
    let page = b.get("/t/default/login").await;
    assert_eq!(page.status, 200);
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline")
    );
    assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(page.headers.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    // The login page offers passkeys and has a password field: its scripts are the static passkey and form
    // scripts, and its CSP lets only those (from this origin) run and fetch; no inline script or style anywhere.
    assert_eq!(page.html.matches("<script").count(), 2);
    assert!(page.html.contains(gatehouse_frontend::PASSKEY_SCRIPT_TAG));
    assert!(page.html.contains(gatehouse_frontend::FORM_SCRIPT_TAG));
    assert!(!page.html.contains(" style=") && !page.html.contains(" onclick="));
    assert!(csp.contains("script-src 'self'; connect-src 'self';"), "{csp}");
    // Sign-up has password fields but no passkey: the form script may run, nothing may fetch.
    let signup = b.get("/t/default/signup").await;
    let signup_csp = signup.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert_eq!(signup.html.matches("<script").count(), 1);
    assert!(signup.html.contains(gatehouse_frontend::FORM_SCRIPT_TAG));
    assert!(
        signup_csp.contains("script-src 'self';") && !signup_csp.contains("connect-src"),
        "{signup_csp}"
    );
    // A page without a password field carries no script at all.
    let reset = b.get("/t/default/password-reset").await;
    let reset_csp = reset.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        !reset.html.contains("<script") && !reset_csp.contains("script-src"),
        "{reset_csp}"
    );
    for path in [
        gatehouse_frontend::PASSKEY_SCRIPT_PATH,
        gatehouse_frontend::FORM_SCRIPT_PATH,
    ] {
        let script = b.get(path).await;
        assert_eq!(script.status, 200, "{path}");
        assert!(
            script
                .headers
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    }
    assert!(page.html.contains(r#"<label for="username">"#), "labelled fields");
    let csrf_cookie = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("gh_csrf="))
        .expect("a form token cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
    let css = b.get("/static/gatehouse.css").await;
    assert!(css.status == 200 && css.html.contains(":focus-visible"));

    // A form post without the token is refused, and changes nothing.
    let refused = b
        .send(
            "POST",
            "/t/default/login",
            &[("username", "ann"), ("password", "ann's passphrase")],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.html.contains("This form has expired"));
    assert!(!b.cookies.contains_key("gh_session"));

    // Logging in sets the session cookie for this tenant's pages only.
    let done = b.login("ann", "ann's passphrase").await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/t/default/account"))
    );
    let session = done.set_cookies.iter().find(|c| c.starts_with("gh_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/t/default"));
    assert!(!session.contains("Secure"), "plain HTTP on localhost");
    let account = b.get("/t/default/account").await;
    assert_eq!(account.status, 200);
    assert!(account.html.contains(r#"<strong id="username">ann</strong>"#));
    assert!(
        !account.html.contains(b.cookies["gh_session"].as_str()),
        "the UST never appears in a page"
    );
    // Logging out ends the session.
    let page = b.get("/t/default/account").await;
    let out = b
        .send("POST", "/t/default/logout", &[("csrf", page.csrf().as_str())])
        .await;
    assert_eq!(out.status, 303);
    let back = b.get("/t/default/account").await;
    assert_eq!(
        (back.status, back.location.as_deref()),
        (303, Some("/t/default/login?next=%2Ft%2Fdefault%2Faccount"))
    );

    // Unknown tenants get a page, not JSON.
    let missing = b.get("/t/nope/login").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("There is no such organisation. (E012001)"));
}
both!(pages_carry_security_headers_and_cookies);

async fn login_sentences_follow_the_inform_flags(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "lou", |_| {}).await;
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .lock_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Username("lou".into()),
        )
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    let wrong = b.login("lou", "wrong").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("The username or password is not right."));
    let locked = b.login("lou", "lou's passphrase").await;
    assert!(locked.html.contains("This account is locked."));
    app.set("default", "login", "inform_if_locked", serde_json::json!(false))
        .await;
    let hidden = b.login("lou", "lou's passphrase").await;
    assert!(hidden.html.contains("The username or password is not right.") && !hidden.html.contains("locked"));
}
both!(login_sentences_follow_the_inform_flags);

async fn two_factor_and_new_password_steps(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    user(&app, "tia", |u| {
        u.totp_key = Some(key.into());
        u.must_change = true;
    })
    .await;
    let mut b = Browser::new(&app);
    let step = b.login("tia", "tia's passphrase").await;
    assert_eq!(
        (step.status, step.location.as_deref()),
        (303, Some("/t/default/login/code"))
    );
    let login_cookie = step.set_cookies.iter().find(|c| c.starts_with("gh_login=")).unwrap();
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("Max-Age=300"));
    let form = b.get("/t/default/login/code").await;
    assert!(form.html.contains("Enter your code") && !form.html.contains("tia's passphrase"));
    let wrong = b
        .send(
            "POST",
            "/t/default/login/code",
            &[("csrf", form.csrf().as_str()), ("code", "000001")],
        )
        .await;
    assert!(wrong.html.contains("That code is not right"));
    let code = gatehouse::sso::totp::code_at(key, app.services.sso.clock.now()).unwrap();
    let next = b
        .submit("/t/default/login/code", "/t/default/login/code", &[("code", &code)])
        .await;
    assert_eq!(next.location.as_deref(), Some("/t/default/login/new-password"));
    let page = b.get("/t/default/login/new-password").await;
    assert!(page.html.contains("At least 8 characters"), "the policy is shown");
    let mismatch = b
        .send(
            "POST",
            "/t/default/login/new-password",
            &[
                ("csrf", page.csrf().as_str()),
                ("new_password", "tia's new passphrase"),
                ("new_password_again", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    let weak = b
        .send(
            "POST",
            "/t/default/login/new-password",
            &[
                ("csrf", page.csrf().as_str()),
                ("new_password", "short"),
                ("new_password_again", "short"),
            ],
        )
        .await;
    assert!(weak.html.contains("The new password is too short."));
    let done = b
        .send(
            "POST",
            "/t/default/login/new-password",
            &[
                ("csrf", page.csrf().as_str()),
                ("new_password", "tia's new passphrase"),
                ("new_password_again", "tia's new passphrase"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/t/default/account"),
        "no second code needed"
    );
    assert!(!b.cookies.contains_key("gh_login"), "the continuation is cleared");
    assert_eq!(b.get("/t/default/account").await.status, 200);
}
both!(two_factor_and_new_password_steps);

/// A browser holding only a `gh_login` cookie: what a replay of a copied continuation looks like.
fn with_continuation<'a>(app: &'a TestApp, continuation: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.cookies.insert("gh_login".into(), continuation.to_owned());
    b
}

/// Whether that browser got a session from posting `fields` to the login step at `path`.
async fn replay(app: &TestApp, continuation: &str, path: &str, fields: &[(&str, &str)]) -> bool {
    let mut b = with_continuation(app, continuation);
    let page = b.submit(path, path, fields).await;
    let session = b.cookies.contains_key("gh_session");
    assert_eq!(session, page.status == 303, "{} {:?}", page.status, page.location);
    session
}

/// A login continuation is used once, lives at most five minutes, and is void once the password or 2FA changes;
/// every refusal leaves the replaying browser without a session.
async fn a_login_continuation_is_used_once_and_bound_to_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    user(&app, "tia", |u| {
        u.totp_key = Some(key.into());
        u.must_change = true;
    })
    .await;
    let clock = &app.services.sso.clock;
    let code_now = || gatehouse::sso::totp::code_at(key, app.services.sso.clock.now()).unwrap();
    let new_password = [
        ("new_password", "tia's new passphrase"),
        ("new_password_again", "tia's new passphrase"),
    ];

    // The login finishes: both of its continuations are used up. Replayed in another browser, neither gives a
    // session, not even the one that stood for the password and the code.
    let mut b = Browser::new(&app);
    b.login("tia", "tia's passphrase").await;
    let first = b.cookies["gh_login"].clone();
    b.submit(
        "/t/default/login/code",
        "/t/default/login/code",
        &[("code", &code_now())],
    )
    .await;
    let second = b.cookies["gh_login"].clone();
    assert_ne!(first, second, "each step has its own continuation");
    let done = b
        .submit(
            "/t/default/login/new-password",
            "/t/default/login/new-password",
            &new_password,
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/default/account"));
    let other_password = [
        ("new_password", "yet another passphrase"),
        ("new_password_again", "yet another passphrase"),
    ];
    assert!(!replay(&app, &second, "/t/default/login/new-password", &other_password).await);
    clock.advance(TimeDelta::seconds(30));
    assert!(!replay(&app, &first, "/t/default/login/code", &[("code", &code_now())]).await);
    // The step it moved on from is used up as soon as the next one is issued.
    let mut b = Browser::new(&app);
    b.login("tia", "tia's new passphrase").await;
    let first = b.cookies["gh_login"].clone();
    clock.advance(TimeDelta::seconds(30));
    let code = code_now();
    b.submit("/t/default/login/code", "/t/default/login/code", &[("code", &code)])
        .await;
    assert!(b.cookies.contains_key("gh_session"), "no new password needed now");
    clock.advance(TimeDelta::seconds(30));
    assert!(!replay(&app, &first, "/t/default/login/code", &[("code", &code_now())]).await);

    // At most five minutes: a wrong code keeps it for another try within them, not after.
    let mut b = Browser::new(&app);
    b.login("tia", "tia's new passphrase").await;
    let pending = b.cookies["gh_login"].clone();
    let wrong = b
        .submit("/t/default/login/code", "/t/default/login/code", &[("code", "000001")])
        .await;
    assert!(wrong.html.contains("That code is not right"));
    clock.advance(TimeDelta::seconds(5 * 60 + 1));
    assert!(!replay(&app, &pending, "/t/default/login/code", &[("code", &code_now())]).await);

    // A password set since voids it.
    let ctx = app.services.ctx("default").await;
    let tia = UserRef::Username("tia".into());
    let mut b = Browser::new(&app);
    b.login("tia", "tia's new passphrase").await;
    let pending = b.cookies["gh_login"].clone();
    app.services
        .sso
        .set_password(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &tia,
            Password::new("an operator's choice"),
            false,
            None,
        )
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(30));
    assert!(!replay(&app, &pending, "/t/default/login/code", &[("code", &code_now())]).await);

    // So does a change of 2FA: with it reset, the old continuation would otherwise need no code at all.
    let mut b = Browser::new(&app);
    b.login("tia", "an operator's choice").await;
    let pending = b.cookies["gh_login"].clone();
    app.services
        .sso
        .reset_totp(&app.services.sso.cli_admin(ctx.tenant.clone()), &tia)
        .await
        .unwrap();
    assert!(!replay(&app, &pending, "/t/default/login/code", &[("code", "")]).await);
    // The account itself is fine: the password alone logs in now.
    let mut b = Browser::new(&app);
    b.login("tia", "an operator's choice").await;
    assert!(b.cookies.contains_key("gh_session"));
}
both!(a_login_continuation_is_used_once_and_bound_to_the_account);

async fn about_to_expire_lock_and_other_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "eli", |u| u.password_expiry_days = Some(5)).await;
    let mut b = Browser::new(&app);
    let done = b.login("eli", "eli's passphrase").await;
    assert_eq!(done.location.as_deref(), Some("/t/default/account?expires_in=5"));
    let page = b.get(done.location.as_deref().unwrap()).await;
    assert!(page.html.contains("Your password expires in 5 days."));
    // Another tenant's pages do not take this tenant's session.
    app.services
        .sso
        .create_tenant("other", None, gatehouse::sso::Actor::Auto, "t")
        .await
        .unwrap();
    let elsewhere = b.get("/t/other/account").await;
    assert_eq!(elsewhere.status, 303, "redirected to the other tenant's login");
    // An admin locks the user: the next page load is logged out.
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .lock_user(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            &UserRef::Username("eli".into()),
        )
        .await
        .unwrap();
    let after = b.get("/t/default/account").await;
    assert_eq!(after.status, 303);
    assert!(after.location.unwrap().starts_with("/t/default/login"));
    app.services.sso.clock.advance(TimeDelta::seconds(1));
}
both!(about_to_expire_lock_and_other_tenants);

async fn account_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "amy", |_| {}).await;
    let mut b = Browser::new(&app);
    b.login("amy", "amy's passphrase").await;
    let mut other = Browser::new(&app);
    other.login("amy", "amy's passphrase").await;
    let saved = b
        .submit(
            "/t/default/account",
            "/t/default/account/profile",
            &[("display_name", "Amy A."), ("email", "")],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/t/default/account?done=profile"));
    assert!(
        b.get("/t/default/account?done=profile")
            .await
            .html
            .contains(r#"value="Amy A.""#)
    );
    // Two-factor enrolment shows the QR code and the key; a code turns it on and shows the recovery codes.
    let enrol = b.submit("/t/default/account", "/t/default/account/totp", &[]).await;
    assert!(enrol.html.contains("<svg") && enrol.html.contains(r#"id="totp-secret""#));
    let secret = token_in(&enrol.html, r#"class="secret">"#);
    let code = gatehouse::sso::totp::code_at(&secret, app.services.sso.clock.now()).unwrap();
    // A wrong code keeps the key already scanned: the same secret and QR code are shown again.
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let again = b
        .send(
            "POST",
            "/t/default/account/totp/confirm",
            &[("csrf", enrol.csrf().as_str()), ("code", wrong_code)],
        )
        .await;
    assert!(
        again.html.contains("The key below is the same one you scanned"),
        "{}",
        again.html
    );
    assert_eq!(token_in(&again.html, r#"class="secret">"#), secret, "the same key");
    assert!(again.html.contains("<svg"));
    let on = b
        .send(
            "POST",
            "/t/default/account/totp/confirm",
            &[("csrf", enrol.csrf().as_str()), ("code", &code)],
        )
        .await;
    assert!(
        on.html.contains(r#"id="recovery-codes""#) && on.html.contains("download=\"gatehouse-recovery-codes.txt\"")
    );
    let account = b.get("/t/default/account").await;
    assert!(!account.html.contains("recovery-codes"), "shown once");
    assert!(account.html.contains("10 recovery codes are left."), "{}", account.html);
    // One used at a login leaves nine.
    let recovery = token_in(&on.html, r#"id="recovery-codes" class="codes"><li>"#);
    let mut elsewhere = Browser::new(&app);
    let step = elsewhere.login("amy", "amy's passphrase").await;
    assert_eq!(step.location.as_deref(), Some("/t/default/login/code"));
    let done = elsewhere
        .submit("/t/default/login/code", "/t/default/login/code", &[("code", &recovery)])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(
        b.get("/t/default/account")
            .await
            .html
            .contains("9 recovery codes are left.")
    );
    // Ending the other session, then changing the password.
    let ended = b
        .submit("/t/default/account", "/t/default/account/sessions/end-others", &[])
        .await;
    assert_eq!(ended.location.as_deref(), Some("/t/default/account?done=others"));
    assert!(
        b.get("/t/default/account?done=others")
            .await
            .html
            .contains("All your other sessions have ended.")
    );
    // The browser whose session was ended elsewhere is told so on its next page.
    let next = other.get("/t/default/account").await;
    assert_eq!(next.status, 303);
    let to = next.location.clone().unwrap();
    assert!(to.ends_with("&why=ended"), "{to}");
    assert!(
        other
            .get(&to)
            .await
            .html
            .contains("Your session has ended: it expired, or it was ended from another device")
    );
    let wrong = b
        .submit(
            "/t/default/account",
            "/t/default/account/password",
            &[
                ("old_password", "nope"),
                ("new_password", "amy's new passphrase"),
                ("new_password_again", "amy's new passphrase"),
            ],
        )
        .await;
    assert!(wrong.html.contains("The current password is not right."));
    let changed = b
        .submit(
            "/t/default/account",
            "/t/default/account/password",
            &[
                ("old_password", "amy's passphrase"),
                ("new_password", "amy's new passphrase"),
                ("new_password_again", "amy's new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/t/default/account?done=password"));
    let said = b.get("/t/default/account?done=password").await;
    assert!(
        said.html
            .contains("Your password is changed. Your other sessions have ended.")
    );
    // Logging out says so.
    let out = b.submit("/t/default/account", "/t/default/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/t/default/login?why=logout"));
    assert!(
        b.get("/t/default/login?why=logout")
            .await
            .html
            .contains("You are logged out.")
    );
    assert!(
        !b.get("/t/default/login").await.html.contains("Your session has ended"),
        "nothing to say afresh"
    );
}
both!(account_forms);

async fn sign_up_and_reset_pages(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.signup.is_approval_needed = false).await;
    let mut b = Browser::new(&app);
    let mismatch = b
        .submit(
            "/t/default/signup",
            "/t/default/signup",
            &[
                ("username", "sam"),
                ("email", "sam@example.com"),
                ("password", "sam's passphrase"),
                ("password_again", "x"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(
        mismatch.html.contains(r#"value="sam@example.com""#),
        "what was typed is kept"
    );
    let done = b
        .submit(
            "/t/default/signup",
            "/t/default/signup",
            &[
                ("username", "sam"),
                ("email", "sam@example.com"),
                ("password", "sam's passphrase"),
                ("password_again", "sam's passphrase"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/default/signup/waiting"));
    let queued = crate::common::outbox_rows(&app.services.sso).await;
    let link_token = token_in(&queued.last().unwrap().body_text, "/signup/confirm?token=");
    assert!(
        b.get(&format!("/t/default/signup/confirm?token={link_token}"))
            .await
            .html
            .contains("Confirm")
    );
    let confirm_page = b.get(&format!("/t/default/signup/confirm?token={link_token}")).await;
    assert!(
        confirm_page.html.contains("Confirm"),
        "a link opens a page with a button"
    );
    let confirmed = b
        .send(
            "POST",
            "/t/default/signup/confirm",
            &[("csrf", confirm_page.csrf().as_str()), ("token", &link_token)],
        )
        .await;
    assert!(confirmed.html.contains("You can log in now."));
    let again = b
        .send(
            "POST",
            "/t/default/signup/confirm",
            &[("csrf", confirm_page.csrf().as_str()), ("token", &link_token)],
        )
        .await;
    assert!(again.html.contains("This link has already been used."));
    assert_eq!(b.login("sam", "sam's passphrase").await.status, 303);

    let sent = b
        .submit(
            "/t/default/password-reset",
            "/t/default/password-reset",
            &[("credential", "sam")],
        )
        .await;
    assert!(sent.html.contains("If we know this account"));
    let queued = crate::common::outbox_rows(&app.services.sso).await;
    let reset_token = token_in(&queued.last().unwrap().body_text, "/password-reset/complete?token=");
    let path = format!("/t/default/password-reset/complete?token={reset_token}");
    // Opening the link (a mail scanner does) does not use it up.
    for _ in 0..3 {
        assert!(b.get(&path).await.html.contains("Choose a new password"));
    }
    let weak = b
        .submit(
            &path,
            "/t/default/password-reset/complete",
            &[
                ("token", &reset_token),
                ("password", "short"),
                ("password_again", "short"),
            ],
        )
        .await;
    assert!(
        weak.html.contains("too short"),
        "a refused password does not use up the link"
    );
    let done = b
        .submit(
            &path,
            "/t/default/password-reset/complete",
            &[
                ("token", &reset_token),
                ("password", "sam's new passphrase"),
                ("password_again", "sam's new passphrase"),
            ],
        )
        .await;
    assert!(done.html.contains("Your password is changed."));
    // A used link says so as soon as it is opened, with the way to a new one; so do an unknown one and a used
    // confirmation link.
    for gone in [
        path.clone(),
        "/t/default/password-reset/complete?token=nonsense".to_owned(),
    ] {
        let page = b.get(&gone).await;
        assert_eq!(page.status, 403, "{gone}");
        assert!(
            page.html
                .contains("This link was used already, has expired, or is not one we sent.")
        );
        assert!(
            page.html
                .contains("href=\"/t/default/password-reset\">Ask for a new link</a>")
        );
    }
    let used = b.get(&format!("/t/default/signup/confirm?token={link_token}")).await;
    assert!(used.html.contains("This address is confirmed already") && used.html.contains(">Log in</a>"));
    let unknown = b.get("/t/default/signup/confirm?token=nonsense").await;
    assert!(unknown.html.contains("Sign up again to get a new one") && unknown.html.contains(">Sign up again</a>"));
    assert_eq!(b.get("/t/default/account").await.status, 303, "the old session is dead");
    assert_eq!(
        b.login("sam", "sam's new passphrase").await.location.as_deref(),
        Some("/t/default/account")
    );
}
both!(sign_up_and_reset_pages);

async fn admin_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |_| {}).await;
    user(&app, "newbie", |u| {
        u.auto_approve = false;
        u.email = Some("newbie@example.com".into());
    })
    .await;
    let mut joe = Browser::new(&app);
    joe.login("joe", "joe's passphrase").await;
    let denied = joe.get("/t/default/admin").await;
    assert_eq!(denied.status, 403);
    assert!(denied.html.contains("This page is for the administrators"));
    let mut anon = Browser::new(&app);
    assert_eq!(
        anon.get("/t/default/admin/users").await.location.as_deref(),
        Some("/t/default/login?next=%2Ft%2Fdefault%2Fadmin%2Fusers")
    );

    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let queue = boss.get("/t/default/admin").await;
    assert!(queue.html.contains(">newbie</a>") && queue.html.contains("waiting for approval"));
    let newbie_id = app.find("default", "newbie").await.user_id;
    let approved = boss
        .send(
            "POST",
            "/t/default/admin/approvals",
            &[
                ("csrf", queue.csrf().as_str()),
                ("user_id", &newbie_id),
                ("decision", "approve"),
                ("reason", "known customer"),
            ],
        )
        .await;
    assert_eq!(approved.location.as_deref(), Some("/t/default/admin?done=1-approved"));
    assert_eq!(app.find("default", "newbie").await.approval_status, "approved");
    assert!(!boss.get("/t/default/admin").await.html.contains(">newbie</a>"));
    let pk = app.services.ctx("default").await.tenant.pk;
    let entries = app
        .services
        .sso
        .store
        .tenant(pk, move |conn| gatehouse::store::audit::recent(conn, pk, 20))
        .await
        .unwrap();
    let reason = entries
        .iter()
        .find(|e| e.op == "user.approval_reason")
        .expect("the reason is audited");
    assert_eq!(reason.extra.as_deref(), Some(r#"{"reason":"known customer"}"#));
    assert_eq!(reason.target_user_id.as_deref(), Some(newbie_id.as_str()));

    let list = boss.get("/t/default/admin/users?q=joe").await;
    let joe_id = app.find("default", "joe").await.user_id;
    let boss_id = app.find("default", "boss").await.user_id;
    assert!(
        list.html.contains(&format!("/admin/users/{joe_id}"))
            && !list.html.contains(&format!("/admin/users/{boss_id}"))
    );
    // Locking joe from his page logs him out on his next page load.
    let page = format!("/t/default/admin/users/{joe_id}");
    // It is asked first, on a page of its own that says what happens, and posts the same form confirmed.
    let asked = boss.submit(&page, &format!("{page}/lock"), &[]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.html.contains("Lock joe?") && asked.html.contains("cannot log in until an administrator unlocks"));
    assert!(asked.html.contains(r#"name="confirmed" value="yes""#) && asked.html.contains(">Cancel</a>"));
    assert_eq!(
        joe.get("/t/default/account").await.status,
        200,
        "not locked by the question"
    );
    let locked = boss
        .submit(&page, &format!("{page}/lock"), &[("confirmed", "yes")])
        .await;
    assert_eq!(locked.location, Some(format!("{page}?done=lock")));
    assert_eq!(joe.get("/t/default/account").await.status, 303);
    let audit = boss.get("/t/default/admin/audit?op=user.lock_user").await;
    assert!(audit.html.contains("user.lock_user") && audit.html.contains(&joe_id));

    let saved = boss
        .submit(
            "/t/default/admin/settings",
            "/t/default/admin/settings",
            &[("session.expiry", "15")],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/t/default/admin/settings?done=settings-saved")
    );
    let ctx = app.services.ctx("default").await;
    assert_eq!(app.services.sso.policy(&ctx.tenant).await.unwrap().session.expiry, 15);
    let bad = boss
        .submit(
            "/t/default/admin/settings",
            "/t/default/admin/settings",
            &[("session.expiry", "soon")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.html
            .contains("“soon” is not a number: give a whole number of minutes"),
        "{}",
        bad.html
    );
    // The operators' page lives on system only.
    assert_eq!(boss.get("/t/default/admin/tenants").await.status, 404);
}
both!(admin_pages);

async fn super_users_without_2fa_are_warned_and_can_be_required_to_enrol(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |_| {}).await;
    let warning = "Your account has no two-factor authentication";
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let admin = boss.get("/t/default/admin").await;
    assert_eq!(admin.status, 200);
    assert!(admin.html.contains(warning), "a super-user without 2FA is warned");

    // The tenant requires 2FA of its super-users: the APIs refuse the login with E005009 (a regular user is
    // not affected), and the web UI lets the super-user reach only the account page to enrol.
    let ctx = app.services.ctx("default").await;
    app.services
        .sso
        .set_setting(
            &app.services.sso.cli_admin(ctx.tenant.clone()),
            "login",
            "require_totp_for_super_users",
            Some(json!(true)),
        )
        .await
        .unwrap();
    let api = |name: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/t/default/login");
        async move {
            let mut res = client
                .post(url)
                .insert_header(("X-Current-App", "CRM"))
                .send_json(&json!({"username": name, "password": format!("{name}'s passphrase")}))
                .await
                .unwrap();
            (res.status().as_u16(), crate::common::json_body(&mut res).await)
        }
    };
    let (status, body) = api("boss").await;
    assert_eq!(
        (status, body["sub_status"][0].as_str()),
        (403, Some("E005009")),
        "{body}"
    );
    assert!(body.get("ust").is_none());
    let mut zato = app
        .client
        .post(app.url("/zato/sso/user/login"))
        .send_json(&json!({"username": "boss", "password": "boss's passphrase", "current_app": "CRM"}))
        .await
        .unwrap();
    let zato_body = crate::common::json_body(&mut zato).await;
    assert_eq!(zato_body["sub_status"], json!(["E005009"]), "{zato_body}");
    assert_eq!(api("joe").await.0, 200);

    let redirected = boss.get("/t/default/admin/users").await;
    assert_eq!(redirected.location.as_deref(), Some("/t/default/account?required=totp"));
    let account = boss.get("/t/default/account?required=totp").await;
    assert!(account.html.contains("(E005009)"), "the account page says why");
    let enrol = boss.submit("/t/default/account", "/t/default/account/totp", &[]).await;
    let secret = token_in(&enrol.html, r#"class="secret">"#);
    let code = gatehouse::sso::totp::code_at(&secret, app.services.sso.clock.now()).unwrap();
    boss.send(
        "POST",
        "/t/default/account/totp/confirm",
        &[("csrf", enrol.csrf().as_str()), ("code", &code)],
    )
    .await;
    let admin = boss.get("/t/default/admin/users").await;
    assert_eq!(admin.status, 200);
    assert!(!admin.html.contains(warning));
    // With 2FA on, the API login goes on to ask for the code instead.
    let (status, body) = api("boss").await;
    assert_eq!(
        (status, body["sub_status"][0].as_str()),
        (401, Some("E005008")),
        "{body}"
    );
}
both!(super_users_without_2fa_are_warned_and_can_be_required_to_enrol);

/// Signs `name` in through the login page and its code step.
async fn sign_in_with_code<'a>(app: &'a TestApp, name: &str, key: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.login(name, &format!("{name}'s passphrase")).await;
    let code = gatehouse::sso::totp::code_at(key, app.services.sso.clock.now()).unwrap();
    let done = b
        .submit("/t/default/login/code", "/t/default/login/code", &[("code", &code)])
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert!(b.cookies.contains_key("gh_session"));
    b
}

/// On the account page too, replacing or removing an active factor takes the password and a current code, and
/// wrong ones count toward `login.max_failures` (5) until the account locks.
async fn the_account_page_replaces_or_removes_2fa_only_with_password_and_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    for name in ["zoe", "yan"] {
        user(&app, name, |u| u.totp_key = Some(key.into())).await;
    }
    let clock = &app.services.sso.clock;
    let code = |secret: &str| gatehouse::sso::totp::code_at(secret, app.services.sso.clock.now()).unwrap();
    let mut b = sign_in_with_code(&app, "zoe", key).await;
    let account = b.get("/t/default/account").await;
    assert!(
        account.html.contains(r#"id="disable-password""#),
        "the form asks for the password"
    );
    clock.advance(TimeDelta::seconds(30));
    let refused = b
        .submit(
            "/t/default/account",
            "/t/default/account/totp/disable",
            &[("code", &code(key))],
        )
        .await;
    assert_eq!(refused.status, 400, "a code without the password");

    // Re-enrolment: the page asks for the password and a current code, and refuses without them.
    let enrol = b.submit("/t/default/account", "/t/default/account/totp", &[]).await;
    assert!(enrol.html.contains(r#"id="current-code""#) && enrol.html.contains(r#"id="confirm-password""#));
    let secret = token_in(&enrol.html, r#"class="secret">"#);
    crate::common::remember_secret(&secret);
    let refused = b
        .send(
            "POST",
            "/t/default/account/totp/confirm",
            &[("csrf", enrol.csrf().as_str()), ("code", &code(&secret))],
        )
        .await;
    assert_eq!(refused.status, 400, "a session and the new code alone");
    let zoe = app.find("default", "zoe").await;
    let stored = app
        .services
        .sso
        .keyring
        .open_text(zoe.totp_key.as_deref().unwrap())
        .unwrap();
    assert_eq!(stored, key, "the factor is unchanged");
    let enrol = b.submit("/t/default/account", "/t/default/account/totp", &[]).await;
    let secret = token_in(&enrol.html, r#"class="secret">"#);
    crate::common::remember_secret(&secret);
    clock.advance(TimeDelta::seconds(30));
    let on = b
        .send(
            "POST",
            "/t/default/account/totp/confirm",
            &[
                ("csrf", enrol.csrf().as_str()),
                ("code", &code(&secret)),
                ("password", "zoe's passphrase"),
                ("current_code", &code(key)),
            ],
        )
        .await;
    assert!(on.html.contains(r#"id="recovery-codes""#), "{}", on.html);
    clock.advance(TimeDelta::seconds(30));
    let off = b
        .submit(
            "/t/default/account",
            "/t/default/account/totp/disable",
            &[("password", "zoe's passphrase"), ("code", &code(&secret))],
        )
        .await;
    assert_eq!(off.location.as_deref(), Some("/t/default/account?done=totp-off"));
    assert!(!app.find("default", "zoe").await.is_totp_enabled);

    // Guessing the code with the session and the password: the fifth wrong guess locks the account.
    let mut b = sign_in_with_code(&app, "yan", key).await;
    for guess in ["000001", "000002", "000003", "000004", "000005"] {
        let wrong = b
            .submit(
                "/t/default/account",
                "/t/default/account/totp/disable",
                &[("password", "yan's passphrase"), ("code", guess)],
            )
            .await;
        assert_eq!(wrong.status, 403, "{guess}");
    }
    let yan = app.find("default", "yan").await;
    assert!(yan.is_locked && yan.is_totp_enabled);
    assert_eq!(
        b.get("/t/default/account").await.status,
        303,
        "the lock ended the session"
    );
}
both!(the_account_page_replaces_or_removes_2fa_only_with_password_and_code);

/// Error pages are pages: a 404 under a tenant, an unknown tenant's page, a 400 for a malformed query and a 415
/// for a body that is not a form all carry the security headers of every page.
async fn error_pages_carry_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut b = Browser::new(&app);
    let not_found = b.get("/t/default/no-such-page").await;
    let no_tenant = b.get("/t/nope/login").await;
    let malformed = b.get("/t/default/login?next=a&next=b").await;
    let not_a_form = {
        let mut res = b
            .client
            .post(app.url("/t/default/login"))
            .insert_header(("Content-Type", "application/json"))
            .send_body("{}")
            .await
            .unwrap();
        let headers = res.headers().clone();
        let html = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
        Page {
            status: res.status().as_u16(),
            location: None,
            set_cookies: vec![],
            headers,
            html,
        }
    };
    for (page, status) in [(not_found, 404), (no_tenant, 404), (malformed, 400), (not_a_form, 415)] {
        assert_eq!(page.status, status, "{}", page.html);
        let header = |name: &str| {
            page.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert!(header("content-type").starts_with("text/html"), "{status}: a page");
        assert!(
            page.html.contains("<html") || page.html.contains("<!DOCTYPE"),
            "{status}"
        );
        let csp = header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{status}: {csp:?}"
        );
        assert_eq!(header("x-frame-options"), "DENY", "{status}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{status}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{status}");
        assert_eq!(header("cache-control"), "no-store", "{status}");
    }
}
both!(error_pages_carry_the_security_headers);

/// The web login's steps hold every rule of a login: a web session's token presented to the API is checked as
/// any session is (a super-user without the 2FA the tenant requires gets `E005009`), the new-password step
/// refuses the current password (`E003010`) though it sends no password, and a common password found at the
/// first step still asks for, and keeps, a new one when the login is continued.
async fn the_web_logins_steps_hold_every_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "mona", |u| u.must_change = true).await;
    user(&app, "cole", |_| {}).await;
    app.give_password("cole", "baseball").await;
    app.set("default", "login", "require_totp_for_super_users", json!(true))
        .await;
    app.set("default", "password", "check_breached_at_login", json!(true))
        .await;

    // The super-user's web session, confined to enrolment there, is no API session.
    let mut b = Browser::new(&app);
    let landed = b.login("boss", "boss's passphrase").await;
    assert_eq!(landed.status, 303, "{}", landed.html);
    let token = b.cookies.get("gh_session").expect("a web session").clone();
    let mut res = app
        .client
        .get(app.url("/api/v1/t/default/users/me"))
        .insert_header(("X-Current-App", "CRM"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let reply = crate::common::json_body(&mut res).await;
    assert_eq!(
        (status, reply["sub_status"][0].as_str()),
        (403, Some("E005009")),
        "{reply}"
    );

    // The new-password step refuses the current password.
    let mut b = Browser::new(&app);
    let step = b.login("mona", "mona's passphrase").await;
    assert_eq!(step.location.as_deref(), Some("/t/default/login/new-password"));
    let same = b
        .submit(
            "/t/default/login/new-password",
            "/t/default/login/new-password",
            &[
                ("new_password", "mona's passphrase"),
                ("new_password_again", "mona's passphrase"),
            ],
        )
        .await;
    assert!(
        same.html.contains("must be different from your current one"),
        "{}",
        same.html
    );

    // A common password: the new one given at the next step is the one kept.
    let mut b = Browser::new(&app);
    let step = b.login("cole", "baseball").await;
    assert_eq!(step.location.as_deref(), Some("/t/default/login/new-password"));
    let done = b
        .submit(
            "/t/default/login/new-password",
            "/t/default/login/new-password",
            &[
                ("new_password", "cole's uncommon passphrase"),
                ("new_password_again", "cole's uncommon passphrase"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/default/account"), "{}", done.html);
    let cole = app.find("default", "cole").await;
    assert!(
        app.services
            .sso
            .verify_password(
                &app.services.ctx("default").await,
                &crate::common::as_user(&app.services.sso, &cole),
                Password::new("cole's uncommon passphrase"),
            )
            .await
            .unwrap(),
        "the new password was kept"
    );
}
both!(the_web_logins_steps_hold_every_rule);

/// A refusal on a page has the status the native API answers it with (one mapping, by the error's kind): an
/// unknown session or user is 404, a form the account cannot use is 400, one's own factor reset from the
/// administrators' page 403, a taken tenant slug 409.
async fn page_errors_take_the_native_apis_statuses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |_| {}).await;
    let system = app.services.ctx("system").await;
    app.services
        .sso
        .create_user(
            &app.services.sso.cli_admin(system.tenant.clone()),
            NewUser {
                username: "op".into(),
                password: Some(Password::new("op's passphrase")),
                auto_approve: true,
                is_super_user: true,
                ..NewUser::default()
            },
        )
        .await
        .unwrap();

    let mut joe = Browser::new(&app);
    joe.login("joe", "joe's passphrase").await;
    let unknown = joe
        .submit(
            "/t/default/account",
            "/t/default/account/sessions/end",
            &[("session_id", "no-such-session")],
        )
        .await;
    assert_eq!(unknown.status, 404, "E007001");
    let off = joe
        .submit(
            "/t/default/account",
            "/t/default/account/totp/disable",
            &[("password", "joe's passphrase"), ("code", "000000")],
        )
        .await;
    assert_eq!(off.status, 400, "E008001: joe has no 2FA to turn off");

    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let boss_id = app.find("default", "boss").await.user_id;
    let users = "/t/default/admin/users";
    let nobody = boss.submit(users, &format!("{users}/zusr0/lock"), &[]).await;
    assert_eq!(nobody.status, 404, "E001100");
    let own = boss
        .submit(users, &format!("{users}/{boss_id}/reset-totp"), &[("confirmed", "yes")])
        .await;
    assert_eq!(own.status, 403, "E008001");
    let verb = boss
        .submit(users, &format!("{users}/{boss_id}/no-such-action"), &[])
        .await;
    assert_eq!(verb.status, 404);

    let mut op = Browser::new(&app);
    op.submit(
        "/t/system/login",
        "/t/system/login",
        &[("username", "op"), ("password", "op's passphrase")],
    )
    .await;
    let taken = op
        .submit(
            "/t/system/admin/tenants",
            "/t/system/admin/tenants",
            &[
                ("slug", "default"),
                ("admin_username", "ann"),
                ("admin_email", "ann@example.com"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.html);
    let malformed = op
        .submit(
            "/t/system/admin/tenants",
            "/t/system/admin/tenants",
            &[
                ("slug", "Not A Slug"),
                ("admin_username", "ann"),
                ("admin_email", "ann@example.com"),
            ],
        )
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.html);
}
both!(page_errors_take_the_native_apis_statuses);

/// The default tenant's client settings of `app`, if it is a client.
async fn saved_client(app: &TestApp, name: &str) -> Option<gatehouse::sso::oidc::clients::Client> {
    let ctx = app.services.ctx("default").await;
    let admin = app.services.sso.cli_admin(ctx.tenant.clone());
    app.services.sso.client(&admin, name).await.ok()
}

/// Whether the token endpoint takes `secret` as CRM's (empty: no secret, as a public client): an authenticated
/// client without a code is asked for one (`invalid_request`), any other is `invalid_client`.
async fn crm_secret_works(app: &TestApp, secret: &str) -> bool {
    let mut res = app
        .client
        .post(app.url("/t/default/oidc/token"))
        .send_form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "CRM"),
            ("client_secret", secret),
        ])
        .await
        .unwrap();
    let body = crate::common::json_body(&mut res).await;
    match body["error"].as_str() {
        Some("invalid_client") => false,
        Some("invalid_request") => true,
        other => panic!("unexpected answer {other:?}: {body}"),
    }
}

const SETTINGS: &str = "/t/default/admin/settings";
const CRM_CLIENT: &str = "/t/default/admin/settings/apps/CRM/client";

/// An administrator makes an app a client on the settings page, sees what is set, changes it and removes it.
async fn the_settings_page_sets_and_removes_an_apps_client_settings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let page = boss.get(SETTINGS).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("CRM: OpenID Connect") && page.html.contains("Not an OpenID Connect client"));
    for field in [
        r#"name="client_name""#,
        r#"<textarea id="c0-redirect" name="redirect_uris""#,
        r#"<textarea id="c0-logout" name="post_logout_redirect_uris""#,
        r#"name="confidential" type="checkbox""#,
        r#"name="consent_required" type="checkbox""#,
        r#"<label for="c0-redirect">"#,
        ">Confidential (has a secret)<",
        ">Ask users for consent<",
        ">Save client settings<",
        &format!(r#"action="{CRM_CLIENT}""#),
    ] {
        assert!(page.html.contains(field), "the form has {field}");
    }
    assert!(!page.html.contains("Remove client settings"), "nothing to remove yet");
    assert!(!crm_secret_works(&app, "").await, "not a client yet");

    // A public client, with consent: the form's lines become the lists (blank lines and spaces dropped).
    let saved = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[
                ("client_name", " Customer portal "),
                (
                    "redirect_uris",
                    "https://crm.example.com/cb\r\n\r\n  http://127.0.0.1:3000/cb  \r\n",
                ),
                ("post_logout_redirect_uris", "https://crm.example.com/bye"),
                ("consent_required", "on"),
            ],
        )
        .await;
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (303, Some("/t/default/admin/settings?done=client-settings-saved"))
    );
    let client = saved_client(&app, "CRM").await.expect("CRM is a client");
    assert_eq!(
        client.settings,
        gatehouse::sso::oidc::clients::ClientSettings {
            client_name: "Customer portal".into(),
            redirect_uris: vec!["https://crm.example.com/cb".into(), "http://127.0.0.1:3000/cb".into()],
            post_logout_redirect_uris: vec!["https://crm.example.com/bye".into()],
            confidential: false,
            consent_required: true,
            backchannel_logout_uri: None,
            id_token_alg: gatehouse::crypto::jws::Alg::Rs256,
        }
    );
    assert!(!client.has_secret);
    let page = boss.get("/t/default/admin/settings?done=client-settings-saved").await;
    assert!(page.html.contains("Done: client settings saved."));
    for shown in [
        "<dt>Client id</dt><dd><code>CRM</code></dd>",
        "<dt>Display name</dt><dd>Customer portal</dd>",
        "<li><code>https://crm.example.com/cb</code></li><li><code>http://127.0.0.1:3000/cb</code></li>",
        "<li><code>https://crm.example.com/bye</code></li>",
        "Public: no secret, PKCE required",
        "Users are asked",
        "<dt>Secret</dt><dd>None</dd>",
        ">public client<",
        ">Remove client settings<",
    ] {
        assert!(page.html.contains(shown), "the page shows {shown}");
    }
    assert!(
        !page.html.contains("New client secret"),
        "a public client has no secret to renew"
    );
    // The form holds what is saved, one URI a line, and the ticked box.
    assert!(page.html.contains(r#"value="Customer portal""#));
    assert!(
        page.html
            .contains(">https://crm.example.com/cb\nhttp://127.0.0.1:3000/cb</textarea>")
    );
    assert!(
        page.html
            .contains(r#"id="c0-consent" name="consent_required" type="checkbox" value="on" checked"#)
    );
    assert!(
        !page
            .html
            .contains(r#"id="c0-confidential" name="confidential" type="checkbox" value="on" checked"#)
    );
    // The token endpoint knows it now: a public client authenticates with its id alone.
    assert!(crm_secret_works(&app, "").await);

    // An unticked box turns consent off; an empty name means the app's name.
    let saved = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[("client_name", ""), ("redirect_uris", "com.example.crm:/cb")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let client = saved_client(&app, "CRM").await.unwrap();
    assert!(!client.settings.consent_required && client.settings.post_logout_redirect_uris.is_empty());
    assert_eq!(client.display_name(), "CRM");
    assert!(
        boss.get(SETTINGS)
            .await
            .html
            .contains("<dt>Display name</dt><dd>CRM</dd>")
    );

    // Removing them, once asked: CRM is an app like before.
    let asked = boss.submit(SETTINGS, &format!("{CRM_CLIENT}/remove"), &[]).await;
    assert!(
        asked.html.contains("Remove CRM's OpenID Connect settings?"),
        "{}",
        asked.html
    );
    assert!(saved_client(&app, "CRM").await.is_some(), "not removed by the question");
    let removed = boss
        .submit(SETTINGS, &format!("{CRM_CLIENT}/remove"), &[("confirmed", "yes")])
        .await;
    assert_eq!(
        (removed.status, removed.location.as_deref()),
        (303, Some("/t/default/admin/settings?done=client-settings-removed"))
    );
    assert!(saved_client(&app, "CRM").await.is_none(), "the client is gone");
    assert!(
        !crm_secret_works(&app, "").await,
        "and the token endpoint no longer knows it"
    );
    let page = boss.get(SETTINGS).await;
    assert!(page.html.contains("Not an OpenID Connect client") && !page.html.contains("Remove client settings"));
    assert!(page.html.contains("<td data-label=\"App\">CRM</td>"), "still an app");
}
both!(the_settings_page_sets_and_removes_an_apps_client_settings);

/// A client secret is shown on the one page that made it, says so, and works; the next page never shows it.
async fn a_client_secret_is_shown_once_on_the_settings_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let made = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[("redirect_uris", "https://crm.example.com/cb"), ("confidential", "on")],
        )
        .await;
    assert_eq!(made.status, 200, "shown on this response, not after a redirect");
    assert!(made.html.contains("New client secret for CRM:"));
    assert!(made.html.contains("It will not be shown again"));
    let secret = token_in(&made.html, r#"<code class="secret">"#);
    assert!(secret.starts_with("ghcs_") && secret.len() > 20, "{secret}");
    assert!(saved_client(&app, "CRM").await.unwrap().has_secret);
    assert!(
        crm_secret_works(&app, &secret).await,
        "the secret shown is the client's"
    );
    assert!(!crm_secret_works(&app, "ghcs_not-the-secret").await);

    let next = boss.get(SETTINGS).await;
    assert!(!next.html.contains(&secret), "the next page does not show it");
    assert!(!next.html.contains(r#"class="secret""#));
    assert!(next.html.contains("<dt>Secret</dt><dd>Set (never shown again)</dd>"));
    assert!(
        next.html
            .contains("Confidential: the app authenticates with its secret")
    );
    assert!(
        next.html
            .contains(r#"id="c0-confidential" name="confidential" type="checkbox" value="on" checked"#)
    );

    // Saving again keeps the secret and shows none.
    let again = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[("redirect_uris", "https://crm.example.com/cb2"), ("confidential", "on")],
        )
        .await;
    assert_eq!(again.status, 303);
    assert!(crm_secret_works(&app, &secret).await);

    // A new secret replaces the old one, shown once too.
    let renewed = boss.submit(SETTINGS, &format!("{CRM_CLIENT}/secret"), &[]).await;
    assert_eq!(renewed.status, 200);
    assert!(renewed.html.contains("It will not be shown again"));
    let second = token_in(&renewed.html, r#"<code class="secret">"#);
    assert_ne!(second, secret);
    assert!(crm_secret_works(&app, &second).await && !crm_secret_works(&app, &secret).await);
    let next = boss.get(SETTINGS).await;
    assert!(!next.html.contains(&second) && !next.html.contains(&secret));

    // A public client has none: the button is gone, and a post anyway is refused with why.
    let public = boss
        .submit(SETTINGS, CRM_CLIENT, &[("redirect_uris", "https://crm.example.com/cb")])
        .await;
    assert_eq!(public.status, 303);
    assert!(!saved_client(&app, "CRM").await.unwrap().has_secret);
    let page = boss.get(SETTINGS).await;
    assert!(!page.html.contains("New client secret"));
    let refused = boss
        .send(
            "POST",
            &format!("{CRM_CLIENT}/secret"),
            &[("csrf", page.csrf().as_str())],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("a public client has no secret"));
    assert!(!refused.html.contains(r#"class="secret""#));
}
both!(a_client_secret_is_shown_once_on_the_settings_page);

/// A value the domain refuses comes back in the form as typed, with what the field may hold, and changes nothing.
async fn refused_client_settings_come_back_with_what_is_allowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let ok = boss
        .submit(SETTINGS, CRM_CLIENT, &[("redirect_uris", "https://crm.example.com/cb")])
        .await;
    assert_eq!(ok.status, 303);
    let before = saved_client(&app, "CRM").await.unwrap();

    let bad = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[
                ("client_name", "Typed name"),
                (
                    "redirect_uris",
                    "https://crm.example.com/new\nhttp://app.example.com/cb",
                ),
                ("consent_required", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("The client settings of CRM were not saved"));
    assert!(
        bad.html.contains(
            "Redirect URIs: `http://app.example.com/cb`: use https (plain http is allowed only to localhost and 127.0.0.1)"
        ),
        "the message says what is allowed"
    );
    assert!(bad.html.contains(r#"value="Typed name""#), "the typed values are kept");
    assert!(
        bad.html
            .contains(">https://crm.example.com/new\nhttp://app.example.com/cb</textarea>")
    );
    assert!(
        bad.html
            .contains(r#"id="c0-consent" name="consent_required" type="checkbox" value="on" checked"#)
    );
    assert!(bad.html.contains(r#"name="redirect_uris" rows="3" spellcheck="false" autocapitalize="off" aria-invalid="true" aria-describedby="c0-error""#));
    assert!(
        bad.html.contains(r#"<details open class="client-form">"#),
        "the form is open to correct"
    );
    assert_eq!(saved_client(&app, "CRM").await.unwrap(), before, "nothing changed");

    // A script URI is refused, and shown back escaped.
    let script = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[
                ("redirect_uris", "https://crm.example.com/cb"),
                ("post_logout_redirect_uris", "javascript:alert(1)</textarea><b>"),
            ],
        )
        .await;
    assert_eq!(script.status, 422);
    assert!(script.html.contains("Post-logout redirect URIs: `javascript:alert(1)&lt;/textarea&gt;&lt;b&gt;`: the scheme `javascript` cannot be a redirect URI"));
    assert!(
        script
            .html
            .contains(">javascript:alert(1)&lt;/textarea&gt;&lt;b&gt;</textarea>")
    );
    assert!(!script.html.contains("<b>"));
    let fragment = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[("redirect_uris", "https://crm.example.com/cb#x")],
        )
        .await;
    assert_eq!(fragment.status, 422);
    assert!(
        fragment
            .html
            .contains("no white space and no fragment (#) in a redirect URI")
    );
    assert_eq!(saved_client(&app, "CRM").await.unwrap(), before, "nothing changed");

    // An app the tenant does not have.
    let unknown = boss
        .submit(
            SETTINGS,
            "/t/default/admin/settings/apps/Nope/client",
            &[("redirect_uris", "https://crm.example.com/cb")],
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert!(saved_client(&app, "Nope").await.is_none());
}
both!(refused_client_settings_come_back_with_what_is_allowed);

/// The client forms are an administrator's, and each post needs the page's form token.
async fn client_settings_need_an_administrator_and_the_form_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |_| {}).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let made = boss
        .submit(
            SETTINGS,
            CRM_CLIENT,
            &[("redirect_uris", "https://crm.example.com/cb"), ("confidential", "on")],
        )
        .await;
    let secret = token_in(&made.html, r#"<code class="secret">"#);
    let before = saved_client(&app, "CRM").await.unwrap();

    // A regular user sees no form, and each post is refused.
    let mut joe = Browser::new(&app);
    joe.login("joe", "joe's passphrase").await;
    let page = joe.get(SETTINGS).await;
    assert_eq!(page.status, 403);
    assert!(!page.html.contains("Save client settings") && !page.html.contains("crm.example.com"));
    let csrf = joe.get("/t/default/account").await.csrf();
    for (path, fields) in [
        (
            CRM_CLIENT.to_owned(),
            vec![("redirect_uris", "https://evil.example.com/cb")],
        ),
        (format!("{CRM_CLIENT}/secret"), vec![]),
        (format!("{CRM_CLIENT}/remove"), vec![]),
    ] {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend(fields);
        let refused = joe.send("POST", &path, &all).await;
        assert_eq!(refused.status, 403, "{path}");
        assert!(refused.html.contains("This page is for the administrators"));
        assert!(!refused.html.contains("ghcs_"));
    }
    assert_eq!(saved_client(&app, "CRM").await.unwrap(), before, "joe changed nothing");
    assert!(crm_secret_works(&app, &secret).await, "nor renewed the secret");
    // Nor does a browser that is not signed in.
    let mut anon = Browser::new(&app);
    let out = anon
        .submit("/t/default/login", &format!("{CRM_CLIENT}/remove"), &[])
        .await;
    assert_eq!(out.status, 303);
    assert!(out.location.unwrap().starts_with("/t/default/login?next="));
    assert!(saved_client(&app, "CRM").await.is_some());

    // The administrator's own posts without the token (or with another's) are turned back unchanged.
    for token in ["", "not-the-token-of-this-browser-at-all"] {
        for (path, fields) in [
            (
                CRM_CLIENT.to_owned(),
                vec![("redirect_uris", "https://evil.example.com/cb")],
            ),
            (format!("{CRM_CLIENT}/secret"), vec![]),
            (format!("{CRM_CLIENT}/remove"), vec![]),
        ] {
            let mut all = vec![("csrf", token)];
            all.extend(fields);
            let refused = boss.send("POST", &path, &all).await;
            assert_eq!(
                (refused.status, refused.location.as_deref()),
                (303, Some(SETTINGS)),
                "{path} without its token"
            );
        }
    }
    assert_eq!(
        saved_client(&app, "CRM").await.unwrap(),
        before,
        "nothing changed without the token"
    );
    assert!(crm_secret_works(&app, &secret).await);
    // With the token, the same post works.
    let removed = boss
        .submit(SETTINGS, &format!("{CRM_CLIENT}/remove"), &[("confirmed", "yes")])
        .await;
    assert_eq!(removed.status, 303);
    assert!(saved_client(&app, "CRM").await.is_none());
}
both!(client_settings_need_an_administrator_and_the_form_token);

async fn a_super_user_is_linked_to_the_administration_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "root", |u| u.is_super_user = true).await;
    user(&app, "ann", |_| {}).await;
    let mut b = Browser::new(&app);
    b.login("root", "root's passphrase").await;
    let account = b.get("/t/default/account").await;
    assert!(
        account
            .html
            .contains(r#"<a href="/t/default/admin">Administration</a>"#),
        "{}",
        account.html
    );
    let admin = b.get("/t/default/admin").await;
    assert!(admin.html.contains(r#"<a href="/t/default/admin">Administration</a>"#));
    let mut b = Browser::new(&app);
    b.login("ann", "ann's passphrase").await;
    let account = b.get("/t/default/account").await;
    assert_eq!(account.status, 200);
    assert!(
        !account.html.contains("Administration"),
        "a regular user is not linked there"
    );
}
both!(a_super_user_is_linked_to_the_administration_pages);

async fn a_rejection_is_confirmed_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "eve", |u| u.auto_approve = false).await;
    user(&app, "mal", |u| u.auto_approve = false).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let queue = boss.get("/t/default/admin").await;
    let csrf = queue.csrf();
    let (eve, mal) = (
        app.find("default", "eve").await.user_id,
        app.find("default", "mal").await.user_id,
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("user_id", eve.as_str()),
        ("user_id", mal.as_str()),
        ("decision", "reject"),
    ];
    let asked = boss.send("POST", "/t/default/admin/approvals", &form).await;
    assert_eq!(asked.status, 200);
    assert!(
        asked.html.contains("Reject 2 sign-ups?") && asked.html.contains("eve, mal"),
        "{}",
        asked.html
    );
    assert_eq!(
        app.find("default", "eve").await.approval_status,
        "before_decision",
        "nothing decided yet"
    );
    let mut confirmed = form.to_vec();
    confirmed.push(("confirmed", "yes"));
    let done = boss.send("POST", "/t/default/admin/approvals", &confirmed).await;
    assert_eq!(done.location.as_deref(), Some("/t/default/admin?done=2-rejected"));
    assert_eq!(app.find("default", "mal").await.approval_status, "rejected");
}
both!(a_rejection_is_confirmed_first);

async fn select_all_decides_every_waiting_sign_up_and_an_empty_queue_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "eve", |u| u.auto_approve = false).await;
    user(&app, "mal", |u| u.auto_approve = false).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let queue = boss.get("/t/default/admin").await;
    assert!(queue.html.contains("Select all 2 waiting"), "{}", queue.html);
    let csrf = queue.csrf();
    // Rejecting all asks first, naming each; the confirmation names them, not "all".
    let asked = boss
        .send(
            "POST",
            "/t/default/admin/approvals",
            &[("csrf", &csrf), ("all", "yes"), ("decision", "reject")],
        )
        .await;
    assert!(asked.html.contains("Reject 2 sign-ups?"), "{}", asked.html);
    assert!(!asked.html.contains(r#"name="all""#));
    let done = boss
        .send(
            "POST",
            "/t/default/admin/approvals",
            &[("csrf", &csrf), ("all", "yes"), ("decision", "approve")],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/default/admin?done=2-approved"));
    assert_eq!(app.find("default", "eve").await.approval_status, "approved");
    let empty = boss.get("/t/default/admin").await;
    assert!(empty.html.contains("No sign-up is waiting for approval."));
    assert!(
        empty
            .html
            .contains(r#"<form method="post" action="/t/default/admin/approvals" hidden"#),
        "{}",
        empty.html
    );
}
both!(select_all_decides_every_waiting_sign_up_and_an_empty_queue_says_so);

async fn revoking_a_key_and_suspending_a_tenant_are_confirmed_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let sso = &app.services.sso;
    let tenant = sso.resolve_tenant("default").await.unwrap();
    let cli = sso.cli_admin(tenant);
    app.set("default", "apps", "all", serde_json::json!(["CRM"])).await;
    let key = sso.create_app_key(&cli, "CRM").await.unwrap();
    crate::common::remember_secret(&key.key);
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let settings = boss.get("/t/default/admin/settings").await;
    let revoke = format!("/t/default/admin/settings/apps/CRM/keys/{}/revoke", key.key_id);
    let asked = boss.send("POST", &revoke, &[("csrf", &settings.csrf())]).await;
    assert_eq!(asked.status, 200);
    assert!(asked.html.contains("Revoke a key of CRM?"), "{}", asked.html);
    let keys = |apps: Vec<gatehouse::sso::apps::AppView>| apps.into_iter().find(|a| a.name == "CRM").unwrap().keys;
    assert_eq!(
        keys(sso.apps(&cli).await.unwrap()).len(),
        1,
        "not revoked by the question"
    );
    let done = boss
        .send("POST", &revoke, &[("csrf", &settings.csrf()), ("confirmed", "yes")])
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/t/default/admin/settings?done=key-revoked")
    );
    assert!(keys(sso.apps(&cli).await.unwrap()).is_empty());

    // An operator suspends a tenant only once asked.
    sso.create_tenant("acme", None, gatehouse::sso::Actor::Auto, "t")
        .await
        .unwrap();
    let mut op = operator_browser(&app).await;
    let tenants = op.get("/t/system/admin/tenants").await;
    assert_eq!(tenants.status, 200);
    let asked = op
        .send(
            "POST",
            "/t/system/admin/tenants/acme/suspend",
            &[("csrf", &tenants.csrf())],
        )
        .await;
    assert!(asked.html.contains("Suspend acme?"), "{}", asked.html);
    assert!(sso.resolve_tenant("acme").await.is_ok(), "still active");
    let done = op
        .send(
            "POST",
            "/t/system/admin/tenants/acme/suspend",
            &[("csrf", &tenants.csrf()), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/t/system/admin/tenants?done=suspend-acme")
    );
}
both!(revoking_a_key_and_suspending_a_tenant_are_confirmed_first);

/// An operator makes a tenant ready to run on the tenants page: with its first administrator invited by e-mail,
/// or given a password. A refusal shows the form again with what was typed, the password aside.
async fn operators_create_a_tenant_with_its_administrator_in_the_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sso = &app.services.sso;
    let mut op = operator_browser(&app).await;
    let page = op.get("/t/system/admin/tenants").await;
    for label in [
        "Slug",
        "Its first administrator",
        "Username",
        "E-mail",
        "Password (optional)",
        "Create tenant",
        "<td data-label=\"Slug\">default</td>",
    ] {
        assert!(page.html.contains(label), "{label}: {}", page.html);
    }
    let refused = op
        .submit(
            "/t/system/admin/tenants",
            "/t/system/admin/tenants",
            &[
                ("slug", "acme"),
                ("display_name", "Acme <Co>"),
                ("admin_username", "ann"),
                ("admin_email", "ann@example.com"),
                ("admin_password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("The tenant was not created"), "{}", refused.html);
    for kept in ["value=\"acme\"", "value=\"ann\"", "value=\"ann@example.com\""] {
        assert!(refused.html.contains(kept), "{kept} is kept: {}", refused.html);
    }
    assert!(refused.html.contains("value=\"Acme &lt;Co&gt;\""), "{}", refused.html);
    assert!(
        !refused.html.contains("value=\"short\""),
        "the password is not shown back"
    );
    assert!(sso.resolve_tenant("acme").await.is_err(), "nothing was made");

    let done = op
        .submit(
            "/t/system/admin/tenants",
            "/t/system/admin/tenants",
            &[
                ("slug", "acme"),
                ("admin_username", "ann"),
                ("admin_email", "ann@example.com"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/t/system/admin/tenants?done=created-and-invited-acme")
    );
    let mail = crate::common::outbox_rows(sso).await;
    assert!(
        mail.iter()
            .any(|m| m.kind == "invitation" && m.recipient == "ann@example.com"),
        "the invitation is queued"
    );
    let acme = app.services.ctx("acme").await;
    let ann = sso
        .get_user(&sso.cli_admin(acme.tenant.clone()), &UserRef::Username("ann".into()))
        .await
        .unwrap();
    assert!(ann.is_super_user, "the first administrator is a super-user");

    let done = op
        .submit(
            "/t/system/admin/tenants",
            "/t/system/admin/tenants",
            &[
                ("slug", "bravo"),
                ("admin_username", "bob"),
                ("admin_password", "bob's first passphrase"),
            ],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/t/system/admin/tenants?done=created-bravo")
    );
    let mut bob = Browser::new(&app);
    let login = bob
        .submit(
            "/t/bravo/login",
            "/t/bravo/login",
            &[("username", "bob"), ("password", "bob's first passphrase")],
        )
        .await;
    assert_eq!(
        login.location.as_deref(),
        Some("/t/bravo/login/new-password"),
        "a password the operator chose is changed at the first login"
    );
}
both!(operators_create_a_tenant_with_its_administrator_in_the_pages);

async fn administrators_create_and_delete_users_in_the_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let created = boss
        .submit(
            "/t/default/admin/users",
            "/t/default/admin/users",
            &[
                ("username", "newcomer"),
                ("password", "a first passphrase 9"),
                ("email", "newcomer@example.com"),
                ("must_change", "on"),
            ],
        )
        .await;
    let newcomer = app.find("default", "newcomer").await;
    assert_eq!(
        created.location,
        Some(format!("/t/default/admin/users/{}?done=created", newcomer.user_id))
    );
    crate::common::remember_secret("a first passphrase 9");
    assert!(newcomer.password_must_change && !newcomer.is_super_user);
    assert_eq!(newcomer.approval_status, "approved");
    // The rules of the API hold: a taken name, a weak password.
    let taken = boss
        .submit(
            "/t/default/admin/users",
            "/t/default/admin/users",
            &[("username", "newcomer"), ("password", "another passphrase 9")],
        )
        .await;
    assert!(
        taken.status >= 400 && taken.html.contains("That username is taken."),
        "{}",
        taken.html
    );
    let weak = boss
        .submit(
            "/t/default/admin/users",
            "/t/default/admin/users",
            &[("username", "weakling"), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.html.contains("The user was not created"));
    // Deleting asks first, then removes the account.
    let page = format!("/t/default/admin/users/{}", newcomer.user_id);
    let asked = boss.submit(&page, &format!("{page}/delete"), &[]).await;
    assert!(asked.html.contains("Delete newcomer?") && asked.html.contains("cannot be undone"));
    let deleted = boss
        .submit(&page, &format!("{page}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(deleted.location.as_deref(), Some("/t/default/admin/users?done=deleted"));
    let mut b = Browser::new(&app);
    assert_eq!(b.login("newcomer", "a first passphrase 9").await.status, 401);
    // Not one's own account.
    let boss_id = app.find("default", "boss").await.user_id;
    let own = format!("/t/default/admin/users/{boss_id}");
    let refused = boss
        .submit(&own, &format!("{own}/delete"), &[("confirmed", "yes")])
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.html.contains("not on your own account"), "{}", refused.html);
}
both!(administrators_create_and_delete_users_in_the_pages);

/// The audit log reads as a story: who (their username, linked), what (in words, the code as a detail), on
/// whom, the result in words, in the viewer's time zone (chosen on the account page, else the tenant's), with
/// filters by username, operation, result and days; a bad date is refused, not ignored. Searching users writes
/// nothing to it.
async fn the_audit_log_tells_who_did_what_to_whom_in_the_viewers_time(backend: Backend) {
    const LOCK_ROW: &str = "<td data-label=\"What\">Locked an account";
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |_| {}).await;
    let joe_id = app.find("default", "joe").await.user_id;
    let mut joe = Browser::new(&app);
    let wrong = joe.login("joe", "not joe's passphrase").await;
    assert_eq!(wrong.status, 401);
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let page = format!("/t/default/admin/users/{joe_id}");
    boss.submit(&page, &format!("{page}/lock"), &[("confirmed", "yes")])
        .await;

    let log = boss.get("/t/default/admin/audit").await;
    assert_eq!(log.status, 200);
    for words in [
        "Locked an account",
        "user.lock_user",
        &format!("href=\"/t/default/admin/users/{joe_id}\">joe</a>"),
        ">boss</a>",
        "Logged in",
        "Refused: Not allowed.",
        "E005001",
        "Done",
        "2026-11-28 10:00 UTC",
        "times in UTC",
    ] {
        assert!(log.html.contains(words), "{words}: {}", log.html);
    }
    for label in [
        "Username",
        "Operation",
        "Result",
        "From",
        "To",
        "Any operation",
        "Filter",
    ] {
        assert!(log.html.contains(label), "{label}");
    }
    assert!(log.html.contains("type=\"date\""), "a date picker");

    // Filters: by username, by operation, by result.
    let joes = boss.get("/t/default/admin/audit?username=joe&op=user.lock_user").await;
    assert!(
        joes.html.contains("1 entry,") && joes.html.contains(LOCK_ROW),
        "{}",
        joes.html
    );
    assert!(
        joes.html.contains("<option value=\"user.lock_user\" selected"),
        "the chosen operation stays chosen"
    );
    let refused = boss.get("/t/default/admin/audit?result=error").await;
    assert!(refused.html.contains("Refused: ") && !refused.html.contains(LOCK_ROW));
    let nobody = boss.get("/t/default/admin/audit?username=nobody").await;
    assert!(nobody.html.contains("No user is named “nobody”"), "{}", nobody.html);

    // A bad date is an error, with what was typed kept.
    let bad = boss.get("/t/default/admin/audit?from=28.11.2026&username=joe").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.html.contains("is not a date for “From”") && bad.html.contains("value=\"joe\""),
        "{}",
        bad.html
    );
    for far in ["+10000-01-01", "0999-12-31", "-5000-01-01"] {
        let page = boss.get(&format!("/t/default/admin/audit?from={far}")).await;
        assert_eq!(
            page.status, 400,
            "{far}: years a log cannot hold are refused, not a 500"
        );
    }
    let backwards = boss.get("/t/default/admin/audit?from=2026-11-29&to=2026-11-28").await;
    assert_eq!(backwards.status, 400);
    assert!(backwards.html.contains("“To” is before “From”"));
    assert!(boss.get("/t/default/admin/audit?page=99999999999999999").await.status == 200);

    // Reading is not writing: searching and listing users adds no entry.
    let before = boss.get("/t/default/admin/audit").await;
    for _ in 0..3 {
        assert_eq!(boss.get("/t/default/admin/users?q=jo").await.status, 200);
    }
    let after = boss.get("/t/default/admin/audit").await;
    let total = |p: &Page| {
        p.html
            .split(" entries, newest first")
            .next()
            .and_then(|s| s.rsplit('>').next())
            .map(str::to_owned)
    };
    assert_eq!(total(&before), total(&after), "a search leaves no audit entry");

    // The tenant's time zone, then the viewer's own: times and day filters follow it.
    app.set("default", "main", "time_zone", json!("America/New_York")).await;
    let log = boss.get("/t/default/admin/audit").await;
    assert!(
        log.html.contains("2026-11-28 05:00 EST") && log.html.contains("times in America/New_York"),
        "{}",
        log.html
    );
    let account = boss.get("/t/default/account").await;
    assert!(
        account.html.contains("The organisation's (America/New_York)"),
        "{}",
        account.html
    );
    let wrong_zone = boss
        .submit(
            "/t/default/account",
            "/t/default/account/time-zone",
            &[("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(wrong_zone.status, 422, "{}", wrong_zone.html);
    assert!(
        wrong_zone.html.contains("Mars/Olympus"),
        "the refusal names what was typed"
    );
    let saved = boss
        .submit(
            "/t/default/account",
            "/t/default/account/time-zone",
            &[("time_zone", "Pacific/Kiritimati")],
        )
        .await;
    assert_eq!(saved.location.as_deref(), Some("/t/default/account?done=time-zone"));
    let account = boss.get("/t/default/account").await;
    assert!(
        account.html.contains("<option value=\"Pacific/Kiritimati\" selected"),
        "the choice is shown"
    );
    let log = boss.get("/t/default/admin/audit").await;
    assert!(log.html.contains("2026-11-29 00:00 +14"), "{}", log.html);
    // At UTC+14 every entry falls on the 29th: a day filter is a day of the viewer's.
    let on_28th = boss.get("/t/default/admin/audit?from=2026-11-28&to=2026-11-28").await;
    assert!(
        on_28th.html.contains(">0 entries") || on_28th.html.contains("No entry matches"),
        "{}",
        on_28th.html
    );
    let on_29th = boss
        .get("/t/default/admin/audit?from=2026-11-29&to=2026-11-29&op=user.lock_user")
        .await;
    assert!(on_29th.html.contains(LOCK_ROW), "{}", on_29th.html);
    let cleared = boss
        .submit(
            "/t/default/account",
            "/t/default/account/time-zone",
            &[("time_zone", "")],
        )
        .await;
    assert_eq!(cleared.status, 303);
    let log = boss.get("/t/default/admin/audit").await;
    assert!(
        log.html.contains("times in America/New_York"),
        "back to the organisation's zone"
    );
    assert!(
        log.html.contains("<td data-label=\"What\">Chose a time zone"),
        "the choice is audited in words"
    );
}
both!(the_audit_log_tells_who_did_what_to_whom_in_the_viewers_time);

/// The users list finds people by a part of their username or name (whatever the case), by their whole e-mail
/// address and their approval in words, a page of the chosen size at a time, with when each was created and last
/// logged in; a user's page shows those and edits the names and address; one's own page offers no lock,
/// rejection or deletion.
async fn the_users_list_searches_pages_and_edits_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    user(&app, "joe", |u| {
        u.display_name = Some("Joseph Miller".into());
        u.email = Some("joe@example.com".into());
    })
    .await;
    for i in 0..11 {
        user(&app, &format!("member{i:02}"), |_| {}).await;
    }
    let mut joe = Browser::new(&app);
    assert_eq!(joe.login("joe", "joe's passphrase").await.status, 303);
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;

    let list = boss.get("/t/default/admin/users").await;
    for label in [
        "Username or name contains",
        "E-mail",
        "Approval",
        "Waiting for approval",
        "Show",
        "Created",
        "Last login",
    ] {
        assert!(list.html.contains(label), "{label}: {}", list.html);
    }
    assert!(
        list.html.contains("addresses are stored sealed"),
        "the e-mail field says why it matches exactly"
    );
    // Every page starts with a skip link to its content; the tab of the page is marked current.
    assert!(
        list.html
            .contains("<body><a class=\"skip\" href=\"#content\">Skip to the content</a>")
    );
    assert!(list.html.contains("<main id=\"content\" tabindex=\"-1\""));
    assert!(list.html.contains("aria-current=\"page\">Users</a>"), "{}", list.html);
    assert_eq!(list.html.matches("aria-current").count(), 1, "one tab is current");
    let login = Browser::new(&app).get("/t/default/login").await;
    assert!(
        login.html.contains("Skip to the content"),
        "on pages without a session too"
    );
    for (query, finds, misses) in [
        ("q=OE", ">joe</a>", ">member00</a>"),
        ("q=mill", ">joe</a>", ">member00</a>"),
        ("q=ber0", ">member03</a>", ">joe</a>"),
        ("email=joe%40example.com", ">joe</a>", ">member00</a>"),
        ("email=joe", "No user matches", ">joe</a>"),
        ("q=100%25", "No user matches", ">joe</a>"),
        ("status=before_decision", "No user matches", ">joe</a>"),
    ] {
        let page = boss.get(&format!("/t/default/admin/users?{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        assert!(page.html.contains(finds), "{query} finds {finds}: {}", page.html);
        assert!(!page.html.contains(misses), "{query} misses {misses}");
    }
    let joes = boss.get("/t/default/admin/users?q=joe").await;
    assert!(
        joes.html.contains("<td data-label=\"Last login\">2026-11-28 10:00 UTC"),
        "{}",
        joes.html
    );
    let never = boss.get("/t/default/admin/users?q=member00").await;
    assert!(
        never.html.contains("<td data-label=\"Last login\">Never"),
        "{}",
        never.html
    );

    // Paging with a page size: 14 users (the first start's admin too), 10 a page.
    let first = boss.get("/t/default/admin/users?page_size=10").await;
    assert!(first.html.contains("14 users, page 1 of 2"), "{}", first.html);
    assert!(
        first.html.contains("<option value=\"10\" selected"),
        "the size stays chosen"
    );
    assert!(
        first.html.contains("page_size=10&amp;page=2"),
        "the next page keeps the size: {}",
        first.html
    );
    let second = boss.get("/t/default/admin/users?page_size=10&page=2").await;
    assert_eq!(second.html.matches("<td data-label=\"Username\">").count(), 4);
    let odd = boss.get("/t/default/admin/users?page_size=100000&page=-5").await;
    assert!(
        odd.html.contains("page 1 of 1"),
        "a size the list does not offer is its default"
    );

    // A user's page: dates, and the names and address edited.
    let joe_id = app.find("default", "joe").await.user_id;
    let page = format!("/t/default/admin/users/{joe_id}");
    let detail = boss.get(&page).await;
    for fact in [
        "Created",
        "Last login",
        "2026-11-28 10:00 UTC",
        "Names and e-mail",
        "First name",
        "Save names and e-mail",
        // On a phone a table is a list whose cells keep their column's name.
        "<td data-label=\"Started\">",
        "<td data-label=\"Address\">",
    ] {
        assert!(detail.html.contains(fact), "{fact}: {}", detail.html);
    }
    assert!(detail.html.contains(">Lock</button>") && detail.html.contains(">Delete user</button>"));
    let saved = boss
        .submit(
            &page,
            &format!("{page}/profile"),
            &[
                ("display_name", "Joe M."),
                ("first_name", "Joseph"),
                ("middle_name", ""),
                ("last_name", "Miller"),
                ("email", "joseph@example.com"),
            ],
        )
        .await;
    assert_eq!(saved.location, Some(format!("{page}?done=profile")));
    let joe_now = app.find("default", "joe").await;
    assert_eq!(
        (
            joe_now.display_name.as_deref(),
            joe_now.first_name.as_deref(),
            joe_now.middle_name.as_deref()
        ),
        (Some("Joe M."), Some("Joseph"), None)
    );
    assert_eq!(
        joe_now.email.map(|e| app.services.sso.open_email(&e)),
        Some("joseph@example.com".to_owned())
    );
    let bad = boss
        .submit(
            &page,
            &format!("{page}/profile"),
            &[("display_name", "Joe"), ("email", "not an address")],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.html);
    assert_eq!(
        app.find("default", "joe").await.display_name.as_deref(),
        Some("Joe M."),
        "nothing half-written"
    );

    // One's own page offers nothing the domain refuses there.
    let boss_id = app.find("default", "boss").await.user_id;
    let own = boss.get(&format!("/t/default/admin/users/{boss_id}")).await;
    assert!(own.html.contains("This is your own account"), "{}", own.html);
    for refused in [">Lock</button>", ">Reject</button>", ">Delete user</button>"] {
        assert!(
            !own.html.contains(refused),
            "{refused} is not offered on one's own account"
        );
    }
}
both!(the_users_list_searches_pages_and_edits_names);

/// The settings page is a form a person can read: each key by its name in words with what it does, its unit,
/// its default and whether the tenant overrides it, with the control its type calls for; a section saves together,
/// a refused value is shown back in its field with what would be valid, and "Reset to default" removes an override.
/// An app name that breaks the rules says which characters are allowed.
async fn settings_are_a_form_in_words(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    user(&app, "boss", |u| u.is_super_user = true).await;
    let mut boss = Browser::new(&app);
    boss.login("boss", "boss's passphrase").await;
    let page = boss.get(SETTINGS).await;
    for words in [
        "<h2 id=\"settings-session\">Sessions</h2>",
        ">Sessions last</label>",
        "Minutes a session lasts from login or its last renewal.",
        "<span class=\"unit\">minutes</span>",
        "The default (60 minutes).",
        "role=\"switch\"",
        ">Sign-ups need approval</label>",
        "<textarea id=\"s-password-reject_list\"",
        "<select id=\"s-password_reset-user_search_by\"",
        "<option value=\"Europe/Berlin\"",
        "Save Sessions",
    ] {
        assert!(page.html.contains(words), "{words}");
    }

    // A section: a number, a switch turned off (a checkbox left out), a list one per line, a choice.
    let saved = boss
        .submit(
            SETTINGS,
            SETTINGS,
            &[
                ("section", "signup"),
                ("shown", "signup.is_approval_needed"),
                ("signup.notify_approvers", "boss\nann"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/t/default/admin/settings?done=settings-saved#settings-signup")
    );
    let p = policy(&app).await;
    assert!(!p.signup.is_approval_needed, "a switch left off is off");
    assert_eq!(p.signup.notify_approvers.0, vec!["boss".to_owned(), "ann".to_owned()]);
    boss.submit(
        SETTINGS,
        SETTINGS,
        &[
            ("section", "password_reset"),
            ("password_reset.user_search_by", "email"),
        ],
    )
    .await;
    assert_eq!(
        policy(&app).await.password_reset.user_search_by,
        gatehouse::config::policy::UserSearchBy::Email
    );
    let page = boss.get(SETTINGS).await;
    assert!(
        page.html.contains("Set for this tenant; the default is On."),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("aria-label=\"Reset Sign-ups need approval to the default\"")
    );

    // Out of range: shown back in its field, marked, with what would be valid; nothing is saved.
    let refused = boss
        .submit(
            SETTINGS,
            SETTINGS,
            &[
                ("section", "session"),
                ("session.expiry", "0"),
                ("session.max_per_user", "3"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("Nothing was saved: see “Sessions last” below."));
    assert!(
        refused.html.contains("It must be 1 to 525600 minutes, not 0."),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("id=\"s-session-expiry\" name=\"session.expiry\" type=\"number\" min=\"0\" step=\"1\" inputmode=\"numeric\" value=\"0\""), "the typed value is kept: {}", refused.html);
    assert!(
        refused
            .html
            .contains("aria-describedby=\"s-session-expiry-error s-session-expiry-about\" aria-invalid=\"true\"")
    );
    assert_eq!(policy(&app).await.session.max_per_user, 0, "all or nothing");
    let not_a_number = boss
        .submit(SETTINGS, SETTINGS, &[("section", "session"), ("session.expiry", "-5")])
        .await;
    assert_eq!(not_a_number.status, 400);
    assert!(not_a_number.html.contains("“-5” is not a number"));

    // A refusal in one section shows no other section's switches as off.
    assert!(
        refused.html.contains("id=\"s-apps-inform_if_app_invalid\" name=\"apps.inform_if_app_invalid\" type=\"checkbox\" role=\"switch\" value=\"true\" checked"),
        "another section keeps its values: {}",
        refused.html
    );
    // A list item cannot close its textarea; a section name cannot reach the Location header.
    app.set(
        "default",
        "password",
        "reject_list",
        json!(["</textarea><b>bold</b>", "a&amp;b"]),
    )
    .await;
    let page = boss.get(SETTINGS).await;
    assert!(!page.html.contains("</textarea><b>bold"), "{}", page.html);
    assert!(
        page.html
            .contains("&lt;/textarea&gt;&lt;b&gt;bold&lt;/b&gt;\na&amp;amp;b")
    );
    let odd = boss
        .submit(
            SETTINGS,
            SETTINGS,
            &[("section", "session\r\nSet-Cookie: x=1"), ("session.max_per_user", "0")],
        )
        .await;
    assert_eq!(
        odd.location.as_deref(),
        Some("/t/default/admin/settings?done=settings-saved")
    );
    // Resetting a key at its default changes and audits nothing.
    let before = settings_updates(&app).await;
    let noop = boss
        .submit(
            SETTINGS,
            SETTINGS,
            &[("section", "totp"), ("reset", "totp.valid_window")],
        )
        .await;
    assert_eq!(noop.status, 303);
    assert_eq!(
        settings_updates(&app).await,
        before,
        "nothing to reset, nothing audited"
    );

    // Reset to default.
    let reset = boss
        .submit(
            SETTINGS,
            SETTINGS,
            &[("section", "signup"), ("reset", "signup.is_approval_needed")],
        )
        .await;
    assert_eq!(reset.status, 303);
    assert!(policy(&app).await.signup.is_approval_needed, "back to the default");
    assert!(
        !boss
            .get(SETTINGS)
            .await
            .html
            .contains("aria-label=\"Reset Sign-ups need approval to the default\"")
    );

    // Apps: a name that breaks the rules says which characters are allowed.
    let bad_app = boss
        .submit(SETTINGS, &format!("{SETTINGS}/apps"), &[("name", "my app!")])
        .await;
    assert_eq!(bad_app.status, 400);
    assert!(
        bad_app
            .html
            .contains("“my app!” cannot be an app's name: 1 to 64 letters"),
        "{}",
        bad_app.html
    );
    let good_app = boss
        .submit(SETTINGS, &format!("{SETTINGS}/apps"), &[("name", "Billing-2")])
        .await;
    assert_eq!(
        good_app.location.as_deref(),
        Some("/t/default/admin/settings?done=app-added#apps")
    );
}
both!(settings_are_a_form_in_words);

/// The default tenant's policy in force.
async fn policy(app: &TestApp) -> std::sync::Arc<gatehouse::config::TenantPolicy> {
    let ctx = app.services.ctx("default").await;
    app.services.sso.policy(&ctx.tenant).await.unwrap()
}

/// How many settings changes the default tenant's audit log holds.
async fn settings_updates(app: &TestApp) -> i64 {
    let ctx = app.services.ctx("default").await;
    let sso = &app.services.sso;
    let filter = gatehouse::domain::AuditFilter {
        op: Some("settings.update".into()),
        ..Default::default()
    };
    sso.audit_entries(&sso.cli_admin(ctx.tenant.clone()), filter, None, None)
        .await
        .unwrap()
        .total
}

/// A browser logged in to `system` as the operator `op`.
async fn operator_browser(app: &TestApp) -> Browser<'_> {
    let sso = &app.services.sso;
    let system = sso.resolve_tenant("system").await.unwrap();
    let new = NewUser {
        username: "op".into(),
        password: Some(Password::new("op's passphrase")),
        auto_approve: true,
        is_super_user: true,
        ..Default::default()
    };
    sso.create_user(&sso.cli_admin(system), new).await.unwrap();
    let mut op = Browser::new(app);
    op.submit(
        "/t/system/login",
        "/t/system/login",
        &[("username", "op"), ("password", "op's passphrase")],
    )
    .await;
    op
}
