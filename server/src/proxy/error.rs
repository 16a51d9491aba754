//! The errors that the proxy sends itself, as JSON.

use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::upstream::UpstreamError;

/// Error response that the proxy builds itself, with a stable code and a fixed
/// sentence. Details such as upstream error texts go only to the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyError {
    /// The task id in the path is not one path segment of the accepted
    /// characters.
    InvalidTaskId,
    /// The method, path or query string is not one that the proxy forwards
    /// or serves.
    NotFound,
    /// A retry request came from a page of another origin that is not on
    /// the CORS allowlist.
    ForbiddenOrigin,
    /// The upstream API did not respond within the timeout.
    UpstreamTimeout,
    /// The connection to the upstream API failed.
    UpstreamUnreachable,
    /// The upstream API responded with a redirect.
    UpstreamRedirect,
    /// The upstream body passed the size limit.
    UpstreamBodyTooLarge,
    /// The upstream response had a success status without a JSON body, or
    /// a status outside 200-599.
    UpstreamInvalidResponse,
    /// The upstream request failed after connecting, such as on a closed
    /// connection or a malformed response.
    UpstreamFailed,
    /// The shared upstream request ended without a reply, which is a bug.
    Internal,
}

/// JSON body of every error, in the form of the simulator's errors.
#[derive(Debug, Serialize)]
struct ErrorBody {
    error: &'static str,
    message: &'static str,
}

impl ProxyError {
    /// Returns the stable error code sent in the `error` field.
    pub(crate) fn code(self) -> &'static str {
        self.parts().1
    }

    fn parts(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::InvalidTaskId => (
                StatusCode::BAD_REQUEST,
                "invalid_task_id",
                "The task id must be one path segment of 1 to 64 ASCII letters, digits, '-' or '_'.",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "This proxy forwards only GET /v1/enterprise/task/{taskId}, and the retry routes when \
                 enabled, without a query string.",
            ),
            Self::ForbiddenOrigin => (
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "Retry requests are accepted only from this proxy's origin and the allowed CORS origins.",
            ),
            Self::UpstreamTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "The DriveQuant API did not respond in time. Try again later.",
            ),
            Self::UpstreamUnreachable => (
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "The proxy failed to connect to the DriveQuant API. Try again later.",
            ),
            Self::UpstreamRedirect => (
                StatusCode::BAD_GATEWAY,
                "upstream_redirect",
                "The DriveQuant API responded with a redirect, which this proxy does not follow.",
            ),
            Self::UpstreamBodyTooLarge => (
                StatusCode::BAD_GATEWAY,
                "upstream_body_too_large",
                "The DriveQuant API responded with a body larger than this proxy accepts.",
            ),
            Self::UpstreamInvalidResponse => (
                StatusCode::BAD_GATEWAY,
                "upstream_invalid_response",
                "The DriveQuant API responded with an unexpected status or a body that is not JSON.",
            ),
            Self::UpstreamFailed => (
                StatusCode::BAD_GATEWAY,
                "upstream_failed",
                "The request to the DriveQuant API failed. Try again later.",
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "The proxy failed to handle the request. Its log has the details.",
            ),
        }
    }
}

impl From<&UpstreamError> for ProxyError {
    fn from(error: &UpstreamError) -> Self {
        match error {
            UpstreamError::Timeout(_) => Self::UpstreamTimeout,
            UpstreamError::Unreachable(_) => Self::UpstreamUnreachable,
            UpstreamError::Redirect(_) => Self::UpstreamRedirect,
            UpstreamError::BodyTooLarge(_) => Self::UpstreamBodyTooLarge,
            UpstreamError::InvalidBody(_) | UpstreamError::UnexpectedStatus(_) => {
                Self::UpstreamInvalidResponse
            }
            UpstreamError::Failed(_) => Self::UpstreamFailed,
        }
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let (status, error, message) = self.parts();
        let mut response = (status, Json(ErrorBody { error, message })).into_response();
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
