//! Handlers of the proxy: the forwarded API routes, and the static files
//! and 404s of every other path.

use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::cache::CacheStatus;
use super::config::CorsOrigin;
use super::error::ProxyError;
use super::response_headers::RequestId;
use super::task_id::TaskId;
use super::upstream::{RetryRoute, UpstreamError, UpstreamReply, TASK_PATH_PREFIX};
use super::ProxyState;

/// Characters of a rejected path written to the log, at most.
const MAX_LOGGED_PATH: usize = 200;

/// `GET /v1/enterprise/task/{taskId}`: the task from the upstream API,
/// through the single-flight cache.
///
/// The id is checked after percent-decoding, and a request with a query
/// string is a 404, so nothing but the checked id reaches the upstream
/// URL.
pub(super) async fn tasks_show(
    State(state): State<ProxyState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    method: Method,
    uri: Uri,
    task_id: Result<Path<String>, PathRejection>,
) -> Response {
    let started = Instant::now();
    // axum also routes HEAD here, which the proxy does not forward.
    if method != Method::GET || uri.query().is_some() {
        return reject(ProxyError::NotFound, &uri, &request_id);
    }
    // A rejection here is an id that is not UTF-8 once decoded.
    let Some(task_id) = task_id.ok().and_then(|Path(raw)| TaskId::parse(&raw).ok()) else {
        return reject(ProxyError::InvalidTaskId, &uri, &request_id);
    };

    let upstream = state.upstream().clone();
    let fetch_id = task_id.clone();
    let leader_id = request_id.clone();
    let fetch = async move {
        let outcome = upstream.fetch_task(&fetch_id).await;
        if let Err(error) = &outcome {
            tracing::warn!(
                request_id = %leader_id,
                task_id = %fetch_id,
                %error,
                "upstream task request failed"
            );
        }
        outcome
    };
    let shared = state.tasks().get_or_fetch(task_id.clone(), fetch).await;

    let (response, upstream_status, cache) = match shared {
        Ok((outcome, cache)) => {
            let (response, upstream_status) = outcome_response(&outcome);
            (response, upstream_status, Some(cache))
        }
        Err(error) => {
            tracing::error!(request_id = %request_id, %error, task_id = %task_id, "failed to get the task");
            (ProxyError::Internal.into_response(), None, None)
        }
    };
    tracing::info!(
        request_id = %request_id,
        task_id = %task_id,
        upstream_status,
        cache = cache.map(CacheStatus::as_str),
        latency_ms = elapsed_ms(started),
        status = response.status().as_u16(),
        "proxied task request"
    );
    response
}

/// `POST /v1/enterprise/push/trips/failed/retry`, when retries are enabled.
pub(super) async fn trip_retries_create(
    State(state): State<ProxyState>,
    Extension(request_id): Extension<RequestId>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    forward_retry(&state, RetryRoute::Trips, &request_id, &uri, &headers).await
}

/// `POST /v1/enterprise/push/crashes/failed/retry`, when retries are
/// enabled.
pub(super) async fn crash_retries_create(
    State(state): State<ProxyState>,
    Extension(request_id): Extension<RequestId>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    forward_retry(&state, RetryRoute::Crashes, &request_id, &uri, &headers).await
}

/// Forwards a retry request with the key and an empty body. Retries are
/// never cached or shared: each one starts a task upstream.
async fn forward_retry(
    state: &ProxyState,
    route: RetryRoute,
    RequestId(request_id): &RequestId,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let started = Instant::now();
    if uri.query().is_some() {
        return reject(ProxyError::NotFound, uri, request_id);
    }
    // Without this check, any web page could make its visitors' browsers
    // start retries with a plain form POST, since the proxy adds the key.
    if !is_allowed_origin(headers, uri, state.config().cors_origins.as_slice()) {
        return reject(ProxyError::ForbiddenOrigin, uri, request_id);
    }

    let outcome = state.upstream().post_retry(route).await;
    if let Err(error) = &outcome {
        tracing::warn!(request_id = %request_id, route = route.path(), %error, "upstream retry request failed");
    }
    let (response, upstream_status) = outcome_response(&outcome);
    tracing::info!(
        request_id = %request_id,
        route = route.path(),
        upstream_status,
        cache = "bypass",
        latency_ms = elapsed_ms(started),
        status = response.status().as_u16(),
        "proxied retry request"
    );
    response
}

/// Returns whether a request may start a retry: it has no `Origin` header,
/// as from a server or `curl`, or its origin is the proxy's own or on the
/// CORS allowlist.
fn is_allowed_origin(headers: &HeaderMap, uri: &Uri, allowed: &[CorsOrigin]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    if allowed
        .iter()
        .any(|allowed| allowed.header_value() == origin)
    {
        return true;
    }
    // HTTP/2 requests carry the host in the URI instead of a Host header.
    let host = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| uri.authority().map(|authority| authority.as_str()));
    let origin_authority = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, authority)| authority);
    match (origin_authority, host) {
        (Some(origin_authority), Some(host)) => origin_authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// Responds to every request that matches no route: a 400 for task paths
/// with an empty or multi-segment id, a JSON 404 under `/v1` and `/sim`,
/// and the widget's files elsewhere.
pub(super) async fn fallback(
    State(state): State<ProxyState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    request: Request,
) -> Response {
    let uri = request.uri().clone();
    let path = uri.path();
    if path.starts_with(TASK_PATH_PREFIX) && request.method() == Method::GET {
        return reject(ProxyError::InvalidTaskId, &uri, &request_id);
    }
    let is_file_method = request.method() == Method::GET || request.method() == Method::HEAD;
    if is_under(path, "/v1") || is_under(path, "/sim") || !is_file_method {
        return reject(ProxyError::NotFound, &uri, &request_id);
    }

    let Some(static_files) = state.static_files() else {
        return ProxyError::NotFound.into_response();
    };
    // `try_call` needs `&mut self`, and a `ServeDir` clone only copies its
    // settings.
    let mut static_files = static_files.clone();
    match static_files.try_call(request).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => {
            ProxyError::NotFound.into_response()
        }
        Ok(response) => response.map(Body::new),
        Err(error) => {
            tracing::error!(
                request_id = %request_id,
                %error,
                path = %truncated(path),
                "failed to read a file of the widget page"
            );
            ProxyError::Internal.into_response()
        }
    }
}

/// Returns the same 404 for a route called with another method as for any
/// other path, so the proxy reveals only that it does not forward the
/// request.
pub(super) async fn method_not_allowed(
    Extension(RequestId(request_id)): Extension<RequestId>,
    uri: Uri,
) -> Response {
    reject(ProxyError::NotFound, &uri, &request_id)
}

/// Builds the response to an upstream outcome and returns it with the
/// upstream status, when there was one.
fn outcome_response(outcome: &Result<UpstreamReply, UpstreamError>) -> (Response, Option<u16>) {
    match outcome {
        Ok(reply) => (reply_response(reply), Some(reply.status.as_u16())),
        Err(error) => {
            let upstream_status = match error {
                UpstreamError::Redirect(status)
                | UpstreamError::InvalidBody(status)
                | UpstreamError::UnexpectedStatus(status) => Some(status.as_u16()),
                _ => None,
            };
            (ProxyError::from(error).into_response(), upstream_status)
        }
    }
}

/// Passes an upstream reply on with its status, JSON body and
/// `Retry-After`, and no other upstream header.
fn reply_response(reply: &UpstreamReply) -> Response {
    let mut response = Response::new(Body::from(reply.body.clone()));
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(retry_after) = &reply.retry_after {
        headers.insert(RETRY_AFTER, retry_after.clone());
    }
    response
}

/// Logs a request that the proxy rejects itself and returns the error.
fn reject(error: ProxyError, uri: &Uri, request_id: &str) -> Response {
    tracing::info!(
        request_id = %request_id,
        path = %truncated(uri.path()),
        error = error.code(),
        "request rejected"
    );
    error.into_response()
}

fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Returns the start of `path`. Paths from hyper are ASCII, so any byte
/// index is a character boundary.
fn truncated(path: &str) -> &str {
    path.get(..MAX_LOGGED_PATH).unwrap_or(path)
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
