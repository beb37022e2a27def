//! Per-user IP allow-lists (reference §10.4, as documented rather than as Zato 3.2 behaved): a user who is not
//! listed is allowed unless `login.reject_if_not_listed`; `*` allows every address; an empty list denies; IPs
//! and CIDRs, v4 or v6, allow the addresses they contain.

use crate::config::{StringList, parse_net};
use std::net::IpAddr;

/// Whether `addr` may be used by a user whose entry is `entry` (`None`: not listed).
pub fn allowed(entry: Option<&StringList>, reject_if_not_listed: bool, addr: Option<&str>) -> bool {
    let Some(list) = entry else {
        return !reject_if_not_listed;
    };
    if list.iter().any(|e| e == "*") {
        return true;
    }
    let Some(addr) = addr.and_then(parse_addr) else {
        return false;
    };
    // An IPv4 address is also matched in its IPv4-mapped IPv6 form, so entries written either way (including
    // IPv6 networks that cover `::ffff:0:0/96`) behave alike (found by fuzzing: such entries never matched).
    let mapped = match addr {
        IpAddr::V4(v4) => Some(IpAddr::V6(v4.to_ipv6_mapped())),
        IpAddr::V6(_) => None,
    };
    list.iter()
        .filter_map(parse_net)
        .any(|net| net.contains(&addr) || mapped.is_some_and(|m| net.contains(&m)))
}

/// Parses an address, mapping IPv4-mapped IPv6 (`::ffff:10.0.0.1`) to IPv4 so either form matches a v4 CIDR.
pub fn parse_addr(s: &str) -> Option<IpAddr> {
    let ip: IpAddr = s.trim().parse().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> StringList {
        StringList::of(items)
    }

    #[test]
    fn ipv4_mapped_entries_match_like_their_ipv4_form() {
        for entry in ["::ffff:10.0.0.1", "::ffff:10.0.0.0/104", "::ffff:10.0.0.1/128"] {
            assert!(allowed(Some(&list(&[entry])), true, Some("10.0.0.1")), "{entry}");
            assert!(allowed(Some(&list(&[entry])), true, Some("::ffff:10.0.0.1")), "{entry}");
        }
        assert!(!allowed(Some(&list(&["::ffff:10.0.0.0/104"])), true, Some("11.0.0.1")));
    }

    #[test]
    fn documented_semantics() {
        assert!(
            allowed(None, false, Some("203.0.113.9")),
            "not listed: allowed by default"
        );
        assert!(
            !allowed(None, true, Some("203.0.113.9")),
            "not listed: denied with reject_if_not_listed"
        );
        assert!(allowed(Some(&list(&["*"])), true, Some("203.0.113.9")));
        assert!(allowed(Some(&list(&["*"])), true, None));
        assert!(
            !allowed(Some(&list(&[])), false, Some("203.0.113.9")),
            "an empty list denies"
        );
        let nets = list(&["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]);
        assert!(allowed(Some(&nets), false, Some("10.1.2.3")));
        assert!(allowed(Some(&nets), false, Some("192.0.2.7")));
        assert!(!allowed(Some(&nets), false, Some("192.0.2.8")));
        assert!(allowed(Some(&nets), false, Some("2001:db8::1")));
        assert!(!allowed(Some(&nets), false, Some("2001:db9::1")));
        assert!(
            allowed(Some(&nets), false, Some("::ffff:10.9.9.9")),
            "IPv4-mapped IPv6 matches v4 networks"
        );
        assert!(!allowed(Some(&nets), false, None), "no address matches no network");
        assert!(!allowed(Some(&nets), false, Some("not an ip")));
    }
}
