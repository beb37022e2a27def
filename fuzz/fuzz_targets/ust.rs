//! UST decoding: any string presented as a UST is refused or opened, never a panic; whatever opens is one of
//! our session secrets.
#![no_main]

use gatehouse::crypto::keyring::Keyring;
use gatehouse::crypto::tokens;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYRING: LazyLock<Keyring> =
    LazyLock::new(|| Keyring::new(&["AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".to_owned()]).expect("a valid key"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if tokens::lookup_hash(&KEYRING, text).is_some() {
        let opened = KEYRING.open_text(text).expect("what hashes also opens");
        assert!(opened.starts_with("zust"), "only session secrets are accepted");
    }
    let _ = KEYRING.open(text);
});
