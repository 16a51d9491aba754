//! Responses to requests that match no route: a JSON 404 under the API and
//! control prefixes, the demo page's files elsewhere.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Body of the 404 for `/` when the demo page is missing.
const PAGE_NOT_BUILT: &str =
    "The demo page is not built yet. Run `cargo xtask demo`, then reload this page.\n";

/// Body of the 404 for any other path with no file behind it.
const FILE_NOT_FOUND: &str = "No file at this path.\n";

/// Records the unmatched request, then builds its response.
///
/// Paths under `/v1` and `/sim` get the API's JSON 404, so a client never
/// mistakes the demo page for an API response. Other paths are served from
/// the demo folder, with `index.html` for `/`.
pub(crate) async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    state.record_unmatched(&path);

    if is_under(&path, "/v1") || is_under(&path, "/sim") {
        return ApiError::RouteNotFound(path).into_response();
    }

    let Some(static_files) = state.static_files() else {
        return not_found_text(&path);
    };
    // `try_call` needs `&mut self`, and a `ServeDir` clone only copies its
    // settings.
    let mut static_files = static_files.clone();
    match static_files.try_call(request).await {
        Ok(response) if response.status() == StatusCode::NOT_FOUND => not_found_text(&path),
        Ok(response) => response.map(Body::new),
        Err(error) => {
            tracing::error!(%error, "failed to read a file of the demo page");
            ApiError::Internal(error.to_string()).into_response()
        }
    }
}

/// Returns the JSON 405 for a route that exists under another method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn not_found_text(path: &str) -> Response {
    let text = if path == "/" || path == "/index.html" {
        PAGE_NOT_BUILT
    } else {
        FILE_NOT_FOUND
    };
    (StatusCode::NOT_FOUND, text).into_response()
}
