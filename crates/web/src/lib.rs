//! Hearth's HTTP face: server-rendered pages, the JSON API under `/api/v1`, security
//! headers, CSRF protection and metrics. Handlers extract, call one `app` function, render.

mod charts;
mod client_ip;
mod csrf;
mod error;
mod extract;
mod flash;
mod headers;
mod json;
mod metrics;
mod pager;
mod request_log;
mod routes;
mod templates;
mod when;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use hearth_app::App;
use std::sync::Arc;

pub use client_ip::TrustedProxies;
pub use csrf::CsrfKey;
pub use error::{Error, Result};

/// Settings the web layer needs.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Mark cookies `Secure` and use the `__Host-` prefix. Only plain-HTTP local demos turn
    /// this off.
    pub secure_cookies: bool,
    /// The address people reach the server at, for links in invitations.
    pub public_url: String,
    /// Signs form tokens; the same on every node of a practice.
    pub csrf_key: CsrfKey,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the real client.
    pub trusted_proxies: TrustedProxies,
}

/// Shared state of every handler. axum clones it for every layer and handler a request
/// passes through, so it is one `Arc`: a clone is one reference-count increment (cloning the
/// `App` inside, a dozen shared counters, showed up at 5-10% of a `GET /api/v1/me` profile).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    pub app: App,
    pub config: WebConfig,
    metrics: metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// `(METHOD, /path)` of every route a router serves, read from the router's own `Debug`
/// (axum has no other way to list routes): each route's id with the `Allow` header axum keeps
/// for it, and each id's path. HEAD, which comes with every GET, is left out. Panics, rather
/// than answer an empty list, if axum ever changes that format. The authorization matrix test
/// and the OpenAPI test use it, so neither can miss a route.
pub fn served_routes(router_debug: &str) -> std::collections::BTreeSet<(String, String)> {
    let ours = router_debug.split("fallback_router").next().expect("the router's own routes");
    let (routes, paths) = ours.split_once("node: Node").expect("routes, then their paths");
    let mut path_of = std::collections::BTreeMap::new();
    for entry in paths.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once("): \"").expect("RouteId(n): \"/path\"");
        let path = rest.split('"').next().expect("a quoted path");
        path_of.insert(id.to_owned(), path.to_owned());
    }
    let mut found = std::collections::BTreeSet::new();
    for entry in routes.split("RouteId(").skip(1) {
        let (id, rest) = entry.split_once(')').expect("RouteId(n)");
        let path = path_of.get(id).expect("every route has a path");
        let Some((allow, _)) =
            rest.split_once("allow_header: Bytes(b\"").and_then(|(_, after)| after.split_once('"'))
        else {
            panic!("an Allow header for {path} in {rest}");
        };
        for method in allow.split(',').filter(|m| *m != "HEAD") {
            found.insert((method.to_owned(), path.clone()));
        }
    }
    found
}

/// Largest request body accepted anywhere (forms and JSON are small).
const BODY_LIMIT: usize = 64 * 1024;

/// The whole application: pages, API, health and metrics.
pub fn router(app: App, config: WebConfig) -> Router {
    let state = AppState(Arc::new(Shared { app, config, metrics: metrics::Metrics::new() }));
    Router::new()
        .merge(routes::pages::router(&state))
        .nest("/api/v1", routes::api::router())
        // Not around `ops`: health checks and metrics answer plain text to machines.
        .layer(axum::middleware::from_fn(error::framework_errors))
        .merge(routes::ops::router())
        .fallback(routes::ops::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn_with_state(state.clone(), client_ip::client_address))
        .layer(axum::middleware::from_fn(templates::html_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(axum::middleware::from_fn(request_log::trace_requests))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
