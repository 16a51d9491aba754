//! A simulator that stands for the DriveQuant API behind the proxy. Unlike
//! [`crate::Simulator`], it can bind a given port, so a test can start it
//! again where the proxy expects it, and it stops cleanly, closing the
//! proxy's idle keep-alive connections too. It also records the API key
//! header of every API request it receives.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::{Method, StatusCode};
use serde_json::Value;
use task_status_server::{app, AppState, Config, SystemClock, API_KEY_HEADER};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::simulator::CreatedTask;

/// Time that [`UpstreamSimulator::start_on`] keeps trying to bind a port
/// that is still in use, such as one whose previous server is closing.
const BIND_RETRY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pause between two attempts to bind a port that is in use.
const BIND_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Time that [`UpstreamSimulator::stop`] waits for open connections to end.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Values of the `x-dq-enterprise-api-key` header of each request under
/// `/v1/`, in arrival order. A request without the header has none.
type KeyLog = Arc<Mutex<Vec<Vec<String>>>>;

/// A simulator on `127.0.0.1`, served until [`Self::stop`] or drop.
pub struct UpstreamSimulator {
    address: SocketAddr,
    http: HttpClient,
    keys: KeyLog,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

impl UpstreamSimulator {
    /// Starts a simulator with `config` on a port chosen by the system.
    pub async fn start(config: Config) -> Result<Self> {
        Self::start_on(0, config).await
    }

    /// Starts a simulator with `config` on `port`, or on a port chosen by
    /// the system when `port` is 0.
    ///
    /// A port that is in use is tried again for up to
    /// [`BIND_RETRY_TIMEOUT`], because the sockets of a server that just
    /// stopped can hold it for a moment.
    pub async fn start_on(port: u16, config: Config) -> Result<Self> {
        let listener = bind_loopback(port).await?;
        let address = listener
            .local_addr()
            .map_err(|error| Error::io("failed to read the upstream simulator's address", error))?;

        let state = AppState::new(config, Arc::new(SystemClock));
        let keys = KeyLog::default();
        let router =
            app(state.clone()).layer(middleware::from_fn_with_state(keys.clone(), record_key));
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            // A dropped sender stops the server too.
            let _ = stopped.await;
            // Ends delayed and hung scripted requests, so the graceful
            // shutdown does not wait for them.
            state.begin_shutdown();
        };
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await;
            if let Err(error) = served {
                eprintln!("upstream simulator on {address} stopped: {error}");
            }
        });

        Ok(Self {
            address,
            http: HttpClient::new(),
            keys,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// Returns the socket address, such as `127.0.0.1:41234`.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the origin, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Creates a task through `POST /sim/tasks`. `body` takes the optional
    /// fields `taskId`, `type`, `nbItems`, `pendingMs` and `itemsPerSecond`.
    pub async fn create_task(&self, body: &Value) -> Result<CreatedTask> {
        let url = format!("{}/sim/tasks", self.base_url());
        let json = self
            .http
            .expect(Method::POST, &url, Some(body), StatusCode::CREATED)
            .await?;
        serde_json::from_value(json.clone()).map_err(|error| Error::Http {
            method: Method::POST.to_string(),
            url,
            reason: format!("unexpected body ({error}): {json}"),
        })
    }

    /// Returns the values of the API key header of every request under
    /// `/v1/` received so far, one list per request in arrival order. A
    /// request that repeats the header has several values.
    pub fn received_api_keys(&self) -> Vec<Vec<String>> {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops accepting connections, closes the idle ones, and waits until
    /// every connection has ended, so that connections to the port are
    /// refused until a server binds it again.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(STOP_TIMEOUT, server).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Error::Setup(format!(
                "the upstream simulator on {} failed while stopping: {error}",
                self.address
            ))),
            Err(_) => Err(Error::Setup(format!(
                "the upstream simulator on {} still had open connections after {STOP_TIMEOUT:?}",
                self.address
            ))),
        }
    }
}

impl Drop for UpstreamSimulator {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Binds a listener on `127.0.0.1:port` with `SO_REUSEADDR`, trying again
/// while the port is in use, for up to [`BIND_RETRY_TIMEOUT`].
async fn bind_loopback(port: u16) -> Result<TcpListener> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    loop {
        match try_bind(address) {
            Ok(listener) => return Ok(listener),
            Err(error)
                if error.kind() == ErrorKind::AddrInUse
                    && started.elapsed() < BIND_RETRY_TIMEOUT =>
            {
                tokio::time::sleep(BIND_RETRY_PAUSE).await;
            }
            Err(error) => {
                return Err(Error::io(
                    format!("failed to bind the upstream simulator to {address}"),
                    error,
                ))
            }
        }
    }
}

fn try_bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(1024)
}

/// Records the key headers of requests under `/v1/`, then handles them.
async fn record_key(State(keys): State<KeyLog>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/v1/") {
        let values = request
            .headers()
            .get_all(API_KEY_HEADER)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        keys.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(values);
    }
    next.run(request).await
}
