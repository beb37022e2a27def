//! IP allow-lists: any list and address are judged without a panic, and a network always contains its own
//! address.
#![no_main]

use gatehouse::config::{StringList, parse_net};
use gatehouse::sso::address::{allowed, parse_addr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.lines();
    let addr = lines.next().unwrap_or_default();
    let entries: Vec<&str> = lines.collect();
    let list = StringList::of(&entries);
    let _ = allowed(Some(&list), false, Some(addr));
    let _ = parse_addr(addr);
    for entry in entries {
        if let Some(net) = parse_net(entry) {
            let own = net.addr().to_string();
            assert!(
                allowed(Some(&StringList::of(&[entry])), true, Some(&own)),
                "{entry} does not contain its own address {own}"
            );
        }
    }
});
