//! The offline check for common and breached passwords. The list is the password dictionary that the zxcvbn
//! crate ships (some 30,000 of the passwords most often seen in public breach corpora, ranked by frequency), so
//! nothing is fetched and no list of our own is kept. A password is common when zxcvbn explains the whole of it
//! as one entry of that dictionary, in any letter case, reversed or with the usual l33t substitutions
//! (`P@ssw0rd`): the guesses an attacker with that list needs are at most the entry's rank.

use zxcvbn::matching::patterns::MatchPattern;

/// Whether `password` is, as a whole, one of the common passwords.
pub fn is_common(password: &str) -> bool {
    if password.is_empty() {
        return false;
    }
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let last = password.chars().count() - 1;
    match entropy.sequence() {
        [only] if only.i == 0 && only.j == last => match &only.pattern {
            // The dictionary's type lives in a private module of the crate, so it is told apart by its name.
            MatchPattern::Dictionary(d) => format!("{:?}", d.dictionary_name) == "Passwords",
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_common;

    #[test]
    fn listed_passwords_and_their_disguises_are_common() {
        for p in [
            "password",
            "Password1",
            "iloveyou",
            "P@ssw0rd",
            "qwertyuiop",
            "drowssap",
            "TRUSTNO1",
            "sunshine",
        ] {
            assert!(is_common(p), "{p} should be common");
        }
    }

    #[test]
    fn unlisted_or_extended_passwords_are_not() {
        for p in [
            "",
            "correct horse battery staple",
            "Tr0ub4dor&3-horse",
            "zq8#Lm2!vR",
            "sunshine over Kraków",
        ] {
            assert!(!is_common(p), "{p} should not be common");
        }
    }
}
