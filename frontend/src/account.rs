//! The account page: profile, password, two-factor authentication and sessions.

use crate::{Chrome, Flash, Invalid, csrf_field, document, flash_view};
use leptos::prelude::*;

/// A session as the account page and an administrator's user page list it.
#[derive(Debug, Clone)]
pub struct SessionLine {
    pub session_id: String,
    pub created: String,
    pub expires: String,
    pub remote_addr: String,
    /// The browser and system, in words.
    pub user_agent: String,
    /// The session of the page's own browser.
    pub current: bool,
}

/// An application the person signed in to through Gatehouse (its grants, together).
#[derive(Debug, Clone)]
pub struct AppAccessLine {
    /// The client id, which the "End access" form names.
    pub app: String,
    pub name: String,
    pub since: String,
    pub last_used: String,
    /// What it may see, in words.
    pub access: String,
    /// It stays signed in when the person is away (`offline_access`).
    pub offline: bool,
}

/// One of the person's passkeys.
#[derive(Debug, Clone)]
pub struct PasskeyLine {
    pub passkey_id: String,
    pub name: String,
    pub added: String,
    pub last_used: String,
    /// Synchronised between devices (a password manager's), rather than bound to one.
    pub synced: bool,
}

/// A 2FA enrolment in progress: the secret, and its QR code as SVG made by the server.
#[derive(Clone)]
pub struct EnrolmentView {
    pub secret: String,
    pub qr_svg: String,
}

impl std::fmt::Debug for EnrolmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrolmentView([redacted])")
    }
}

#[derive(Debug, Clone, Default)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_totp_enabled: bool,
    /// Passkeys can be used on this server (its address is a domain).
    pub passkeys_on: bool,
    pub passkeys: Vec<PasskeyLine>,
    pub sessions: Vec<SessionLine>,
    pub apps: Vec<AppAccessLine>,
    pub flash: Option<Flash>,
    /// The field the error is about, by its id.
    pub invalid: Invalid,
    pub enrolment: Option<EnrolmentView>,
    /// Shown once, right after enrolment.
    pub recovery_codes: Option<Vec<String>>,
    pub policy: Vec<String>,
    /// The zone the user chose ("" for the organisation's), the organisation's, and every zone to choose from.
    pub time_zone: String,
    pub tenant_time_zone: String,
    pub time_zones: Vec<&'static str>,
    /// With 2FA on: how many recovery codes are left unused.
    pub recovery_codes_left: Option<i64>,
}

/// The time zone the pages show times in: the organisation's, or one the user picks.
fn time_zone_section(
    action: &str,
    csrf: &str,
    chosen: &str,
    tenant: &str,
    zones: &[&'static str],
) -> impl IntoView + use<> {
    let organisation = format!("The organisation's ({tenant})");
    let options = zones
        .iter()
        .map(|z| {
            let selected = *z == chosen;
            view! { <option value=*z selected=selected>{*z}</option> }
        })
        .collect_view();
    let (action, csrf, none_selected) = (action.to_owned(), csrf.to_owned(), chosen.is_empty());
    view! {
        <section class="card" aria-labelledby="time-zone-h">
            <h2 id="time-zone-h">"Time zone"</h2>
            <form method="post" action=action>
                {csrf_field(&csrf)}
                <label for="time_zone">"Show times in"
                    <select id="time_zone" name="time_zone">
                        <option value="" selected=none_selected>{organisation}</option>
                        {options}
                    </select>
                </label>
                <button type="submit">"Save time zone"</button>
            </form>
        </section>
    }
}

/// How many recovery codes are left, and what to do when few are.
fn recovery_left(left: Option<i64>) -> Option<impl IntoView + use<>> {
    let left = left?;
    let (text, class) = match left {
        0 => (
            "No recovery codes are left. Move to a new authenticator below to get new ones.".to_owned(),
            "field-error",
        ),
        1 => (
            "1 recovery code is left. Move to a new authenticator below to get new ones before it runs out.".to_owned(),
            "muted",
        ),
        n if n <= 3 => (
            format!(
                "{n} recovery codes are left. Move to a new authenticator below to get new ones before they run out."
            ),
            "muted",
        ),
        n => (format!("{n} recovery codes are left."), "muted"),
    };
    Some(view! { <p class=class id="recovery-left">{text}</p> })
}

pub fn account_page(chrome: &Chrome, v: AccountView) -> String {
    let base = format!("/t/{}/account", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let f = |p: &str| format!("{base}/{p}");
    let i = v.invalid.clone();
    let rules = v
        .policy
        .clone()
        .into_iter()
        .map(|r| view! { <li>{r}</li> })
        .collect_view();
    let has_passkeys = v.passkeys_on && !v.passkeys.is_empty();
    let two_factor = match (&v.recovery_codes, &v.enrolment, v.is_totp_enabled) {
        (Some(codes), _, _) => {
            let items = codes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view();
            let download = format!("data:text/plain;charset=utf-8,{}", codes.join("%0A"));
            view! {
                <div class="success" role="status">"Two-factor authentication is on."</div>
                <p>"Keep these recovery codes somewhere safe. Each works once if you lose your device. They are shown only now."</p>
                <ul class="codes" id="recovery-codes">{items}</ul>
                <p><a class="button secondary" href=download download="gatehouse-recovery-codes.txt">"Download as text"</a></p>
            }
            .into_any()
        }
        (None, Some(e), active) => {
            let secret = e.secret.clone();
            let svg = e.qr_svg.clone();
            // Replacing an active factor proves it: the password and a code from the current authenticator.
            let proof = active.then(|| {
                view! {
                    <label for="confirm-password">"Password"
                        <input id="confirm-password" name="password" type="password" autocomplete="current-password" required autofocus=i.focus("confirm-password", false) aria-invalid=i.invalid("confirm-password") aria-describedby=i.described("confirm-password")/>
                    </label>
                    <label for="current-code">"Code from your current authenticator, or a recovery code"
                        <input id="current-code" name="current_code" type="text" autocomplete="one-time-code" required autofocus=i.focus("current-code", false) aria-invalid=i.invalid("current-code") aria-describedby=i.described("current-code")/>
                    </label>
                }
            });
            view! {
                <p>"Scan this code with your authenticator app, or type the key, then enter the six-digit code it shows."</p>
                <div class="qr" inner_html=svg></div>
                <p>"Key: "<code class="secret" id="totp-secret">{secret}</code></p>
                <form method="post" action=f("totp/confirm")>
                    {csrf_field(&csrf)}
                    {proof}
                    <label for="code">"Code"
                        <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus=i.focus("code", false) aria-invalid=i.invalid("code") aria-describedby=i.described("code")/>
                    </label>
                    <button type="submit">"Turn on two-factor authentication"</button>
                </form>
            }
            .into_any()
        }
        (None, None, true) => view! {
            <p>"Two-factor authentication is on."</p>
            {recovery_left(v.recovery_codes_left)}
            <form method="post" action=f("totp/disable") data-passkey=has_passkeys.then_some("proof") data-options=has_passkeys.then(|| f("passkeys/proof-options"))>
                {csrf_field(&csrf)}
                <input type="hidden" name="credential" value=""/>
                <label for="disable-password">"Password"
                    <input id="disable-password" name="password" type="password" autocomplete="current-password" required autofocus=i.focus("disable-password", false) aria-invalid=i.invalid("disable-password") aria-describedby=i.described("disable-password")/>
                </label>
                <label for="disable-code">{if has_passkeys { "Code or recovery code (leave empty to use a passkey instead)" } else { "Code or recovery code" }}
                    <input id="disable-code" name="code" type="text" autocomplete="one-time-code" required=!has_passkeys autofocus=i.focus("disable-code", false) aria-invalid=i.invalid("disable-code") aria-describedby=i.described("disable-code")/>
                </label>
                <button type="submit" class="danger">"Turn off two-factor authentication"</button>
            </form>
            <form method="post" action=f("totp")>
                {csrf_field(&csrf)}
                <button type="submit" class="secondary">"Move to a new authenticator"</button>
            </form>
        }
        .into_any(),
        (None, None, false) => view! {
            <p>"Protect your account with a code from an authenticator app."</p>
            <form method="post" action=f("totp")>
                {csrf_field(&csrf)}
                <button type="submit">"Set up two-factor authentication"</button>
            </form>
        }
        .into_any(),
    };
    let sessions = v
        .sessions
        .iter()
        .map(|s| {
            let end = (!s.current).then(|| {
                let csrf = csrf.clone();
                let id = s.session_id.clone();
                view! {
                    <form class="inline" method="post" action=f("sessions/end")>
                        {csrf_field(&csrf)}
                        <input type="hidden" name="session_id" value=id/>
                        <button type="submit" class="secondary">"End this session"</button>
                    </form>
                }
            });
            let here = s.current.then(|| view! { <span class="badge">"This session"</span> });
            view! {
                <tr>
                    <td data-label="Started">{s.created.clone()}</td>
                    <td data-label="Expires">{s.expires.clone()}</td>
                    <td data-label="Address">{s.remote_addr.clone()}</td>
                    <td data-label="Browser">{s.user_agent.clone()}</td>
                    <td>{here}{end}</td>
                </tr>
            }
        })
        .collect_view();
    let apps = if v.apps.is_empty() {
        view! { <p class="muted">"You have not signed in to any application with this account."</p> }.into_any()
    } else {
        let rows = v
            .apps
            .iter()
            .map(|a| {
                let csrf = csrf.clone();
                let offline = a
                    .offline
                    .then(|| view! { <span class="badge">"Stays signed in"</span> });
                let label = format!("End access of {}", a.name);
                view! {
                    <tr>
                        <td data-label="Application"><strong>{a.name.clone()}</strong>{offline}</td>
                        <td data-label="Can see">{a.access.clone()}</td>
                        <td data-label="Since">{a.since.clone()}</td>
                        <td data-label="Last used">{a.last_used.clone()}</td>
                        <td>
                            <form class="inline" method="post" action=f("apps/end")>
                                {csrf_field(&csrf)}
                                <input type="hidden" name="app" value=a.app.clone()/>
                                <button type="submit" class="secondary" aria-label=label>"End access"</button>
                            </form>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table>
                <thead><tr><th>"Application"</th><th>"Can see"</th><th>"Since"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <p class="muted">"Ending an application's access signs you out of it and withdraws what you allowed it to see."</p>
        }
        .into_any()
    };
    let passkeys = passkeys_section(&base, &csrf, &v);
    let title = "Your account";
    document(
        title,
        chrome,
        false,
        view! {
            <h1>{title}</h1>
            {flash_view(v.flash)}
            <section class="card" aria-labelledby="profile-h">
                <h2 id="profile-h">"Profile"</h2>
                <p>"Username: "<strong id="username">{v.username}</strong></p>
                <form method="post" action=f("profile")>
                    {csrf_field(&csrf)}
                    <label for="display_name">"Display name"
                        <input id="display_name" name="display_name" type="text" value=v.display_name autofocus=i.focus("display_name", false) aria-invalid=i.invalid("display_name") aria-describedby=i.described("display_name")/>
                    </label>
                    <label for="email">"E-mail address"
                        <span class="hint" id="email-hint">"A new address is used once you confirm it from the message we send there."</span>
                        <input id="email" name="email" type="email" value=v.email
                            autofocus=i.focus("email", false) aria-invalid=i.invalid("email") aria-describedby=i.described("email").unwrap_or("email-hint")/>
                    </label>
                    <button type="submit">"Save"</button>
                </form>
            </section>
            {time_zone_section(&f("time-zone"), &csrf, &v.time_zone, &v.tenant_time_zone, &v.time_zones)}
            <section class="card" aria-labelledby="password-h">
                <h2 id="password-h">"Password"</h2>
                <form method="post" action=f("password")>
                    {csrf_field(&csrf)}
                    <label for="old_password">"Current password"
                        <input id="old_password" name="old_password" type="password" autocomplete="current-password" required autofocus=i.focus("old_password", false) aria-invalid=i.invalid("old_password") aria-describedby=i.described("old_password")/>
                    </label>
                    <label for="new_password">"New password"
                        <input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus=i.focus("new_password", false) aria-invalid=i.invalid("new_password") aria-describedby=i.described("new_password")/>
                    </label>
                    <label for="new_password_again">"New password, again"
                        <input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" required autofocus=i.focus("new_password_again", false) aria-invalid=i.invalid("new_password_again") aria-describedby=i.described("new_password_again")/>
                    </label>
                    <ul class="muted">{rules}</ul>
                    <button type="submit">"Change password"</button>
                </form>
            </section>
            <section class="card" aria-labelledby="totp-h">
                <h2 id="totp-h">"Two-factor authentication"</h2>
                {two_factor}
            </section>
            {passkeys}
            <section class="card" aria-labelledby="sessions-h">
                <h2 id="sessions-h">"Your sessions"</h2>
                <table>
                    <thead><tr><th>"Started"</th><th>"Expires"</th><th>"Address"</th><th>"Browser"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{sessions}</tbody>
                </table>
                <form method="post" action=f("sessions/end-others")>
                    {csrf_field(&csrf)}
                    <button type="submit" class="secondary">"End all other sessions"</button>
                </form>
            </section>
            <section class="card" aria-labelledby="apps-h">
                <h2 id="apps-h">"Applications you signed in to"</h2>
                {apps}
            </section>
        },
    )
}

/// The passkeys: the list with a removal form each (the password and a code, or a passkey: the passkey script
/// asks for one when the code is left empty), and the form that adds one (shown by the script alone).
fn passkeys_section(base: &str, csrf: &str, v: &AccountView) -> impl IntoView + use<> {
    let i = &v.invalid;
    if !v.passkeys_on {
        return None;
    }
    let f = |p: &str| format!("{base}/{p}");
    let totp = v.is_totp_enabled;
    let list = if v.passkeys.is_empty() {
        view! { <p class="muted" id="no-passkeys">"You have no passkeys."</p> }.into_any()
    } else {
        let rows = v
            .passkeys
            .iter()
            .map(|p| {
                let csrf = csrf.to_owned();
                let id = p.passkey_id.clone();
                let password_id = format!("remove-password-{id}");
                let password_for = password_id.clone();
                let code_id = format!("remove-code-{id}");
                let code = totp.then(|| {
                    let (code_id, code_for) = (code_id.clone(), code_id.clone());
                    view! {
                        <label for=code_for>"Code or recovery code (leave empty to use a passkey instead)"
                            <input id=code_id name="code" type="text" autocomplete="one-time-code"/>
                        </label>
                    }
                });
                let synced = p.synced.then(|| view! { <span class="badge">"Synced"</span> });
                let label = format!("Remove {}", p.name);
                view! {
                    <tr>
                        <td data-label="Name"><strong>{p.name.clone()}</strong>{synced}</td>
                        <td data-label="Added">{p.added.clone()}</td>
                        <td data-label="Last used">{p.last_used.clone()}</td>
                        <td>
                            <details>
                                <summary aria-label=label>"Remove"</summary>
                                <form method="post" action=f("passkeys/remove") data-passkey="proof" data-options=f("passkeys/proof-options")>
                                    {csrf_field(&csrf)}
                                    <input type="hidden" name="passkey_id" value=id/>
                                    <input type="hidden" name="credential" value=""/>
                                    <label for=password_for>"Password"
                                        <input id=password_id name="password" type="password" autocomplete="current-password" required/>
                                    </label>
                                    {code}
                                    <button type="submit" class="danger">"Remove passkey"</button>
                                </form>
                            </details>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table>
                <thead><tr><th>"Name"</th><th>"Added"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let csrf = csrf.to_owned();
    let has_passkeys = !v.passkeys.is_empty();
    // With passkeys, one of them can prove the account instead of a code (the script asks for it first).
    let proof_options = has_passkeys.then(|| f("passkeys/proof-options"));
    let add_code = totp.then(|| {
        let label = if has_passkeys {
            "Code or recovery code (leave empty to confirm with a passkey you have)"
        } else {
            "Code or recovery code"
        };
        view! {
            <label for="passkey-code">{label}
                <input id="passkey-code" name="code" type="text" autocomplete="one-time-code" required=!has_passkeys/>
            </label>
        }
    });
    Some(view! {
        <section class="card" aria-labelledby="passkeys-h">
            <h2 id="passkeys-h">"Passkeys"</h2>
            <p class="muted">"A passkey signs you in with your device's screen lock or a security key, without typing your username or password. Once you have one, a login with your password also asks for it (or for your code)."</p>
            {list}
            <form method="post" action=f("passkeys") data-passkey="create" data-options=f("passkeys/options") data-proof-options=proof_options hidden>
                {csrf_field(&csrf)}
                <input type="hidden" name="credential" value=""/>
                <label for="passkey-name">"Name of the new passkey"
                    <span class="hint">"So you can tell your passkeys apart, for example \"Work laptop\"."</span>
                    <input id="passkey-name" name="name" type="text" maxlength="64"/>
                </label>
                <label for="passkey-password">"Your password"
                    <span class="hint">"A passkey is a new way into your account, so adding one asks for your password."</span>
                    <input id="passkey-password" name="password" type="password" autocomplete="current-password" required autofocus=i.focus("passkey-password", false) aria-invalid=i.invalid("passkey-password") aria-describedby=i.described("passkey-password")/>
                </label>
                {add_code}
                <button type="submit">"Add a passkey"</button>
            </form>
            <noscript><p class="muted">"Adding or using a passkey needs JavaScript, which is off in this browser."</p></noscript>
        </section>
    })
}
