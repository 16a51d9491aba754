//! Requests to the DriveQuant API and the checks of its responses.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::header::{ACCEPT, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use reqwest::redirect::Policy;
use serde::Serialize;

use super::config::{ProxyConfig, UpstreamUrl};
use super::task_id::TaskId;
use crate::routes::API_KEY_HEADER;

/// Path of the task route, followed by the task id.
pub(crate) const TASK_PATH_PREFIX: &str = "/v1/enterprise/task/";

/// Response of the upstream API in the form the proxy sends it on.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamReply {
    /// Status code of the upstream response.
    pub status: StatusCode,
    /// JSON body: the upstream body when it is JSON, otherwise the proxy's
    /// own error body.
    pub body: Bytes,
    /// Whether `body` is the proxy's own, because the upstream body of an
    /// error status was not JSON.
    pub body_replaced: bool,
    /// The upstream `Retry-After` header.
    pub retry_after: Option<HeaderValue>,
    /// Whether the reply may be reused for other requests of the same task:
    /// a 200 with a task object, or a 404.
    pub cacheable: bool,
}

/// Failure of an upstream request, sent to the client as a 502 or 504.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// No complete response arrived within the timeout.
    #[error("upstream request timed out after {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The connection to the upstream host failed.
    #[error("failed to connect to the upstream API: {0}")]
    Unreachable(String),
    /// The upstream API responded with a redirect, which is not followed.
    #[error("upstream API responded with the redirect status {0}")]
    Redirect(StatusCode),
    /// The body is larger than the configured maximum.
    #[error("upstream body is larger than {0} bytes")]
    BodyTooLarge(usize),
    /// A success status came with a body that is not JSON.
    #[error("upstream API responded {0} with a body that is not JSON")]
    InvalidBody(StatusCode),
    /// The status code is outside 200-599 or is a 1xx.
    #[error("upstream API responded with the unexpected status {0}")]
    UnexpectedStatus(StatusCode),
    /// The request failed after connecting, such as a malformed response.
    #[error("upstream request failed: {0}")]
    Failed(String),
}

/// Client of the upstream API, with the key and limits of the config.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamClient {
    http: reqwest::Client,
    base: UpstreamUrl,
    api_key: HeaderValue,
    timeout: Duration,
    max_body_bytes: usize,
}

/// Retry route of the upstream API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryRoute {
    /// `POST /v1/enterprise/push/trips/failed/retry`.
    Trips,
    /// `POST /v1/enterprise/push/crashes/failed/retry`.
    Crashes,
}

impl RetryRoute {
    /// Returns the route's path.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Trips => "/v1/enterprise/push/trips/failed/retry",
            Self::Crashes => "/v1/enterprise/push/crashes/failed/retry",
        }
    }
}

impl UpstreamClient {
    /// Builds the HTTP client: rustls, no redirects, no cookies, and the
    /// proxy's own user agent.
    ///
    /// # Errors
    ///
    /// Returns the client builder's error, such as TLS setup failing.
    pub(crate) fn new(config: &ProxyConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .user_agent(concat!("task-status-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            base: config.upstream.clone(),
            api_key: config.api_key.header_value().clone(),
            timeout: config.upstream_timeout,
            max_body_bytes: config.max_upstream_body_bytes,
        })
    }

    /// Sends `GET /v1/enterprise/task/{taskId}` upstream.
    pub(crate) async fn fetch_task(
        &self,
        task_id: &TaskId,
    ) -> Result<UpstreamReply, UpstreamError> {
        let url = self.base.join(&format!("{TASK_PATH_PREFIX}{task_id}"));
        let request = self.http.get(url);
        let mut reply = self.exchange(request).await?;
        reply.cacheable = is_cacheable(&reply, task_id);
        Ok(reply)
    }

    /// Sends a retry request upstream with an empty body.
    pub(crate) async fn post_retry(
        &self,
        route: RetryRoute,
    ) -> Result<UpstreamReply, UpstreamError> {
        let url = self.base.join(route.path());
        // The retry routes take no parameters, so the client's body is
        // never read and the upstream request has an empty one.
        let request = self.http.post(url).body(Vec::<u8>::new());
        self.exchange(request).await
    }

    /// Adds the key, sends the request and reads the response within the
    /// timeout.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<UpstreamReply, UpstreamError> {
        let request = request
            .header(API_KEY_HEADER, self.api_key.clone())
            .header(ACCEPT, "application/json");
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|error| classify(&error, self.timeout))?;
            let status = response.status();
            let retry_after = response.headers().get(RETRY_AFTER).cloned();
            let body = read_body(response, self.max_body_bytes, self.timeout).await?;
            let reply = build_reply(status, body, retry_after)?;
            if reply.body_replaced {
                tracing::warn!(
                    upstream_status = status.as_u16(),
                    "upstream error body is not JSON, sending the proxy's own error body instead"
                );
            }
            Ok(reply)
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(UpstreamError::Timeout(self.timeout)),
        }
    }
}

/// Reads the body, failing as soon as it passes `max_bytes`.
async fn read_body(
    mut response: reqwest::Response,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Bytes, UpstreamError> {
    let declared = response.content_length().unwrap_or(0);
    if declared > max_bytes as u64 {
        return Err(UpstreamError::BodyTooLarge(max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| classify(&error, timeout))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(UpstreamError::BodyTooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Checks the status and body and builds what the client gets.
fn build_reply(
    status: StatusCode,
    body: Bytes,
    retry_after: Option<HeaderValue>,
) -> Result<UpstreamReply, UpstreamError> {
    if status.is_redirection() {
        return Err(UpstreamError::Redirect(status));
    }
    let is_error = status.is_client_error() || status.is_server_error();
    if !status.is_success() && !is_error {
        return Err(UpstreamError::UnexpectedStatus(status));
    }

    let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok();
    if is_json {
        return Ok(UpstreamReply {
            status,
            body,
            body_replaced: false,
            retry_after,
            cacheable: false,
        });
    }
    if status.is_success() {
        return Err(UpstreamError::InvalidBody(status));
    }

    // An error page from a gateway or a firewall is never passed on, so
    // no upstream HTML or text reaches the portal's origin.
    Ok(UpstreamReply {
        status,
        body: replacement_body(status),
        body_replaced: true,
        retry_after,
        cacheable: false,
    })
}

/// JSON body of an upstream error status whose body was not JSON, in the
/// same form as the proxy's own errors.
fn replacement_body(status: StatusCode) -> Bytes {
    #[derive(Serialize)]
    struct ReplacementBody {
        error: &'static str,
        message: String,
    }
    let body = ReplacementBody {
        error: "upstream_error",
        message: format!(
            "The DriveQuant API responded with HTTP status {} and a body that is not JSON.",
            status.as_u16()
        ),
    };
    // Serializing a struct of two strings cannot fail.
    Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
}

/// Returns whether other requests of the same task may reuse `reply`:
/// a 200 whose body is a task object with this id, or a 404.
///
/// A 404 is cached too, so that many viewers of a wrong id cost one
/// upstream request per cache period as well. Other errors, such as 429
/// and 5xx, are shared by concurrent requests but never cached.
fn is_cacheable(reply: &UpstreamReply, task_id: &TaskId) -> bool {
    match reply.status {
        StatusCode::OK => serde_json::from_slice::<serde_json::Value>(&reply.body)
            .ok()
            .is_some_and(|task| {
                task.get("taskId").and_then(|id| id.as_str()) == Some(task_id.as_str())
            }),
        StatusCode::NOT_FOUND => true,
        _ => false,
    }
}

/// Sorts a client error into timeout, connection failure and the rest.
/// The text is reqwest's, which names the URL but never a header.
fn classify(error: &reqwest::Error, timeout: Duration) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout(timeout)
    } else if error.is_connect() {
        UpstreamError::Unreachable(error_chain(error))
    } else {
        UpstreamError::Failed(error_chain(error))
    }
}

/// Joins an error and its sources, since reqwest's own text leaves the
/// cause, such as "connection refused", to the sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use axum::http::{HeaderValue, StatusCode};

    use super::{build_reply, is_cacheable, UpstreamError};
    use crate::proxy::task_id::TaskId;

    fn task_id() -> TaskId {
        TaskId::parse("t1").expect("id is valid")
    }

    #[test]
    fn reply_json_error_body_is_kept() {
        let body = Bytes::from_static(br#"{"error":"rate_limited"}"#);

        let reply =
            build_reply(StatusCode::TOO_MANY_REQUESTS, body.clone(), None).expect("reply builds");

        assert_eq!(reply.body, body);
        assert!(!reply.body_replaced);
    }

    #[test]
    fn reply_html_error_body_is_replaced() {
        let body = Bytes::from_static(b"<html>Bad gateway</html>");

        let reply = build_reply(StatusCode::BAD_GATEWAY, body, None).expect("reply builds");
        let text = String::from_utf8_lossy(&reply.body).into_owned();

        assert!(reply.body_replaced);
        assert!(!text.contains("<html>"), "{text}");
        assert!(text.contains("\"upstream_error\""), "{text}");
    }

    #[test]
    fn reply_empty_error_body_is_replaced() {
        let reply =
            build_reply(StatusCode::SERVICE_UNAVAILABLE, Bytes::new(), None).expect("reply builds");

        assert!(reply.body_replaced);
    }

    #[test]
    fn reply_keeps_retry_after() {
        let retry_after = HeaderValue::from_static("5");

        let reply = build_reply(
            StatusCode::TOO_MANY_REQUESTS,
            Bytes::new(),
            Some(retry_after.clone()),
        )
        .expect("reply builds");

        assert_eq!(reply.retry_after, Some(retry_after));
    }

    #[test]
    fn reply_success_without_json_is_error() {
        let result = build_reply(StatusCode::OK, Bytes::from_static(b"not json"), None);

        assert!(
            matches!(result, Err(UpstreamError::InvalidBody(StatusCode::OK))),
            "{result:?}"
        );
    }

    #[test]
    fn reply_redirect_is_error() {
        let result = build_reply(StatusCode::FOUND, Bytes::new(), None);

        assert!(
            matches!(result, Err(UpstreamError::Redirect(StatusCode::FOUND))),
            "{result:?}"
        );
    }

    #[test]
    fn reply_status_over_599_is_error() {
        let status = StatusCode::from_u16(999).expect("status is in range");

        let result = build_reply(status, Bytes::from_static(b"{}"), None);

        assert!(
            matches!(result, Err(UpstreamError::UnexpectedStatus(_))),
            "{result:?}"
        );
    }

    #[test]
    fn cacheable_task_with_same_id() {
        let reply = build_reply(
            StatusCode::OK,
            Bytes::from_static(br#"{"taskId":"t1"}"#),
            None,
        )
        .expect("reply builds");

        assert!(is_cacheable(&reply, &task_id()));
    }

    #[test]
    fn cacheable_not_other_task_id() {
        let reply = build_reply(
            StatusCode::OK,
            Bytes::from_static(br#"{"taskId":"t2"}"#),
            None,
        )
        .expect("reply builds");

        assert!(!is_cacheable(&reply, &task_id()));
    }

    #[test]
    fn cacheable_not_json_array() {
        let reply = build_reply(StatusCode::OK, Bytes::from_static(b"[1,2,3]"), None)
            .expect("reply builds");

        assert!(!is_cacheable(&reply, &task_id()));
    }

    #[test]
    fn cacheable_not_found() {
        let reply = build_reply(StatusCode::NOT_FOUND, Bytes::new(), None).expect("reply builds");

        assert!(is_cacheable(&reply, &task_id()));
    }

    #[test]
    fn cacheable_not_server_error() {
        let reply = build_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(b"{}"),
            None,
        )
        .expect("reply builds");

        assert!(!is_cacheable(&reply, &task_id()));
    }
}
