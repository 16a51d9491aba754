//! Proxy mode: serves the built widget and forwards its task requests to
//! the DriveQuant API with the enterprise API key added, so the key never
//! reaches a browser. The crate documentation lists the routes and rules.

mod api_key;
mod cache;
mod config;
mod csp;
mod error;
mod response_headers;
mod routes;
mod task_id;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::routing::{on, MethodFilter};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

pub use api_key::{ApiKey, KeyError, KeySource, DEFAULT_KEY_ENV};
pub use config::{
    CorsOrigin, FrameAncestors, InvalidSetting, ProxyConfig, UpstreamUrl, DEFAULT_CACHE_TTL,
    DEFAULT_MAX_UPSTREAM_BODY_BYTES, DEFAULT_UPSTREAM_TIMEOUT,
};
pub use csp::{content_security_policy, inline_script_hashes, sha256_source};
pub use response_headers::REQUEST_ID_HEADER;
pub use task_id::{InvalidTaskId, TaskId};

use cache::SingleFlight;
use upstream::{RetryRoute, UpstreamClient, UpstreamError, UpstreamReply, TASK_PATH_PREFIX};

/// Stylesheet of the widget package, relative to the page's folder. The
/// `<task-status>` element puts this exact text in a `<style>` element of
/// its shadow root, which the policy allows by hash.
pub const ELEMENT_STYLESHEET: &str = "pkg/task-status.css";

/// Time that browsers may reuse a CORS preflight response.
const CORS_MAX_AGE: Duration = Duration::from_secs(600);

/// Outcome of one upstream task request, shared by the requests that wait
/// for it.
type TaskOutcome = Result<UpstreamReply, UpstreamError>;

/// Error of a proxy that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyStartError {
    /// The HTTP client could not be built, such as when TLS setup fails.
    #[error("failed to build the upstream HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The policy with the script hashes is not a valid header value, which
    /// happens only if a frame-ancestors source was not checked.
    #[error("the Content-Security-Policy is not a valid header value")]
    InvalidPolicy,
}

/// Handle on one proxy instance. Clones share the client and the cache.
#[derive(Clone)]
pub struct ProxyState {
    shared: Arc<Shared>,
}

struct Shared {
    config: ProxyConfig,
    upstream: UpstreamClient,
    tasks: Arc<SingleFlight<TaskId, TaskOutcome>>,
    static_files: Option<ServeDir>,
    content_security_policy: HeaderValue,
    script_hash_count: usize,
}

impl ProxyState {
    /// Builds the HTTP client and the Content-Security-Policy.
    ///
    /// The policy allows the inline scripts of `index.html` in
    /// `config.dist_dir`, and the text of [`ELEMENT_STYLESHEET`] in
    /// `<style>` elements, by their hashes. They are computed here once, so
    /// restart the proxy after rebuilding the page. A missing or unreadable
    /// page is logged as a warning and gives a policy with no script hash.
    ///
    /// # Errors
    ///
    /// Returns [`ProxyStartError`] when the client cannot be built.
    pub fn new(config: ProxyConfig) -> Result<Self, ProxyStartError> {
        let upstream = UpstreamClient::new(&config)?;
        let script_hashes = read_script_hashes(&config);
        let style_hashes: Vec<String> = read_element_stylesheet_hash(&config).into_iter().collect();
        let policy =
            content_security_policy(&script_hashes, &style_hashes, &config.frame_ancestors);
        let content_security_policy =
            HeaderValue::from_str(&policy).map_err(|_| ProxyStartError::InvalidPolicy)?;
        let tasks = SingleFlight::new(config.cache_ttl, |outcome: &TaskOutcome| {
            outcome.as_ref().is_ok_and(|reply| reply.cacheable)
        });
        let static_files = config.dist_dir.as_ref().map(ServeDir::new);
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                upstream,
                tasks,
                static_files,
                content_security_policy,
                script_hash_count: script_hashes.len(),
            }),
        })
    }

    /// Returns the settings this proxy was created with.
    pub fn config(&self) -> &ProxyConfig {
        &self.shared.config
    }

    /// Returns the Content-Security-Policy sent with every response.
    pub fn content_security_policy(&self) -> &HeaderValue {
        &self.shared.content_security_policy
    }

    /// Returns the number of inline scripts of the page that the policy
    /// allows by hash.
    pub fn script_hash_count(&self) -> usize {
        self.shared.script_hash_count
    }

    fn upstream(&self) -> &UpstreamClient {
        &self.shared.upstream
    }

    fn tasks(&self) -> &Arc<SingleFlight<TaskId, TaskOutcome>> {
        &self.shared.tasks
    }

    fn static_files(&self) -> Option<&ServeDir> {
        self.shared.static_files.as_ref()
    }
}

/// Builds the router of the proxy. See the crate documentation for the
/// routes.
pub fn app(state: ProxyState) -> Router {
    let config = state.config();
    let mut router = Router::new().route(
        &format!("{TASK_PATH_PREFIX}{{taskId}}"),
        on(MethodFilter::GET, routes::tasks_show),
    );
    if config.allow_retries {
        router = router
            .route(
                RetryRoute::Trips.path(),
                on(MethodFilter::POST, routes::trip_retries_create),
            )
            .route(
                RetryRoute::Crashes.path(),
                on(MethodFilter::POST, routes::crash_retries_create),
            );
    }
    router = router
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(routes::fallback);

    if !config.cors_origins.is_empty() {
        router = router.layer(cors_layer(config));
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            response_headers::add_response_headers,
        ))
        .with_state(state)
}

/// Lets the allowlisted origins read the forwarded routes. The key header
/// is not among the allowed request headers, so a page that tries to send
/// a key fails its preflight instead of leaking the key to the proxy.
fn cors_layer(config: &ProxyConfig) -> CorsLayer {
    let origins = config
        .cors_origins
        .iter()
        .map(|origin| origin.header_value().clone());
    let mut methods = vec![Method::GET];
    if config.allow_retries {
        methods.push(Method::POST);
    }
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods(methods)
        .allow_headers([CONTENT_TYPE])
        .expose_headers([RETRY_AFTER, HeaderName::from_static(REQUEST_ID_HEADER)])
        .max_age(CORS_MAX_AGE)
}

/// Reads the page's inline script hashes, logging why there are none.
fn read_script_hashes(config: &ProxyConfig) -> Vec<String> {
    let Some(dist) = &config.dist_dir else {
        return Vec::new();
    };
    let index = dist.join("index.html");
    match std::fs::read_to_string(&index) {
        Ok(html) => inline_script_hashes(&html),
        Err(error) => {
            tracing::warn!(
                %error,
                path = %index.display(),
                "failed to read the widget page, so the Content-Security-Policy allows no inline script; \
                 build it with `cargo xtask build` and restart the proxy"
            );
            Vec::new()
        }
    }
}

/// Reads the hash of the widget package's stylesheet. A missing package,
/// as after a plain `trunk build`, gives none without a warning.
fn read_element_stylesheet_hash(config: &ProxyConfig) -> Option<String> {
    let path = config.dist_dir.as_ref()?.join(ELEMENT_STYLESHEET);
    match std::fs::read(&path) {
        Ok(stylesheet) => Some(sha256_source(&stylesheet)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            tracing::warn!(
                %error,
                path = %path.display(),
                "failed to read the widget stylesheet, so the Content-Security-Policy blocks the \
                 <task-status> element's styles"
            );
            None
        }
    }
}
