//! A minimal JSON client over plain http, for the simulator's control routes
//! and chromedriver's status route.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::error::{Error, Result};

/// Time limit of one request, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A response with its body parsed as JSON. An empty body is `Value::Null`.
#[derive(Debug, Clone)]
pub struct JsonResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The parsed body.
    pub body: Value,
}

/// A plain-http client. Clones share one connection pool.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// Creates a client with an empty connection pool.
    pub fn new() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends `GET url` and parses the body as JSON.
    pub async fn get(&self, url: &str) -> Result<JsonResponse> {
        self.send(Method::GET, url, None).await
    }

    /// Sends `POST url` with `body` as JSON, or with no body, and parses the
    /// response body as JSON.
    pub async fn post(&self, url: &str, body: Option<&Value>) -> Result<JsonResponse> {
        self.send(Method::POST, url, body).await
    }

    /// Sends a request and returns the response when its status is `expected`.
    pub async fn expect(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        expected: StatusCode,
    ) -> Result<Value> {
        let response = self.send(method.clone(), url, body).await?;
        if response.status != expected {
            return Err(Error::Http {
                method: method.to_string(),
                url: url.to_owned(),
                reason: format!(
                    "expected status {expected}, got {} with body {}",
                    response.status, response.body
                ),
            });
        }
        Ok(response.body)
    }

    async fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<JsonResponse> {
        let http_error = |reason: String| Error::Http {
            method: method.to_string(),
            url: url.to_owned(),
            reason,
        };

        let mut builder = Request::builder().method(method.clone()).uri(url);
        let payload = match body {
            Some(value) => {
                builder =
                    builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Bytes::from(value.to_string())
            }
            None => Bytes::new(),
        };
        let request = builder
            .body(Full::new(payload))
            .map_err(|error| http_error(format!("invalid request: {error}")))?;

        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| http_error(format!("{error:?}")))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|error| http_error(format!("failed to read the body: {error}")))?
                .to_bytes();
            Ok::<_, Error>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| http_error(format!("timed out after {REQUEST_TIMEOUT:?}")))??;

        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|error| {
                http_error(format!(
                    "status {status}, body is not JSON ({error}): {}",
                    String::from_utf8_lossy(&bytes)
                ))
            })?
        };
        Ok(JsonResponse { status, body })
    }
}
