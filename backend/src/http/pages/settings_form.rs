//! The tenant settings as a form a person can read: every tenant key of the catalogue, grouped by section, with
//! the control its type calls for (a switch, a number with its unit, a list, a choice), its default and whether the
//! tenant overrides it; and a posted section read back into typed changes, or the reason a value was refused.

use crate::config::catalogue::{self, Setting};
use crate::config::{TenantPolicy, TimeZone};
use gatehouse_frontend::admin::{Control, SettingField, SettingGroup};
use serde_json::Value;

/// Keys the settings page leaves to a page of their own: the list of apps is edited in the apps table.
const ELSEWHERE: &[&str] = &["apps.all"];

/// The tenant keys of the catalogue, in its order.
pub fn tenant_settings() -> Vec<&'static Setting> {
    let tree = serde_json::to_value(TenantPolicy::default()).unwrap_or(Value::Null);
    catalogue::SETTINGS
        .iter()
        .filter(|s| tree[s.section].get(s.key).is_some() && !ELSEWHERE.contains(&s.dotted().as_str()))
        .collect()
}

/// What a section's form held when it was refused: the text of each field, and the key at fault with why.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub section: String,
    pub values: Vec<(String, String)>,
    pub error: Option<(String, String)>,
}

fn texts(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A default in words.
fn in_words(s: &Setting, value: &Value) -> String {
    match value {
        Value::Bool(true) => "On".to_owned(),
        Value::Bool(false) => "Off".to_owned(),
        Value::Number(n) => match s.unit {
            Some(unit) => format!("{n} {unit}"),
            None => n.to_string(),
        },
        Value::Array(items) if items.is_empty() => "empty".to_owned(),
        Value::Array(items) if items.len() > 6 => format!("{} entries", items.len()),
        Value::Array(_) => texts(value).join(", "),
        Value::String(t) if t.is_empty() => "empty".to_owned(),
        Value::String(t) => format!("“{t}”"),
        other => other.to_string(),
    }
}

fn control(s: &Setting, default: &Value, value: &Value, typed: Option<&str>) -> Control {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    match default {
        Value::Bool(_) => Control::Switch(typed.map_or(value.as_bool().unwrap_or(false), |t| t == "true")),
        Value::Number(_) => Control::Number(typed.map_or_else(|| text(value), str::to_owned)),
        Value::Array(_) => Control::List(typed.map_or_else(|| texts(value), list_items)),
        _ => {
            let current = typed.map_or_else(|| text(value), str::to_owned);
            if s.section == "main" && s.key == "time_zone" {
                Control::Choice(current, TimeZone::all().map(str::to_owned).collect())
            } else if !s.choices.is_empty() {
                Control::Choice(current, s.choices.iter().map(|c| (*c).to_owned()).collect())
            } else {
                Control::Text(current)
            }
        }
    }
}

/// The order of the settings page: what a tenant's administrator reaches for first.
const PAGE_ORDER: &[&str] = &[
    "main",
    "apps",
    "login",
    "password",
    "session",
    "signup",
    "user_validation",
    "password_reset",
    "totp",
    "search",
    "oidc",
    "zato_compat",
];

/// What a key does, as the settings page says it: the catalogue's words without the file's note that an
/// instance section's key is a tenant default.
fn about(s: &Setting) -> String {
    s.about.strip_prefix("Tenant default: ").map_or_else(
        || s.about.to_owned(),
        |rest| {
            let mut chars = rest.chars();
            chars
                .next()
                .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
        },
    )
}

/// The settings page's groups: `effective` and `overrides` as [`crate::sso::Sso::settings_view`] gives them,
/// `defaults` the instance's tenant defaults, `typed` a refused section's form.
pub fn groups(
    defaults: &TenantPolicy,
    effective: &Value,
    overrides: &Value,
    typed: Option<&Typed>,
) -> Vec<SettingGroup> {
    let defaults = serde_json::to_value(defaults).unwrap_or(Value::Null);
    let settings = tenant_settings();
    PAGE_ORDER
        .iter()
        .map(|section| (*section, catalogue::section_title(section)))
        .filter_map(|(section, title)| {
            let fields: Vec<SettingField> = settings
                .iter()
                .filter(|s| s.section == section)
                .map(|s| {
                    let key = s.dotted();
                    let typed = typed.filter(|t| t.section == section);
                    let typed_text = typed.and_then(|t| {
                        let found = t.values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
                        // A switch left off sends nothing.
                        match (&defaults[s.section][s.key], found) {
                            (Value::Bool(_), None) => Some("false"),
                            (_, found) => found,
                        }
                    });
                    SettingField {
                        label: s.label.to_owned(),
                        about: about(s),
                        unit: s.unit.map(str::to_owned),
                        control: control(s, &defaults[s.section][s.key], &effective[s.section][s.key], typed_text),
                        default: in_words(s, &defaults[s.section][s.key]),
                        overridden: overrides.get(s.section).and_then(|o| o.get(s.key)).is_some(),
                        error: typed
                            .and_then(|t| t.error.as_ref())
                            .filter(|(k, _)| *k == key)
                            .map(|(_, why)| why.clone()),
                        key,
                    }
                })
                .collect();
            (!fields.is_empty()).then(|| SettingGroup {
                section: section.to_owned(),
                title: title.to_owned(),
                fields,
            })
        })
        .collect()
}

/// A list typed one item per line; blank items are dropped.
fn list_items(text: &str) -> Vec<String> {
    text.split('\n')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Changes to settings, as [`crate::sso::Sso::set_settings`] takes them: section, key, new value.
pub type Changes = Vec<(String, String, Option<Value>)>;

/// The changes a posted settings form asks for: each key of the form whose typed value differs from the value in
/// force. `Err((key, why))` for a value that is not of its key's type (a number that is none).
pub fn changes(
    defaults: &TenantPolicy,
    effective: &Value,
    pairs: &[(String, String)],
) -> Result<Changes, (String, String)> {
    let defaults = serde_json::to_value(defaults).unwrap_or(Value::Null);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let shown: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "shown")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut out = Vec::new();
    for s in tenant_settings() {
        let key = s.dotted();
        let typed = get(&key);
        let new = match &defaults[s.section][s.key] {
            Value::Bool(_) if shown.contains(&key.as_str()) => Value::Bool(typed == Some("true")),
            Value::Bool(_) => match typed {
                Some(t) => Value::Bool(matches!(t.trim(), "true" | "on")),
                None => continue,
            },
            Value::Number(_) => {
                let Some(t) = typed else { continue };
                match t.trim().parse::<u64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => {
                        let unit = s.unit.map(|u| format!(" of {u}")).unwrap_or_default();
                        return Err((
                            key,
                            format!("“{}” is not a number: give a whole number{unit}, 0 or more.", t.trim()),
                        ));
                    }
                }
            }
            Value::Array(_) => match typed {
                Some(t) => Value::from(list_items(t)),
                None => continue,
            },
            _ => match typed {
                Some(t) => Value::String(t.trim().to_owned()),
                None => continue,
            },
        };
        if effective[s.section][s.key] != new {
            out.push((s.section.to_owned(), s.key.to_owned(), Some(new)));
        }
    }
    Ok(out)
}

/// A posted section, if it is one of the page's.
pub fn section(posted: &str) -> Option<&'static str> {
    PAGE_ORDER.iter().copied().find(|s| *s == posted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_gets_its_control_and_a_form_reads_back_typed() {
        let defaults = TenantPolicy::default();
        let effective = serde_json::to_value(&defaults).unwrap();
        let overrides = serde_json::json!({"session": {"expiry": 5}});
        let groups = groups(&defaults, &effective, &overrides, None);
        let field = |key: &str| {
            groups
                .iter()
                .flat_map(|g| g.fields.iter())
                .find(|f| f.key == key)
                .unwrap_or_else(|| panic!("{key}"))
                .clone()
        };
        assert_eq!(field("signup.is_approval_needed").control, Control::Switch(true));
        let expiry = field("session.expiry");
        assert_eq!(
            (
                expiry.control,
                expiry.unit.as_deref(),
                expiry.default.as_str(),
                expiry.overridden
            ),
            (Control::Number("60".into()), Some("minutes"), "60 minutes", true)
        );
        assert!(matches!(field("password.reject_list").control, Control::List(items) if items.len() == 24));
        assert!(
            matches!(field("password_reset.user_search_by").control, Control::Choice(v, o) if v == "username" && o.len() == 3)
        );
        assert!(matches!(field("main.time_zone").control, Control::Choice(v, o) if v == "UTC" && o.len() > 400));
        assert!(
            groups.iter().all(|g| g.fields.iter().all(|f| f.key != "apps.all")),
            "apps have their own table"
        );

        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        // A switch shown and left off is off; a list is one item per line; unchanged values are no change.
        let asked = changes(
            &defaults,
            &effective,
            &pairs(&[
                ("shown", "signup.is_approval_needed"),
                ("session.expiry", "60"),
                ("password.reject_list", "alpha\n beta \n\n"),
            ]),
        )
        .unwrap();
        assert_eq!(
            asked,
            vec![
                (
                    "password".to_owned(),
                    "reject_list".to_owned(),
                    Some(serde_json::json!(["alpha", "beta"]))
                ),
                (
                    "signup".to_owned(),
                    "is_approval_needed".to_owned(),
                    Some(Value::Bool(false))
                ),
            ]
        );
        let (key, why) = changes(&defaults, &effective, &pairs(&[("session.expiry", "soon")])).unwrap_err();
        assert_eq!(key, "session.expiry");
        assert!(
            why.contains("“soon” is not a number") && why.contains("minutes"),
            "{why}"
        );
    }
}
