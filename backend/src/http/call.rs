//! Building a domain context from an HTTP request: correlation id, tenant, calling app, client address (from the
//! socket, or from `X-Forwarded-For` only when the peer is a trusted proxy), user agent and the time.

use super::error::ApiError;
use super::meta::RequestMeta;
use crate::config::parse_net;
use crate::sso::{Actor, Ctx, Sso, Tenant};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Deserializer};
use std::future::{Ready, ready};
use std::net::IpAddr;

pub const CURRENT_APP_HEADER: &str = "x-current-app";
pub const APP_KEY_HEADER: &str = "x-app-key";

/// The context of a tenant-scoped call; the app comes from `X-Current-App` (the Zato surface replaces it with
/// the body's `current_app`).
#[derive(Debug, Clone)]
pub struct Call {
    pub ctx: Ctx,
    pub meta: RequestMeta,
}

impl FromRequest for Call {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(build(req).ok_or_else(|| ApiError::NoRoute.into()))
    }
}

fn build(req: &HttpRequest) -> Option<Call> {
    let sso = req.app_data::<web::Data<Sso>>()?;
    let meta = req.extensions().get::<RequestMeta>().cloned()?;
    let tenant = req.extensions().get::<Tenant>().cloned()?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    Some(Call {
        ctx: Ctx {
            cid: meta.cid.clone(),
            tenant,
            current_app: header(CURRENT_APP_HEADER).unwrap_or_default(),
            remote_addr: client_addr(req, &sso.config.server.trusted_proxies).map(|ip| ip.to_string()),
            user_agent: header("user-agent"),
            now: sso.clock.now(),
            actor: Actor::Anonymous,
            app_key: header(APP_KEY_HEADER).map(crate::sso::context::AppKey),
            web_ui: false,
        },
        meta,
    })
}

/// The client's address: the socket peer, unless the peer is a trusted proxy, in which case the rightmost
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_addr(req: &HttpRequest, trusted: &crate::config::StringList) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let nets: Vec<_> = trusted.iter().filter_map(parse_net).collect();
    let is_trusted = |ip: &IpAddr| nets.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .filter_map(|s| crate::sso::address::parse_addr(s))
        .find(|ip| !is_trusted(ip))
        .or(Some(peer))
}

/// The UST of `Authorization: Bearer <ust>`.
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// RFC 3339 in UTC with a `Z`, fractions only when there are some: the native API's datetimes.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Zato's datetimes: naive UTC ISO 8601, `.ffffff` only when there are microseconds.
pub fn zato_time(t: NaiveDateTime) -> String {
    use chrono::Timelike;
    if t.nanosecond() / 1000 == 0 {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// A field that must be present but may be `null`: missing is a malformed request, `null` is `None`.
pub fn required_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use chrono::NaiveDate;

    #[test]
    fn time_formats() {
        let t = NaiveDate::from_ymd_opt(2345, 12, 27)
            .unwrap()
            .and_hms_opt(11, 22, 33)
            .unwrap();
        assert_eq!(rfc3339(t), "2345-12-27T11:22:33Z");
        assert_eq!(zato_time(t), "2345-12-27T11:22:33");
        let t = t + chrono::TimeDelta::microseconds(120);
        assert_eq!(zato_time(t), "2345-12-27T11:22:33.000120");
        assert_eq!(rfc3339(t), "2345-12-27T11:22:33.000120Z");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = crate::config::StringList::of(&["10.0.0.0/8"]);
        let direct = TestRequest::default()
            .peer_addr("203.0.113.5:1000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1"))
            .to_http_request();
        assert_eq!(client_addr(&direct, &trusted), Some("203.0.113.5".parse().unwrap()));
        let proxied = TestRequest::default()
            .peer_addr("10.0.0.2:1000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.7"))
            .to_http_request();
        assert_eq!(client_addr(&proxied, &trusted), Some("203.0.113.9".parse().unwrap()));
        let garbage = TestRequest::default()
            .peer_addr("10.0.0.2:1000".parse().unwrap())
            .insert_header(("x-forwarded-for", "not-an-ip"))
            .to_http_request();
        assert_eq!(client_addr(&garbage, &trusted), Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn bearer_tokens() {
        let req = TestRequest::default()
            .insert_header(("authorization", "Bearer gAAAA1"))
            .to_http_request();
        assert_eq!(bearer(&req).as_deref(), Some("gAAAA1"));
        let req = TestRequest::default()
            .insert_header(("authorization", "Basic abc"))
            .to_http_request();
        assert_eq!(bearer(&req), None);
        let req = TestRequest::default()
            .insert_header(("authorization", "bearer  "))
            .to_http_request();
        assert_eq!(bearer(&req), None);
    }
}
