//! The proxy mode of `task-status-server`, served in-process on a loopback
//! port, with a log of every request it handles.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use task_status_server::proxy::{self, ApiKey, ProxyConfig, ProxyState, UpstreamUrl};
use task_status_server::API_KEY_HEADER;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::simulator::encode_component;

/// One request that the proxy handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    /// Arrival time at the proxy.
    pub arrived: Instant,
    /// The request method, such as `GET`.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The `x-dq-enterprise-api-key` header that the client sent, if any.
    pub api_key: Option<String>,
    /// Status of the proxy's response.
    pub status: u16,
}

type RequestLog = Arc<Mutex<Vec<ProxyRequest>>>;

/// A proxy on `127.0.0.1`, on a port chosen by the system, in front of one
/// upstream. Dropping it stops accepting connections, and open connections
/// end with the test's runtime.
pub struct ProxyServer {
    base_url: String,
    content_security_policy: String,
    requests: RequestLog,
    server: JoinHandle<()>,
}

impl ProxyServer {
    /// Starts a proxy that forwards to `upstream` (an origin such as
    /// `http://127.0.0.1:41234`) with `api_key`, and serves the page in
    /// `dist`. The other settings keep the proxy's defaults.
    pub async fn start(upstream: &str, api_key: &str, dist: &Path) -> Result<Self> {
        let upstream = UpstreamUrl::parse(upstream)
            .map_err(|error| Error::Setup(format!("invalid proxy upstream: {error}")))?;
        let api_key = ApiKey::new(api_key)
            .map_err(|error| Error::Setup(format!("invalid proxy key: {error}")))?;
        let mut config = ProxyConfig::new(upstream, api_key);
        config.dist_dir = Some(dist.to_owned());
        let state = ProxyState::new(config)
            .map_err(|error| Error::Setup(format!("failed to start the proxy: {error}")))?;
        let content_security_policy =
            String::from_utf8_lossy(state.content_security_policy().as_bytes()).into_owned();

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| Error::io("failed to bind the proxy to 127.0.0.1", error))?;
        let address: SocketAddr = listener
            .local_addr()
            .map_err(|error| Error::io("failed to read the proxy's address", error))?;
        let requests = RequestLog::default();
        let router =
            proxy::app(state).layer(middleware::from_fn_with_state(requests.clone(), record));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("proxy on {address} stopped: {error}");
            }
        });

        Ok(Self {
            base_url: format!("http://{address}"),
            content_security_policy,
            requests,
            server,
        })
    }

    /// Returns the origin, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the URL of `path` (which starts with `/`) with the given
    /// query parameters, each value percent-encoded.
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let pairs: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", encode_component(value)))
            .collect();
        if pairs.is_empty() {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}{path}?{}", self.base_url, pairs.join("&"))
        }
    }

    /// Returns the Content-Security-Policy that the proxy sends with every
    /// response.
    pub fn content_security_policy(&self) -> &str {
        &self.content_security_policy
    }

    /// Returns every request handled so far, in arrival order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        // The log gets each request when its response is ready, so a slow
        // request can be stored after a later one.
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        requests.sort_by_key(|request| request.arrived);
        requests
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Runs the proxy on `request` and records the request with the status of
/// the response.
async fn record(State(requests): State<RequestLog>, request: Request, next: Next) -> Response {
    let arrived = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let api_key = request
        .headers()
        .get(API_KEY_HEADER)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let response = next.run(request).await;
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(ProxyRequest {
            arrived,
            method,
            path,
            api_key,
            status: response.status().as_u16(),
        });
    response
}
