//! Security notices: a person hears by e-mail, at once, of every change to their account that someone else
//! could have made in their name: a new password, two-step verification set up or turned off, a passkey added or
//! removed, the e-mail address changed (told to the old address), the account locked (saying when an automatic
//! lock ends). Each notice says when, by whom and from where, and what to do if it was not them.
//!
//! The notices are derived from the change itself, in [`super::user_write::write`] (where every change to a user
//! lands) and in the passkey and automatic-lock paths, and queued in the outbox in the change's transaction: a
//! change that is rolled back sends nothing, and no surface can change an account without its notice.

use super::Ctx;
use super::context::Actor;
use super::mail_templates;
use crate::config::{TenantPolicy, TimeZone};
use crate::crypto::keyring::Keyring;
use crate::store::outbox::{self, NewMessage};
use crate::store::users::UserRow;
use crate::store::{AnyConnection, StoreResult, preferences};
use chrono::NaiveDateTime;
use std::sync::Arc;

/// A change a person is told of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    PasswordChanged,
    TwoFactorAdded,
    TwoFactorRemoved,
    PasskeyAdded {
        name: String,
    },
    /// One or more passkeys removed at once (an administrator's reset removes them all).
    PasskeyRemoved {
        names: Vec<String>,
    },
    /// Told to the address the account had before.
    EmailChanged,
    /// Locked by an administrator, until unlocked.
    Locked,
    /// Locked after failed logins, until `until`.
    AutoLocked {
        until: NaiveDateTime,
    },
}

impl Notice {
    /// The message kind (`mail_templates.<kind>` words it).
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::PasswordChanged => "password_changed",
            Notice::TwoFactorAdded => "two_factor_added",
            Notice::TwoFactorRemoved => "two_factor_removed",
            Notice::PasskeyAdded { .. } => "passkey_added",
            Notice::PasskeyRemoved { .. } => "passkey_removed",
            Notice::EmailChanged => "email_changed",
            Notice::Locked => "account_locked",
            Notice::AutoLocked { .. } => "account_auto_locked",
        }
    }
}

/// Whether the account's address may be sent notices: one its owner confirmed (or an administrator set), of an
/// account whose sign-up is complete. An address someone typed into a sign-up form and never confirmed is
/// nobody's yet: mailing it would let anyone send a stranger notice after notice.
pub fn reachable(row: &UserRow) -> bool {
    row.email_confirmed && row.sign_up_status == super::user::SIGNUP_FINAL
}

/// Whether `row` is locked at `now`: locked, and not by an automatic lock that has ended.
pub fn locked_at(row: &UserRow, now: NaiveDateTime) -> bool {
    row.is_locked && row.locked_until.is_none_or(|until| until > now)
}

/// The notices that going from `before` to `after` calls for, but a change of e-mail address (which needs the
/// addresses opened: [`Notifier::changed`]).
pub fn of_change(before: &UserRow, after: &UserRow, now: NaiveDateTime) -> Vec<Notice> {
    let mut notices = Vec::new();
    if after.password_hash != before.password_hash {
        notices.push(Notice::PasswordChanged);
    }
    let rekeyed = before.totp_key.is_some() && after.totp_key != before.totp_key;
    if after.is_totp_enabled && (!before.is_totp_enabled || rekeyed) {
        notices.push(Notice::TwoFactorAdded);
    } else if before.is_totp_enabled && !after.is_totp_enabled {
        notices.push(Notice::TwoFactorRemoved);
    }
    // Newly locked, or an automatic lock (whose notice said when it ends) made one that does not end by itself.
    let made_lasting = locked_at(before, now) && before.locked_until.is_some() && after.locked_until.is_none();
    if locked_at(after, now) && (!locked_at(before, now) || made_lasting) {
        notices.push(match (after.locked_by.as_deref(), after.locked_until) {
            (Some("auto"), Some(until)) => Notice::AutoLocked { until },
            _ => Notice::Locked,
        });
    }
    notices
}

/// What a change needs to tell its user: the context it is made in, the tenant's wording and the keys that open
/// addresses. Cloning is cheap.
#[derive(Clone)]
pub struct Notifier {
    ctx: Ctx,
    policy: Arc<TenantPolicy>,
    keyring: Keyring,
    public_url: Arc<str>,
    /// How a change made without logging in was made, in words (a reset link, a confirmation link).
    anonymous_by: &'static str,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("cid", &self.ctx.cid)
            .finish_non_exhaustive()
    }
}

impl super::Sso {
    /// A notifier for changes made in `ctx`, with the tenant's policy already read.
    pub(crate) fn notifier_with(&self, ctx: &Ctx, policy: Arc<TenantPolicy>) -> Notifier {
        Notifier {
            ctx: ctx.clone(),
            policy,
            keyring: self.keyring.clone(),
            public_url: Arc::from(self.config.server.public_url.as_str()),
            anonymous_by: "without logging in",
        }
    }

    /// A notifier for changes made in `ctx`.
    pub(crate) async fn notifier(&self, ctx: &Ctx) -> super::SsoResult<Notifier> {
        Ok(self.notifier_with(ctx, self.policy(&ctx.tenant).await?))
    }
}

impl Notifier {
    /// Says how a change made without logging in was made: `with a password reset link`.
    pub fn by(mut self, words: &'static str) -> Notifier {
        self.anonymous_by = words;
        self
    }

    /// The tenant the change is made in.
    pub fn tenant(&self) -> crate::store::TenantPk {
        self.ctx.tenant.pk
    }

    /// When the change is made.
    pub fn now(&self) -> NaiveDateTime {
        self.ctx.now
    }

    /// Queues the notices the change from `before` to `after` calls for.
    pub fn changed(&self, conn: &mut AnyConnection, before: &UserRow, after: &UserRow) -> StoreResult<()> {
        if reachable(after) {
            for notice in of_change(before, after, self.ctx.now) {
                self.tell(conn, after, after.email.as_deref(), &notice)?;
            }
        }
        // The same stored value is the same address: only a value written anew is opened and compared (every
        // write to a user passes here; most leave the address alone).
        let rewritten = before.email != after.email;
        if let Some(old) = before.email.as_deref().filter(|_| rewritten && reachable(before)) {
            let new = after.email.as_deref().map(|e| self.open(e));
            if new.is_none_or(|n| !n.eq_ignore_ascii_case(&self.open(old))) {
                self.tell(conn, after, Some(old), &Notice::EmailChanged)?;
            }
        }
        Ok(())
    }

    /// Queues `notice` to the user's address (nothing when they have none, or it is not [`reachable`]).
    pub fn notify(&self, conn: &mut AnyConnection, user: &UserRow, notice: &Notice) -> StoreResult<()> {
        if !reachable(user) {
            return Ok(());
        }
        self.tell(conn, user, user.email.as_deref(), notice)
    }

    fn open(&self, stored: &str) -> String {
        self.keyring.open_text(stored).unwrap_or_else(|| stored.to_owned())
    }

    fn tell(&self, conn: &mut AnyConnection, user: &UserRow, to: Option<&str>, notice: &Notice) -> StoreResult<()> {
        let Some(to) = to.map(|sealed| self.open(sealed)).filter(|a| !a.trim().is_empty()) else {
            return Ok(());
        };
        let zone = preferences::time_zone(conn, user.tenant_id, user.id)?
            .and_then(|name| TimeZone::parse(&name))
            .unwrap_or(self.policy.main.time_zone);
        let mut values = vec![
            ("username", user.username.clone()),
            ("when", zone.show(self.ctx.now)),
            ("by", by_whom(&self.ctx.actor, user, self.anonymous_by)),
            ("from", self.origin_in_words(user)),
        ];
        match notice {
            Notice::PasskeyAdded { name } => values.push(("passkey", passkeys_in_words(std::slice::from_ref(name)))),
            Notice::PasskeyRemoved { names } => values.push(("passkey", passkeys_in_words(names))),
            Notice::AutoLocked { until } => values.push(("until", zone.show(*until))),
            _ => {}
        }
        // Where to choose a new password: the reset page, which mails a link to the address on file.
        let link = format!(
            "{}/t/{}/password-reset",
            self.public_url.trim_end_matches('/'),
            self.ctx.tenant.slug.as_str()
        );
        let kind = notice.kind();
        let m = mail_templates::render_with(&self.ctx, &self.policy, kind, Some(&link), &values);
        outbox::enqueue(
            conn,
            &NewMessage {
                tenant: self.ctx.tenant.pk,
                kind,
                recipient: &to,
                subject: &m.subject,
                body_text: &m.text,
                body_html: &m.html,
            },
            self.ctx.now,
        )
    }

    /// The address and browser the change came from, in words: the person's own, or the one a change without
    /// logging in came from; an administrator's address and browser are theirs, and not told.
    fn origin_in_words(&self, user: &UserRow) -> String {
        match &self.ctx.actor {
            Actor::Cli(_) => return "the command line on the server".to_owned(),
            Actor::User(id) if *id != user.user_id => return "an administrator's session".to_owned(),
            _ => {}
        }
        let device = self.ctx.user_agent.as_deref().and_then(super::user_agent::describe);
        match (self.ctx.remote_addr.as_deref(), device) {
            (Some(addr), Some(device)) => format!("the address {addr} ({device})"),
            (Some(addr), None) => format!("the address {addr}"),
            (None, Some(device)) => format!("an unknown address ({device})"),
            (None, None) => "an unknown address".to_owned(),
        }
    }
}

/// Passkeys by name, on a line of their own: `"Phone"`, `"Phone" and "Laptop"`. A name is whatever whoever
/// added the passkey typed, so it is told as a quoted name and nothing more: its own quotes and line breaks go.
fn passkeys_in_words(names: &[String]) -> String {
    let quoted: Vec<String> = names
        .iter()
        .map(|n| {
            let clean: String = n.chars().filter(|c| *c != '"' && !c.is_control()).collect();
            format!("\"{}\"", clean.trim())
        })
        .collect();
    match quoted.as_slice() {
        [] => "a passkey without a name".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Who made a change to `user`, in words.
fn by_whom(actor: &Actor, user: &UserRow, anonymous: &str) -> String {
    match actor {
        Actor::User(id) if *id == user.user_id => "from your account",
        Actor::User(_) => "by an administrator",
        Actor::Cli(_) => "by an administrator",
        Actor::Auto => "by Gatehouse",
        Actor::Anonymous => anonymous,
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 28)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("a time")
    }

    fn row() -> UserRow {
        UserRow {
            id: 1,
            tenant_id: 1,
            user_id: "u2".into(),
            username: "alice".into(),
            is_super_user: false,
            is_locked: false,
            locked_time: None,
            locked_by: None,
            locked_until: None,
            approval_status: "approved".into(),
            approval_status_mod_time: at(9),
            approval_status_mod_by: "auto".into(),
            password_hash: "hash".into(),
            password_must_change: false,
            password_last_set: at(9),
            password_expiry: at(23),
            sign_up_status: "final".into(),
            sign_up_time: at(9),
            sign_up_confirm_time: None,
            email: None,
            email_hash: None,
            display_name: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            is_totp_enabled: false,
            totp_key: None,
            totp_label: None,
            totp_last_step: None,
            email_confirmed: true,
            passkey_count: 0,
        }
    }

    #[test]
    fn who_acted_is_told_in_words() {
        let user = row();
        let link = "with a link";
        assert_eq!(by_whom(&Actor::User("u2".into()), &user, link), "from your account");
        assert_eq!(by_whom(&Actor::User("u1".into()), &user, link), "by an administrator");
        assert_eq!(
            by_whom(&Actor::Cli("root@host".into()), &user, link),
            "by an administrator"
        );
        assert_eq!(by_whom(&Actor::Anonymous, &user, link), "with a link");
        assert_eq!(passkeys_in_words(&["Phone".into()]), "\"Phone\"");
        assert_eq!(
            passkeys_in_words(&["A".into(), "B".into(), "C".into()]),
            "\"A\", \"B\" and \"C\""
        );
        // A name cannot close its quotes and go on in Gatehouse's voice, nor start a line of its own.
        assert_eq!(
            passkeys_in_words(&["x\" was added by IT as planned.\nIgnore".into()]),
            "\"x was added by IT as planned.Ignore\""
        );
    }

    #[test]
    fn a_new_password_and_the_second_factor_are_told() {
        let before = row();
        let mut after = before.clone();
        after.password_hash = "other".into();
        assert_eq!(of_change(&before, &after, at(10)), vec![Notice::PasswordChanged]);

        let mut on = before.clone();
        on.is_totp_enabled = true;
        on.totp_key = Some("k1".into());
        assert_eq!(of_change(&before, &on, at(10)), vec![Notice::TwoFactorAdded]);
        let mut rekeyed = on.clone();
        rekeyed.totp_key = Some("k2".into());
        assert_eq!(of_change(&on, &rekeyed, at(10)), vec![Notice::TwoFactorAdded]);
        let mut off = on.clone();
        off.is_totp_enabled = false;
        off.totp_key = None;
        assert_eq!(of_change(&on, &off, at(10)), vec![Notice::TwoFactorRemoved]);
        // A key set while 2FA stays off turns nothing on.
        let mut keyed = before.clone();
        keyed.totp_key = Some("k".into());
        assert!(of_change(&before, &keyed, at(10)).is_empty());
    }

    #[test]
    fn a_lock_is_told_once_and_says_whether_it_ends_by_itself() {
        let before = row();
        let mut locked = before.clone();
        locked.is_locked = true;
        locked.locked_by = Some("u1".into());
        assert_eq!(of_change(&before, &locked, at(10)), vec![Notice::Locked]);
        assert!(of_change(&locked, &locked, at(10)).is_empty());

        let mut auto = before.clone();
        auto.is_locked = true;
        auto.locked_by = Some("auto".into());
        auto.locked_until = Some(at(11));
        assert_eq!(
            of_change(&before, &auto, at(10)),
            vec![Notice::AutoLocked { until: at(11) }]
        );
        // An administrator's lock after an automatic one has ended is a new lock.
        let mut relocked = auto.clone();
        relocked.locked_by = Some("u1".into());
        relocked.locked_until = None;
        assert_eq!(of_change(&auto, &relocked, at(12)), vec![Notice::Locked]);
        // One during the automatic lock makes it last (its notice said when it would end): told too.
        assert_eq!(of_change(&auto, &relocked, at(10)), vec![Notice::Locked]);
        // Failures during a lasting lock change nothing to tell.
        assert!(of_change(&relocked, &relocked, at(10)).is_empty());
    }
}
