//! Value types the configuration file and the tenant overrides share: lists that may be written as a TOML array
//! or as Zato's comma-separated string, and secrets whose `Debug` and serialised forms never show the value.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A list of strings, written either as an array or as one comma-separated string (the form Zato's `sso.conf`
/// and environment variables use). Empty items are dropped, so `""` is the empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StringList(pub Vec<String>);

impl StringList {
    pub fn of(items: &[&str]) -> Self {
        StringList(items.iter().map(|s| (*s).to_owned()).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, item: &str) -> bool {
        self.0.iter().any(|s| s == item)
    }

    fn from_csv(s: &str) -> Self {
        StringList(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

impl Serialize for StringList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

struct StringListVisitor;

impl<'de> Visitor<'de> for StringListVisitor {
    type Value = StringList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of strings or a comma-separated string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<StringList, E> {
        Ok(StringList::from_csv(v))
    }

    // The environment source parses "123456" as a number and "true" as a bool; a list item is still text.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StringList, E> {
        Ok(StringList(vec![v.to_string()]))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StringList, E> {
        Ok(StringList(vec![v.to_string()]))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<StringList, E> {
        Ok(StringList(vec![v.to_string()]))
    }

    fn visit_unit<E: de::Error>(self) -> Result<StringList, E> {
        Ok(StringList::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<ListItem>()? {
            let item = item.0.trim().to_owned();
            if !item.is_empty() {
                items.push(item);
            }
        }
        Ok(StringList(items))
    }
}

/// One scalar list item, accepted as text whatever scalar type the source gave it.
struct ListItem(String);

impl<'de> Deserialize<'de> for ListItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl Visitor<'_> for ItemVisitor {
            type Value = ListItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ListItem, E> {
                Ok(ListItem(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ListItem, E> {
                Ok(ListItem(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListItem, E> {
                Ok(ListItem(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ListItem, E> {
                Ok(ListItem(v.to_string()))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringListVisitor)
    }
}

/// A secret string from the configuration (a key, a password). `Debug` and `Serialize` print a placeholder, so
/// printing the effective configuration cannot leak it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

pub const REDACTED: &str = "[redacted]";

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.0.is_empty() { "" } else { REDACTED })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let item = ListItem::deserialize(deserializer)?;
        Ok(Secret(item.0))
    }
}

/// A list of secrets (the Fernet keyring), written like a [`StringList`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretList(Vec<Secret>);

impl SecretList {
    pub fn new(items: Vec<String>) -> Self {
        SecretList(items.into_iter().map(Secret).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Secret> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} redacted]", self.0.len())
    }
}

impl Serialize for SecretList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SecretList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = StringList::deserialize(deserializer)?;
        Ok(SecretList::new(list.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_list_accepts_arrays_csv_and_scalars() {
        let from_csv: StringList = serde_json::from_str(r#"" CRM, ERP ,, ""#).unwrap();
        assert_eq!(from_csv, StringList::of(&["CRM", "ERP"]));
        let from_array: StringList = serde_json::from_str(r#"["a", 1, true]"#).unwrap();
        assert_eq!(from_array, StringList::of(&["a", "1", "true"]));
        let from_number: StringList = serde_json::from_str("123456").unwrap();
        assert_eq!(from_number, StringList::of(&["123456"]));
        let empty: StringList = serde_json::from_str(r#""""#).unwrap();
        assert!(empty.is_empty());
        assert!(serde_json::from_str::<StringList>(r#"{"a": 1}"#).is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{REDACTED}\""));
        let list: SecretList = serde_json::from_str(r#""k1,k2""#).unwrap();
        assert_eq!(format!("{list:?}"), "[2 redacted]");
        assert!(!serde_json::to_string(&list).unwrap().contains("k1"));
        assert_eq!(list.iter().map(Secret::expose).collect::<Vec<_>>(), ["k1", "k2"]);
    }
}

/// A time zone of the IANA database (`Europe/Berlin`, `UTC`), written as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Tz::UTC)
    }
}

impl TimeZone {
    /// A name of the IANA database, exactly (`Europe/Berlin`); anything else is `None`.
    pub fn parse(name: &str) -> Option<TimeZone> {
        name.trim().parse::<chrono_tz::Tz>().ok().map(TimeZone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// A stored (UTC) time as a person reads it in this zone: `2026-11-28 19:00 JST`.
    pub fn show(&self, t: chrono::NaiveDateTime) -> String {
        t.and_utc()
            .with_timezone(&self.0)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// Every zone of the database, by name, for a list to choose from.
    pub fn all() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::parse(&name).ok_or_else(|| {
            de::Error::custom(format!(
                "`{name}` is not a time zone of the IANA database (such as UTC, Europe/Berlin or America/New_York)"
            ))
        })
    }
}
