//! The layering, read from the source: `http → sso → store → (domain, crypto, config)`, with `mail` and `metrics`
//! below `sso`, `config` at the bottom and the CLI on top; the adapters under `http/` never reach the store
//! (they speak to the domain); Diesel only in `store/`; the envelope middleware apart
//! from the request meta and the error rendering. Each file's references to the crate's modules are collected
//! (`crate::…`, `super::…`, `use crate::{…}` groups; comments and string literals are left out) and checked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules from the bottom up; a module may reference only modules of a lower rank.
const LAYERS: &[(&str, u8)] = &[
    ("config", 0),
    ("crypto", 1),
    ("domain", 1),
    ("telemetry", 1),
    ("store", 2),
    ("mail", 3),
    ("metrics", 3),
    ("outbound", 3),
    ("sso", 4),
    ("http", 5),
    ("cli", 6),
];

fn rank(top: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == top).map(|(_, r)| *r)
}

/// One source file: its path under `src/` (with `/`), its module path, and its code without comments and with
/// string and character literals emptied.
struct Source {
    rel: String,
    module: Vec<String>,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_owned).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source {
                rel,
                module,
                code: code_only(&text),
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text with comments removed and the contents of string and character literals blanked (line breaks
/// kept), so that neither a doc link nor a message naming a module counts as a reference.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[u8], out: &mut String| {
        out.extend(s.iter().filter(|c| **c == b'\n').map(|_| '\n'));
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
            i += end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, 2);
            while j < rest.len() && depth > 0 {
                if rest[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if rest[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            keep_lines(&rest[..j], &mut out);
            i += j;
        } else if let Some(hashes) = raw_string_start(b, i) {
            // r"…", r#"…"#, br"…": ends at the quote followed by as many hashes.
            let open = rest.iter().position(|c| *c == b'"').unwrap() + 1;
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            let len = rest[open..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(rest.len(), |p| open + p + close.len());
            out.push_str("\"\"");
            keep_lines(&rest[..len], &mut out);
            i += len;
        } else if rest[0] == b'"' {
            let mut j = 1;
            while j < rest.len() && rest[j] != b'"' {
                j += if rest[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            keep_lines(&rest[..j.min(rest.len())], &mut out);
            i += (j + 1).min(rest.len());
        } else if rest[0] == b'\'' {
            // A character literal ('x', '\n', '\u{1e}'), else a lifetime or a label.
            let len = if rest.get(1) == Some(&b'\\') {
                // An escape: the character after the backslash, then up to the closing quote.
                rest.get(3..)
                    .and_then(|tail| tail.iter().position(|c| *c == b'\''))
                    .map(|p| p + 4)
            } else {
                let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + ch) == Some(&b'\'')).then_some(ch + 2)
            };
            match len {
                Some(len) => {
                    out.push_str("' '");
                    i += len;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// At a raw string literal (`r"`, `r#"`, `br"`, not inside an identifier): how many hashes it has.
fn raw_string_start(b: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_ident(b[i - 1]) {
        return None;
    }
    let mut j = i;
    if b.get(j) == Some(&b'b') {
        j += 1;
    }
    if b.get(j) != Some(&b'r') {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some(hashes)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The path written at `at`: identifiers separated by `::` (spaces allowed after it), and where it ends (at a
/// `{` group, a `*`, or whatever follows the last identifier).
fn path_at(code: &str, mut at: usize) -> (Vec<String>, usize) {
    let b = code.as_bytes();
    let mut segments = Vec::new();
    loop {
        let end = b[at..].iter().position(|c| !is_ident(*c)).map_or(b.len(), |p| at + p);
        if end == at {
            break;
        }
        segments.push(code[at..end].to_owned());
        at = end;
        if !code[at..].starts_with("::") {
            break;
        }
        at += 2;
        at += b[at..].iter().take_while(|c| c.is_ascii_whitespace()).count();
    }
    (segments, at)
}

/// Every module path a file's code names, resolved from the crate root and cut to its first two segments:
/// `crate::a::b`, the members of `crate::{a, b::c}` groups, `super::…` (any number of them) and `self::…`;
/// with the path as written, for messages. (`super` in an inline module is resolved as if in the file's.)
fn references(source: &Source) -> BTreeSet<(Vec<String>, String)> {
    let (code, b) = (source.code.as_str(), source.code.as_bytes());
    let resolve = |segments: &[String]| -> Vec<String> {
        let mut module = source.module.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                module.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            _ => {}
        }
        while rest.first().map(String::as_str) == Some("super") {
            module.pop();
            rest = &rest[1..];
        }
        module.extend(rest.iter().cloned());
        module.truncate(2);
        module
    };
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < b.len() {
        let word_end = b[i..].iter().position(|c| !is_ident(*c)).map_or(b.len(), |p| i + p);
        let at_start = i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':' || b[i - 1] == b'$');
        if word_end == i || !at_start || !matches!(&code[i..word_end], "crate" | "super" | "self") {
            i = word_end.max(i + 1);
            continue;
        }
        let (segments, mut end) = path_at(code, i);
        let written = segments.join("::");
        let base = resolve(&segments);
        if !base.is_empty() {
            found.insert((base, written.clone()));
        }
        if b.get(end) == Some(&b'{') {
            // A group: each member's path, read from its start at the group's first level.
            let (mut depth, mut k, mut member_start) = (0, end, false);
            while k < b.len() {
                match b[k] {
                    b'{' => {
                        depth += 1;
                        member_start = depth == 1;
                    }
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => member_start = true,
                    c if depth == 1 && member_start && is_ident(c) => {
                        let (member, member_end) = path_at(code, k);
                        if member.first().map(String::as_str) != Some("self") {
                            let mut full = segments.clone();
                            full.extend(member.iter().cloned());
                            found.insert((resolve(&full), format!("{written}::{{{}}}", member.join("::"))));
                        }
                        member_start = false;
                        k = member_end;
                        continue;
                    }
                    _ => {}
                }
                k += 1;
            }
            end = k;
        }
        i = end.max(i + 1);
    }
    found
}

fn mentions_diesel(code: &str) -> bool {
    let b = code.as_bytes();
    code.match_indices("diesel").any(|(at, _)| {
        let before = at.checked_sub(1).map(|p| b[p]);
        let after = b.get(at + "diesel".len()).copied();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn diesel_is_used_only_in_the_store() {
    let sources = sources();
    assert!(
        sources.iter().any(|s| s.rel == "store/users.rs"),
        "the sources were not found"
    );
    let offenders: Vec<String> = sources
        .iter()
        .filter(|s| s.module.first().map(String::as_str) != Some("store") && mentions_diesel(&s.code))
        .map(|s| {
            let lines: Vec<String> = s
                .code
                .lines()
                .enumerate()
                .filter(|(_, l)| mentions_diesel(l))
                .map(|(n, l)| format!("  {}:{}: {}", s.rel, n + 1, l.trim()))
                .collect();
            lines.join("\n")
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "Diesel outside store/ (queries belong in a store module):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn only_the_session_check_and_the_cli_make_an_administrator() {
    // The capability every administrative operation takes: the session check makes it
    // (`CurrentSession::require_super_user`); the trusted local CLI makes its own. No surface may.
    let sources = sources();
    let makers: Vec<&str> = sources
        .iter()
        .filter(|s| s.code.contains("cli_admin(") && s.rel != "cli.rs" && s.rel != "sso/admin.rs")
        .map(|s| s.rel.as_str())
        .collect();
    assert!(makers.is_empty(), "`Sso::cli_admin` outside the CLI: {makers:?}");
    let forged: Vec<&str> = sources
        .iter()
        .filter(|s| s.code.contains("Admin {") && s.rel != "sso/admin.rs")
        .map(|s| s.rel.as_str())
        .collect();
    assert!(forged.is_empty(), "an `Admin` built outside sso/admin.rs: {forged:?}");
    // Tenants are created by an operator on every surface (`create_tenant_as`); the bare call is for first
    // start, the CLI and tests.
    let unchecked: Vec<&str> = sources
        .iter()
        .filter(|s| s.rel.starts_with("http/") && s.code.contains(".create_tenant("))
        .map(|s| s.rel.as_str())
        .collect();
    assert!(
        unchecked.is_empty(),
        "a tenant created without an operator: {unchecked:?}"
    );
    assert!(
        sources
            .iter()
            .any(|s| s.rel == "cli.rs" && s.code.contains("cli_admin(")),
        "the CLI's capability was not found"
    );
}

#[test]
fn the_top_level_modules_are_layered() {
    let sources = sources();
    let mut violations = Vec::new();
    let mut http_to_sso = 0;
    for source in &sources {
        let Some(own) = source.module.first() else { continue };
        let Some(own_rank) = rank(own) else {
            violations.push(format!(
                "{}: the module `{own}` has no place in the layering (add it to LAYERS)",
                source.rel
            ));
            continue;
        };
        for (path, written) in references(source) {
            let Some(top) = path.first() else { continue };
            if top == own {
                continue;
            }
            let Some(their_rank) = rank(top) else { continue };
            if own == "http" && top == "sso" {
                http_to_sso += 1;
            }
            if their_rank >= own_rank {
                violations.push(format!(
                    "{}: `{own}` references `{written}`, a module at or above its layer",
                    source.rel
                ));
            } else if own == "http" && top == "store" {
                violations.push(format!(
                    "{}: `http` references `{written}`: the adapters speak to the domain, not the store",
                    source.rel
                ));
            }
        }
    }
    assert!(
        http_to_sso > 10,
        "the references were not read (http → sso found {http_to_sso} times)"
    );
    assert!(violations.is_empty(), "layering broken:\n  {}", violations.join("\n  "));
}

#[test]
fn the_envelope_stands_apart_from_the_meta_and_the_errors() {
    let sources = sources();
    let file = |rel: &str| {
        sources
            .iter()
            .find(|s| s.rel == rel)
            .unwrap_or_else(|| panic!("{rel} not found"))
    };
    let mut violations = Vec::new();
    // error.rs renders with the meta; meta.rs knows neither; envelope.rs uses both.
    for (rel, forbidden) in [
        ("http/error.rs", &["envelope"][..]),
        ("http/meta.rs", &["error", "envelope"][..]),
    ] {
        for (path, written) in references(file(rel)) {
            let names_forbidden = path.first().map(String::as_str) == Some("http")
                && path.get(1).is_some_and(|m| forbidden.contains(&m.as_str()));
            let names_meta_envelope = written.contains("meta::envelope");
            if names_forbidden || names_meta_envelope {
                violations.push(format!("{rel}: references `{written}`"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "import cycle in http:\n  {}",
        violations.join("\n  ")
    );
    let envelope: BTreeSet<Vec<String>> = references(file("http/envelope.rs"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    for needed in ["meta", "error"] {
        assert!(
            envelope.contains(&vec!["http".to_owned(), needed.to_owned()]),
            "http/envelope.rs does not reference http::{needed}: the references were not read"
        );
    }
}

#[test]
fn references_are_read_from_code_only() {
    let source = Source {
        rel: "sso/x.rs".to_owned(),
        module: vec!["sso".to_owned(), "x".to_owned()],
        code: code_only(
            "//! See [`crate::http::meta`].\nuse super::{Ctx, error::Kind};\nuse crate::{store::users, \
             config};\nfn f<'a>(c: char) -> &'a str { let _ = ('{', '\\''); let _ = r#\"crate::mail\"#; \
             /* crate::cli */ crate::crypto::random_u128(); \"crate::http\" }\n",
        ),
    };
    let found: BTreeSet<String> = references(&source).into_iter().map(|(p, _)| p.join("::")).collect();
    let expected: BTreeSet<String> = [
        "sso",
        "sso::Ctx",
        "sso::error",
        "store::users",
        "config",
        "crypto::random_u128",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected);
    assert!(!mentions_diesel(&code_only(
        "// diesel\nlet t = \"__diesel_schema_migrations\";"
    )));
    assert!(mentions_diesel(&code_only("use diesel::prelude::*;")));
}
