//! The messages Gatehouse sends, in plain text and HTML, with the tenant's display name; a tenant may replace
//! any part of any of them (`mail_templates.<kind>`). The only secret a message carries is its one-time link.

use super::Ctx;
use crate::config::TenantPolicy;

pub const KINDS: &[&str] = &[
    "signup_confirm",
    "welcome",
    "rejected",
    "approval_needed",
    "password_reset",
    "email_change",
    "email_change_notice",
    "signup_attempt",
    "invitation",
];

/// What a message says: `{tenant}`, `{username}`, `{link}` and `{valid_for}` are filled in.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn builtin(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "signup_confirm" => (
            "Confirm your e-mail address for {tenant}",
            "Hello {username},\n\nplease confirm your e-mail address for {tenant} by opening this link within {valid_for}:\n\n{link}\n\nIf you did not sign up, ignore this message.\n",
        ),
        "welcome" => (
            "Welcome to {tenant}",
            "Hello {username},\n\nyour account at {tenant} has been approved. You can log in now.\n",
        ),
        "rejected" => (
            "Your sign-up at {tenant}",
            "Hello {username},\n\nyour sign-up at {tenant} was not approved.\n",
        ),
        "approval_needed" => (
            "A sign-up at {tenant} waits for approval",
            "Hello,\n\nthe user {username} signed up at {tenant}, confirmed their e-mail address and waits for approval.\n",
        ),
        "password_reset" => (
            "Reset your password for {tenant}",
            "Hello {username},\n\nto choose a new password for {tenant}, open this link within {valid_for}:\n\n{link}\n\nIf you did not ask for this, ignore this message: your password stays as it is.\n",
        ),
        "invitation" => (
            "You are invited to administer {tenant}",
            "Hello {username},\n\nan account was made for you as the administrator of {tenant}. To choose your password and start, open this link within {valid_for}:\n\n{link}\n\nIf you did not expect this, ignore this message: nobody can use the account until a password is chosen.\n",
        ),
        "email_change_notice" => (
            "Your e-mail address for {tenant} is being changed",
            "Hello {username},\n\na change of the e-mail address of your account at {tenant} to another address was asked for. It takes effect once confirmed from the new address; until then this address stays in use.\n\nIf you did not ask for this, change your password and tell your administrator.\n",
        ),
        "signup_attempt" => (
            "A sign-up at {tenant} with this address",
            "Hello,\n\nsomeone tried to sign up at {tenant} with this e-mail address, but an account with this address or the chosen username exists already, so none was made.\n\nIf it was you, log in, or reset your password if you have forgotten it. If it was not you, you can ignore this message.\n",
        ),
        _ => (
            "Confirm your new e-mail address for {tenant}",
            "Hello {username},\n\nto use this address for your account at {tenant}, open this link within {valid_for}:\n\n{link}\n\nUntil then your previous address stays in use.\n",
        ),
    }
}

/// Escapes text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fill(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |acc, (k, v)| acc.replace(&format!("{{{k}}}"), v))
}

/// Describes a duration in minutes for people.
pub fn describe_minutes(minutes: u32) -> String {
    match minutes {
        m if m % 1440 == 0 && m >= 1440 => format!("{} day{}", m / 1440, if m == 1440 { "" } else { "s" }),
        m if m % 60 == 0 && m >= 60 => format!("{} hour{}", m / 60, if m == 60 { "" } else { "s" }),
        m => format!("{m} minute{}", if m == 1 { "" } else { "s" }),
    }
}

pub fn render(
    ctx: &Ctx,
    policy: &TenantPolicy,
    kind: &str,
    username: &str,
    link: Option<&str>,
    valid_for: &str,
) -> Rendered {
    let (subject, text) = builtin(kind);
    let custom = policy.mail_templates.get(kind);
    let subject = custom
        .and_then(|c| c.subject.clone())
        .unwrap_or_else(|| subject.to_owned());
    let text_template = custom.and_then(|c| c.text.clone()).unwrap_or_else(|| text.to_owned());
    let plain = [
        ("tenant", ctx.tenant.display_name.clone()),
        ("username", username.to_owned()),
        ("link", link.unwrap_or_default().to_owned()),
        ("valid_for", valid_for.to_owned()),
    ];
    let escaped: Vec<(&str, String)> = plain.iter().map(|(k, v)| (*k, escape(v))).collect();
    let html = match custom.and_then(|c| c.html.clone()) {
        Some(t) => fill(&t, &escaped),
        None => {
            // The text version, escaped, in paragraphs, with the link clickable.
            let body = escape(&fill(&text_template, &plain));
            let link_html = link.map(escape).unwrap_or_default();
            let paragraphs: Vec<String> = body
                .split("\n\n")
                .map(|p| {
                    let p = p.trim();
                    if !link_html.is_empty() && p == link_html {
                        format!("<p><a href=\"{link_html}\">{link_html}</a></p>")
                    } else {
                        format!("<p>{}</p>", p.replace('\n', "<br>"))
                    }
                })
                .collect();
            format!("<!doctype html><html><body>{}</body></html>", paragraphs.join(""))
        }
    };
    Rendered {
        subject: fill(&subject, &plain).replace(['\r', '\n'], " "),
        text: fill(&text_template, &plain),
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(describe_minutes(4320), "3 days");
        assert_eq!(describe_minutes(1440), "1 day");
        assert_eq!(describe_minutes(60), "1 hour");
        assert_eq!(describe_minutes(90), "90 minutes");
    }

    #[test]
    fn html_escapes_what_users_chose() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(fill("a {x} b", &[("x", "1".into())]), "a 1 b");
    }
}
