//! Middleware that gives every request an id and every response the
//! security headers.

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::ProxyState;

/// Response header that carries the request id, so a portal's support can
/// find the request in the proxy's log.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Random id of one request, 16 hex digits, which handlers write in their
/// log lines.
#[derive(Debug, Clone)]
pub(super) struct RequestId(pub String);

/// Gives the request a random id, then adds the id and the security
/// headers to every response: from a handler, the static files or the
/// CORS layer.
///
/// The id is generated here, never taken from the client, so clients
/// cannot write into the log. Handlers log it as a field rather than
/// through a span, so every log format shows it.
pub(super) async fn add_response_headers(
    State(state): State<ProxyState>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = format!("{:016x}", rand::random::<u64>());
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let mut response = next.run(request).await;

    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        state.content_security_policy().clone(),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The id is 16 hex digits, always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}
