//! A client's user agent in words: the browser and the system it runs on, as a person recognises them ("Firefox
//! 128 on Linux"), for the sessions pages and the security notices. Parsing is Project Woothee's (the `woothee`
//! crate): its dataset is compiled in, so it costs nothing at start and little per call.

/// Agents longer than this are read only up to it (a header may be long; what names a browser comes early).
const MAX_LEN: usize = 512;

const UNKNOWN: &str = "UNKNOWN";

/// The browser and system an agent names; `None` where it names none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// The browser with its major version: `Chrome 131`.
    pub browser: Option<String>,
    /// The operating system: `Windows 10`, `Android`, `iPhone`, `Mac OSX`, `Linux`.
    pub system: Option<String>,
}

/// Reads a user agent.
pub fn parse(agent: &str) -> Device {
    let agent = match agent.char_indices().nth(MAX_LEN) {
        Some((end, _)) => &agent[..end],
        None => agent,
    };
    let Some(found) = woothee::parser::Parser::new().parse(agent) else {
        return Device::default();
    };
    let known = |s: &str| (!s.is_empty() && s != UNKNOWN).then(|| s.to_owned());
    let browser = known(found.name).map(|name| {
        let major = found.version.split('.').next().unwrap_or_default();
        if major.is_empty() || major == UNKNOWN || !major.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            format!("{name} {major}")
        }
    });
    Device {
        browser,
        system: known(found.os),
    }
}

/// An agent in words, `None` when it names neither a browser nor a system.
pub fn describe(agent: &str) -> Option<String> {
    let Device { browser, system } = parse(agent);
    match (browser, system) {
        (Some(b), Some(s)) => Some(format!("{b} on {s}")),
        (Some(b), None) => Some(b),
        (None, Some(s)) => Some(format!("a browser on {s}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(describe(chrome).as_deref(), Some("Chrome 131 on Windows 10"));
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe(firefox).as_deref(), Some("Firefox 128 on Linux"));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like \
                      Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(iphone).as_deref(), Some("Safari 17 on iPhone"));
    }

    #[test]
    fn what_names_nothing_says_nothing() {
        assert_eq!(describe(""), None);
        assert!(describe("curl/8.5.0").is_none_or(|d| !d.contains(UNKNOWN)));
        let long = "x".repeat(100_000);
        assert_eq!(describe(&long), None);
        let multibyte = "é".repeat(1_000);
        assert_eq!(parse(&multibyte), Device::default());
    }
}
