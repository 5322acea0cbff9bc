//! Who is on the other end: the client IP (behind trusted proxies) and the request origin.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;

/// The settings that decide which peers and origins are believed.
#[derive(Debug, Clone, Default)]
pub struct ClientPolicy {
    /// Peers whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Other origins (`scheme://host[:port]`, lower case) allowed for CORS, cookies and
    /// WebSockets.
    pub cors_origins: Vec<String>,
    /// Clients that may read `/metrics`; empty means everyone.
    pub metrics_allow: Vec<IpAddr>,
}

/// How a request's `Origin` relates to this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginVerdict {
    /// No `Origin` header: not a cross-site browser request.
    Absent,
    /// The server's own scheme, host and port.
    SameOrigin,
    /// Another origin listed in the configuration.
    Allowed(String),
    /// Any other origin.
    Forbidden(String),
}

impl OriginVerdict {
    pub fn is_forbidden(&self) -> bool {
        matches!(self, OriginVerdict::Forbidden(_))
    }
}

impl ClientPolicy {
    /// The client's IP: the peer's, unless the peer is a trusted proxy, in which case the
    /// right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse().ok())
            .collect();
        Some(forwarded.into_iter().rev().find(|ip| !self.trusted_proxies.contains(ip)).unwrap_or(peer))
    }

    /// Whether this client may read the metrics.
    pub fn may_read_metrics(&self, req: &HttpRequest) -> bool {
        self.metrics_allow.is_empty() || self.client_ip(req).is_some_and(|ip| self.metrics_allow.contains(&ip))
    }

    /// The scheme the client used: `X-Forwarded-Proto` from a trusted proxy, else the
    /// connection's own.
    pub fn scheme(&self, req: &HttpRequest) -> String {
        let from_proxy = req.peer_addr().is_some_and(|peer| self.trusted_proxies.contains(&peer.ip()));
        if from_proxy && let Some(proto) = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
            return proto.trim().to_ascii_lowercase();
        }
        req.connection_info().scheme().to_ascii_lowercase()
    }

    /// Classifies the request's `Origin` header.
    pub fn origin(&self, req: &HttpRequest) -> OriginVerdict {
        let Some(origin) = req.headers().get(header::ORIGIN) else {
            return OriginVerdict::Absent;
        };
        let origin = origin.to_str().unwrap_or("").trim().trim_end_matches('/').to_ascii_lowercase();
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(|h| h.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let scheme = self.scheme(req);
        if !host.is_empty() && same_origin(&origin, &scheme, &host) {
            return OriginVerdict::SameOrigin;
        }
        if self.cors_origins.iter().any(|allowed| allowed == &origin) {
            return OriginVerdict::Allowed(origin);
        }
        OriginVerdict::Forbidden(origin)
    }
}

/// Compares an origin with the server's scheme and `Host`, treating default ports as equal.
fn same_origin(origin: &str, scheme: &str, host: &str) -> bool {
    let Some((origin_scheme, origin_host)) = origin.split_once("://") else {
        return false;
    };
    if origin_scheme != scheme {
        return false;
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let normalize = |h: &str| h.strip_suffix(default_port).unwrap_or(h).to_owned();
    normalize(origin_host) == normalize(host)
}

/// Normalises a configured origin the way request origins are compared.
pub fn normalize_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn policy() -> ClientPolicy {
        ClientPolicy {
            trusted_proxies: vec!["10.0.0.1".parse().unwrap()],
            cors_origins: vec!["https://app.example.com".to_owned()],
            metrics_allow: Vec::new(),
        }
    }

    #[test]
    fn metrics_are_open_unless_an_allow_list_is_set() {
        let req = TestRequest::default().peer_addr("192.0.2.7:5000".parse().unwrap()).to_http_request();
        assert!(policy().may_read_metrics(&req));
        let strict = ClientPolicy { metrics_allow: vec!["10.0.0.9".parse().unwrap()], ..policy() };
        assert!(!strict.may_read_metrics(&req));
        let scraper = TestRequest::default().peer_addr("10.0.0.9:5000".parse().unwrap()).to_http_request();
        assert!(strict.may_read_metrics(&scraper));
    }

    #[test]
    fn client_ip_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let req = TestRequest::default()
            .peer_addr("192.0.2.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.9"))
            .to_http_request();
        assert_eq!(policy().client_ip(&req), Some("192.0.2.7".parse().unwrap()));

        let req = TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.1"))
            .to_http_request();
        assert_eq!(policy().client_ip(&req), Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn origins_are_absent_same_allowed_or_forbidden() {
        let base = || TestRequest::default().insert_header((header::HOST, "localhost:8080"));
        assert_eq!(policy().origin(&base().to_http_request()), OriginVerdict::Absent);
        let same = base().insert_header((header::ORIGIN, "http://localhost:8080")).to_http_request();
        assert_eq!(policy().origin(&same), OriginVerdict::SameOrigin);
        let allowed = base().insert_header((header::ORIGIN, "https://APP.example.com")).to_http_request();
        assert_eq!(policy().origin(&allowed), OriginVerdict::Allowed("https://app.example.com".to_owned()));
        let other_port = base().insert_header((header::ORIGIN, "http://localhost:9999")).to_http_request();
        assert!(policy().origin(&other_port).is_forbidden());
        let evil = base().insert_header((header::ORIGIN, "https://evil.example")).to_http_request();
        assert!(policy().origin(&evil).is_forbidden());
        let null = base().insert_header((header::ORIGIN, "null")).to_http_request();
        assert!(policy().origin(&null).is_forbidden());
    }
}
