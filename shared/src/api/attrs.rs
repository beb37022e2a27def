//! Attributes of a user or of a session: named JSON values, optionally sealed with the keyring and optionally
//! expiring.

use super::present;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// An attribute.
// Its value may be a secret the owner keeps here (that is what `encrypt` is for): no `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attr {
    /// Any JSON value.
    pub value: Value,
    pub creation_time: String,
    /// Equals `creation_time` until the attribute is first updated.
    pub last_modified: String,
    pub expiration_time: String,
    pub is_encrypted: bool,
}

/// The live attributes asked for, by name.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attrs {
    pub attrs: BTreeMap<String, Attr>,
}

/// One attribute to write; with `attrs`, several at once (all or none). On `/attrs/{name}` the path names it
/// and `name` is not needed. Unknown fields are refused, at every level.
// The value may be a secret: no `Debug`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttrWrite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Any JSON value, `null` included (absent: `null`).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Seconds from now; absent means never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<i64>,
    /// Seal the value with the keyring.
    #[serde(default)]
    pub encrypt: bool,
    /// Several attributes at once, each with its `name`; the fields beside `attrs` are then ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub attrs: Option<Vec<AttrWrite>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_null_value_is_a_value() {
        let write: AttrWrite = serde_json::from_value(json!({"name": "a", "value": null})).unwrap();
        assert_eq!(write.value, Some(Value::Null));
        let write: AttrWrite = serde_json::from_value(json!({"name": "a"})).unwrap();
        assert_eq!(write.value, None);
    }

    #[test]
    fn unknown_fields_are_refused_in_the_list_too() {
        assert!(serde_json::from_value::<AttrWrite>(json!({"name": "a", "colour": 1})).is_err());
        assert!(serde_json::from_value::<AttrWrite>(json!({"attrs": [{"name": "a", "colour": 1}]})).is_err());
        let write: AttrWrite = serde_json::from_value(json!({"attrs": [{"name": "a", "value": 1}]})).unwrap();
        assert_eq!(write.attrs.map(|a| a.len()), Some(1));
    }
}
