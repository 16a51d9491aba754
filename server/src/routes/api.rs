//! Handlers of the routes that imitate the DriveQuant Enterprise API.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::task_json::TaskJson;
use super::TaskIdParam;
use crate::error::ApiError;
use crate::simulation::TaskType;
use crate::state::AppState;

/// Header that carries the enterprise API key.
pub const API_KEY_HEADER: &str = "x-dq-enterprise-api-key";

/// Body of a successful retry request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryJson {
    task_id: String,
    nb_items: u64,
}

/// `GET /v1/enterprise/task/{taskId}`: the task's current state.
///
/// Every request is recorded with its status code, including those rejected
/// for their key, so tests can count the polls that a client sent.
pub(crate) async fn tasks_show(
    State(state): State<AppState>,
    TaskIdParam(task_id): TaskIdParam,
    headers: HeaderMap,
) -> Response {
    let now = state.now();
    let response = match find_task(&state, &headers, &task_id, now) {
        Ok(task) => Json(task).into_response(),
        Err(error) => error.into_response(),
    };

    state.record_task_request(&task_id, now, response.status());
    response
}

/// `POST /v1/enterprise/push/trips/failed/retry`: pushes failed trips again.
pub(crate) async fn trip_retries_create(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    create_retry(&state, &headers, TaskType::PushFailedTrips)
}

/// `POST /v1/enterprise/push/crashes/failed/retry`: pushes failed crashes
/// again.
pub(crate) async fn crash_retries_create(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    create_retry(&state, &headers, TaskType::PushFailedCrashes)
}

fn find_task(
    state: &AppState,
    headers: &HeaderMap,
    task_id: &str,
    now: time::OffsetDateTime,
) -> Result<TaskJson, ApiError> {
    authorize(state, headers)?;

    let simulator = state.simulator()?;
    let task = simulator
        .task(task_id)
        .ok_or_else(|| ApiError::TaskNotFound(task_id.to_owned()))?;
    TaskJson::new(task, now)
}

/// Creates a retry task and returns its id and item count with status 200.
///
/// NOTE: the real retry routes' success status code is not documented, so
/// 200 is an assumption.
fn create_retry(
    state: &AppState,
    headers: &HeaderMap,
    task_type: TaskType,
) -> Result<Json<RetryJson>, ApiError> {
    authorize(state, headers)?;

    let now = state.now();
    let config = state.config();
    let mut simulator = state.simulator()?;
    let task = simulator.create_retry(task_type, state.pending(), config.items_per_second, now)?;

    tracing::info!(
        task_id = %task.id,
        task_type = task_type.as_str(),
        nb_items = task.nb_items,
        "retry task created"
    );
    Ok(Json(RetryJson {
        task_id: task.id.clone(),
        nb_items: task.nb_items,
    }))
}

/// Checks the API key header against the configured key.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let key = headers.get(API_KEY_HEADER).ok_or(ApiError::MissingApiKey)?;
    if key.as_bytes() == state.config().api_key.as_bytes() {
        Ok(())
    } else {
        Err(ApiError::InvalidApiKey)
    }
}
