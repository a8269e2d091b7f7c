//! The client's real address when Hearth runs behind a proxy.
//!
//! `X-Forwarded-For` and `Forwarded` are only believed when the connection comes from a
//! proxy the operator named (`trusted_proxies`); anyone else could write them. Each trusted
//! proxy appends the address it received the request from, so the list is read from the
//! right and the first address that is not a trusted proxy is the client.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

use crate::AppState;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// The request's client address, as decided by [`client_address`].
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.7`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, in which case
    /// the right-most forwarded address that is not one.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.trusts(client) {
                        return client;
                    }
                }
                // An obfuscated or unparsable hop: nothing to the left of it can be trusted.
                None => return client,
            }
        }
        client
    }
}

/// The addresses a request passed through, left (client) to right (last proxy): from the
/// standard `Forwarded` header if present, else `X-Forwarded-For`. `None` marks a hop that
/// is not an IP address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> =
        headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// `203.0.113.7`, `"[2001:db8::1]:4711"`, `198.51.100.2:80`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = raw.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.parse().ok())
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Decides each request's client address once, for the throttle, sessions and audit log.
pub async fn client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = state.config.trusted_proxies.client_ip(peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_from_an_untrusted_peer_are_ignored() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(none.client_ip(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        let some = TrustedProxies::parse(&["10.0.0.0/8"]).expect("parse");
        assert_eq!(some.client_ip(ip("203.0.113.5"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "192.0.2.1"]).expect("parse");
        // The client forged the first entry; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 192.0.2.1")]);
        assert_eq!(proxies.client_ip(ip("10.1.2.3"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn the_standard_forwarded_header_is_read_with_quotes_brackets_and_ports() {
        let proxies = TrustedProxies::parse(&["10.0.0.1"]).expect("parse");
        let h = headers(&[(
            "forwarded",
            r#"for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1"#,
        )]);
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk_at_the_last_trusted_one() {
        let proxies = TrustedProxies::parse(&["10.0.0.1"]).expect("parse");
        let h = headers(&[("x-forwarded-for", "198.51.100.7, garbage")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_without_headers_is_itself_the_client() {
        let proxies = TrustedProxies::parse(&["127.0.0.1"]).expect("parse");
        assert_eq!(proxies.client_ip(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
    }

    #[test]
    fn bad_entries_are_refused_with_their_text() {
        let err = TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]).expect_err("refused");
        assert!(err.contains("proxy.local"), "{err}");
    }
}
