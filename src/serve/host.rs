//! DNS rebinding: a web site can make its own name resolve to 127.0.0.1 and then call
//! this server from a visitor's browser as if it were its own origin, so neither the
//! loopback bind nor the content security policy stops it from starting simulations.
//! What such a request cannot change is its `Host` header, which names the attacker's
//! site. A server bound to a loopback address therefore answers only requests addressed
//! to a loopback name (`localhost`, `127.x.y.z`, `[::1]`); the others get 400.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Whether the `Host` of a request (`name` or `name:port`) names this machine's loopback.
pub fn is_loopback_host(host: &str) -> bool {
    let is_port = |text: &str| text.parse::<u16>().is_ok();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        match rest.split_once(']') {
            Some((address, "")) => address,
            Some((address, after)) if after.strip_prefix(':').is_some_and(is_port) => address,
            _ => return false,
        }
    } else {
        match host.split_once(':') {
            None => host,
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
        }
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// On a server bound to loopback (`loopback_only`), refuses a request whose `Host` is not
/// a loopback name. A request without one (HTTP/1.0 tools) passes: browsers always send
/// it, and only a browser can be made to rebind. A server the user bound to another
/// address (with a warning) answers every name it is reached by.
pub async fn require_loopback_host(
    State(loopback_only): State<bool>,
    request: Request,
    next: Next,
) -> Response {
    if !loopback_only {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or("(not text)").to_string());
    match host {
        Some(host) if !is_loopback_host(&host) => ApiError::bad_input(format!(
            "this server listens on the loopback address and answers only requests addressed \
             to localhost, 127.0.0.1 or [::1], but this one was addressed to `Host: {host}`; \
             a web site that points its own name at this machine must not drive it. To serve \
             other machines, start `fundsim serve --bind ADDRESS`."
        ))
        .into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_names_with_and_without_a_port_pass() {
        for host in [
            "localhost",
            "LocalHost:8080",
            "localhost.:80",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn other_names_and_malformed_hosts_are_refused() {
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.evil.example:8080",
            "10.0.0.1:8080",
            "0.0.0.0:8080",
            "[::2]:8080",
            "[::1]x",
            "127.0.0.1:http",
            "127.0.0.1:99999",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
