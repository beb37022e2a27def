//! The pages of signing in and getting an account: login and its steps, sign-up, confirmation, password reset.

use crate::{Chrome, Flash, Invalid, csrf_field, document, flash_view};
use gatehouse_shared::LoginStep;
use leptos::prelude::*;

#[derive(Debug, Clone)]
pub struct LoginView {
    /// The step the page asks for: `None` for the first, the username and password.
    pub step: Option<LoginStep>,
    pub username: String,
    pub flash: Option<Flash>,
    /// The field the error is about.
    pub invalid: Invalid,
    /// The password policy, in sentences, for the new-password step.
    pub policy: Vec<String>,
    /// Where to go after signing in (a page of this tenant).
    pub next: Option<String>,
    /// The application the login is for, when an application sent the person here (OpenID Connect).
    pub for_app: Option<String>,
    /// Offer a passkey: on the first page, a login without a username; on the code page, instead of a code.
    pub passkey: bool,
}

/// The form a passkey login or step submits, hidden until the passkey script shows it (`data-passkey`):
/// the script fetches the options from `{base}/login/passkey/options` and puts the answer in `credential`.
/// `second`: the second step of a login (the options are for the user whose password was given).
fn passkey_login_form(base: &str, csrf: &str, next: &str, label: &'static str, second: bool) -> impl IntoView + use<> {
    let options = if second {
        format!("{base}/login/passkey/options?step=second")
    } else {
        format!("{base}/login/passkey/options")
    };
    let action = format!("{base}/login/passkey");
    let next = next.to_owned();
    view! {
        <form class="passkey" method="post" action=action data-passkey="get" data-options=options hidden>
            {csrf_field(csrf)}
            <input type="hidden" name="next" value=next/>
            <input type="hidden" name="credential" value=""/>
            <button type="submit" class="secondary">{label}</button>
        </form>
    }
}

pub fn login_page(chrome: &Chrome, v: LoginView) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let next = v.next.clone().unwrap_or_default();
    // Starting again keeps the way back (to an application that sent the person here, say).
    let again = match &v.next {
        Some(n) if !n.is_empty() => format!(
            "{base}/login?next={}",
            form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ),
        _ => format!("{base}/login"),
    };
    let passkey_first = v
        .passkey
        .then(|| passkey_login_form(&base, &csrf, &next, "Log in with a passkey", false));
    let passkey_second = v
        .passkey
        .then(|| passkey_login_form(&base, &csrf, &next, "Use a passkey", true));
    let passkey_only = passkey_login_form(&base, &csrf, &next, "Use a passkey", true);
    let (title, form) = match v.step {
        None => {
            let username = v.username.clone();
            (
                "Log in",
                view! {
                    <form method="post" action=format!("{base}/login")>
                        {csrf_field(&csrf)}
                        <input type="hidden" name="next" value=next/>
                        <label for="username">"Username"
                            <input id="username" name="username" type="text" autocomplete="username" required value=username
                                autofocus=v.invalid.focus("username", true) aria-invalid=v.invalid.invalid("username") aria-describedby=v.invalid.described("username")/>
                        </label>
                        <label for="password">"Password"
                            <input id="password" name="password" type="password" autocomplete="current-password" required
                                autofocus=v.invalid.focus("password", false) aria-invalid=v.invalid.invalid("password") aria-describedby=v.invalid.described("password")/>
                        </label>
                        <button type="submit">"Log in"</button>
                    </form>
                    {passkey_first}
                    <p class="links">
                        <a href=format!("{base}/password-reset")>"Forgot your password?"</a>
                        {(!chrome.tenant_slug.is_system()).then(|| view! { <a href=format!("{base}/signup")>"Create an account"</a> })}
                    </p>
                }
                .into_any(),
            )
        }
        Some(LoginStep::Totp) => (
            "Enter your code",
            view! {
                <p class="muted">"Open your authenticator app and enter the six-digit code for this account, or one of your recovery codes."</p>
                <form method="post" action=format!("{base}/login/code")>
                    {csrf_field(&csrf)}
                    <input type="hidden" name="next" value=next/>
                    <label for="code">"Code"
                        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus
                            aria-invalid=v.invalid.invalid("code") aria-describedby=v.invalid.described("code")/>
                    </label>
                    <button type="submit">"Continue"</button>
                </form>
                {passkey_second}
                <p><a href=again.clone()>"Start again"</a></p>
            }
            .into_any(),
        ),
        Some(LoginStep::Passkey) => (
            "Use your passkey",
            view! {
                <p class="muted">"Your account is protected by a passkey. Use it to finish logging in."</p>
                <noscript><p class="error" role="alert">"Passkeys need JavaScript, which is off in this browser. Turn it on and reload this page."</p></noscript>
                {passkey_only}
                <p><a href=again.clone()>"Start again"</a></p>
            }
            .into_any(),
        ),
        Some(LoginStep::NewPassword) => {
            let rules = v.policy.clone().into_iter().map(|r| view! { <li>{r}</li> }).collect_view();
            (
                "Choose a new password",
                view! {
                    <p>"Your password needs to be changed before you continue."</p>
                    <ul class="muted">{rules}</ul>
                    <form method="post" action=format!("{base}/login/new-password")>
                        {csrf_field(&csrf)}
                        <input type="hidden" name="next" value=next/>
                        <label for="new_password">"New password"
                            <input id="new_password" name="new_password" type="password" autocomplete="new-password" required
                                autofocus=v.invalid.focus("new_password", true) aria-invalid=v.invalid.invalid("new_password") aria-describedby=v.invalid.described("new_password")/>
                        </label>
                        <label for="new_password_again">"New password, again"
                            <input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" required
                                autofocus=v.invalid.focus("new_password_again", false) aria-invalid=v.invalid.invalid("new_password_again") aria-describedby=v.invalid.described("new_password_again")/>
                        </label>
                        <button type="submit">"Change password and log in"</button>
                    </form>
                }
                .into_any(),
            )
        }
    };
    let for_app = v
        .for_app
        .map(|app| view! { <p class="muted">"to continue to " <strong>{app}</strong></p> });
    document(
        title,
        chrome,
        true,
        view! {
            <h1>{title}</h1>
            {for_app}
            {flash_view(v.flash)}
            {form}
        },
    )
}

/// What the consent page shows: the application, what it asks for, and the sealed request to answer.
#[derive(Debug, Clone, Default)]
pub struct ConsentView {
    pub client_name: String,
    /// What each requested scope gives, in words.
    pub scopes: Vec<String>,
    pub request: String,
    pub user: String,
}

/// What the logout question shows and carries.
pub struct LogoutView {
    /// The application that sent the person here, if it said.
    pub client_name: Option<String>,
    pub user: String,
    /// The request's parameters, sent again with the answer.
    pub hidden: Vec<(String, String)>,
}

/// "Log out?" asked of a signed-in person whom an application sent to log out.
pub fn logout_confirm_page(chrome: &Chrome, v: LogoutView) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let from = v
        .client_name
        .map(|name| view! { <p><strong>{name}</strong> " asks to end your session."</p> });
    let hidden = v
        .hidden
        .into_iter()
        .map(|(name, value)| view! { <input type="hidden" name=name value=value/> })
        .collect_view();
    document(
        "Log out?",
        chrome,
        true,
        view! {
            <h1>"Log out?"</h1>
            {from}
            <p>"You are logged in as " <strong>{v.user}</strong> ". Logging out ends your session here and in the applications you signed in to with it."</p>
            <form method="post" action=format!("{base}/oidc/logout")>
                {csrf_field(&csrf)}
                {hidden}
                <div class="actions">
                    <button type="submit" name="decision" value="logout">"Log out"</button>
                    <button type="submit" name="decision" value="stay" class="secondary">"Stay logged in"</button>
                </div>
            </form>
        },
    )
}

/// An application asks for access to the account: allow or deny.
pub fn consent_page(chrome: &Chrome, v: ConsentView) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let title = format!("Allow {} to use your account?", v.client_name);
    let heading = title.clone();
    let items = v.scopes.into_iter().map(|s| view! { <li>{s}</li> }).collect_view();
    document(
        &title,
        chrome,
        true,
        view! {
            <h1>{heading}</h1>
            <p>"You are logged in as " <strong>{v.user}</strong> ". " <strong>{v.client_name}</strong> " would like to:"</p>
            <ul>{items}</ul>
            <form method="post" action=format!("{base}/oidc/consent")>
                {csrf_field(&csrf)}
                <input type="hidden" name="request" value=v.request/>
                <div class="actions">
                    <button type="submit" name="decision" value="allow">"Allow"</button>
                    <button type="submit" name="decision" value="deny" class="secondary">"Deny"</button>
                </div>
            </form>
        },
    )
}

#[derive(Debug, Clone, Default)]
pub struct SignupView {
    pub username: String,
    pub email: String,
    pub flash: Option<Flash>,
    /// The field the error is about.
    pub invalid: Invalid,
    pub policy: Vec<String>,
}

pub fn signup_page(chrome: &Chrome, v: SignupView) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let rules = v.policy.into_iter().map(|r| view! { <li>{r}</li> }).collect_view();
    let csrf = chrome.csrf.clone();
    let i = v.invalid;
    document(
        "Create an account",
        chrome,
        true,
        view! {
            <h1>"Create an account"</h1>
            {flash_view(v.flash)}
            <form method="post" action=format!("{base}/signup")>
                {csrf_field(&csrf)}
                <label for="username">"Username"
                    <input id="username" name="username" type="text" autocomplete="username" required value=v.username
                        autofocus=i.focus("username", true) aria-invalid=i.invalid("username") aria-describedby=i.described("username")/>
                </label>
                <label for="email">"E-mail address"
                    <span class="hint" id="email-hint">"We send a link to confirm it."</span>
                    <input id="email" name="email" type="email" autocomplete="email" required value=v.email
                        autofocus=i.focus("email", false) aria-invalid=i.invalid("email") aria-describedby=i.described("email").unwrap_or("email-hint")/>
                </label>
                <label for="password">"Password"
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        autofocus=i.focus("password", false) aria-invalid=i.invalid("password") aria-describedby=i.described("password")/>
                </label>
                <label for="password_again">"Password, again"
                    <input id="password_again" name="password_again" type="password" autocomplete="new-password" required
                        autofocus=i.focus("password_again", false) aria-invalid=i.invalid("password_again") aria-describedby=i.described("password_again")/>
                </label>
                <ul class="muted">{rules}</ul>
                <button type="submit">"Create account"</button>
            </form>
            <p><a href=format!("{base}/login")>"Already have an account? Log in"</a></p>
        },
    )
}

/// A page with one button that posts a token from a link (so a link prefetcher cannot use it up).
pub fn token_confirm_page(
    chrome: &Chrome,
    title: &str,
    text: &str,
    action: String,
    token: String,
    button: &str,
) -> String {
    let (heading, text, button) = (title.to_owned(), text.to_owned(), button.to_owned());
    let csrf = chrome.csrf.clone();
    document(
        title,
        chrome,
        true,
        view! {
            <h1>{heading}</h1>
            <p>{text}</p>
            <form method="post" action=action>
                {csrf_field(&csrf)}
                <input type="hidden" name="token" value=token/>
                <button type="submit">{button}</button>
            </form>
        },
    )
}

#[derive(Debug, Clone, Default)]
pub struct ResetView {
    pub flash: Option<Flash>,
    /// The field the error is about.
    pub invalid: Invalid,
    pub policy: Vec<String>,
}

pub fn reset_request_page(chrome: &Chrome, flash: Option<Flash>, credential: String) -> String {
    let invalid = matches!(flash, Some(Flash::Error(_))).then_some("true");
    let described = invalid.map(|_| crate::ERROR_ID);
    let base = format!("/t/{}", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    document(
        "Reset your password",
        chrome,
        true,
        view! {
            <h1>"Reset your password"</h1>
            {flash_view(flash)}
            <p class="muted">"Enter your username. If we know it, we send a link to the e-mail address of the account."</p>
            <form method="post" action=format!("{base}/password-reset")>
                {csrf_field(&csrf)}
                <label for="credential">"Username"
                    <input id="credential" name="credential" type="text" autocomplete="username" required autofocus value=credential
                        aria-invalid=invalid aria-describedby=described/>
                </label>
                <button type="submit">"Send the link"</button>
            </form>
            <p><a href=format!("{base}/login")>"Back to log in"</a></p>
        },
    )
}

pub fn reset_complete_page(chrome: &Chrome, token: String, v: ResetView) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let rules = v.policy.into_iter().map(|r| view! { <li>{r}</li> }).collect_view();
    let csrf = chrome.csrf.clone();
    let i = v.invalid;
    document(
        "Choose a new password",
        chrome,
        true,
        view! {
            <h1>"Choose a new password"</h1>
            {flash_view(v.flash)}
            <form method="post" action=format!("{base}/password-reset/complete")>
                {csrf_field(&csrf)}
                <input type="hidden" name="token" value=token/>
                <label for="password">"New password"
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        autofocus=i.focus("password", true) aria-invalid=i.invalid("password") aria-describedby=i.described("password")/>
                </label>
                <label for="password_again">"New password, again"
                    <input id="password_again" name="password_again" type="password" autocomplete="new-password" required
                        autofocus=i.focus("password_again", false) aria-invalid=i.invalid("password_again") aria-describedby=i.described("password_again")/>
                </label>
                <ul class="muted">{rules}</ul>
                <button type="submit">"Set the new password"</button>
            </form>
        },
    )
}
