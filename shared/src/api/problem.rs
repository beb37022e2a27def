//! The native API's error body: RFC 9457 problem details (`application/problem+json`), with the reference's
//! sub-status codes, which clients match on, and the request's correlation id, which support asks for.

use crate::SubStatus;
use serde::{Deserialize, Serialize};

/// An error: RFC 9457 problem details with the sub-status codes and the correlation id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `urn:gatehouse:sub-status:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What the code means, in a sentence that never includes user data.
    pub title: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// One code, e.g. `["E005001"]`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub sub_status: Vec<SubStatus>,
    /// The request's correlation id (also in the server's logs).
    pub cid: String,
    /// Which input was wrong (e.g. a setting's key), never anything secret; only on some refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    /// The problem of one sub-status: its type and title follow from the code.
    pub fn new(code: SubStatus, status: u16, cid: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:gatehouse:sub-status:{}", code.code()),
            title: code.meaning().to_owned(),
            status,
            sub_status: vec![code],
            cid: cid.into(),
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_form() {
        let problem = Problem::new(SubStatus::AuthNotAllowed, 403, "zcid1");
        assert_eq!(
            serde_json::to_value(&problem).unwrap(),
            json!({
                "type": "urn:gatehouse:sub-status:E005001",
                "title": "Not allowed.",
                "status": 403,
                "sub_status": ["E005001"],
                "cid": "zcid1",
            })
        );
        let detailed = Problem {
            detail: Some("login.max_failures".into()),
            ..problem
        };
        let value = serde_json::to_value(&detailed).unwrap();
        assert_eq!(value["detail"], "login.max_failures");
        assert_eq!(serde_json::from_value::<Problem>(value).unwrap(), detailed);
    }
}
