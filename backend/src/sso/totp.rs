//! TOTP codes: SHA-1, 6 digits, 30-second steps (what authenticator apps and pyotp use), accepted within
//! `totp.valid_window` steps either side, and each step at most once per user.

use chrono::NaiveDateTime;
use totp_rs::{Algorithm, Builder, Secret};

pub const STEP_SECONDS: u64 = 30;

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpRejection {
    /// The key is unusable (not base32, or under 80 bits).
    BadKey,
    /// The code matches no step in the window.
    Wrong,
    /// The code's step was already used.
    Replayed,
}

/// A new random key: 160 bits, 32 base32 characters (as pyotp makes them).
pub fn new_key() -> String {
    let mut bytes = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    Secret::new(bytes.to_vec().into_boxed_slice()).to_base32()
}

/// Decodes a base32 key (spaces and padding ignored, any case); keys under 80 bits are refused.
pub fn decode_key(key: &str) -> Option<Vec<u8>> {
    let normalised: String = key
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_uppercase();
    let secret = Secret::try_from_base32(&normalised).ok()?;
    let bytes = secret.as_bytes().to_vec();
    (bytes.len() >= 10).then_some(bytes)
}

/// Checks `code` against `key` at `now`; on success returns the step it matched, which the caller stores so
/// the same step is never accepted again. `last_step` is the last step accepted for this user.
pub fn check(
    key: &str,
    code: &str,
    now: NaiveDateTime,
    valid_window: u8,
    last_step: Option<i64>,
) -> Result<i64, TotpRejection> {
    let bytes = decode_key(key).ok_or(TotpRejection::BadKey)?;
    // Keys under 128 bits (Zato's are often 80) are accepted for compatibility: hence the non-compliant build.
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_skew(u16::from(valid_window))
        .with_secret(Secret::new(bytes.into_boxed_slice()))
        .build_noncompliant();
    let time = u64::try_from(now.and_utc().timestamp()).map_err(|_| TotpRejection::Wrong)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRejection::Wrong);
    }
    let step = totp.check(&code, time).ok_or(TotpRejection::Wrong)?;
    let step = i64::try_from(step).map_err(|_| TotpRejection::Wrong)?;
    if last_step.is_some_and(|last| step <= last) {
        return Err(TotpRejection::Replayed);
    }
    Ok(step)
}

/// The code for `key` at `time` (tests, and showing a user what their app should display).
pub fn code_at(key: &str, time: NaiveDateTime) -> Option<String> {
    let bytes = decode_key(key)?;
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::new(bytes.into_boxed_slice()))
        .build_noncompliant();
    Some(
        totp.generate(u64::try_from(time.and_utc().timestamp()).ok()?)
            .to_string(),
    )
}

/// Checks a base32 TOTP key carries at least 80 bits.
pub fn check_totp_key(key: &str) -> Result<(), gatehouse_shared::SubStatus> {
    decode_key(key)
        .map(|_| ())
        .ok_or(gatehouse_shared::SubStatus::CommonInvalidInput)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_keys_need_80_bits() {
        use gatehouse_shared::SubStatus;
        assert!(check_totp_key("JBSWY3DPEHPK3PXP").is_ok()); // 80 bits, as Zato's often are
        assert!(check_totp_key("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").is_ok());
        assert!(check_totp_key("jbswy3dp ehpk3pxp").is_ok());
        assert_eq!(check_totp_key("JBSWY3DP"), Err(SubStatus::CommonInvalidInput));
        assert_eq!(check_totp_key("not base32!"), Err(SubStatus::CommonInvalidInput));
    }
    use chrono::{DateTime, TimeDelta};

    fn at(seconds: i64) -> NaiveDateTime {
        DateTime::from_timestamp(seconds, 0).unwrap().naive_utc()
    }

    // RFC 6238 appendix B: the SHA-1 key "12345678901234567890", truncated to 6 digits.
    const RFC_KEY: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_rfc_6238() {
        assert_eq!(code_at(RFC_KEY, at(59)).as_deref(), Some("287082"));
        assert_eq!(code_at(RFC_KEY, at(1_111_111_109)).as_deref(), Some("081804"));
        assert_eq!(code_at(RFC_KEY, at(1_234_567_890)).as_deref(), Some("005924"));
    }

    #[test]
    fn window_replay_and_bad_input() {
        let now = at(1_234_567_890);
        let step = 1_234_567_890 / 30;
        let current = code_at(RFC_KEY, now).unwrap();
        let previous = code_at(RFC_KEY, now - TimeDelta::seconds(30)).unwrap();
        let two_back = code_at(RFC_KEY, now - TimeDelta::seconds(60)).unwrap();
        assert_eq!(check(RFC_KEY, &current, now, 1, None), Ok(step));
        assert_eq!(check(RFC_KEY, &previous, now, 1, None), Ok(step - 1));
        assert_eq!(check(RFC_KEY, &two_back, now, 1, None), Err(TotpRejection::Wrong));
        assert_eq!(check(RFC_KEY, &previous, now, 0, None), Err(TotpRejection::Wrong));
        assert_eq!(
            check(RFC_KEY, &current, now, 1, Some(step)),
            Err(TotpRejection::Replayed)
        );
        assert_eq!(
            check(RFC_KEY, &previous, now, 1, Some(step - 1)),
            Err(TotpRejection::Replayed)
        );
        assert_eq!(check(RFC_KEY, &current, now, 1, Some(step - 1)), Ok(step));
        assert_eq!(check(RFC_KEY, "12345", now, 1, None), Err(TotpRejection::Wrong));
        assert_eq!(check(RFC_KEY, "abcdef", now, 1, None), Err(TotpRejection::Wrong));
        assert_eq!(check("SHORT", &current, now, 1, None), Err(TotpRejection::BadKey));
        // An 80-bit key, as Zato often has, works.
        let zato_key = "JBSWY3DPEHPK3PXP";
        let code = code_at(zato_key, now).unwrap();
        assert_eq!(check(zato_key, &code, now, 1, None), Ok(step));
    }
}
