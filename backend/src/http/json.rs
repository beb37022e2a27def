//! The JSON body extractor both surfaces use: parsed whatever the `Content-Type` (Zato's clients often send
//! none), bounded by `server.max_body_bytes` (413 beyond it, checked before and while reading), and a malformed
//! body is a 400 rather than anything worse.

use super::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// The largest body accepted, and how long its arrival may take, as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize, pub std::time::Duration);

/// A JSON body of type `T`. An empty body reads as `{}`, so a type whose fields are all optional accepts it and
/// one with a required field reports it missing.
///
/// Extraction never fails by itself: the handler takes the body with [`JsonBody::take`] once it has checked
/// the caller, so a request without a valid UST is refused as such whatever its body.
#[derive(Debug)]
pub struct JsonBody<T>(Result<T, ApiError>);

impl<T> JsonBody<T> {
    /// The parsed body, or why it could not be read (400, or 413 when too large).
    pub fn take(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, timeout) = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or((64 * 1024, std::time::Duration::from_secs(10)), |l| (l.0, l.1));
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Ok(JsonBody(Err(ApiError::PayloadTooLarge)));
            }
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let Ok(chunk) = chunk else {
                        return Err(ApiError::MalformedBody { missing: false });
                    };
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            // A client trickling its body is cut off rather than holding a worker's attention for ever.
            let body = match actix_web::rt::time::timeout(timeout, read).await {
                Ok(Ok(body)) => body,
                Ok(Err(e)) => return Ok(JsonBody(Err(e))),
                Err(_) => return Ok(JsonBody(Err(ApiError::BodyTimeout))),
            };
            Ok(JsonBody(parse(&body)))
        })
    }
}

/// Parses a body; whitespace only counts as `{}`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| ApiError::MalformedBody {
        missing: e.is_data() && e.to_string().starts_with("missing field"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::envelope::envelope;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Login {
        username: String,
    }

    async fn echo(body: JsonBody<Login>) -> Result<HttpResponse, ApiError> {
        Ok(HttpResponse::Ok().body(body.take()?.username))
    }

    async fn call(path: &str, body: &'static [u8], content_type: Option<&str>) -> (u16, serde_json::Value) {
        let app = test::init_service(
            App::new()
                .app_data(web::Data::new(BodyLimit(64, std::time::Duration::from_secs(10))))
                .wrap(from_fn(envelope))
                .route("/api/v1/echo", web::post().to(echo))
                .route("/zato/sso/echo", web::post().to(echo)),
        )
        .await;
        let mut req = test::TestRequest::post().uri(path).set_payload(body);
        if let Some(ct) = content_type {
            req = req.insert_header(("content-type", ct));
        }
        let res = test::call_service(&app, req.to_request()).await;
        let status = res.status().as_u16();
        let bytes = test::read_body(res).await;
        let json =
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, json)
    }

    #[actix_rt::test]
    async fn any_content_type_is_parsed_as_json() {
        assert_eq!(
            call("/api/v1/echo", br#"{"username":"a"}"#, None).await,
            (200, "a".into())
        );
        assert_eq!(
            call("/api/v1/echo", br#"{"username":"b"}"#, Some("text/plain")).await,
            (200, "b".into())
        );
    }

    #[actix_rt::test]
    async fn malformed_missing_and_oversized_bodies_on_the_native_surface() {
        let (status, body) = call("/api/v1/echo", b"{not json", None).await;
        assert_eq!(status, 400);
        assert_eq!(body["sub_status"], serde_json::json!(["E008002"]));
        assert!(body["cid"].as_str().unwrap().starts_with("zcid"));
        let (status, body) = call("/api/v1/echo", b"{}", None).await;
        assert_eq!((status, body["sub_status"][0].as_str()), (400, Some("E008003")));
        let (status, body) = call("/api/v1/echo", br#"{"username": 5}"#, None).await;
        assert_eq!((status, body["sub_status"][0].as_str()), (400, Some("E008002")));
        let big: &'static [u8] = Box::leak(
            format!(r#"{{"username":"{}"}}"#, "x".repeat(100))
                .into_bytes()
                .into_boxed_slice(),
        );
        let (status, body) = call("/api/v1/echo", big, None).await;
        assert_eq!(status, 413);
        assert_eq!(body["status"], 413);
    }

    #[actix_rt::test]
    async fn malformed_and_oversized_bodies_on_the_zato_surface() {
        let (status, body) = call("/zato/sso/echo", b"[1,", None).await;
        assert_eq!(status, 400);
        assert_eq!(body["result"], "Error");
        assert_eq!(body["details"], "Bad request");
        assert!(body["cid"].is_string());
        let big: &'static [u8] = Box::leak(vec![b' '; 100].into_boxed_slice());
        let (status, body) = call("/zato/sso/echo", big, None).await;
        assert_eq!(status, 413);
        assert_eq!(body["result"], "Error");
    }
}
