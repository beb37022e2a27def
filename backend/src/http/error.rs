//! Errors to responses, in one place per surface: RFC 9457 problem+json (with `sub_status` and `cid`) on the
//! native API, the Zato envelope on `/zato/sso`, plain text elsewhere. Internal causes are logged once here,
//! with the request's `cid`, and never sent to the client.

use super::meta::{RequestMeta, Surface};
use crate::crypto::password::HashError;
use crate::sso::{Kind, SsoError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use gatehouse_shared::{SubStatus, TenantSlug};
use serde_json::json;
use std::fmt;

/// Seconds a throttled caller is told to wait when the queue, not a counter, refused it.
const BUSY_RETRY_AFTER_SECS: u64 = 1;
/// Seconds a caller is asked to wait when the database cannot be reached.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// Everything an HTTP handler or extractor can fail with.
#[derive(Debug)]
pub enum ApiError {
    Sso(SsoError),
    /// The body is not JSON of the expected shape; `missing` when a required field is absent.
    MalformedBody {
        missing: bool,
    },
    PayloadTooLarge,
    /// The body did not arrive within `server.request_timeout_seconds`.
    BodyTimeout,
    NoRoute,
}

impl From<SsoError> for ApiError {
    fn from(e: SsoError) -> Self {
        ApiError::Sso(e)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Sso(e) => write!(f, "{e}"),
            ApiError::MalformedBody { missing: true } => f.write_str("a required field is missing"),
            ApiError::MalformedBody { missing: false } => {
                f.write_str("the body is not valid JSON of the expected shape")
            }
            ApiError::PayloadTooLarge => f.write_str("the body is too large"),
            ApiError::BodyTimeout => f.write_str("the body did not arrive in time"),
            ApiError::NoRoute => f.write_str("no such resource"),
        }
    }
}

/// What an error means on the wire, before the surface shapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Says which input was wrong (a setting's key), never anything secret.
    pub detail: Option<String>,
    pub status: StatusCode,
    pub code: SubStatus,
    pub retry_after: Option<u64>,
    /// Malformed input, which the Zato surface answers with its own 400 body.
    pub bad_request: bool,
}

impl Outcome {
    /// A status and a code, with nothing else to say.
    fn plain(status: StatusCode, code: SubStatus) -> Outcome {
        Outcome {
            detail: None,
            status,
            code,
            retry_after: None,
            bad_request: false,
        }
    }
}

impl ApiError {
    pub fn outcome(&self) -> Outcome {
        let plain = Outcome::plain;
        match self {
            ApiError::MalformedBody { missing } => Outcome {
                bad_request: true,
                ..plain(
                    StatusCode::BAD_REQUEST,
                    if *missing {
                        SubStatus::CommonMissingInput
                    } else {
                        SubStatus::CommonInvalidInput
                    },
                )
            },
            ApiError::PayloadTooLarge => Outcome {
                bad_request: true,
                ..plain(StatusCode::PAYLOAD_TOO_LARGE, SubStatus::CommonInvalidInput)
            },
            ApiError::BodyTimeout => Outcome {
                bad_request: true,
                ..plain(StatusCode::REQUEST_TIMEOUT, SubStatus::CommonInvalidInput)
            },
            ApiError::NoRoute => plain(StatusCode::NOT_FOUND, SubStatus::CommonInvalidInput),
            ApiError::Sso(e) => sso_outcome(e),
        }
    }
}

/// What a domain error means on the wire: its status by [`Kind`], and the code the caller may see. The one
/// mapping every surface starts from: the native API and the Zato envelope shape it (see [`render`]), and the
/// web pages take its status and code for their pages (`pages::page_error::PageError`).
pub fn sso_outcome(e: &SsoError) -> Outcome {
    let plain = Outcome::plain;
    match e {
        SsoError::Refused { kind, .. } => {
            let code = e.visible_code().unwrap_or(SubStatus::AuthNotAllowed);
            let (status, retry_after) = match kind {
                Kind::BadInput => (StatusCode::BAD_REQUEST, None),
                Kind::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
                Kind::Forbidden => (StatusCode::FORBIDDEN, None),
                Kind::NotFound => (StatusCode::NOT_FOUND, None),
                Kind::Conflict => (StatusCode::CONFLICT, None),
                Kind::Policy => (StatusCode::UNPROCESSABLE_ENTITY, None),
                Kind::Throttled { retry_after_secs } => (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after_secs)),
            };
            // A refusal keeps its sub-status on the Zato surface (403); only a body that cannot be read
            // at all gets Zato's generic 400.
            Outcome {
                detail: None,
                status,
                code,
                retry_after,
                bad_request: false,
            }
        }
        SsoError::NeedsMore { .. } => plain(
            StatusCode::UNAUTHORIZED,
            e.visible_code().unwrap_or(SubStatus::AuthNotAllowed),
        ),
        SsoError::Invalid { .. } => Outcome {
            detail: Some(e.to_string()),
            ..plain(StatusCode::UNPROCESSABLE_ENTITY, SubStatus::CommonInvalidInput)
        },
        SsoError::Hash(HashError::Busy) => Outcome {
            retry_after: Some(BUSY_RETRY_AFTER_SECS),
            ..plain(StatusCode::TOO_MANY_REQUESTS, SubStatus::ThrottleHashQueue)
        },
        e if e.is_unavailable() => Outcome {
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECS),
            ..plain(StatusCode::SERVICE_UNAVAILABLE, SubStatus::CommonUnavailable)
        },
        _ => plain(StatusCode::INTERNAL_SERVER_ERROR, SubStatus::CommonInternalError),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.outcome().status
    }

    // The envelope middleware replaces this with the surface's shape; this plain form is what a response gets
    // if it ever escapes that middleware.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}

/// Renders any error for the request's surface.
pub fn render(error: &actix_web::Error, meta: &RequestMeta) -> HttpResponse {
    let outcome = match error.as_error::<ApiError>() {
        Some(api) => {
            if outcome_is_internal(api) {
                tracing::error!(cid = %meta.cid, error = %api, "request failed");
            }
            api.outcome()
        }
        None => {
            // actix's own errors (an unparsable path segment, a bad header...): input problems.
            let status = error.as_response_error().status_code();
            if status.is_server_error() {
                tracing::error!(cid = %meta.cid, error = %error, "request failed");
            }
            Outcome {
                detail: None,
                status: if status.is_client_error() {
                    status
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                code: if status.is_client_error() {
                    SubStatus::CommonInvalidInput
                } else {
                    SubStatus::CommonInternalError
                },
                retry_after: None,
                bad_request: status == StatusCode::BAD_REQUEST,
            }
        }
    };
    shape(outcome, meta)
}

fn outcome_is_internal(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Sso(SsoError::Store(_) | SsoError::Internal(_) | SsoError::Hash(HashError::Failed(_)))
    )
}

fn shape(outcome: Outcome, meta: &RequestMeta) -> HttpResponse {
    let mut response = match meta.surface {
        Surface::Web if meta.tenant_hint.is_some() => web_page(&outcome, meta),
        Surface::Native | Surface::Web => HttpResponse::build(outcome.status)
            .insert_header((header::CONTENT_TYPE, "application/problem+json"))
            .json(gatehouse_shared::api::Problem {
                detail: outcome.detail.clone(),
                ..gatehouse_shared::api::Problem::new(outcome.code, outcome.status.as_u16(), meta.cid.clone())
            }),
        Surface::Zato if outcome.bad_request => HttpResponse::build(outcome.status).json(json!({
            "result": "Error",
            "details": if outcome.status == StatusCode::PAYLOAD_TOO_LARGE { "Payload too large" } else { "Bad request" },
            "cid": meta.cid,
        })),
        Surface::Zato => {
            let status = match outcome.status {
                s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => s,
                _ => StatusCode::FORBIDDEN,
            };
            HttpResponse::build(status).json(json!({
                "status": "error",
                "sub_status": [outcome.code],
                "cid": meta.cid,
            }))
        }
    };
    if let Some(seconds) = outcome.retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if meta.surface == Surface::Native || (meta.surface == Surface::Web && meta.tenant_hint.is_none()) {
        // `.json()` set application/json; problem details have their own media type.
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
    }
    response
}

/// An error on a page: a sentence a person understands, with the code for support.
fn web_page(outcome: &Outcome, meta: &RequestMeta) -> HttpResponse {
    // The hint is only ever a slug that parses (see `meta::envelope`); anything else gets the plain form.
    let Some(slug) = meta.tenant_hint.as_deref().and_then(|s| TenantSlug::parse(s).ok()) else {
        return HttpResponse::build(outcome.status).finish();
    };
    let chrome = gatehouse_frontend::Chrome {
        tenant_name: slug.to_string(),
        tenant_slug: slug,
        user: None,
        csrf: String::new(),
        warning: None,
        scripts: false,
        admin: false,
    };
    let title = match outcome.status.as_u16() {
        404 => "Not found",
        403 => "Not allowed",
        401 => "Please log in",
        429 => "Too many requests",
        400 | 413 | 415 | 422 => "That did not work",
        _ => "Something went wrong",
    };
    let sentence = super::pages::sentences::sentence(outcome.code);
    let html = gatehouse_frontend::pages::error_page(&chrome, title, &sentence, outcome.code);
    HttpResponse::build(outcome.status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}
