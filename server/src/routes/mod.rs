//! The HTTP router: API routes, control routes, static files and the
//! middleware around them.

mod api;
mod fallback;
mod scenarios;
mod scripted;
mod sim;
mod task_json;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderName, Method};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use api::API_KEY_HEADER;
pub use sim::DEFAULT_CONTROL_TASK_ITEMS;

use crate::error::ApiError;
use crate::state::AppState;

/// Builds the router of the simulator. See the crate documentation for the
/// routes.
pub fn app(state: AppState) -> Router {
    let request_counter = Arc::new(AtomicU64::new(1));
    let trace_layer = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request| request_span(&request_counter, request))
        .on_response(DefaultOnResponse::new().level(Level::INFO));

    Router::new()
        .route("/v1/enterprise/task/{taskId}", get(api::tasks_show))
        .route(
            "/v1/enterprise/push/trips/failed/retry",
            post(api::trip_retries_create),
        )
        .route(
            "/v1/enterprise/push/crashes/failed/retry",
            post(api::crash_retries_create),
        )
        .route("/sim/tasks", get(sim::tasks_index).post(sim::tasks_create))
        .route("/sim/tasks/{taskId}/fail", post(sim::tasks_fail))
        .route("/sim/tasks/{taskId}/script", post(sim::task_scripts_create))
        .route("/sim/scenarios", get(scenarios::scenarios_index))
        .route("/sim/scenarios/{name}", post(scenarios::scenarios_create))
        .route("/sim/push/pause", post(sim::push_service_pause))
        .route("/sim/push/resume", post(sim::push_service_resume))
        .route("/sim/requests", get(sim::requests_index))
        .route("/sim/requests/{taskId}", get(sim::requests_show))
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .fallback(fallback::fallback)
        .layer(cors_layer())
        .layer(trace_layer)
        .with_state(state)
}

/// Task id taken from the `{taskId}` path segment, percent-decoded. An id
/// that is not UTF-8 once decoded gets a JSON 400 and is not recorded.
pub(crate) struct TaskIdParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for TaskIdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(task_id)) => Ok(Self(task_id)),
            Err(rejection) => Err(ApiError::InvalidRequest(format!(
                "The task id in the path is invalid: {}.",
                rejection.body_text()
            ))),
        }
    }
}

/// Parses a JSON request body, or returns `None` for an empty one.
/// `description` names the expected content in the error message.
pub(crate) fn parse_json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    description: &str,
) -> Result<Option<T>, ApiError> {
    let body = body.map_err(|rejection| {
        ApiError::InvalidRequest(format!(
            "The body could not be read: {}.",
            rejection.body_text()
        ))
    })?;
    if body.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(&body).map(Some).map_err(|error| {
        ApiError::InvalidRequest(format!("The body is not a valid {description}: {error}."))
    })
}

/// Lets any origin call the simulator, because the widget's browser tests
/// load their page from another port than the simulator's. The simulator
/// contains no real data, so no origin gains anything from this. Every
/// response header is exposed, so that pages can read scripted headers
/// such as `Retry-After`.
fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([HeaderName::from_static(API_KEY_HEADER), CONTENT_TYPE])
        .expose_headers(Any)
}

/// Opens the span of one request, with a request number, the method and
/// the path. Headers and query strings stay out, so the API key never
/// reaches the log.
fn request_span(counter: &AtomicU64, request: &Request) -> tracing::Span {
    let request_id = counter.fetch_add(1, Ordering::Relaxed);
    tracing::info_span!(
        "request",
        id = request_id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}
