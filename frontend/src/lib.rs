//! Gatehouse's web pages, rendered on the server with Leptos. Pages work without JavaScript: plain forms that
//! post and redirect, errors rendered by the server, no inline script or style (the one stylesheet is served
//! from the binary). The pages get their data from the backend's handlers, which call the domain services;
//! nothing here decides a rule.

pub mod account;
pub mod admin;
pub mod auth;
pub mod confirm;
pub mod pages;

use gatehouse_shared::TenantSlug;
use leptos::prelude::*;

/// The stylesheet, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("../style/gatehouse.css");
pub const STYLESHEET_PATH: &str = "/static/gatehouse.css";

/// The one script: passkeys (WebAuthn needs JavaScript), served at [`PASSKEY_SCRIPT_PATH`] to the pages that
/// offer them. Without it those pages work as before and show no passkey button.
pub const PASSKEY_SCRIPT: &str = include_str!("../static/passkeys.js");
pub const PASSKEY_SCRIPT_PATH: &str = "/static/passkeys.js";
/// How a page carries the script; the server gives such a page `script-src 'self'; connect-src 'self'`.
pub const PASSKEY_SCRIPT_TAG: &str = "<script src=\"/static/passkeys.js\" defer></script>";

/// The forms' enhancements (a "Show password" button by each password field), served at
/// [`FORM_SCRIPT_PATH`] to every page with a password field; without it the fields work as they are.
pub const FORM_SCRIPT: &str = include_str!("../static/forms.js");
pub const FORM_SCRIPT_PATH: &str = "/static/forms.js";
/// How a page carries it; the server gives such a page `script-src 'self'`.
pub const FORM_SCRIPT_TAG: &str = "<script src=\"/static/forms.js\" defer></script>";

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub tenant_slug: TenantSlug,
    pub tenant_name: String,
    /// The signed-in user's name, if any (shows the account link and the logout button).
    pub user: Option<String>,
    /// The form token every form carries.
    pub csrf: String,
    /// A warning shown above every page's content (an administrator without 2FA).
    pub warning: Option<String>,
    /// The page offers passkeys: it carries the passkey script.
    pub scripts: bool,
    /// The signed-in user administers the tenant: the header links to the administration pages.
    pub admin: bool,
}

/// A message above a page's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    Error(String),
    Notice(String),
    Success(String),
}

/// The id of a page's error message, which the field in error points at with `aria-describedby`.
pub const ERROR_ID: &str = "form-error";

/// The field of a form an error is about, by its id (`None`: no field, or the error is about none): that
/// field carries `aria-invalid` and `aria-describedby` pointing at the error message, and takes the focus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid(pub Option<String>);

impl Invalid {
    pub fn field(id: &str) -> Invalid {
        Invalid(Some(id.to_owned()))
    }

    fn is(&self, id: &str) -> bool {
        self.0.as_deref() == Some(id)
    }

    /// `aria-invalid` of the field `id`.
    pub fn invalid(&self, id: &str) -> Option<&'static str> {
        self.is(id).then_some("true")
    }

    /// `aria-describedby` of the field `id`.
    pub fn described(&self, id: &str) -> Option<&'static str> {
        self.is(id).then_some(ERROR_ID)
    }

    /// Whether the field `id` takes the focus: the field in error, else `first` (the form's first field) when
    /// no field is in error.
    pub fn focus(&self, id: &str, first: bool) -> bool {
        match &self.0 {
            Some(field) => field == id,
            None => first,
        }
    }
}

pub fn flash_view(flash: Option<Flash>) -> impl IntoView {
    flash.map(|f| match f {
        Flash::Error(t) => view! { <div class="error" role="alert" id=ERROR_ID>{t}</div> }.into_any(),
        Flash::Notice(t) => view! { <div class="notice" role="status">{t}</div> }.into_any(),
        Flash::Success(t) => view! { <div class="success" role="status">{t}</div> }.into_any(),
    })
}

/// The hidden form token.
pub fn csrf_field(csrf: &str) -> impl IntoView + use<> {
    let csrf = csrf.to_owned();
    view! { <input type="hidden" name="csrf" value=csrf/> }
}

/// A whole HTML document.
pub fn document(title: &str, chrome: &Chrome, narrow: bool, body: impl IntoView + 'static) -> String {
    let base = format!("/t/{}", chrome.tenant_slug);
    let header = {
        let base = base.clone();
        let tenant = chrome.tenant_name.clone();
        let csrf = chrome.csrf.clone();
        let nav = chrome.user.clone().map(|user| {
            let account = format!("{base}/account");
            let logout = format!("{base}/logout");
            let admin = chrome
                .admin
                .then(|| view! { <a href=format!("{base}/admin")>"Administration"</a> });
            view! {
                <nav aria-label="Account">
                    {admin}
                    <a href=account>{user}</a>
                    <form class="inline" method="post" action=logout>
                        {csrf_field(&csrf)}
                        <button type="submit" class="secondary">"Log out"</button>
                    </form>
                </nav>
            }
        });
        view! {
            <header class="site">
                <a class="brand" href=format!("{base}/login")>"Gatehouse"<span class="tenant">{tenant}</span></a>
                {nav}
            </header>
        }
        .to_html()
    };
    let head = view! { <title>{format!("{title} · {}", chrome.tenant_name)}</title> }.to_html();
    let warning = chrome
        .warning
        .clone()
        .map(|w| view! { <p class="flash error" role="alert">{w}</p> });
    let main = view! {
        <main id="content" tabindex="-1" class=if narrow { "narrow" } else { "" }>
            {warning}
            {body}
        </main>
        <footer>"Gatehouse single sign-on"</footer>
    }
    .to_html();
    let script = if chrome.scripts { PASSKEY_SCRIPT_TAG } else { "" };
    let forms = if has_password_field(&main) { FORM_SCRIPT_TAG } else { "" };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{head}<link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\">{script}{forms}</head><body><a class=\"skip\" href=\"#content\">Skip to the content</a>{header}{main}</body></html>"
    )
}

/// Whether rendered HTML has a password field. Only real tags are looked at: text a user chose (a name that
/// says `type="password"`) is escaped, so it never starts a tag, and quotes inside attribute values are too.
fn has_password_field(html: &str) -> bool {
    html.split("<input").skip(1).any(|rest| {
        let tag = rest.split('>').next().unwrap_or_default();
        tag.contains(" type=\"password\"")
    })
}

/// A page that only says something (a result, or an error), with an optional link onwards.
pub fn message_page(chrome: &Chrome, title: &str, flash: Flash, link: Option<(String, String)>) -> String {
    let heading = title.to_owned();
    let link = link.map(|(href, text)| view! { <p><a href=href>{text}</a></p> });
    document(
        title,
        chrome,
        true,
        view! {
            <h1>{heading}</h1>
            {flash_view(Some(flash))}
            {link}
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_real_password_field_brings_the_form_script() {
        let chrome = Chrome {
            tenant_slug: TenantSlug::parse("acme").unwrap(),
            tenant_name: "Acme".into(),
            user: Some(r#"<input type="password">"#.into()),
            csrf: "tok".into(),
            warning: Some(r#"type="password""#.into()),
            scripts: false,
            admin: false,
        };
        let said = message_page(
            &chrome,
            "Done",
            Flash::Success(r#"<input type="password">"#.into()),
            None,
        );
        assert!(
            !said.contains(FORM_SCRIPT_TAG),
            "text that looks like a field is no field"
        );
        let form = document("Form", &chrome, true, view! { <input id="p" type="password"/> });
        assert!(form.contains(FORM_SCRIPT_TAG));
    }

    #[test]
    fn documents_escape_what_they_are_given() {
        let chrome = Chrome {
            tenant_slug: TenantSlug::parse("acme").unwrap(),
            tenant_name: "<Acme & Co>".into(),
            user: Some("<bob>".into()),
            csrf: "tok".into(),
            warning: Some("<no 2FA>".into()),
            scripts: false,
            admin: false,
        };
        let html = message_page(&chrome, "Done", Flash::Success("<b>ok</b>".into()), None);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("&lt;Acme &amp; Co&gt;") && !html.contains("<Acme"));
        assert!(html.contains("&lt;b&gt;ok&lt;/b&gt;"));
        assert!(html.contains("&lt;bob&gt;"));
        assert!(html.contains("&lt;no 2FA&gt;"), "the warning is shown, escaped");
        assert!(html.contains(r#"name="csrf" value="tok""#));
        assert!(!html.contains("<script"), "no scripts");
        assert!(!html.contains(" style="), "no inline style");
    }
}
