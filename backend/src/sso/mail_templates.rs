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
    "password_changed",
    "two_factor_added",
    "two_factor_removed",
    "passkey_added",
    "passkey_removed",
    "email_changed",
    "account_locked",
    "account_auto_locked",
];

/// What a message says: `{tenant}`, `{username}`, `{link}` and `{valid_for}` are filled in; the security notices
/// also fill in `{when}` (in the user's time zone), `{by}` (who made the change), `{from}` (the address and
/// browser it came from), `{until}` (when an automatic lock ends) and `{passkey}` (a passkey's name).
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
        "password_changed" => (
            "Your password for {tenant} was changed",
            "Hello {username},\n\nthe password of your account at {tenant} was changed {by} on {when}, from {from}.\n\nIf this was you, there is nothing to do. If it was not, choose a new password at once with the link below (it sends a reset link to this address), and tell your administrator:\n\n{link}\n",
        ),
        "two_factor_added" => (
            "Two-step verification for {tenant} was set up",
            "Hello {username},\n\nan authenticator app was set up for two-step verification of your account at {tenant} {by} on {when}, from {from}. From now on a login asks for a code from that app.\n\nIf this was not you, someone knows your password: choose a new one at once with the link below, and tell your administrator so that they can reset your two-step verification:\n\n{link}\n",
        ),
        "two_factor_removed" => (
            "Two-step verification for {tenant} was turned off",
            "Hello {username},\n\ntwo-step verification of your account at {tenant} was turned off {by} on {when}, from {from}. A login now needs your password only.\n\nIf this was not you, choose a new password at once with the link below, turn two-step verification on again from your account page, and tell your administrator:\n\n{link}\n",
        ),
        "passkey_added" => (
            "A passkey was added to your account at {tenant}",
            "Hello {username},\n\na passkey was added to your account at {tenant} {by} on {when}, from {from}. It can log in to your account without your password.\n\nThe name it was given (by whoever added it): {passkey}\n\nIf this was not you, remove that passkey from your account page, choose a new password at once with the link below, and tell your administrator:\n\n{link}\n",
        ),
        "passkey_removed" => (
            "A passkey was removed from your account at {tenant}",
            "Hello {username},\n\na passkey was removed from your account at {tenant} {by} on {when}, from {from}. A passkey removed can no longer log in to your account.\n\nRemoved: {passkey}\n\nIf this was not you, choose a new password at once with the link below, and tell your administrator:\n\n{link}\n",
        ),
        "email_changed" => (
            "The e-mail address of your account at {tenant} was changed",
            "Hello {username},\n\nthe e-mail address of your account at {tenant} was changed {by} on {when}, from {from}. Messages about your account now go to the new address, and no longer to this one.\n\nIf this was not you, tell your administrator at once: they can set your address back and end every session of your account.\n",
        ),
        "account_locked" => (
            "Your account at {tenant} was locked",
            "Hello {username},\n\nyour account at {tenant} was locked {by} on {when}. Nobody can log in to it until an administrator unlocks it, and its sessions have ended.\n\nIf you do not know why, ask your administrator.\n",
        ),
        "account_auto_locked" => (
            "Your account at {tenant} was locked after failed logins",
            "Hello {username},\n\nyour account at {tenant} was locked on {when} after too many failed logins, the last from {from}. It unlocks by itself on {until}; until then nobody can log in to it, and its sessions have ended.\n\nIf those logins were not yours, someone may be guessing your password: choose a new one with the link below, and tell your administrator:\n\n{link}\n",
        ),
        _ => (
            "Confirm your new e-mail address for {tenant}",
            "Hello {username},\n\nto use this address for your account at {tenant}, open this link within {valid_for}:\n\n{link}\n\nUntil then your previous address stays in use.\n",
        ),
    }
}

/// Every placeholder a message may hold.
pub const PLACEHOLDERS: &[&str] = &[
    "tenant",
    "username",
    "link",
    "valid_for",
    "when",
    "by",
    "from",
    "until",
    "passkey",
];

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
    let values = [("username", username.to_owned()), ("valid_for", valid_for.to_owned())];
    render_with(ctx, policy, kind, link, &values)
}

/// [`render`] with any placeholders: `{tenant}` and `{link}` are filled in from `ctx` and `link`, the rest from
/// `values`; a placeholder with no value is left empty.
pub fn render_with(
    ctx: &Ctx,
    policy: &TenantPolicy,
    kind: &str,
    link: Option<&str>,
    values: &[(&'static str, String)],
) -> Rendered {
    let (subject, text) = builtin(kind);
    let custom = policy.mail_templates.get(kind);
    let subject = custom
        .and_then(|c| c.subject.clone())
        .unwrap_or_else(|| subject.to_owned());
    let text_template = custom.and_then(|c| c.text.clone()).unwrap_or_else(|| text.to_owned());
    let mut plain = vec![
        ("tenant", ctx.tenant.display_name.clone()),
        ("link", link.unwrap_or_default().to_owned()),
    ];
    plain.extend(values.iter().cloned());
    for name in PLACEHOLDERS {
        if !plain.iter().any(|(k, _)| k == name) {
            plain.push((name, String::new()));
        }
    }
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
