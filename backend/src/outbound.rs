//! Requests Gatehouse makes to URIs its tenants registered (back-channel logout), safe against server-side
//! request forgery: the address is checked on the connection actually made (after DNS, so a name that resolves
//! to an internal address, or is rebound to one, is refused as an address literal is), loopback, private,
//! link-local, shared, multicast and unspecified addresses are refused unless the instance allows private
//! networks (`oidc.allow_private_network_requests`, for tests and closed deployments), redirects are not
//! followed, and every request has a deadline. The HTTP client is actix's own (`awc`), with OpenSSL for TLS
//! (which the mail transport's TLS already builds).

use actix_rt::net::TcpStream;
use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, Connector, ConnectorService, Resolver};
use futures_util::future::LocalBoxFuture;
use std::net::IpAddr;
use std::time::Duration;

/// Whether a request may connect to `ip` when private networks are not allowed: only globally routable
/// unicast addresses (an IPv4-mapped IPv6 address is judged as its IPv4 address).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
                || (a == 192 && b == 0) // IETF protocol assignments, 192.0.0.0/24 and nearby
                || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            if v6.is_loopback() || v6.is_unspecified() {
                return false;
            }
            // IPv4-compatible (::a.b.c.d, deprecated) and 6to4 (2002:aabb:ccdd::/48) carry an IPv4 address.
            if seg[..6].iter().all(|s| *s == 0) {
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                )));
            }
            if seg[0] == 0x2002 {
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(
                    (seg[1] >> 8) as u8,
                    seg[1] as u8,
                    (seg[2] >> 8) as u8,
                    seg[2] as u8,
                )));
            }
            let first = seg[0];
            !(v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first == 0x2001 && seg[1] == 0x0db8) // documentation
                || (first == 0x2001 && seg[1] == 0) // Teredo: an IPv4 address behind it
                || (first == 0x64 && seg[1] == 0xff9b)) // NAT64 reaches IPv4 of any kind
        }
    }
}

/// The TCP connector that refuses a connection to an address not allowed, once connected.
#[derive(Clone)]
struct GuardedConnector {
    inner: ConnectorService,
    allow_private: bool,
}

impl Service<ConnectInfo<awc::http::Uri>> for GuardedConnector {
    type Response = Connection<awc::http::Uri, TcpStream>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_service::always_ready!();

    fn call(&self, req: ConnectInfo<awc::http::Uri>) -> Self::Future {
        let connecting = self.inner.call(req);
        let allow_private = self.allow_private;
        Box::pin(async move {
            let connection = connecting.await?;
            let peer = connection.io_ref().peer_addr().map_err(ConnectError::Io)?;
            if !allow_private && !is_public(peer.ip()) {
                return Err(ConnectError::Io(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{} is not a public address", peer.ip()),
                )));
            }
            Ok(connection)
        })
    }
}

/// Why a request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundError {
    pub message: String,
    /// Trying again cannot help (a refused address, an unusable URI).
    pub permanent: bool,
}

/// The client of outbound requests.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub allow_private_networks: bool,
    pub timeout: Duration,
}

impl Outbound {
    /// POSTs a form to `uri` and returns the status of the answer (its body is not read).
    pub async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Result<u16, OutboundError> {
        let parsed: awc::http::Uri = uri.parse().map_err(|_| OutboundError {
            message: "not a URI".to_owned(),
            permanent: true,
        })?;
        if !matches!(parsed.scheme_str(), Some("https" | "http")) || parsed.host().is_none() {
            return Err(OutboundError {
                message: "only http and https URIs are requested".to_owned(),
                permanent: true,
            });
        }
        let connector = GuardedConnector {
            inner: Connector::new(Resolver::default()).service(),
            allow_private: self.allow_private_networks,
        };
        let client = awc::Client::builder()
            .connector(awc::Connector::new().connector(connector).timeout(self.timeout))
            .disable_redirects()
            .timeout(self.timeout)
            .finish();
        match client.post(parsed).send_form(&form).await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) => {
                let message = e.to_string();
                let permanent = message.contains("not a public address");
                Err(OutboundError { message, permanent })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_globally_routable_addresses_are_public() {
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fec0::1",
            "2001:0:4136:e378::1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
    }
}
