//! Tenant administration pages: the approval queue, users, one user, the audit log, settings and apps, and the
//! operators' tenants page.

use crate::{Chrome, Flash, csrf_field, document, flash_view};
use leptos::prelude::*;

/// A user in a list.
#[derive(Debug, Clone)]
pub struct UserLine {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub signed_up: String,
    /// When the user last logged in, or "Never".
    pub last_login: String,
    /// Short words: "waiting for approval", "locked", "e-mail unconfirmed", "administrator", "2FA"...
    pub badges: Vec<String>,
}

/// The administration tabs, `current` (a tab's name) marked as the page the administrator is on.
fn admin_nav(chrome: &Chrome, current: &str) -> impl IntoView + use<> {
    let base = format!("/t/{}/admin", chrome.tenant_slug);
    let mut tabs = vec![
        ("Approvals", base.clone()),
        ("Users", format!("{base}/users")),
        ("Audit log", format!("{base}/audit")),
        ("Settings", format!("{base}/settings")),
    ];
    if chrome.tenant_slug.is_system() {
        tabs.push(("Tenants", format!("{base}/tenants")));
    }
    let links = tabs
        .into_iter()
        .map(|(name, href)| {
            let here = (name == current).then_some("page");
            view! { <a href=href aria-current=here>{name}</a> }
        })
        .collect_view();
    view! { <nav class="tabs" aria-label="Administration">{links}</nav> }
}

fn badges(b: &[String]) -> impl IntoView + use<> {
    b.iter()
        .map(|x| view! { <span class="badge">{x.clone()}</span>" " })
        .collect_view()
}

pub fn approvals_page(chrome: &Chrome, pending: Vec<UserLine>, flash: Option<Flash>) -> String {
    let base = format!("/t/{}/admin", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let waiting = pending.len();
    let empty = pending
        .is_empty()
        .then(|| view! { <p class="muted">"No sign-up is waiting for approval."</p> });
    let rows = pending
        .into_iter()
        .map(|u| {
            let id = format!("pick-{}", u.user_id);
            let label_for = id.clone();
            let user_link = format!("{base}/users/{}", u.user_id);
            view! {
                <tr>
                    <td><input type="checkbox" name="user_id" value=u.user_id.clone() id=id/><label for=label_for class="sr-only">{format!("Select {}", u.username)}</label></td>
                    <td data-label="Username"><a href=user_link>{u.username.clone()}</a></td>
                    <td data-label="E-mail">{u.email.clone()}</td>
                    <td data-label="Signed up">{u.signed_up.clone()}</td>
                    <td data-label="State">{badges(&u.badges)}</td>
                </tr>
            }
        })
        .collect_view();
    document(
        "Approvals",
        chrome,
        false,
        view! {
            <h1>"Approvals"</h1>
            {admin_nav(chrome, "Approvals")}
            {flash_view(flash)}
            <section class="card">
                <h2>"Waiting for approval, oldest first"</h2>
                {empty}
                <form method="post" action=format!("{base}/approvals") hidden=waiting == 0>
                    {csrf_field(&csrf)}
                    <label class="check" for="pick-all">
                        <input type="checkbox" id="pick-all" name="all" value="yes"/>
                        {format!("Select all {waiting} waiting")}
                    </label>
                    <table>
                        <thead><tr><th><span class="sr-only">"Select"</span></th><th>"Username"</th><th>"E-mail"</th><th>"Signed up"</th><th>"State"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                    <label for="reason">"Reason (optional, kept in the audit log)"
                        <input id="reason" name="reason" type="text"/>
                    </label>
                    <p>
                        <button type="submit" name="decision" value="approve">"Approve selected"</button>" "
                        <button type="submit" name="decision" value="reject" class="danger">"Reject selected"</button>
                    </p>
                </form>
            </section>
        },
    )
}

#[derive(Debug, Clone, Default)]
pub struct UsersQuery {
    /// A part of the username or of a name.
    pub text: String,
    pub email: String,
    /// `""`, `approved`, `before_decision` or `rejected`.
    pub status: String,
    pub page_size: i64,
    /// E-mail addresses are sealed at rest (`main.encrypt_email`): only a whole address can match.
    pub emails_sealed: bool,
}

/// The page sizes the users list offers.
pub const USER_PAGE_SIZES: [i64; 4] = [10, 25, 50, 100];

/// An approval status in words, for people.
pub fn approval_in_words(status: &str) -> &'static str {
    match status {
        "approved" => "Approved",
        "before_decision" => "Waiting for approval",
        "rejected" => "Rejected",
        _ => "Any",
    }
}

pub fn users_page(
    chrome: &Chrome,
    q: UsersQuery,
    users: Vec<UserLine>,
    page: i64,
    pages: i64,
    total: i64,
    flash: Option<Flash>,
) -> String {
    let base = format!("/t/{}/admin/users", chrome.tenant_slug);
    let empty = users
        .is_empty()
        .then(|| view! { <p class="muted">"No user matches."</p> });
    let rows = users
        .into_iter()
        .map(|u| {
            let href = format!("{base}/{}", u.user_id);
            view! {
                <tr>
                    <td data-label="Username"><a href=href>{u.username.clone()}</a></td>
                    <td data-label="Name">{u.display_name.clone()}</td>
                    <td data-label="E-mail">{u.email.clone()}</td>
                    <td data-label="State">{badges(&u.badges)}</td>
                    <td data-label="Created">{u.signed_up.clone()}</td>
                    <td data-label="Last login">{u.last_login.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let query = format!(
        "q={}&email={}&status={}&page_size={}",
        enc(&q.text),
        enc(&q.email),
        enc(&q.status),
        q.page_size
    );
    let prev = (page > 1).then(|| {
        let href = format!("{base}?{query}&page={}", page - 1);
        view! { <a href=href rel="prev">"Previous page"</a> }
    });
    let next = (page < pages).then(|| {
        let href = format!("{base}?{query}&page={}", page + 1);
        view! { <a href=href rel="next">"Next page"</a> }
    });
    let statuses = ["", "before_decision", "approved", "rejected"].map(|s| {
        let selected = s == q.status;
        view! { <option value=s selected=selected>{approval_in_words(s)}</option> }
    });
    let sizes = USER_PAGE_SIZES.map(|n| {
        let selected = n == q.page_size;
        view! { <option value=n.to_string() selected=selected>{format!("{n} a page")}</option> }
    });
    let email_hint = if q.emails_sealed {
        "the whole address: addresses are stored sealed, so a part of one cannot match"
    } else {
        "the whole address"
    };
    document(
        "Users",
        chrome,
        false,
        view! {
            <h1>"Users"</h1>
            {admin_nav(chrome, "Users")}
            {flash_view(flash)}
            <section class="card" aria-labelledby="users-filter-h">
                <h2 id="users-filter-h">"Find users"</h2>
                <form method="get" action=base.clone() class="filters">
                    <label for="q">"Username or name contains"<span class="hint">"any part, whatever the case"</span>
                        <input id="q" name="q" type="search" value=q.text/></label>
                    <label for="email">"E-mail"<span class="hint">{email_hint}</span>
                        <input id="email" name="email" type="search" value=q.email/></label>
                    <label for="status">"Approval" <select id="status" name="status">{statuses}</select></label>
                    <label for="page_size">"Show" <select id="page_size" name="page_size">{sizes}</select></label>
                    <button type="submit">"Search"</button>
                </form>
            </section>
            <section class="card">
                <p class="muted">{format!("{total} {}, page {page} of {}", if total == 1 { "user" } else { "users" }, pages.max(1))}</p>
                {empty}
                <table>
                    <thead><tr><th>"Username"</th><th>"Name"</th><th>"E-mail"</th><th>"State"</th><th>"Created"</th><th>"Last login"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p class="links">{prev}{next}</p>
            </section>
            <section class="card" aria-labelledby="create-h">
                <h2 id="create-h">"Create a user"</h2>
                <form method="post" action=base.clone()>
                    {csrf_field(&chrome.csrf)}
                    <label for="new-username">"Username" <input id="new-username" name="username" type="text" autocomplete="off" required/></label>
                    <label for="new-password">"Password"
                        <span class="hint">"The user changes it at the first login when the box below is ticked."</span>
                        <input id="new-password" name="password" type="password" autocomplete="new-password" required/>
                    </label>
                    <label for="new-email">"E-mail (optional)" <input id="new-email" name="email" type="email"/></label>
                    <label for="new-display-name">"Display name (optional)" <input id="new-display-name" name="display_name" type="text"/></label>
                    <label class="check" for="new-must-change"><input id="new-must-change" name="must_change" type="checkbox" value="on" checked/>"Must change the password at the first login"</label>
                    <label class="check" for="new-super"><input id="new-super" name="is_super_user" type="checkbox" value="on"/>"Administrator of this organisation (super-user)"</label>
                    <button type="submit">"Create user"</button>
                </form>
            </section>
        },
    )
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct UserDetail {
    pub user: Option<UserLine>,
    /// The administrator's own account: what the domain refuses there (lock, reject, delete) is not offered.
    pub is_self: bool,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub approval_status: String,
    pub is_locked: bool,
    pub is_totp_enabled: bool,
    /// The user's passkeys: id, name, added, last used.
    pub passkeys: Vec<(String, String, String, String)>,
    pub must_change: bool,
    pub address_list: String,
    pub sessions: Vec<crate::account::SessionLine>,
    pub attrs: Vec<(String, String)>,
}

pub fn user_page(chrome: &Chrome, d: UserDetail, flash: Option<Flash>) -> String {
    let Some(u) = d.user.clone() else {
        return document("No such user", chrome, false, view! { <h1>"No such user"</h1> });
    };
    let base = format!("/t/{}/admin/users/{}", chrome.tenant_slug, u.user_id);
    let csrf = chrome.csrf.clone();
    let action = |verb: &str, label: &str, class: &str| {
        let (href, label, class, csrf) = (
            format!("{base}/{verb}"),
            label.to_owned(),
            class.to_owned(),
            csrf.clone(),
        );
        view! {
            <form class="inline" method="post" action=href>
                {csrf_field(&csrf)}
                <button type="submit" class=class>{label}</button>
            </form>
        }
    };
    // One's own account cannot be locked, rejected or deleted (E008001): those buttons are not offered there.
    let lock = match (d.is_self, d.is_locked) {
        (true, _) => None,
        (false, true) => Some(action("unlock", "Unlock", "secondary")),
        (false, false) => Some(action("lock", "Lock", "danger")),
    };
    let approval = match (d.is_self, d.approval_status.as_str()) {
        (true, _) => None,
        (false, "approved") => Some(action("reject", "Reject", "danger").into_any()),
        _ => Some(view! { {action("approve", "Approve", "")}" "{action("reject", "Reject", "danger")} }.into_any()),
    };
    let delete = (!d.is_self).then(|| action("delete", "Delete user", "danger"));
    let own = d.is_self.then(|| {
        let href = format!("/t/{}/account", chrome.tenant_slug);
        view! { <p class="muted">"This is your own account: change it on "<a href=href>"your account page"</a>"."</p> }
    });
    // Resetting 2FA turns TOTP off and, unless unticked, removes the passkeys too.
    let totp = (d.is_totp_enabled || !d.passkeys.is_empty()).then(|| {
        let (href, csrf) = (format!("{base}/reset-totp"), csrf.clone());
        let with_passkeys = (!d.passkeys.is_empty()).then(|| {
            view! {
                <label class="check" for="reset-passkeys">
                    <input id="reset-passkeys" name="passkeys" type="checkbox" checked/>
                    "Remove the user's passkeys too"
                </label>
            }
        });
        view! {
            <form class="inline" method="post" action=href>
                {csrf_field(&csrf)}
                {with_passkeys}
                <button type="submit" class="secondary">"Reset two-factor authentication"</button>
            </form>
        }
    });
    let passkeys = if d.passkeys.is_empty() {
        view! { <p class="muted">"No passkeys."</p> }.into_any()
    } else {
        let rows = d
            .passkeys
            .iter()
            .map(|(id, name, added, used)| {
                let (href, id, csrf) = (format!("{base}/passkey-remove"), id.clone(), csrf.clone());
                let label = format!("Remove passkey {name}");
                view! {
                    <tr>
                        <td data-label="Name">{name.clone()}</td>
                        <td data-label="Added">{added.clone()}</td>
                        <td data-label="Last used">{used.clone()}</td>
                        <td>
                            <form class="inline" method="post" action=href>
                                {csrf_field(&csrf)}
                                <input type="hidden" name="passkey_id" value=id/>
                                <button type="submit" class="danger" aria-label=label>"Remove"</button>
                            </form>
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
            <p class="muted">"Removing a passkey ends the user's sessions."</p>
        }
        .into_any()
    };
    let sessions = d
        .sessions
        .iter()
        .map(|s| {
            let (href, id, csrf) = (format!("{base}/sessions/end"), s.session_id.clone(), csrf.clone());
            view! {
                <tr><td data-label="Started">{s.created.clone()}</td><td data-label="Expires">{s.expires.clone()}</td>
                <td data-label="Address">{s.remote_addr.clone()}</td><td data-label="Browser">{s.user_agent.clone()}</td><td>
                    <form class="inline" method="post" action=href>
                        {csrf_field(&csrf)}
                        <input type="hidden" name="session_id" value=id/>
                        <button type="submit" class="secondary">"End"</button>
                    </form>
                </td></tr>
            }
        })
        .collect_view();
    let attrs = d
        .attrs
        .iter()
        .map(|(k, v)| view! { <tr><td data-label="Name">{k.clone()}</td><td data-label="Value"><code>{v.clone()}</code></td></tr> })
        .collect_view();
    let title = format!("User {}", u.username);
    let audit_href = format!("/t/{}/admin/audit?user_id={}", chrome.tenant_slug, enc(&u.user_id));
    // An administrator sets another's address at once; their own waits for its confirmation, as anyone's does.
    let email_hint = if d.is_self {
        "a new address is used once you confirm it from the message sent there; empty removes it"
    } else {
        "set at once, without a confirmation message; empty removes it"
    };
    document(
        &title.clone(),
        chrome,
        false,
        view! {
            <h1>{title}</h1>
            {admin_nav(chrome, "Users")}
            {flash_view(flash)}
            <section class="card">
                <p>{badges(&u.badges)}</p>
                <dl class="facts">
                    <dt>"E-mail"</dt><dd>{if u.email.is_empty() { "none".to_owned() } else { u.email.clone() }}</dd>
                    <dt>"Created"</dt><dd>{u.signed_up.clone()}</dd>
                    <dt>"Last login"</dt><dd>{u.last_login.clone()}</dd>
                </dl>
                {own}
                <div class="actions">{lock}{approval}{delete}{totp}</div>
                <p><a href=audit_href>"This user's entries in the audit log"</a></p>
            </section>
            <section class="card" aria-labelledby="names-h">
                <h2 id="names-h">"Names and e-mail"</h2>
                <form method="post" action=format!("{base}/profile")>
                    {csrf_field(&csrf)}
                    <label for="u-display-name">"Display name" <input id="u-display-name" name="display_name" type="text" value=u.display_name.clone()/></label>
                    <label for="u-first-name">"First name" <input id="u-first-name" name="first_name" type="text" value=d.first_name.clone()/></label>
                    <label for="u-middle-name">"Middle name" <input id="u-middle-name" name="middle_name" type="text" value=d.middle_name.clone()/></label>
                    <label for="u-last-name">"Last name" <input id="u-last-name" name="last_name" type="text" value=d.last_name.clone()/></label>
                    <label for="u-email">"E-mail"<span class="hint">{email_hint}</span>
                        <input id="u-email" name="email" type="email" value=u.email.clone()/></label>
                    <button type="submit">"Save names and e-mail"</button>
                </form>
            </section>
            <section class="card" aria-labelledby="passkeys-h">
                <h2 id="passkeys-h">"Passkeys"</h2>
                {passkeys}
            </section>
            <section class="card">
                <h2>"Password"</h2>
                {action("force-change", if d.must_change { "Password change already required" } else { "Require a new password at next login" }, "secondary")}
                <form method="post" action=format!("{base}/password")>
                    {csrf_field(&csrf)}
                    <label for="new_password">"Set a password" <input id="new_password" name="new_password" type="password" autocomplete="new-password" required/></label>
                    <button type="submit">"Set password (the user must change it)"</button>
                </form>
            </section>
            <section class="card">
                <h2>"IP allow-list"</h2>
                <form method="post" action=format!("{base}/address-list")>
                    {csrf_field(&csrf)}
                    <label for="addresses">"Addresses, comma-separated (* for any; empty to use the tenant's setting)"
                        <input id="addresses" name="addresses" type="text" value=d.address_list/>
                    </label>
                    <button type="submit">"Save"</button>
                </form>
            </section>
            <section class="card">
                <h2>"Sessions"</h2>
                <table><thead><tr><th>"Started"</th><th>"Expires"</th><th>"Address"</th><th>"Browser"</th><th><span class="sr-only">"Actions"</span></th></tr></thead><tbody>{sessions}</tbody></table>
            </section>
            <section class="card">
                <h2>"Attributes"</h2>
                <table><thead><tr><th>"Name"</th><th>"Value"</th></tr></thead><tbody>{attrs}</tbody></table>
            </section>
        },
    )
}

/// One audit entry as shown.
pub struct AuditLine {
    pub time: String,
    /// The operation in words, and its code (the detail).
    pub what: String,
    pub op: String,
    /// Who acted: their username and user id (linked), or the CLI, the system, or nobody yet.
    pub by: Party,
    pub on: Party,
    /// The result in words, and its sub-status code if refused.
    pub result: String,
    pub refused: bool,
    pub sub_status: String,
    pub remote_addr: String,
    pub app: String,
}

/// Someone an audit entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// A user of the tenant: username and user id.
    User(String, String),
    /// Someone the entry names only by what it recorded (a deleted user's id, the CLI's `user@host`).
    Named(String),
    Nobody,
}

/// The audit log's filters as typed, shown back in the form.
#[derive(Debug, Clone, Default)]
pub struct AuditFilters {
    pub username: String,
    pub op: String,
    pub result: String,
    pub from: String,
    pub to: String,
    /// A filter by user id (a user page's link), kept as it is.
    pub user_id: String,
}

impl AuditFilters {
    fn query(&self) -> String {
        [
            ("username", &self.username),
            ("op", &self.op),
            ("result", &self.result),
            ("from", &self.from),
            ("to", &self.to),
            ("user_id", &self.user_id),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", enc(v)))
        .collect()
    }
}

fn party(base: &str, p: Party) -> impl IntoView + use<> {
    match p {
        Party::User(name, id) => {
            let href = format!("{base}/users/{}", enc(&id));
            view! { <a href=href>{name}</a> }.into_any()
        }
        Party::Named(s) => view! { <span class="muted">{s}</span> }.into_any(),
        Party::Nobody => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// One page of the log, newest first. `operations` is every operation with its words, for the filter;
/// `zone` names the time zone the times are in; `flash` says why a filter was refused.
#[allow(clippy::too_many_arguments)]
pub fn audit_page(
    chrome: &Chrome,
    filters: AuditFilters,
    operations: &[(&str, &str)],
    lines: Vec<AuditLine>,
    page: i64,
    page_size: i64,
    total: i64,
    zone: &str,
    flash: Option<Flash>,
) -> String {
    let admin_base = format!("/t/{}/admin", chrome.tenant_slug);
    let base = format!("{admin_base}/audit");
    let op_options = operations
        .iter()
        .map(|(code, words)| {
            let selected = filters.op == *code;
            view! { <option value=code.to_string() selected=selected>{words.to_string()}</option> }
        })
        .collect_view();
    let result_options = [("", "Any result"), ("ok", "Done"), ("error", "Refused")]
        .into_iter()
        .map(|(v, label)| {
            let selected = filters.result == v;
            view! { <option value=v selected=selected>{label}</option> }
        })
        .collect_view();
    let empty = lines
        .is_empty()
        .then(|| view! { <p class="muted">"No entry matches."</p> });
    let rows = lines
        .into_iter()
        .map(|l| {
            let result_class = if l.refused { "badge danger" } else { "badge ok" };
            let code =
                (!l.sub_status.is_empty()).then(|| view! { <br/><small class="muted">{l.sub_status.clone()}</small> });
            view! {
                <tr>
                    <td data-label="Time">{l.time}</td>
                    <td data-label="Who">{party(&admin_base, l.by)}</td>
                    <td data-label="What">{l.what}<br/><small class="muted">{l.op}</small></td>
                    <td data-label="On whom">{party(&admin_base, l.on)}</td>
                    <td data-label="Result"><span class=result_class>{l.result}</span>{code}</td>
                    <td data-label="From">{l.remote_addr}<br/><small class="muted">{l.app}</small></td>
                </tr>
            }
        })
        .collect_view();
    let pages = ((total + page_size - 1) / page_size.max(1)).max(1);
    let query = filters.query();
    let newer = (page > 1).then(|| {
        let href = format!("{base}?{query}page={}", page - 1);
        view! { <a href=href rel="prev">"Newer entries"</a>" " }
    });
    let older = (page < pages).then(|| {
        let href = format!("{base}?{query}page={}", page + 1);
        view! { <a href=href rel="next">"Older entries"</a> }
    });
    let user_id = (!filters.user_id.is_empty()).then(|| {
        let v = filters.user_id.clone();
        view! { <input type="hidden" name="user_id" value=v/> }
    });
    document(
        "Audit log",
        chrome,
        false,
        view! {
            <h1>"Audit log"</h1>
            {admin_nav(chrome, "Audit log")}
            {flash_view(flash)}
            <section class="card" aria-labelledby="audit-filter-h">
                <h2 id="audit-filter-h">"Filter"</h2>
                <form method="get" action=base.clone() class="filters">
                    {user_id}
                    <label for="f-username">"Username"<span class="hint">"who acted or was acted on; exactly"</span>
                        <input id="f-username" name="username" type="search" value=filters.username.clone()/></label>
                    <label for="f-op">"Operation"
                        <select id="f-op" name="op"><option value="">"Any operation"</option>{op_options}</select></label>
                    <label for="f-result">"Result"<select id="f-result" name="result">{result_options}</select></label>
                    <label for="f-from">"From"<span class="hint">{format!("the day, in {zone}")}</span>
                        <input id="f-from" name="from" type="date" value=filters.from.clone()/></label>
                    <label for="f-to">"To"<span class="hint">"the day, included"</span>
                        <input id="f-to" name="to" type="date" value=filters.to.clone()/></label>
                    <button type="submit">"Filter"</button>
                </form>
            </section>
            <section class="card">
                <p class="muted">{format!("{total} {}, newest first; page {page} of {pages}; times in {zone}", if total == 1 { "entry" } else { "entries" })}</p>
                {empty}
                <table class="stack">
                    <thead><tr><th>"Time"</th><th>"Who"</th><th>"What"</th><th>"On whom"</th><th>"Result"</th><th>"From"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p class="links">{newer}{older}</p>
            </section>
        },
    )
}

/// What an app's name may be made of (the domain's rule, in words).
pub const APP_NAME_RULE: &str =
    "1 to 64 letters (a–z, A–Z), digits, “.”, “_” and “-”; “gatehouse” is the web UI's own.";

/// How a setting is edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// On or off.
    Switch(bool),
    /// A whole number, with its unit beside it.
    Number(String),
    /// A list, one item per line.
    List(Vec<String>),
    /// One of these values.
    Choice(String, Vec<String>),
    Text(String),
}

/// A tenant setting as the settings page shows it: its name in words, what it does, its control with the value
/// in force (or as typed, when refused), its default, and whether the tenant overrides it.
#[derive(Debug, Clone)]
pub struct SettingField {
    /// `section.key`, the form field's name.
    pub key: String,
    pub label: String,
    pub about: String,
    pub unit: Option<String>,
    pub control: Control,
    /// The built-in default, in words ("60 minutes", "On", "CRM, ERP", "empty").
    pub default: String,
    pub overridden: bool,
    /// Why the value typed was refused, and what would be valid.
    pub error: Option<String>,
}

/// The settings of one section, saved together.
#[derive(Debug, Clone)]
pub struct SettingGroup {
    pub section: String,
    pub title: String,
    pub fields: Vec<SettingField>,
}

fn setting_control(f: &SettingField, id: &str, described_by: &str) -> AnyView {
    let (name, id, described_by) = (f.key.clone(), id.to_owned(), described_by.to_owned());
    let invalid = f.error.as_ref().map(|_| "true");
    match &f.control {
        Control::Switch(on) => view! {
            <span class="switch">
                <input type="hidden" name="shown" value=name.clone()/>
                <input id=id name=name type="checkbox" role="switch" value="true" checked=*on aria-describedby=described_by aria-invalid=invalid/>
            </span>
        }
        .into_any(),
        Control::Number(v) => {
            let unit = f.unit.clone().map(|u| view! { <span class="unit">{u}</span> });
            view! {
                <span class="with-unit">
                    <input id=id name=name type="number" min="0" step="1" inputmode="numeric" value=v.clone() aria-describedby=described_by aria-invalid=invalid/>
                    {unit}
                </span>
            }
            .into_any()
        }
        Control::List(items) => {
            let rows = (items.len() + 1).clamp(2, 8).to_string();
            // A textarea's text is not escaped by the view: escaped here, so an item cannot close it.
            let text = escaped(&items.join("\n"));
            view! { <textarea id=id name=name rows=rows aria-describedby=described_by aria-invalid=invalid inner_html=text></textarea> }.into_any()
        }
        Control::Choice(v, options) => {
            let options = options
                .iter()
                .map(|o| {
                    let selected = o == v;
                    view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                })
                .collect_view();
            view! { <select id=id name=name aria-describedby=described_by aria-invalid=invalid>{options}</select> }.into_any()
        }
        Control::Text(v) => view! { <input id=id name=name type="text" value=v.clone() aria-describedby=described_by aria-invalid=invalid/> }.into_any(),
    }
}

fn setting_group(base: &str, csrf: &str, g: SettingGroup) -> impl IntoView + use<> {
    let heading = format!("settings-{}", g.section);
    let fields = g
        .fields
        .into_iter()
        .map(|f| {
            let id = format!("s-{}", f.key.replace('.', "-"));
            let (about_id, error_id) = (format!("{id}-about"), format!("{id}-error"));
            let described_by = if f.error.is_some() { format!("{error_id} {about_id}") } else { about_id.clone() };
            let control = setting_control(&f, &id, &described_by);
            let error = f.error.clone().map(|e| view! { <p id=error_id class="field-error">{e}</p> });
            let state = if f.overridden {
                format!("Set for this tenant; the default is {}.", f.default)
            } else {
                format!("The default ({}).", f.default)
            };
            let reset = f.overridden.then(|| {
                let (key, label) = (f.key.clone(), format!("Reset {} to the default", f.label));
                view! { <button type="submit" name="reset" value=key class="secondary small" aria-label=label formnovalidate>"Reset to default"</button> }
            });
            let label_for = id.clone();
            let one_per_line = matches!(f.control, Control::List(_)).then_some("One per line. ");
            // A switch reads as one line: the box, then what it turns on.
            let head = if matches!(f.control, Control::Switch(_)) {
                view! { <label class="check" for=label_for>{control}{f.label.clone()}</label> }.into_any()
            } else {
                view! { <label for=label_for>{f.label.clone()}</label>{control} }.into_any()
            };
            view! {
                <div class="setting">
                    {head}
                    {error}
                    <p id=about_id class="hint">{one_per_line}{f.about.clone()}" "<span class="muted">{state}</span></p>
                    {reset}
                </div>
            }
        })
        .collect_view();
    let (action, csrf, section, title) = (base.to_owned(), csrf.to_owned(), g.section.clone(), g.title.clone());
    let save = format!("Save {title}");
    let labelled_by = heading.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            <form method="post" action=action class="settings">
                {csrf_field(&csrf)}
                <input type="hidden" name="section" value=section/>
                {fields}
                <button type="submit">{save}</button>
            </form>
        </section>
    }
}

#[derive(Debug, Clone)]
pub struct AppLine {
    pub name: String,
    pub flags: String,
    pub keys: Vec<(String, String)>,
    /// The app's OpenID Connect client settings, if it is a client.
    pub client: Option<ClientLine>,
    /// What the app's "Client settings" form shows: the saved settings, or what was typed when they were refused.
    pub form: ClientForm,
    /// Who is signed in to the app through OpenID Connect (its live grants).
    pub grants: Vec<GrantLine>,
}

/// A live grant of an app: a user signed in to it, maybe with a refresh token.
#[derive(Debug, Clone)]
pub struct GrantLine {
    pub id: i64,
    pub username: String,
    pub since: String,
    pub last_used: String,
    /// Until when its current access token works, or that none is live.
    pub access: String,
    pub offline: bool,
    pub expires: String,
}

/// An app's OpenID Connect client settings as saved (never its secret).
#[derive(Debug, Clone, Default)]
pub struct ClientLine {
    pub display_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub confidential: bool,
    pub consent_required: bool,
    pub has_secret: bool,
    pub backchannel_logout_uri: Option<String>,
    pub id_token_alg: String,
}

/// The fields of an app's "Client settings" form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientForm {
    pub client_name: String,
    /// One URI per line.
    pub redirect_uris: String,
    /// One URI per line.
    pub post_logout_redirect_uris: String,
    pub confidential: bool,
    pub consent_required: bool,
    pub backchannel_logout_uri: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub id_token_alg: String,
    /// Why the typed values were refused: the field (`client_name`, `redirect_uris`,
    /// `post_logout_redirect_uris`, `confidential`) and what it may hold.
    pub error: Option<(String, String)>,
}

/// A secret the settings page shows this once: a new app key or a new client secret. Its `Debug` never prints
/// the secret.
#[derive(Clone)]
pub enum ShownOnce {
    AppKey { app: String, key: String },
    ClientSecret { app: String, secret: String },
}

impl std::fmt::Debug for ShownOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShownOnce::AppKey { app, .. } => write!(f, "AppKey({app}, [redacted])"),
            ShownOnce::ClientSecret { app, .. } => write!(f, "ClientSecret({app}, [redacted])"),
        }
    }
}

/// A form field's label, for the sentence that says what it may hold.
fn client_field_label(key: &str) -> &'static str {
    match key {
        "client_name" => "Display name",
        "redirect_uris" => "Redirect URIs",
        "post_logout_redirect_uris" => "Post-logout redirect URIs",
        "confidential" => "Confidential",
        "backchannel_logout_uri" => "Back-channel logout URI",
        "id_token_signed_response_alg" => "ID token signature",
        _ => "Client settings",
    }
}

/// Text for a `<textarea>`, escaped: Leptos writes a textarea's children as they are (it does not escape them, as
/// for `<script>`), so typed text such as `</textarea><script>` would end the element. The escaped text goes in as
/// the element's inner HTML, which is written as given whatever Leptos does with children.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A list of URIs, or "none".
fn uri_list(uris: &[String]) -> impl IntoView + use<> {
    if uris.is_empty() {
        view! { <span class="muted">"none"</span> }.into_any()
    } else {
        let items = uris
            .iter()
            .map(|u| view! { <li><code>{u.clone()}</code></li> })
            .collect_view();
        view! { <ul class="uris">{items}</ul> }.into_any()
    }
}

/// An app's OpenID Connect part of the settings page: what is set, the "Client settings" form, and the secret and
/// removal buttons. `n` makes the element ids unique on the page.
fn client_block(base: &str, csrf: &str, n: usize, a: &AppLine) -> impl IntoView + use<> {
    let action = format!("{base}/apps/{}/client", a.name);
    let id = |field: &str| format!("c{n}-{field}");
    let heading_id = id("h");
    let summary = match &a.client {
        Some(c) => {
            let kind = if c.confidential {
                "Confidential: the app authenticates with its secret"
            } else {
                "Public: no secret, PKCE required"
            };
            let consent = if c.consent_required {
                "Users are asked once per app and scope set"
            } else {
                "Not asked"
            };
            let secret = if c.has_secret {
                "Set (never shown again)"
            } else {
                "None"
            };
            view! {
                <dl class="facts">
                    <dt>"Client id"</dt><dd><code>{a.name.clone()}</code></dd>
                    <dt>"Display name"</dt><dd>{c.display_name.clone()}</dd>
                    <dt>"Redirect URIs"</dt><dd>{uri_list(&c.redirect_uris)}</dd>
                    <dt>"Post-logout redirect URIs"</dt><dd>{uri_list(&c.post_logout_redirect_uris)}</dd>
                    <dt>"Type"</dt><dd>{kind}</dd>
                    <dt>"Consent"</dt><dd>{consent}</dd>
                    <dt>"Secret"</dt><dd>{secret}</dd>
                    <dt>"Back-channel logout"</dt><dd>{c.backchannel_logout_uri.clone().map_or_else(|| view! { <span>"None"</span> }.into_any(), |u| view! { <code>{u}</code> }.into_any())}</dd>
                    <dt>"ID token signature"</dt><dd>{c.id_token_alg.clone()}</dd>
                </dl>
            }
            .into_any()
        }
        None => view! { <p class="muted">"Not an OpenID Connect client. Save client settings to make it one."</p> }
            .into_any(),
    };
    let f = a.form.clone();
    let error_on = |field: &str| f.error.as_ref().is_some_and(|(k, _)| k == field);
    let invalid = |field: &str| error_on(field).then_some("true");
    let described = |field: &str| error_on(field).then(|| id("error"));
    let error = f.error.as_ref().map(|(key, message)| {
        let text = format!("{}: {message}", client_field_label(key));
        view! { <p class="field-error" id=id("error")>{text}</p> }
    });
    let form = view! {
        <details class="client-form" open=f.error.is_some()>
            <summary>"Client settings"</summary>
            <form method="post" action=action.clone()>
                {csrf_field(csrf)}
                {error}
                <label for=id("name")>"Display name"<span class="hint">"shown to users when they are asked for consent; empty means the app's name"</span>
                    <input id=id("name") name="client_name" type="text" maxlength="200" value=f.client_name.clone()
                        aria-invalid=invalid("client_name") aria-describedby=described("client_name")/>
                </label>
                <label for=id("redirect")>"Redirect URIs"<span class="hint">"one per line, matched exactly: https, http only to localhost or 127.0.0.1, or the app's own scheme (com.example.app:/cb); no #fragment"</span>
                    <textarea id=id("redirect") name="redirect_uris" rows="3" spellcheck="false" autocapitalize="off"
                        aria-invalid=invalid("redirect_uris") aria-describedby=described("redirect_uris") inner_html=escaped(&f.redirect_uris)></textarea>
                </label>
                <label for=id("logout")>"Post-logout redirect URIs"<span class="hint">"one per line, the same rules"</span>
                    <textarea id=id("logout") name="post_logout_redirect_uris" rows="2" spellcheck="false" autocapitalize="off"
                        aria-invalid=invalid("post_logout_redirect_uris") aria-describedby=described("post_logout_redirect_uris") inner_html=escaped(&f.post_logout_redirect_uris)></textarea>
                </label>
                <label for=id("backchannel")>"Back-channel logout URI"<span class="hint">"optional: where a logout token is posted when a user's session ends; https, or http only to localhost"</span>
                    <input id=id("backchannel") name="backchannel_logout_uri" type="url" maxlength="2000" value=f.backchannel_logout_uri.clone()
                        spellcheck="false" autocapitalize="off"
                        aria-invalid=invalid("backchannel_logout_uri") aria-describedby=described("backchannel_logout_uri")/>
                </label>
                <label for=id("alg")>"ID token signature"
                    <select id=id("alg") name="id_token_alg" aria-invalid=invalid("id_token_signed_response_alg") aria-describedby=described("id_token_signed_response_alg")>
                        {["RS256", "ES256", "EdDSA"].into_iter().map(|alg| {
                            let selected = f.id_token_alg == alg || (f.id_token_alg.is_empty() && alg == "RS256");
                            view! { <option value=alg selected=selected>{alg}</option> }
                        }).collect::<Vec<_>>()}
                    </select>
                </label>
                <label class="check" for=id("confidential")>
                    <input id=id("confidential") name="confidential" type="checkbox" value="on" checked=f.confidential/>
                    "Confidential (has a secret)"
                </label>
                <label class="check" for=id("consent")>
                    <input id=id("consent") name="consent_required" type="checkbox" value="on" checked=f.consent_required/>
                    "Ask users for consent"
                </label>
                <p><button type="submit">"Save client settings"</button></p>
            </form>
        </details>
    };
    let confidential = a.client.as_ref().is_some_and(|c| c.confidential);
    let secret = confidential.then(|| {
        let (href, csrf) = (format!("{action}/secret"), csrf.to_owned());
        view! { <form class="inline" method="post" action=href>{csrf_field(&csrf)}<button type="submit" class="secondary">"New client secret"</button></form> }
    });
    let remove = a.client.is_some().then(|| {
        let (href, csrf) = (format!("{action}/remove"), csrf.to_owned());
        view! { <form class="inline" method="post" action=href>{csrf_field(&csrf)}<button type="submit" class="danger">"Remove client settings"</button></form> }
    });
    let actions = a
        .client
        .is_some()
        .then(|| view! { <div class="actions">{secret}{remove}</div> });
    let title = format!("{}: OpenID Connect", a.name);
    let labelled_by = heading_id.clone();
    let grants = a.client.is_some().then(|| {
        let end_action = format!("{action}/grants/end");
        let rows = a
            .grants
            .iter()
            .map(|g| {
                let (csrf, href) = (csrf.to_owned(), end_action.clone());
                let kind = if g.offline { "Offline" } else { "With the browser's session" };
                let label = format!("End the grant of {}", g.username);
                view! {
                    <tr>
                        <td data-label="User">{g.username.clone()}</td>
                        <td data-label="Since">{g.since.clone()}</td>
                        <td data-label="Last used">{g.last_used.clone()}</td>
                        <td data-label="Access token">{g.access.clone()}</td>
                        <td data-label="Kind">{kind}</td>
                        <td data-label="Ends">{g.expires.clone()}</td>
                        <td>
                            <form class="inline" method="post" action=href>
                                {csrf_field(&csrf)}
                                <input type="hidden" name="grant" value=g.id.to_string()/>
                                <button type="submit" class="danger" aria-label=label>"End"</button>
                            </form>
                        </td>
                    </tr>
                }
            })
            .collect::<Vec<_>>();
        let body = if rows.is_empty() {
            view! { <p class="muted">"Nobody is signed in to this app."</p> }.into_any()
        } else {
            view! {
                <table>
                    <thead><tr><th>"User"</th><th>"Since"</th><th>"Last used"</th><th>"Access token"</th><th>"Kind"</th><th>"Ends"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        };
        view! { <h4>"Signed in"</h4>{body} }
    });
    view! {
        <section class="app-client" id=format!("client-{n}") aria-labelledby=labelled_by>
            <h3 id=heading_id>{title}</h3>
            {summary}
            {grants}
            {form}
            {actions}
        </section>
    }
}

pub fn settings_page(
    chrome: &Chrome,
    groups: Vec<SettingGroup>,
    apps: Vec<AppLine>,
    shown: Option<ShownOnce>,
    flash: Option<Flash>,
) -> String {
    let base = format!("/t/{}/admin/settings", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let toc = groups
        .iter()
        .map(|g| view! { <a href=format!("#settings-{}", g.section)>{g.title.clone()}</a> })
        .collect_view();
    let groups = groups
        .into_iter()
        .map(|g| setting_group(&base, &csrf, g))
        .collect_view();
    let shown = shown.map(|s| match s {
        ShownOnce::AppKey { app, key } => view! { <div class="success" role="status">{format!("New key for {app}, shown only now: ")}<code class="secret">{key}</code></div> }.into_any(),
        ShownOnce::ClientSecret { app, secret } => view! {
            <div class="success" role="status">
                <p>{format!("New client secret for {app}:")}</p>
                <p><code class="secret">{secret}</code></p>
                <p>"It will not be shown again: copy it into the app's configuration now. If it is lost, make a new one."</p>
            </div>
        }
        .into_any(),
    });
    let app_rows = apps
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let keys = a
                .keys
                .iter()
                .map(|(id, created)| {
                    let (href, csrf) = (format!("{base}/apps/{}/keys/{id}/revoke", a.name), csrf.clone());
                    view! {
                        <li><span class="key-id">{id.clone()}</span>{format!(" ({created}) ")}
                            <form class="inline" method="post" action=href>{csrf_field(&csrf)}<button type="submit" class="danger">"Revoke"</button></form>
                        </li>
                    }
                })
                .collect_view();
            let (href, csrf) = (format!("{base}/apps/{}/keys", a.name), csrf.clone());
            let oidc = match &a.client {
                Some(c) => {
                    let kind = if c.confidential { "confidential client" } else { "public client" };
                    view! { <a href=format!("#client-{n}")><span class="badge">{kind}</span></a> }.into_any()
                }
                None => view! { <a href=format!("#client-{n}")>"not a client"</a> }.into_any(),
            };
            view! {
                <tr>
                    <td data-label="App">{a.name.clone()}</td>
                    <td data-label="Allowed">{a.flags.clone()}</td>
                    <td data-label="Keys"><ul>{keys}</ul>
                        <form class="inline" method="post" action=href>{csrf_field(&csrf)}<button type="submit" class="secondary">"New key"</button></form>
                    </td>
                    <td data-label="OpenID Connect">{oidc}</td>
                </tr>
            }
        })
        .collect_view();
    let clients = apps
        .iter()
        .enumerate()
        .map(|(n, a)| client_block(&base, &csrf, n, a))
        .collect_view();
    document(
        "Settings",
        chrome,
        false,
        view! {
            <h1>"Settings"</h1>
            {admin_nav(chrome, "Settings")}
            {flash_view(flash)}
            {shown}
            <nav class="toc" aria-label="Settings sections">{toc}</nav>
            {groups}
            <section class="card" aria-labelledby="apps-h" id="apps">
                <h2 id="apps-h">"Applications and their keys"</h2>
                <table><thead><tr><th>"App"</th><th>"Allowed"</th><th>"Keys"</th><th>"OpenID Connect"</th></tr></thead><tbody>{app_rows}</tbody></table>
                <form method="post" action=format!("{base}/apps")>
                    {csrf_field(&csrf)}
                    <label for="app-name">"Add an app"
                        <span class="hint">{format!("the name applications send as current_app: {APP_NAME_RULE}")}</span>
                        <input id="app-name" name="name" type="text" required/></label>
                    <button type="submit">"Add"</button>
                </form>
                {clients}
            </section>
        },
    )
}

#[derive(Debug, Clone)]
pub struct TenantLine {
    pub slug: String,
    pub name: String,
    pub status: String,
}

/// What was typed into the new-tenant form, shown back when it was refused (never the password).
#[derive(Debug, Clone, Default)]
pub struct TenantDraft {
    pub slug: String,
    pub name: String,
    pub admin_username: String,
    pub admin_email: String,
}

pub fn tenants_page(chrome: &Chrome, tenants: Vec<TenantLine>, flash: Option<Flash>, draft: TenantDraft) -> String {
    let base = format!("/t/{}/admin/tenants", chrome.tenant_slug);
    let csrf = chrome.csrf.clone();
    let rows = tenants
        .into_iter()
        .map(|t| {
            let protected = t.slug == "system";
            let toggle = (!protected).then(|| {
                let (verb, label) = if t.status == "active" { ("suspend", "Suspend") } else { ("resume", "Resume") };
                let (href, csrf) = (format!("{base}/{}/{verb}", t.slug), csrf.clone());
                view! { <form class="inline" method="post" action=href>{csrf_field(&csrf)}<button type="submit" class="secondary">{label}</button></form> }
            });
            let delete = (!protected).then(|| {
                let (href, csrf, slug) = (format!("{base}/{}/delete", t.slug), csrf.clone(), t.slug.clone());
                let id = format!("confirm-{slug}");
                let label_for = id.clone();
                view! {
                    <form class="inline" method="post" action=href>
                        {csrf_field(&csrf)}
                        <label for=label_for>"Type the slug to delete" <input id=id name="confirm" type="text"/></label>
                        <button type="submit" class="danger">"Delete"</button>
                    </form>
                }
            });
            view! { <tr><td data-label="Slug">{t.slug.clone()}</td><td data-label="Name">{t.name.clone()}</td><td data-label="Status"><span class="badge">{t.status.clone()}</span></td><td>{toggle}" "{delete}</td></tr> }
        })
        .collect_view();
    document(
        "Tenants",
        chrome,
        false,
        view! {
            <h1>"Tenants"</h1>
            {admin_nav(chrome, "Tenants")}
            {flash_view(flash)}
            <section class="card">
                <table><thead><tr><th>"Slug"</th><th>"Name"</th><th>"Status"</th><th><span class="sr-only">"Actions"</span></th></tr></thead><tbody>{rows}</tbody></table>
            </section>
            <section class="card" aria-labelledby="new-tenant-h">
                <h2 id="new-tenant-h">"New tenant"</h2>
                <form method="post" action=base.clone()>
                    {csrf_field(&csrf)}
                    <label for="slug">"Slug"
                        <span class="hint">"in its addresses (/t/slug/…): 1 to 63 of a–z, 0–9 and “-”, starting with a letter or digit"</span>
                        <input id="slug" name="slug" type="text" required value=draft.slug/>
                    </label>
                    <label for="display_name">"Name (optional)" <input id="display_name" name="display_name" type="text" value=draft.name/></label>
                    <fieldset>
                        <legend>"Its first administrator"</legend>
                        <label for="admin_username">"Username" <input id="admin_username" name="admin_username" type="text" autocomplete="off" required value=draft.admin_username/></label>
                        <label for="admin_email">"E-mail"
                            <span class="hint">"required to send an invitation"</span>
                            <input id="admin_email" name="admin_email" type="email" value=draft.admin_email/>
                        </label>
                        <label for="admin_password">"Password (optional)"
                            <span class="hint">"leave empty to send an invitation by e-mail, whose link lets them choose it; a password given here must be changed at their first login"</span>
                            <input id="admin_password" name="admin_password" type="password" autocomplete="new-password"/>
                        </label>
                    </fieldset>
                    <button type="submit">"Create tenant"</button>
                </form>
            </section>
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use gatehouse_shared::TenantSlug;

    fn chrome() -> Chrome {
        Chrome {
            tenant_slug: TenantSlug::parse("acme").unwrap(),
            tenant_name: "Acme".into(),
            user: Some("boss".into()),
            csrf: "tok".into(),
            warning: None,
            scripts: false,
            admin: false,
        }
    }

    #[test]
    fn a_clients_grants_are_listed_with_an_end_button_each() {
        let grant = GrantLine {
            id: 42,
            username: "<b>ann</b>".into(),
            since: "2026-12-02 10:00".into(),
            last_used: "2026-12-02 11:00".into(),
            access: "None live".into(),
            offline: true,
            expires: "2027-01-01 10:00".into(),
        };
        let app = |grants: Vec<GrantLine>| AppLine {
            name: "shop".into(),
            flags: String::new(),
            keys: vec![],
            client: Some(ClientLine::default()),
            form: ClientForm::default(),
            grants,
        };
        let html = settings_page(&chrome(), vec![], vec![app(vec![grant])], None, None);
        assert!(!html.contains("<b>ann"), "escaped");
        assert!(
            html.contains(r#"aria-label="End the grant of &lt;b&gt;ann&lt;/b&gt;""#),
            "{html}"
        );
        assert!(
            html.contains(r#"action="/t/acme/admin/settings/apps/shop/client/grants/end""#),
            "{html}"
        );
        assert!(html.contains(r#"name="grant" value="42""#) && html.contains("Offline"));
        let html = settings_page(&chrome(), vec![], vec![app(vec![])], None, None);
        assert!(html.contains("Nobody is signed in to this app."));
    }

    #[test]
    fn typed_client_settings_are_shown_back_escaped() {
        let typed = "https://a.example/cb?x=1&y=2\njavascript:x</textarea><script>alert(1)</script>";
        let app = AppLine {
            name: "CRM".into(),
            flags: String::new(),
            keys: vec![],
            client: None,
            form: ClientForm {
                client_name: "\"><b>".into(),
                redirect_uris: typed.into(),
                error: Some(("redirect_uris".into(), "`javascript:x</textarea>`: no".into())),
                ..ClientForm::default()
            },
            grants: vec![],
        };
        let html = settings_page(&chrome(), vec![], vec![app], None, None);
        assert!(!html.contains("<script") && !html.contains("<b>") && !html.contains("x</textarea><"));
        assert!(html.contains(
            ">https://a.example/cb?x=1&amp;y=2\njavascript:x&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"
        ));
        assert!(html.contains("Redirect URIs: `javascript:x&lt;/textarea&gt;`: no"));
    }

    #[test]
    fn a_secret_shown_once_never_reaches_a_debug_print() {
        let shown = ShownOnce::ClientSecret {
            app: "CRM".into(),
            secret: "ghcs_very_secret".into(),
        };
        assert!(!format!("{shown:?}").contains("ghcs_very_secret"));
        let key = ShownOnce::AppKey {
            app: "CRM".into(),
            key: "the-app-key".into(),
        };
        assert!(!format!("{key:?}").contains("the-app-key"));
    }
}
