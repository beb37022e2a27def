//! The password policy of reference §8.4, in its order: complexity (zxcvbn, when `min_complexity` is above 0),
//! minimum and maximum length counted in characters, then the reject list matched as a case-insensitive
//! substring; then Gatehouse's own rule, that it is not one of the common and breached passwords (E003009).

use crate::config::policy::PasswordSection;
use crate::crypto::password::Password;
use crate::store::users::UserRow;
use gatehouse_shared::SubStatus;

/// What is known of the password a new one would replace.
pub enum Current<'a> {
    /// Given in the same request (a login, a self-service change), already verified.
    Plain(&'a Password),
    /// Only its hash (a reset): one more verification tells.
    Hashed,
}

impl super::Sso {
    /// Checks a password that is to replace `user`'s: the tenant's policy, then that it is not the current
    /// password (`E003010`). The outer error is the hashing pool's; the inner the code the new password breaks,
    /// which the caller shows per `password.inform_if_invalid`.
    pub(crate) async fn check_new_password(
        &self,
        policy: &PasswordSection,
        user: &UserRow,
        new: &Password,
        current: Current<'_>,
    ) -> super::SsoResult<Result<(), SubStatus>> {
        if let Err(code) = check(policy, new, &[user.username.as_str()]) {
            return Ok(Err(code));
        }
        let same = match current {
            Current::Plain(old) => old.expose() == new.expose(),
            Current::Hashed => self.verify_row_password(user, new.clone()).await?,
        };
        Ok(if same {
            Err(SubStatus::PasswordNotChanged)
        } else {
            Ok(())
        })
    }
}

/// The first rule `password` breaks. `user_inputs` (username, names, e-mail) make zxcvbn stricter.
pub fn check(policy: &PasswordSection, password: &Password, user_inputs: &[&str]) -> Result<(), SubStatus> {
    let text = password.expose();
    if policy.min_complexity > 0 {
        let score = u8::from(zxcvbn::zxcvbn(text, user_inputs).score());
        if score < policy.min_complexity {
            return Err(SubStatus::PasswordNotComplexEnough);
        }
    }
    let len = password.char_count();
    if len < policy.min_length as usize {
        return Err(SubStatus::PasswordTooShort);
    }
    if len > policy.max_length as usize {
        return Err(SubStatus::PasswordTooLong);
    }
    let lower = text.to_lowercase();
    if policy
        .reject_list
        .iter()
        .any(|entry| !entry.is_empty() && lower.contains(&entry.to_lowercase()))
    {
        return Err(SubStatus::PasswordInvalid);
    }
    if super::common_passwords::is_common(text) {
        return Err(SubStatus::PasswordTooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_default(p: &str) -> Result<(), SubStatus> {
        check(&PasswordSection::default(), &Password::new(p), &[])
    }

    #[test]
    fn each_rule_has_its_code() {
        assert_eq!(check_default("short"), Err(SubStatus::PasswordTooShort));
        assert_eq!(check_default(&"x".repeat(257)), Err(SubStatus::PasswordTooLong));
        assert_eq!(check_default("MyPassWord-is-long"), Err(SubStatus::PasswordInvalid));
        assert_eq!(check_default("abcQWERTYxyz"), Err(SubStatus::PasswordInvalid));
        assert_eq!(check_default("Tr0ub4dor&3-horse"), Ok(()));
        assert_eq!(check_default("baseball"), Err(SubStatus::PasswordTooCommon));
        assert_eq!(check_default("Sup3rman"), Err(SubStatus::PasswordTooCommon));
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // Eight characters, sixteen bytes in UTF-8.
        assert_eq!(check_default("żółwżółw"), Ok(()));
        // Seven characters but fourteen bytes: still too short.
        assert_eq!(check_default("żółwżół"), Err(SubStatus::PasswordTooShort));
        let policy = PasswordSection {
            max_length: 8,
            ..PasswordSection::default()
        };
        assert_eq!(
            check(&policy, &Password::new("żółwżółwż"), &[]),
            Err(SubStatus::PasswordTooLong)
        );
    }

    #[test]
    fn complexity_is_checked_first_and_only_when_enabled() {
        let policy = PasswordSection {
            min_complexity: 3,
            ..PasswordSection::default()
        };
        // Short and weak: the complexity code comes first, as in the reference.
        assert_eq!(
            check(&policy, &Password::new("abc"), &[]),
            Err(SubStatus::PasswordNotComplexEnough)
        );
        assert_eq!(
            check(&policy, &Password::new("aaaaaaaaaa"), &[]),
            Err(SubStatus::PasswordNotComplexEnough)
        );
        assert_eq!(
            check(&policy, &Password::new("correct-horse-battery-staple-77"), &[]),
            Ok(())
        );
        // The user's own name makes a password weaker.
        assert_eq!(
            check(&policy, &Password::new("alicealice1"), &["alicealice1"]),
            Err(SubStatus::PasswordNotComplexEnough)
        );
    }
}
